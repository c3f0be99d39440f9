#pragma once

// Who may call a deployed service, and what each call counts: the
// control plane's side of the gateway's hooks (gateway::Hooks::admit and
// ::meter), and consumer keys on the runs API.

#include <optional>
#include <string_view>

#include "auth/credentials.hpp"
#include "gateway/gateway.hpp"
#include "http/message.hpp"
#include "services/consumer_keys.hpp"
#include "services/usage_meter.hpp"

namespace orsa::api {

/// The consumer key a request presents: `X-Api-Key: orsa_ck_…`, or
/// `Authorization: Bearer orsa_ck_…`. Any X-Api-Key value counts (a bad one
/// is refused, never ignored).
std::optional<std::string_view> consumer_key_of(const http::Request& req);

/// The consumer key part of the gate: none when the request presents no
/// key, else the key's verdict for the route's project (see below).
std::optional<gateway::Admission> admit_consumer_call(services::ConsumerKeys* keys,
                                                      const gateway::Route& route,
                                                      const http::Request& req);

/// gateway::Hooks::try_admit: a consumer key's verdict from the gate's
/// memory; none without a key or when the gate must read the store.
std::optional<gateway::Admission> try_admit_service_call(services::ConsumerKeys* keys,
                                                         const gateway::Route& route,
                                                         const http::Request& req);

/// gateway::Hooks::admit. A consumer key is checked for the route's project
/// (404 for another's), its expiry (401), its rate and request quota (429);
/// without one, a private service admits its owner's bearer token only (404
/// for anyone else) and a public one admits everyone, noting who signed in.
gateway::Admission admit_service_call(auth::CredentialResolver& credentials,
                                      services::ConsumerKeys* keys, const gateway::Route& route,
                                      const http::Request& req);

/// gateway::Hooks::meter: counts the call in memory.
void meter_service_call(services::UsageMeter& meter, const gateway::CallRecord& call);

}  // namespace orsa::api
