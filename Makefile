# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh is
# idempotent and returns at once when everything is there).

PRESET ?= debug
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

# ccache hits across checkouts (a fresh clone takes from the cache what it
# did not change): paths under the checkout are hashed relative to it, and
# the working directory a debug build records is left out of the hash.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps configure build run test unit web format format-check bench bench-quick fuzz images clean

deps:
	@scripts/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Embedded mode: SQLite, local git repos, data under ./orsa-data. On the first
# start the python-or base image is built in the background (mmdebstrap).
# The web app is built first (npm ci only when web/package-lock.json changed).
RUN_ARGS ?= --ensure-base python-or
run:
	@$(MAKE) --no-print-directory build PRESET=release
	@scripts/web.sh build
	@bin=build/release/apps/orsa-deployer/orsa-deployer; \
	  web=$$($$bin --help 2>/dev/null | grep -q -- '--web-dir' && echo "--web-dir web/dist"); \
	  exec $$bin $$web $(RUN_ARGS) $(ARGS)

# ctest includes web.unit (Vitest), web.e2e (Chromium journey) and web.e2e_oidc
# (OpenID Connect sign-in in Chromium).
test: deps
	@scripts/check-format.sh
	@$(MAKE) --no-print-directory build
	@scripts/web.sh deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j 2 --timeout 600

web:
	@scripts/web.sh build

format:
	@scripts/cpp-files.sh | xargs clang-format -i

# AFL++ (GCC instrumentation) under ASan+UBSan in build/fuzz, FUZZ_SECONDS
# per target; new inputs go to fuzz/corpus/, which `make test` replays.
fuzz: deps
	@scripts/fuzz.sh

bench:
	@$(MAKE) --no-print-directory build PRESET=release
	@bench/api/run.sh

# The perf regression guard: short benches, ratios to their peers compared
# with bench/quick-baseline.txt (bench/README.md, "Regression guard").
bench-quick:
	@$(MAKE) --no-print-directory build PRESET=release
	@bench/quick.sh $(ARGS)

# ORSA's own images (orsa-deployer, orsa-builder, postgres, nginx), built by
# orsa-builder on mmdebstrap root filesystems, loaded into podman; as root.
# ARGS="--load docker" for Docker, "--load none" for the archives alone.
# Also writes deploy/.env for the compose application when there is none.
images: deps
	@$(MAKE) --no-print-directory build PRESET=release
	@scripts/web.sh build
	@scripts/images.sh --env deploy/.env $(ARGS)

clean:
	@rm -rf build
