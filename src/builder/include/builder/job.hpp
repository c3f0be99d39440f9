#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::builder {

/// What one `orsa-builder build --job job.json` run is asked to do. The
/// deployer writes it; the builder trusts nothing in it beyond its shape
/// (paths are the deployer's, content limits are enforced while reading).
/// The push token is not in the file: it arrives in ORSA_PUSH_TOKEN.
struct BuildJob {
  std::string build_id;
  std::string owner;                     // slug
  std::string project;                   // slug
  std::string commit;                    // 40-hex sha
  std::int64_t commit_time = 0;          // unix seconds: the image's timestamps
  std::filesystem::path source_archive;  // .tar.gz of the commit's tree
  std::filesystem::path template_dir;    // cookiecutter template (python-flask)
  std::string registry;                  // base URL, e.g. http://127.0.0.1:8080
  std::string base_repository;           // e.g. orsa/base-python-or
  std::string base_reference;            // tag or digest
  std::string target_repository;         // <owner>/<project>
  std::string target_tag;                // the build number
  std::int64_t timeout_s = 600;
};

/// Parses and validates job.json; errors name the field.
Result<BuildJob> parse_job(std::string_view json);

}  // namespace orsa::builder
