#include "api/service_gate.hpp"

#include "api/request_auth.hpp"
#include "auth/api_tokens.hpp"
#include "auth/policy.hpp"
#include "consumer_auth.hpp"

namespace orsa::api {
namespace {

using Verdict = services::KeyAdmission::Verdict;

gateway::Admission from_key(const services::KeyAdmission& a) {
  gateway::Admission out;
  out.message = a.message;
  out.consumer_key_id = a.key_id;
  switch (a.verdict) {
    case Verdict::kAllow:
      out.verdict = gateway::Admission::Verdict::kAllow;
      break;
    case Verdict::kUnauthorized:
      out.verdict = gateway::Admission::Verdict::kUnauthorized;
      break;
    case Verdict::kRateLimited:
    case Verdict::kOverQuota:
      out.verdict = gateway::Admission::Verdict::kTooMany;
      out.retry_after_s = a.retry_after_s;
      break;
    case Verdict::kNotFound:
      return {};  // not this project's key: the project does not exist for it
  }
  return out;
}

Result<auth::Principal> principal_of(const services::KeyAdmission& a) {
  switch (a.verdict) {
    case Verdict::kAllow:
      return a.principal;
    case Verdict::kNotFound:
      return fail(Error::unauthenticated("unknown consumer key"));
    case Verdict::kUnauthorized:
      return fail(Error::unauthenticated(a.message));
    case Verdict::kRateLimited:
      return fail(Error::rate_limited(a.message, a.retry_after_s));
    case Verdict::kOverQuota:
      break;
  }
  Error over = Error::rate_limited(a.message, 0);
  over.retry_after_s.reset();  // a quota: no moment helps
  return fail(over);
}

}  // namespace

http::GuardedHandler authenticated_or_consumer(ApiContext& ctx, ConsumerUse use,
                                               AuthedHandler handler) {
  auto own = authenticated(ctx.credentials, std::move(handler));
  http::Admission admit = [&ctx, use, own_admit = std::move(own.admit)](
                              http::Request& req) -> std::optional<http::Response> {
    const auto key = consumer_key_of(req);
    if (!key) return own_admit(req);
    if (ctx.consumer_keys == nullptr) {
      return http::error_response(Error::unauthenticated("consumer keys are not enabled"));
    }
    auto who = principal_of(use == ConsumerUse::kSubmit ? ctx.consumer_keys->admit_run(*key)
                                                        : ctx.consumer_keys->identify(*key));
    if (!who) return http::error_response(who.error());
    req.context = std::move(*who);
    return std::nullopt;
  };
  return {std::move(admit), std::move(own.handler)};
}

std::optional<std::string_view> consumer_key_of(const http::Request& req) {
  if (auto key = req.header(gateway::kApiKeyHeader)) return key;
  constexpr std::string_view kBearer = "Bearer ";
  if (auto header = req.header("Authorization"); header && header->starts_with(kBearer)) {
    const auto token = header->substr(kBearer.size());
    if (auth::is_consumer_key(token)) return token;
  }
  return std::nullopt;
}

std::optional<gateway::Admission> admit_consumer_call(services::ConsumerKeys* keys,
                                                      const gateway::Route& route,
                                                      const http::Request& req) {
  const auto key = consumer_key_of(req);
  if (!key) return std::nullopt;
  if (keys == nullptr) return gateway::Admission{};
  return from_key(keys->admit_call(*key, route.project_id));
}

std::optional<gateway::Admission> try_admit_service_call(services::ConsumerKeys* keys,
                                                         const gateway::Route& route,
                                                         const http::Request& req) {
  const auto key = consumer_key_of(req);
  if (!key || keys == nullptr) return std::nullopt;
  auto verdict = keys->try_admit_call(*key, route.project_id);
  if (!verdict) return std::nullopt;
  return from_key(*verdict);
}

gateway::Admission admit_service_call(auth::CredentialResolver& credentials,
                                      services::ConsumerKeys* keys, const gateway::Route& route,
                                      const http::Request& req) {
  if (auto by_key = admit_consumer_call(keys, route, req)) return std::move(*by_key);
  auto who = authenticate_request(credentials, req);
  if (route.visibility == gateway::Visibility::kPrivate &&
      !(who && auth::Policy::authorize(*who, auth::Action::kRead, route.owner_id))) {
    return {};
  }
  gateway::Admission allowed = gateway::Admission::allow();
  if (who) allowed.user_id = who->user_id;
  return allowed;
}

void meter_service_call(services::UsageMeter& meter, const gateway::CallRecord& call) {
  meter.count_call({.project_id = call.route.project_id,
                    .owner_id = call.route.owner_id,
                    .consumer_key_id = call.admission.consumer_key_id,
                    .user_id = call.admission.user_id,
                    .status = call.status,
                    .bytes_in = static_cast<std::int64_t>(call.bytes_in),
                    .bytes_out = static_cast<std::int64_t>(call.bytes_out),
                    .refused = call.refused});
}

}  // namespace orsa::api
