// Admission and the error format shared by every /v2 route: the caller from
// `Authorization` (cookies are ignored, so no cross-site request can act on
// the registry), the repository name and the caller's access to it, all
// decided from the request head before a body is read.

#include <any>
#include <charconv>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "oci/blob_store.hpp"
#include "registry_routes.hpp"

namespace orsa::registry {
namespace {

constexpr std::string_view kApiVersionHeader = "Docker-Distribution-API-Version";
constexpr std::string_view kApiVersion = "registry/2.0";
constexpr std::string_view kChallenge = R"(Basic realm="orsa")";

// The spec's code for an error: the one oci put in `detail`, else by class.
std::string_view spec_code(const Error& e) {
  if (!e.registry_code.empty()) return e.registry_code;
  switch (e.code) {
    case ErrorCode::kUnauthenticated:
      return "UNAUTHORIZED";
    case ErrorCode::kPermissionDenied:
      return "DENIED";
    case ErrorCode::kNotFound:
      return "NAME_UNKNOWN";
    case ErrorCode::kTooLarge:
      return "SIZE_INVALID";
    case ErrorCode::kRateLimited:
      return "TOOMANYREQUESTS";
    default:
      return "UNKNOWN";
  }
}

// Standard base64 with padding, as HTTP Basic uses; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=') {
      if (i + 2 < in.size() || ++pad > 2) return std::nullopt;
      continue;
    }
    const auto v = kAlphabet.find(in[i]);
    if (v == std::string_view::npos || pad > 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

/// The caller from `Authorization: Basic` or `Bearer`; cookies are ignored
/// on /v2, so no cross-site request can act on the registry.
Result<auth::Principal> registry_caller(auth::CredentialResolver& credentials,
                                        const http::Request& req) {
  const auto header = req.header("Authorization");
  if (!header) return fail(Error::unauthenticated("authentication required"));
  if (header->starts_with("Basic ")) {
    const auto decoded = base64_decode(header->substr(6));
    const std::string_view pair = decoded ? std::string_view(*decoded) : std::string_view();
    const auto colon = pair.find(':');
    if (colon == std::string_view::npos) {
      return fail(Error::unauthenticated("Basic credentials must be base64 of user:password"));
    }
    return credentials.authenticate_basic(pair.substr(0, colon), pair.substr(colon + 1),
                                          req.remote_ip);
  }
  if (header->starts_with("Bearer ") && header->size() > 7) {
    return credentials.authenticate_registry_bearer(header->substr(7));
  }
  return fail(Error::unauthenticated("Authorization must be Basic or Bearer"));
}

// Policy's not-found/forbidden in the registry's vocabulary.
Error access_error(Error e) {
  if (e.code == ErrorCode::kNotFound) {
    e.message = "repository name not known to registry";
    e.registry_code = "NAME_UNKNOWN";
  } else if (e.code == ErrorCode::kPermissionDenied) {
    e.registry_code = "DENIED";
  }
  return e;
}

/// Who the admission step let in, for the handler.
struct Admitted {
  auth::Principal who;
  std::string repo;  // empty on routes without a repository
};

/// The admission step of every /v2 route: the caller from the headers, and
/// for a repository route the name and the caller's access to it.
http::Admission registry_admission(RegistryContext& ctx, std::optional<auth::Action> action,
                                   RepoPrecheck precheck = {}) {
  return [&ctx, action,
          precheck = std::move(precheck)](http::Request& req) -> std::optional<http::Response> {
    auto who = registry_caller(ctx.credentials, req);
    if (!who) return registry_error(who.error());
    Admitted admitted{std::move(*who), {}};
    if (action) {
      admitted.repo = std::string(req.param("owner")) + "/" + std::string(req.param("project"));
      if (auto ok = oci::validate_repo_name(admitted.repo); !ok) return registry_error(ok.error());
      if (auto ok = ctx.accounts.authorize_repository(admitted.who, *action, admitted.repo); !ok) {
        return registry_error(access_error(ok.error()));
      }
      if (precheck) {
        if (auto ok = precheck(req, admitted.who, admitted.repo); !ok) {
          return registry_error(ok.error());
        }
      }
    }
    req.context = std::move(admitted);
    return std::nullopt;
  };
}

/// Runs `handler` with what admission decided; a request that did not pass
/// the admission step (a direct call) goes through it now.
template <class F>
http::Handler admitted_handler(http::Admission admission, F handler) {
  return [admission = std::move(admission), handler = std::move(handler)](http::Request& req) {
    if (std::any_cast<Admitted>(&req.context) == nullptr) {
      if (auto refusal = admission(req)) return std::move(*refusal);
    }
    const Admitted& admitted = *std::any_cast<Admitted>(&req.context);
    return with_version(handler(req, admitted));
  };
}

}  // namespace

http::Response json_response(int status, const Json& body) {
  return http::json_text_response(status, body.dump());
}

http::Response with_version(http::Response res) {
  res.set_header(kApiVersionHeader, std::string(kApiVersion));
  return res;
}

/// `{"errors":[{"code","message","detail"}]}` with the status of the error class.
http::Response registry_error(const Error& e, std::optional<int> status) {
  const std::string_view code = spec_code(e);
  int http_status = status.value_or(http::status_for(e.code));
  if (code == "UNSUPPORTED") http_status = 405;
  if (code == "RANGE_INVALID") http_status = 416;
  Json body = {{"errors", Json::array({{{"code", code == "RANGE_INVALID" ? "SIZE_INVALID" : code},
                                        {"message", e.message},
                                        {"detail", Json::object()}}})}};
  http::Response res = http::json_text_response(
      http_status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (http_status == 401) res.set_header("WWW-Authenticate", std::string(kChallenge));
  if (http_status == 429)
    res.set_header("Retry-After", std::to_string(e.retry_after_s.value_or(60)));
  return with_version(std::move(res));
}

http::Response empty(int status) {
  http::Response res;
  res.status = status;
  return res;
}

/// Authenticates, checks the repository name and the caller's access to it,
/// then the route's precheck, all before the body is read.
http::GuardedHandler repository_route(RegistryContext& ctx, auth::Action action,
                                      RepoHandler handler, RepoPrecheck precheck) {
  http::Admission admission = registry_admission(ctx, action, std::move(precheck));
  http::Handler handle = admitted_handler(
      admission, [handler = std::move(handler)](http::Request& req, const Admitted& a) {
        return handler(req, a.who, a.repo);
      });
  return {std::move(admission), std::move(handle)};
}

/// A /v2 route outside any repository: authentication only.
http::GuardedHandler registry_route(
    RegistryContext& ctx,
    std::function<http::Response(http::Request&, const auth::Principal&)> handler) {
  http::Admission admission = registry_admission(ctx, std::nullopt);
  http::Handler handle = admitted_handler(
      admission, [handler = std::move(handler)](http::Request& req, const Admitted& a) {
        return handler(req, a.who);
      });
  return {std::move(admission), std::move(handle)};
}

Result<std::optional<std::size_t>> page_size(const http::Request& req) {
  const auto n = req.query_param("n");
  if (!n) return std::optional<std::size_t>();
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
  if (ec != std::errc() || end != n->data() + n->size()) {
    return fail(with_registry_code(
        Error{ErrorCode::kInvalidArgument, "n must be a non-negative integer", {}},
        "PAGINATION_NUMBER_INVALID"));
  }
  return std::optional<std::size_t>(std::min(value, oci::kMaxPageSize));
}

void add_next_link(http::Response& res, const std::string& path, const oci::Page& page,
                   std::size_t n) {
  if (!page.next_last) return;
  res.set_header("Link", "<" + path + "?n=" + std::to_string(n) + "&last=" + *page.next_last +
                             ">; rel=\"next\"");
}

}  // namespace orsa::registry
