// The jobs listener (ADR 0021): a job on a runtime without the control
// plane's disk fetches its input and options and hands back its result or
// error here, with a token for that job alone.

#include "api/job_files_api.hpp"

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "api_support.hpp"
#include "auth/policy.hpp"
#include "core/files.hpp"
#include "core/random.hpp"

namespace orsa::api {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kOutputDir = "out";

std::optional<auth::JobFile> input_file(std::string_view name) {
  if (name == "input.json") return auth::JobFile::kInput;
  if (name == "options.json") return auth::JobFile::kOptions;
  return std::nullopt;
}

std::optional<auth::JobFile> output_file(std::string_view name) {
  if (name == "result.json") return auth::JobFile::kResult;
  if (name == "error.json") return auth::JobFile::kError;
  return std::nullopt;
}

Result<std::uint64_t> content_length(const http::Request& req) {
  const auto header = req.header("Content-Length");
  if (!header) return fail(Error::invalid_argument("an upload must give its Content-Length"));
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(header->data(), header->data() + header->size(), n);
  if (ec != std::errc() || end != header->data() + header->size()) {
    return fail(Error::invalid_argument("invalid Content-Length"));
  }
  return n;
}

// Who may do what, from the head alone: the token, its job, the file, and
// for an upload its declared length within the token's limit.
Result<auth::JobClaims> admit(const auth::JobTokenSigner& tokens, const http::Request& req,
                              auth::Action action, std::optional<auth::JobFile> file) {
  constexpr std::string_view kBearer = "Bearer ";
  const auto header = req.header("Authorization");
  if (!header || !header->starts_with(kBearer)) {
    return fail(Error::unauthenticated("a job token is required (Authorization: Bearer)"));
  }
  auto claims = tokens.verify(header->substr(kBearer.size()));
  if (!claims) return fail(claims.error());
  if (!file) return fail(Error::not_found("not found"));
  if (auto ok = auth::Policy::authorize_job_file(claims->job, action, req.param("job"), *file);
      !ok) {
    return fail(ok.error());
  }
  if (action == auth::Action::kWrite) {
    auto length = content_length(req);
    if (!length) return fail(length.error());
    if (*length > claims->max_output_bytes) {
      return fail(Error::too_large("the job's output may hold at most " +
                                   std::to_string(claims->max_output_bytes) + " bytes"));
    }
  }
  return claims;
}

http::Admission admission(const auth::JobTokenSigner& tokens, auth::Action action) {
  return [&tokens, action](http::Request& req) -> std::optional<http::Response> {
    const std::string_view name = req.param("file");
    auto claims = admit(tokens, req, action,
                        action == auth::Action::kRead ? input_file(name) : output_file(name));
    if (!claims) return http::error_response(claims.error());
    req.context = std::move(*claims);
    return std::nullopt;
  };
}

// A directory of the work root by the job's name, never through a link.
std::optional<fs::path> job_dir(const fs::path& work_root, std::string_view job,
                                std::string_view sub = {}) {
  fs::path dir = work_root / std::string(job);
  if (!sub.empty()) dir /= std::string(sub);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return std::nullopt;
  return dir;
}

http::Response download(const fs::path& work_root, const http::Request& req) {
  const auto dir = job_dir(work_root, req.param("job"));
  if (!dir) return http::error_response(Error::not_found("not found"));
  const fs::path file = *dir / std::string(req.param("file"));
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
    return http::error_response(Error::not_found("not found"));
  }
  http::Response res = file_response(file, "application/json");
  res.set_header("Cache-Control", "no-store");
  return res;
}

// The spooled body becomes the file whole (copy, then rename in place): the
// control plane never reads half an upload, and a retry replaces it.
http::Response upload(const fs::path& work_root, const http::Request& req) {
  const auto out = job_dir(work_root, req.param("job"), kOutputDir);
  if (!out) return http::error_response(Error::not_found("not found"));
  const std::string name(req.param("file"));
  const fs::path tmp = *out / ("." + name + ".upload-" + random_hex(6));
  std::error_code ec;
  if (req.body_file.empty()) {
    if (auto ok = write_file_atomic(*out / name, req.body, 0600); !ok) {
      return http::error_response(ok.error());
    }
    return http::text_response(204, "");
  }
  fs::copy_file(req.body_file, tmp, ec);
  if (!ec) fs::rename(tmp, *out / name, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return http::error_response(Error::unavailable("cannot store the job's " + name));
  }
  return http::text_response(204, "");
}

}  // namespace

void register_job_file_routes(http::Router& router, const auth::JobTokenSigner& tokens,
                              JobFilesOptions options) {
  const auto root = std::make_shared<const fs::path>(std::move(options.work_root));
  router.add("GET", "/jobs/{job}/{file}",
             http::GuardedHandler{admission(tokens, auth::Action::kRead),
                                  [root](http::Request& req) { return download(*root, req); }},
             {.body_limit = 0});
  router.add("PUT", "/jobs/{job}/out/{file}",
             http::GuardedHandler{admission(tokens, auth::Action::kWrite),
                                  [root](http::Request& req) { return upload(*root, req); }},
             {.body_limit = options.max_upload_bytes, .spool_body = true});
}

}  // namespace orsa::api
