#include "registry_http.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/strings.hpp"
#include "oci/digest.hpp"
#include "oci/tag.hpp"

namespace orsa::oci {
namespace {

// ---- names

// Repository names per the distribution spec, lower-case path components.
bool valid_repo(std::string_view repo) {
  if (repo.empty() || repo.size() > 255) return false;
  bool at_component_start = true;
  for (std::size_t i = 0; i < repo.size(); ++i) {
    const char c = repo[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (at_component_start && !alnum) return false;
    if (!alnum && c != '.' && c != '_' && c != '-' && c != '/') return false;
    if (c == '/' && !std::isalnum(static_cast<unsigned char>(repo[i - 1]))) return false;
    at_component_start = c == '/';
  }
  return std::isalnum(static_cast<unsigned char>(repo.back())) != 0;
}

ErrorCode code_for_status(long status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 413:
      return ErrorCode::kTooLarge;
    case 416:
      return ErrorCode::kInvalidArgument;
    case 429:
      return ErrorCode::kRateLimited;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  }
}

}  // namespace

Result<void> check_repo(std::string_view repo) {
  if (valid_repo(repo)) return {};
  return fail(Error::invalid_argument("invalid repository name '" + std::string(repo) + "'"));
}

Result<void> check_reference(std::string_view reference) {
  if (reference.find(':') != std::string_view::npos) {
    if (auto d = Digest::parse(reference); !d) return fail(d.error());
    return {};
  }
  if (validate_tag(reference)) return {};
  return fail(Error::invalid_argument("invalid tag '" + std::string(reference) + "'"));
}

std::string push_scope(std::string_view repo) {
  return "repository:" + std::string(repo) + ":pull,push";
}
std::string pull_scope(std::string_view repo) {
  return "repository:" + std::string(repo) + ":pull";
}

std::string with_query(std::string url, std::string_view param) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += param;
  return url;
}

std::string escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += c;
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (redirect, 100 Continue)
    t->response->headers.clear();
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace(ascii_lower(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  t->stats->bytes_downloaded += static_cast<std::int64_t>(n);
  const bool ok = status >= 200 && status < 300;
  if (ok && t->request->sink != nullptr) {
    if (auto r = (*t->request->sink)(std::string_view(data, n)); !r) {
      t->error = r.error();
      return 0;
    }
    return n;
  }
  std::string& body = t->response->body;
  if (!ok) {  // an error document: keep its start, drop the rest
    body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (static_cast<std::int64_t>(body.size() + n) > t->request->max_body) {
    t->too_large = true;
    return 0;
  }
  body.append(data, n);
  return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  auto& body = t->request->body;
  if (!body) return 0;  // nothing to send: the body ends at once
  Body& b = *body;
  const auto want = static_cast<std::int64_t>(
      std::min<std::uint64_t>(size * count, static_cast<std::uint64_t>(b.length - b.pos)));
  if (want <= 0) return 0;
  std::size_t got = 0;
  if (b.fd < 0) {
    std::memcpy(buffer, b.memory.data() + b.offset + b.pos, static_cast<std::size_t>(want));
    got = static_cast<std::size_t>(want);
  } else {
    const ssize_t r = ::pread(b.fd, buffer, static_cast<std::size_t>(want), b.offset + b.pos);
    if (r <= 0) {  // the file shrank or failed under us
      t->error = Error::internal(std::string("reading the blob file failed: ") +
                                 (r < 0 ? errno_message(errno) : "unexpected end of file"));
      return CURL_READFUNC_ABORT;
    }
    got = static_cast<std::size_t>(r);
  }
  b.pos += static_cast<std::int64_t>(got);
  t->stats->bytes_uploaded += static_cast<std::int64_t>(got);
  return got;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  auto& body = t->request->body;
  if (!body) return CURL_SEEKFUNC_CANTSEEK;
  Body& b = *body;
  if (origin != SEEK_SET || offset < 0 || offset > b.length) return CURL_SEEKFUNC_CANTSEEK;
  b.pos = offset;
  return CURL_SEEKFUNC_OK;
}

// "<what>: HTTP 400 DIGEST_INVALID: provided digest did not match uploaded content";
// detail is the registry's error code.
Error registry_error(std::string_view what, const Response& response) {
  std::string code;
  std::string message;
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
      !doc["errors"].empty() && doc["errors"][0].is_object()) {
    const auto& first = doc["errors"][0];
    if (first.contains("code") && first["code"].is_string()) code = first["code"];
    if (first.contains("message") && first["message"].is_string()) message = first["message"];
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message.substr(0, 300);
  if (response.status == 401 && code.empty()) text += " (credentials missing or rejected)";
  return with_registry_code(Error{code_for_status(response.status), std::move(text), {}},
                            std::move(code));
}

Result<std::int64_t> source_size(const BlobSource& source) {
  if (const auto* bytes = std::get_if<std::string_view>(&source)) {
    return static_cast<std::int64_t>(bytes->size());
  }
  std::error_code ec;
  const auto& path = std::get<std::filesystem::path>(source);
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(Error::invalid_argument("blob file " + path.string() + ": " + ec.message()));
  return static_cast<std::int64_t>(size);
}

}  // namespace orsa::oci
