// JWTs: session tokens (cookie or bearer) and registry push tokens, verified
// under a fixed key and clock.
//
// The first input byte picks the layer: even verifies the rest as a token
// (header, signature, algorithm, encoding); odd signs the rest as the claims
// JSON with the right key first, so the fuzzer reaches the claim checks behind
// a valid signature (types, expiry, `typ`, `aud`, `scope`).

#include <jwt.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "../fuzz/check.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kKey(32, 'k');

/// `claims_json` signed HS256 with kKey; empty when libjwt refuses the claims.
std::string sign(const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0) return {};
  std::string out;
  if (jwt_add_grants_json(jwt, claims_json.c_str()) == 0 &&
      jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(kKey.data()),
                  static_cast<int>(kKey.size())) == 0) {
    if (char* encoded = jwt_encode_str(jwt)) {
      out = encoded;
      std::free(encoded);
    }
  }
  jwt_free(jwt);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const orsa::ManualClock clock(kNow);
  static const orsa::auth::SessionSigner sessions(kKey, std::chrono::hours(1), clock);
  static const orsa::auth::PushTokenSigner push(kKey, clock);
  static const orsa::auth::JobTokenSigner jobs(kKey, clock);
  const auto [control, rest] = orsa::fuzz::split_control(data, size);
  const std::string token = (control & 1) != 0 ? sign(std::string(rest)) : std::string(rest);
  if (auto session = sessions.verify(token)) {
    ORSA_FUZZ_CHECK(!session->user_id.empty());
    ORSA_FUZZ_CHECK(session->expires_at > kNow);
  } else {
    ORSA_FUZZ_CHECK(session.error().code == orsa::ErrorCode::kUnauthenticated);
  }
  if (auto claims = push.verify(token)) {
    ORSA_FUZZ_CHECK(!claims->user_id.empty() && !claims->repository.empty());
    ORSA_FUZZ_CHECK(claims->expires_at > kNow);
  } else {
    ORSA_FUZZ_CHECK(claims.error().code == orsa::ErrorCode::kUnauthenticated);
  }
  // A job token opens one path segment's files: never a name that leaves it.
  if (auto job = jobs.verify(token)) {
    ORSA_FUZZ_CHECK(!job->job.empty() && job->job.find_first_of("/.") == std::string::npos);
    ORSA_FUZZ_CHECK(job->expires_at > kNow);
  } else {
    ORSA_FUZZ_CHECK(job.error().code == orsa::ErrorCode::kUnauthenticated);
  }
  return 0;
}
