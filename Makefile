# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh is
# idempotent and returns at once when everything is there).

PRESET ?= debug
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test unit format format-check bench clean

deps:
	@scripts/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Embedded mode: SQLite, local git repos, data under ./orsa-data. On the first
# start the python-or base image is built in the background (mmdebstrap).
RUN_ARGS ?= --ensure-base python-or
run:
	@$(MAKE) --no-print-directory build PRESET=release
	@build/release/apps/orsa-deployer/orsa-deployer $(RUN_ARGS) $(ARGS)

test: deps
	@scripts/check-format.sh
	@$(MAKE) --no-print-directory build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 600

format:
	@scripts/cpp-files.sh | xargs clang-format -i

bench:
	@$(MAKE) --no-print-directory build PRESET=release
	@bench/api/run.sh

clean:
	@rm -rf build
