// A project's orsa.toml, as the builder reads it from the user's repository.

#include "manifest/project_config.hpp"

#include "../fuzz/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto config = orsa::manifest::parse_project_config(orsa::fuzz::as_text(data, size));
  if (config) {
    ORSA_FUZZ_CHECK(config->timeout_s > 0);
    ORSA_FUZZ_CHECK(config->workers > 0);
    ORSA_FUZZ_CHECK(config->max_body_bytes > 0);
    ORSA_FUZZ_CHECK(!config->entrypoint_module.empty() && !config->entrypoint_function.empty());
  } else {
    // "orsa.toml: <what>", or "orsa.toml:<line>: <what>" for TOML syntax errors.
    ORSA_FUZZ_CHECK(config.error().message.starts_with("orsa.toml:"));
  }
  return 0;
}
