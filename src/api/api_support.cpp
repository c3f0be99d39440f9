#include "api_support.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <optional>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "core/time.hpp"

namespace orsa::api {
namespace {

bool is_unsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// "https://host:port" → "host:port"; nullopt for "null" or anything without a scheme.
std::optional<std::string> origin_authority(std::string_view origin) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  std::string_view rest = origin.substr(scheme_end + 3);
  if (rest.empty() || rest.find_first_of("/?#@") != std::string_view::npos) return std::nullopt;
  return ascii_lower(rest);
}

// "scheme://host" without a port also matches a Host with the scheme's
// default port spelled out, and the other way round.
bool same_authority(std::string_view origin, std::string_view host) {
  const auto authority = origin_authority(origin);
  if (!authority) return false;
  const std::string h = ascii_lower(host);
  if (*authority == h) return true;
  const bool tls = origin.starts_with("https://");
  const std::string_view default_port = tls ? ":443" : ":80";
  return *authority + std::string(default_port) == h || h + std::string(default_port) == *authority;
}

std::atomic<bool> g_tls_cookies{false};

std::string cookie_name(std::string_view base) {
  return tls_cookies() ? std::string(kHostCookiePrefix) + std::string(base) : std::string(base);
}

}  // namespace

Result<void> require_same_origin(const http::Request& req) {
  if (auto site = req.header("Sec-Fetch-Site")) {
    const std::string value = ascii_lower(*site);
    // A sibling origin on the same site (another port, a subdomain serving
    // tenants' pages) is no more trusted than a foreign one.
    if (value == "cross-site" || value == "same-site") {
      return fail(Error::permission_denied("cross-site requests are not accepted"));
    }
  }
  if (auto origin = req.header("Origin")) {
    const auto host = req.header("Host");
    if (!host || !same_authority(*origin, *host)) {
      return fail(Error::permission_denied("requests from another origin are not accepted"));
    }
  }
  return {};
}

Result<void> require_json_content(const http::Request& req) {
  const auto type = req.header("Content-Type");
  const std::string_view declared = type.value_or("");
  if (!iequals(trim(declared.substr(0, declared.find(';'))), "application/json")) {
    return fail(Error::unsupported_media("the request body must be sent as application/json"));
  }
  return {};
}

Result<JsonObjectReader> parse_json_body(const http::Request& req) {
  if (auto ok = require_json_content(req); !ok) return fail(ok.error());
  return JsonObjectReader::parse(req.body);
}

void set_tls_cookies(bool tls) {
  g_tls_cookies.store(tls);
}
bool tls_cookies() {
  return g_tls_cookies.load();
}
std::string session_cookie_name() {
  return cookie_name(kSessionCookie);
}
std::string csrf_cookie_name() {
  return cookie_name(kCsrfCookie);
}
std::string scoped_cookie_name(std::string_view base) {
  return cookie_name(base);
}

std::string cookie_header(std::string_view name, std::string_view value, std::int64_t max_age,
                          bool http_only) {
  return std::string(name) + "=" + std::string(value) + "; Path=/" +
         (http_only ? "; HttpOnly" : "") + (tls_cookies() ? "; Secure" : "") +
         "; SameSite=Lax; Max-Age=" + std::to_string(max_age);
}

void set_session_cookies(http::Response& res, const services::LoggedIn& in) {
  const std::int64_t max_age = in.session.claims.expires_at - in.session.claims.issued_at;
  res.add_header("Set-Cookie",
                 cookie_header(session_cookie_name(), in.session.token, max_age, true));
  // Readable by the SPA on purpose: it echoes the value in X-CSRF-Token.
  res.add_header("Set-Cookie",
                 cookie_header(csrf_cookie_name(), in.session.claims.csrf, max_age, false));
}

Result<auth::Principal> authenticate_request(auth::CredentialResolver& credentials,
                                             const http::Request& req) {
  if (auto header = req.header("Authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!header->starts_with(kBearer) || header->size() == kBearer.size()) {
      return fail(Error::unauthenticated("Authorization must be 'Bearer <token>'"));
    }
    return credentials.authenticate_bearer(header->substr(kBearer.size()));
  }
  if (auto cookie = req.cookie(session_cookie_name())) {
    auto session = credentials.authenticate_session(*cookie);
    if (!session) return fail(session.error());
    // Double-submit check: a cross-site form can send the cookie but cannot
    // read it to echo the CSRF value in a header.
    if (is_unsafe(req.method)) {
      if (auto ok = require_same_origin(req); !ok) return fail(ok.error());
      const auto header = req.header(kCsrfHeader);
      if (!header || !constant_time_equal(*header, session->second)) {
        return fail(Error::permission_denied("missing or invalid X-CSRF-Token header"));
      }
    }
    return std::move(session->first);
  }
  return fail(Error::unauthenticated("authentication required"));
}

http::GuardedHandler authenticated(auth::CredentialResolver& credentials, AuthedHandler handler,
                                   AdmissionCheck check) {
  http::Admission admit = [&credentials, check = std::move(check)](
                              http::Request& req) -> std::optional<http::Response> {
    auto who = authenticate_request(credentials, req);
    if (!who) return http::error_response(who.error());
    if (check) {
      if (auto ok = check(req, *who); !ok) return http::error_response(ok.error());
    }
    req.context = std::move(*who);
    return std::nullopt;
  };
  http::Handler handle = [&credentials, handler = std::move(handler)](http::Request& req) {
    if (const auth::Principal* who = admitted_principal(req)) return handler(req, *who);
    // Reached without the server's admission step (a direct call).
    auto who = authenticate_request(credentials, req);
    if (!who) return http::error_response(who.error());
    return handler(req, *who);
  };
  return {std::move(admit), std::move(handle)};
}

const auth::Principal* admitted_principal(const http::Request& req) {
  return std::any_cast<auth::Principal>(&req.context);
}

Json registry_usage_json(const oci::Registry& registry, std::string_view owner) {
  const oci::NamespaceUsage usage = registry.store().namespace_usage(owner);
  const auto quota = registry.quota(owner);
  return {{"registry_bytes", usage.total()},
          {"registry_quota_bytes", quota ? Json(*quota) : Json(nullptr)},
          {"upload_bytes", usage.upload_bytes}};
}

http::Response json_response(int status, const Json& body) {
  return http::json_text_response(status, body.dump());
}

Json optional_time(const std::optional<std::int64_t>& unix_seconds) {
  return unix_seconds ? Json(format_rfc3339(*unix_seconds)) : Json(nullptr);
}

http::Response no_content_or_error(const Result<void>& result) {
  if (!result) return http::error_response(result.error());
  http::Response res;
  res.status = 204;
  return res;
}

services::Caller caller_of(const http::Request& req) {
  return services::Caller{req.remote_ip};
}

services::ProjectRef project_ref_of(const http::Request& req) {
  return {std::string(req.param("owner")), std::string(req.param("name"))};
}

Result<std::size_t> parse_limit(const http::Request& req, std::size_t fallback) {
  auto text = req.query_param("limit");
  if (!text) return fallback;
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value == 0 || value > 1000) {
    return fail(Error::invalid_argument("limit must be an integer between 1 and 1000"));
  }
  return value;
}

Result<services::PageRequest> parse_page(const http::Request& req) {
  services::PageRequest page;
  if (auto cursor = req.query_param("cursor"); cursor && !cursor->empty()) {
    page.cursor = std::string(*cursor);
  }
  if (req.query_param("limit")) {
    auto limit = parse_limit(req, 0);
    if (!limit) return fail(limit.error());
    page.limit = *limit;
  }
  return page;
}

std::optional<std::string_view> if_match(const http::Request& req) {
  auto value = req.header("If-Match");
  if (!value) return std::nullopt;
  std::string_view v = *value;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

http::Response file_response(const std::filesystem::path& path, std::string content_type) {
  static constexpr std::size_t kChunk = 256 * 1024;
  auto mapped = MappedFile::open(path);
  if (!mapped) return http::error_response(mapped.error());
  http::Response res = http::text_response(200, "", std::move(content_type));
  res.stream = [file = std::make_shared<MappedFile>(std::move(*mapped))](http::BodyWriter& out) {
    std::string_view rest = file->bytes();
    while (!rest.empty() && !out.closed()) {
      const auto n = std::min(rest.size(), kChunk);
      if (!out.write(rest.substr(0, n))) return;
      rest.remove_prefix(n);
    }
  };
  return res;
}

}  // namespace orsa::api
