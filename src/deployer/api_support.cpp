#include "deployer/api_support.hpp"

#include <charconv>

#include "core/random.hpp"
#include "core/time.hpp"

namespace orsa::deployer {
namespace {

bool is_unsafe(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

Result<auth::Principal> authenticate_request(Accounts& accounts, const http::Request& req) {
  if (auto header = req.header("Authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!header->starts_with(kBearer) || header->size() == kBearer.size()) {
      return fail(Error::unauthenticated("Authorization must be 'Bearer <token>'"));
    }
    return accounts.authenticate_bearer(header->substr(kBearer.size()));
  }
  if (auto cookie = req.cookie(kSessionCookie)) {
    auto session = accounts.authenticate_session(*cookie);
    if (!session) return fail(session.error());
    // Double-submit check: a cross-site form can send the cookie but cannot
    // read it to echo the CSRF value in a header.
    if (is_unsafe(req.method)) {
      const auto header = req.header(kCsrfHeader);
      if (!header || !constant_time_equal(*header, session->second)) {
        return fail(Error::permission_denied("missing or invalid X-CSRF-Token header"));
      }
    }
    return std::move(session->first);
  }
  return fail(Error::unauthenticated("authentication required"));
}

http::GuardedHandler authenticated(Accounts& accounts, AuthedHandler handler,
                                   AdmissionCheck check) {
  http::Admission admit =
      [&accounts, check = std::move(check)](http::Request& req) -> std::optional<http::Response> {
    auto who = authenticate_request(accounts, req);
    if (!who) return http::error_response(who.error());
    if (check) {
      if (auto ok = check(req, *who); !ok) return http::error_response(ok.error());
    }
    req.context = std::move(*who);
    return std::nullopt;
  };
  http::Handler handle = [&accounts, handler = std::move(handler)](http::Request& req) {
    if (const auth::Principal* who = admitted_principal(req)) return handler(req, *who);
    // Reached without the server's admission step (a direct call).
    auto who = authenticate_request(accounts, req);
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

std::string sse_data(std::string_view line) {
  return "data: " + std::string(line) + "\n\n";
}

http::Response no_content_or_error(const Result<void>& result) {
  if (!result) return http::error_response(result.error());
  http::Response res;
  res.status = 204;
  return res;
}

Caller caller_of(const http::Request& req) {
  return Caller{req.remote_ip};
}

ProjectRef project_ref_of(const http::Request& req) {
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

std::optional<std::string_view> if_match(const http::Request& req) {
  auto value = req.header("If-Match");
  if (!value) return std::nullopt;
  std::string_view v = *value;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

}  // namespace orsa::deployer
