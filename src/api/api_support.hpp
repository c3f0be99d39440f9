#pragma once

// Helpers shared by the API's handler files; not part of the module's
// public surface.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/request_auth.hpp"
#include "auth/policy.hpp"
#include "core/json.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "oci/registry.hpp"
#include "services/accounts.hpp"
#include "services/projects.hpp"

namespace orsa::api {

inline constexpr std::string_view kSessionCookie = "orsa_session";
inline constexpr std::string_view kCsrfCookie = "orsa_csrf";
/// Browsers accept a "__Host-" cookie only with Secure, Path=/ and no Domain
/// from a secure origin: a sibling host or a plain-HTTP page cannot plant it.
inline constexpr std::string_view kHostCookiePrefix = "__Host-";

bool tls_cookies();
/// The session and CSRF cookie names in use.
std::string session_cookie_name();
std::string csrf_cookie_name();
/// A cookie's name with the "__Host-" prefix when cookies are TLS-only.
std::string scoped_cookie_name(std::string_view base);
/// A Set-Cookie value: Path=/, SameSite=Lax, Secure under TLS, HttpOnly
/// unless the SPA must read it (the CSRF token it echoes).
std::string cookie_header(std::string_view name, std::string_view value, std::int64_t max_age,
                          bool http_only);
/// Adds the session and CSRF cookies of a login (password or federated).
void set_session_cookies(http::Response& res, const services::LoggedIn& in);
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

using AuthedHandler = std::function<http::Response(http::Request&, const auth::Principal&)>;

/// Refuses a request a browser sent on behalf of another origin
/// (`Sec-Fetch-Site` same-site or cross-site, or an `Origin` other than the
/// `Host` it was sent to): 403. Clients that send neither header (CLI,
/// scripts) pass; they cannot be made to act by a third-party page.
Result<void> require_same_origin(const http::Request& req);

/// 415 unless the request says `Content-Type: application/json`: the types a
/// cross-site form may send without a preflight (text/plain, form encodings)
/// never reach a JSON route.
Result<void> require_json_content(const http::Request& req);

/// The request body as a JSON object, after require_json_content.
Result<JsonObjectReader> parse_json_body(const http::Request& req);

/// A route's access check from the request head, once the caller is known.
using AdmissionCheck = std::function<Result<void>(http::Request&, const auth::Principal&)>;

/// Wraps a handler that needs a caller: its admission step resolves bearer
/// tokens or the session cookie (with the CSRF check for unsafe methods) from
/// the request head, then runs `check`, before any body is read; 401 (or the
/// check's error) otherwise.
http::GuardedHandler authenticated(auth::CredentialResolver& credentials, AuthedHandler handler,
                                   AdmissionCheck check = {});

/// The principal an admission step left in Request::context, if any.
const auth::Principal* admitted_principal(const http::Request& req);

/// What an owner namespace takes in the registry, against its limits:
/// `registry_bytes`, `registry_quota_bytes` (null: none), `upload_bytes`.
Json registry_usage_json(const oci::Registry& registry, std::string_view owner);

/// Serialises `body` as the response.
http::Response json_response(int status, const Json& body);

/// An error, or `ok_status` with `to_body(value)` as JSON.
template <class T, class F>
http::Response respond(const Result<T>& result, int ok_status, F&& to_body) {
  if (!result) return http::error_response(result.error());
  return json_response(ok_status, to_body(*result));
}

/// An RFC 3339 time, or JSON null.
Json optional_time(const std::optional<std::int64_t>& unix_seconds);

/// 204 or the error.
http::Response no_content_or_error(const Result<void>& result);

services::Caller caller_of(const http::Request& req);
services::ProjectRef project_ref_of(const http::Request& req);
/// The `limit` query parameter (1-1000), or `fallback` when absent.
Result<std::size_t> parse_limit(const http::Request& req, std::size_t fallback);
/// `?cursor=&limit=` of a paged list; the service checks the values.
Result<services::PageRequest> parse_page(const http::Request& req);

/// The head sha from If-Match (quotes stripped), if given.
std::optional<std::string_view> if_match(const http::Request& req);

/// A 200 streaming the file at `path` (mapped, sent in chunks) as
/// `content_type`; the error's response when it cannot be opened.
http::Response file_response(const std::filesystem::path& path, std::string content_type);

}  // namespace orsa::api
