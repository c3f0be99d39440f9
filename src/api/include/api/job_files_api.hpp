#pragma once

#include <cstdint>
#include <filesystem>

#include "auth/sessions.hpp"
#include "http/router.hpp"

namespace orsa::api {

/// Where the jobs listener finds the jobs' files (ADR 0021).
struct JobFilesOptions {
  // The run worker's work root: <work_root>/<job>/{input.json, options.json, out/}.
  std::filesystem::path work_root;
  // The most any upload may hold (the route's body limit); each token's own
  // limit is checked first, from the request head.
  std::uint64_t max_upload_bytes = 256ULL * 1024 * 1024;
};

/// Registers the jobs listener's routes: GET /jobs/{job}/input.json and
/// /options.json, PUT /jobs/{job}/out/result.json and /error.json, each
/// opened by a job token (Authorization: Bearer) for that job alone.
void register_job_file_routes(http::Router& router, const auth::JobTokenSigner& tokens,
                              JobFilesOptions options);

}  // namespace orsa::api
