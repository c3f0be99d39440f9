#pragma once

// Routes a consumer key may call (the runs API): the key or ORSA's own
// credentials, decided before any body is read.

#include "api/api.hpp"
#include "api_support.hpp"

namespace orsa::api {

/// What a consumer key is used for on a route: submitting a run counts
/// against its rate limit and run-seconds quota; reading checks the key.
enum class ConsumerUse { kRead, kSubmit };

/// Like authenticated(), but a consumer key (X-Api-Key, or a Bearer
/// orsa_ck_…) is accepted too when ctx.consumer_keys is set: 401 for an
/// unknown, revoked or expired key, 429 over its rate or quota. The handler
/// gets the key's principal (auth::Principal::consumer).
http::GuardedHandler authenticated_or_consumer(ApiContext& ctx, ConsumerUse use,
                                               AuthedHandler handler);

}  // namespace orsa::api
