#include "auth/sessions.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/temp_dir.hpp"

namespace orsa::auth {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kStart = 1'700'000'000;
constexpr std::chrono::seconds kTtl(3600);
const std::string kKey(32, 'k');

// Signs arbitrary claims with any algorithm, as an attacker could.
std::string sign(jwt_alg_t alg, const std::string& key, const std::string& grants_json) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, grants_json.c_str()), 0);
  // libjwt wants no key at all for "none".
  const auto* key_bytes =
      key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data());
  EXPECT_EQ(jwt_set_alg(jwt, alg, key_bytes, static_cast<int>(key.size())), 0);
  char* encoded = jwt_encode_str(jwt);
  std::string out = encoded ? encoded : "";
  std::free(encoded);
  jwt_free(jwt);
  return out;
}

std::string valid_claims(std::int64_t iat, std::int64_t exp) {
  return R"({"iss":"orsa","typ":"session","sid":"s1","ep":0,"sub":"usr_1","csrf":"abc","iat":)" +
         std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) + "}";
}

void expect_rejected(const Result<SessionClaims>& r) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().message, "invalid or expired session");
}

TEST(SessionSigner, IssueThenVerifyRoundTrips) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const auto issued = signer.issue("usr_42");
  EXPECT_EQ(issued.claims.user_id, "usr_42");
  EXPECT_EQ(issued.claims.issued_at, kStart);
  EXPECT_EQ(issued.claims.expires_at, kStart + 3600);
  EXPECT_EQ(issued.claims.csrf.size(), 32u);
  EXPECT_EQ(issued.claims.csrf.find_first_not_of("0123456789abcdef"), std::string::npos);

  const auto verified = signer.verify(issued.token);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->user_id, "usr_42");
  EXPECT_EQ(verified->csrf, issued.claims.csrf);
  EXPECT_EQ(verified->issued_at, kStart);
  EXPECT_EQ(verified->expires_at, kStart + 3600);
  EXPECT_NE(signer.issue("usr_42").claims.csrf, issued.claims.csrf);
}

TEST(SessionSigner, ExpiredTokenFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const auto token = signer.issue("usr_1").token;
  clock.advance(3599);
  EXPECT_TRUE(signer.verify(token));
  clock.advance(1);
  expect_rejected(signer.verify(token));
}

TEST(SessionSigner, TamperedPayloadFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const auto token = signer.issue("usr_1").token;
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  const std::string forged_payload =
      base64url_encode(R"({"iss":"orsa","sub":"usr_admin","csrf":"abc","iat":)" +
                       std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}");
  expect_rejected(
      signer.verify(token.substr(0, first + 1) + forged_payload + token.substr(second)));
  std::string flipped = token;
  flipped[second - 1] = flipped[second - 1] == 'A' ? 'B' : 'A';
  expect_rejected(signer.verify(flipped));
  std::string bad_sig = token;
  bad_sig.back() = bad_sig.back() == 'A' ? 'B' : 'A';
  expect_rejected(signer.verify(bad_sig));
}

TEST(SessionSigner, TokenFromAnotherKeyFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  SessionSigner other(std::string(32, 'o'), kTtl, clock);
  expect_rejected(signer.verify(other.issue("usr_1").token));
  expect_rejected(
      signer.verify(sign(JWT_ALG_HS256, std::string(32, 'o'), valid_claims(kStart, kStart + 60))));
}

TEST(SessionSigner, HandSignedValidTokenIsAccepted) {
  // Guards the rejection tests below: the same claims pass with HS256.
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const auto r = signer.verify(sign(JWT_ALG_HS256, kKey, valid_claims(kStart, kStart + 60)));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->user_id, "usr_1");
}

TEST(SessionSigner, AlgNoneFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const std::string payload = base64url_encode(valid_claims(kStart, kStart + 60));
  expect_rejected(signer.verify("eyJhbGciOiJub25lIn0." + payload + "."));
  expect_rejected(signer.verify("eyJhbGciOiJub25lIn0." + payload));
  expect_rejected(signer.verify(sign(JWT_ALG_NONE, "", valid_claims(kStart, kStart + 60))));
}

TEST(SessionSigner, OtherAlgorithmWithSameKeyFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  expect_rejected(signer.verify(sign(JWT_ALG_HS512, kKey, valid_claims(kStart, kStart + 60))));
  expect_rejected(signer.verify(sign(JWT_ALG_HS384, kKey, valid_claims(kStart, kStart + 60))));
}

TEST(SessionSigner, MissingOrWrongClaimsFail) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const std::string iat = std::to_string(kStart);
  const std::string exp = std::to_string(kStart + 60);
  for (const std::string& claims : {
           R"({"sub":"usr_1","csrf":"abc","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"other","sub":"usr_1","csrf":"abc","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"orsa","csrf":"abc","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"orsa","sub":"","csrf":"abc","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"orsa","sub":"usr_1","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"orsa","sub":"usr_1","csrf":"","iat":)" + iat + R"(,"exp":)" + exp + "}",
           R"({"iss":"orsa","sub":"usr_1","csrf":"abc","exp":)" + exp + "}",
           R"({"iss":"orsa","sub":"usr_1","csrf":"abc","iat":)" + iat + "}",
           R"({"iss":"orsa","sub":"usr_1","csrf":"abc","iat":)" + iat + R"(,"exp":"never"})",
           R"({"iss":"orsa","sub":42,"csrf":"abc","iat":)" + iat + R"(,"exp":)" + exp + "}",
       }) {
    SCOPED_TRACE(claims);
    expect_rejected(signer.verify(sign(JWT_ALG_HS256, kKey, claims)));
  }
}

TEST(SessionSigner, IssuedAtFarInTheFutureFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  EXPECT_TRUE(signer.verify(sign(JWT_ALG_HS256, kKey, valid_claims(kStart + 60, kStart + 600))));
  expect_rejected(
      signer.verify(sign(JWT_ALG_HS256, kKey, valid_claims(kStart + 61, kStart + 600))));
}

TEST(SessionSigner, GarbageFails) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const std::string token = signer.issue("usr_1").token;
  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string(".."), std::string("a.b.c"),
        std::string("a.b.c.d"), token + ".", "." + token, token.substr(0, token.size() / 2),
        std::string(token).insert(5, 1, '\0'), std::string(token).replace(3, 1, "+")}) {
    expect_rejected(signer.verify(bad));
  }
}

TEST(SessionSigner, OversizeTokenFailsEvenWhenValidlySigned) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const std::string big_sub(4096, 'u');
  expect_rejected(signer.verify(sign(JWT_ALG_HS256, kKey,
                                     R"({"iss":"orsa","sub":")" + big_sub +
                                         R"(","csrf":"abc","iat":)" + std::to_string(kStart) +
                                         R"(,"exp":)" + std::to_string(kStart + 60) + "}")));
  expect_rejected(signer.verify(std::string(5000, 'a')));
}

TEST(SessionKey, CreatedWithMode0600AndReused) {
  TempDir dir;
  const auto path = dir.path() / "secret.key";
  const auto first = SessionSigner::load_or_create_key(path);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto second = SessionSigner::load_or_create_key(path);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*first, *second);
  // The file holds base64url text, never the raw key bytes.
  const auto text = read_file(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, base64url_encode(*first) + "\n");
}

TEST(SessionKey, GroupOrWorldReadableFileIsRefused) {
  TempDir dir;
  const auto path = dir.path() / "secret.key";
  ASSERT_TRUE(write_file_atomic(path, base64url_encode(random_bytes(32)) + "\n", 0644));
  const auto r = SessionSigner::load_or_create_key(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path.string()), std::string::npos);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);
  ::chmod(path.c_str(), 0640);
  EXPECT_FALSE(SessionSigner::load_or_create_key(path));
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(SessionSigner::load_or_create_key(path));
}

TEST(SessionKey, ShortOrMalformedKeyIsRefused) {
  TempDir dir;
  const auto short_key = dir.path() / "short.key";
  ASSERT_TRUE(write_file_atomic(short_key, base64url_encode(random_bytes(16)), 0600));
  EXPECT_FALSE(SessionSigner::load_or_create_key(short_key));
  const auto garbage = dir.path() / "garbage.key";
  ASSERT_TRUE(write_file_atomic(garbage, "not base64 at all!!", 0600));
  EXPECT_FALSE(SessionSigner::load_or_create_key(garbage));
  EXPECT_FALSE(SessionSigner::load_or_create_key(dir.path()));  // a directory
}

// Instances sharing one directory that start at once end up with one key.
TEST(SessionKey, MadeOnceWhenSeveralStartAtOnce) {
  TempDir dir;
  const auto path = dir.path() / "secret.key";
  constexpr int kInstances = 8;
  std::vector<std::string> keys(kInstances);
  {
    std::vector<std::jthread> instances;
    for (int i = 0; i < kInstances; ++i) {
      instances.emplace_back([&, i] { keys[i] = SessionSigner::load_or_create_key(path).value(); });
    }
  }
  for (const auto& key : keys) EXPECT_EQ(key, keys.front());
  EXPECT_EQ(*SessionSigner::load_or_create_key(path), keys.front());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1)
      << "no temporary file is left";
}

TEST(SessionKey, MissingDirectoryIsAnError) {
  TempDir dir;
  EXPECT_FALSE(SessionSigner::load_or_create_key(dir.path() / "absent" / "secret.key"));
}

}  // namespace
}  // namespace orsa::auth

namespace orsa::auth {
namespace {

TEST(PushTokenSigner, IssueThenVerifyRoundTrips) {
  ManualClock clock(kStart);
  PushTokenSigner signer(kKey, clock);
  const auto r = signer.verify(signer.issue("usr_1", "alice/app"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->user_id, "usr_1");
  EXPECT_EQ(r->repository, "alice/app");
  EXPECT_EQ(r->expires_at, kStart + 15 * 60);
}

TEST(PushTokenSigner, ExpiresAfterFifteenMinutes) {
  ManualClock clock(kStart);
  PushTokenSigner signer(kKey, clock);
  const std::string token = signer.issue("usr_1", "alice/app");
  clock.advance(15 * 60 - 1);
  EXPECT_TRUE(signer.verify(token));
  clock.advance(1);
  const auto r = signer.verify(token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST(PushTokenSigner, PushTokensAndSessionsAreNotInterchangeable) {
  ManualClock clock(kStart);
  SessionSigner sessions(kKey, kTtl, clock);
  PushTokenSigner pushes(kKey, clock);
  expect_rejected(sessions.verify(pushes.issue("usr_1", "alice/app")));
  EXPECT_FALSE(pushes.verify(sessions.issue("usr_1").token));
  // Nor is a hand-made session that adds a registry audience.
  expect_rejected(sessions.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","sub":"usr_1","csrf":"abc","aud":"orsa-registry","iat":)" +
               std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}")));
}

TEST(PushTokenSigner, ForgedOrMalformedClaimsFail) {
  ManualClock clock(kStart);
  PushTokenSigner signer(kKey, clock);
  const std::string times =
      R"("iat":)" + std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60);
  const std::string good =
      R"({"iss":"orsa","typ":"push","aud":"orsa-registry","sub":"usr_1","scope":"repository:a/b:push,pull",)" +
      times + "}";
  ASSERT_TRUE(signer.verify(sign(JWT_ALG_HS256, kKey, good)));
  for (
      const std::string& claims : {
          R"({"iss":"orsa","typ":"session","aud":"orsa-registry","sub":"usr_1","scope":"repository:a/b:push,pull",)" +
              times + "}",
          R"({"iss":"orsa","typ":"push","aud":"other","sub":"usr_1","scope":"repository:a/b:push,pull",)" +
              times + "}",
          R"({"iss":"orsa","typ":"push","sub":"usr_1","scope":"repository:a/b:push,pull",)" +
              times + "}",
          R"({"iss":"orsa","typ":"push","aud":"orsa-registry","sub":"usr_1","scope":"repository:a/b:pull",)" +
              times + "}",
          R"({"iss":"orsa","typ":"push","aud":"orsa-registry","sub":"usr_1","scope":"repository::push,pull",)" +
              times + "}",
          R"({"iss":"orsa","typ":"push","aud":"orsa-registry","scope":"repository:a/b:push,pull",)" +
              times + "}",
      }) {
    SCOPED_TRACE(claims);
    EXPECT_FALSE(signer.verify(sign(JWT_ALG_HS256, kKey, claims)));
  }
  EXPECT_FALSE(signer.verify(sign(JWT_ALG_HS256, std::string(32, 'x'), good)));
  EXPECT_FALSE(signer.verify(sign(JWT_ALG_HS512, kKey, good)));
  EXPECT_FALSE(signer.verify("garbage"));
}

TEST(SessionSigner, IssuedSessionsAreTyped) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  expect_rejected(signer.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","typ":"push","sub":"usr_1","csrf":"abc","iat":)" +
               std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}")));
  EXPECT_TRUE(signer.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","typ":"session","sid":"s1","ep":0,"sub":"usr_1","csrf":"abc","iat":)" +
               std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}")));
}

// `typ` is required on every token: an untyped session (as issued before
// tokens were typed) no longer verifies, nor one without its session id.
TEST(SessionSigner, UntypedOrUnidentifiedSessionsFail) {
  ManualClock clock(kStart);
  SessionSigner signer(kKey, kTtl, clock);
  const std::string times =
      R"("iat":)" + std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}";
  expect_rejected(signer.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","sid":"s1","ep":0,"sub":"usr_1","csrf":"abc",)" + times)));
  expect_rejected(signer.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","typ":"session","ep":0,"sub":"usr_1","csrf":"abc",)" + times)));
  expect_rejected(signer.verify(
      sign(JWT_ALG_HS256, kKey,
           R"({"iss":"orsa","typ":"session","sid":"s1","sub":"usr_1","csrf":"abc",)" + times)));
  const auto issued = signer.issue("usr_1", 7);
  const auto claims = signer.verify(issued.token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->epoch, 7);
  EXPECT_EQ(claims->session_id.size(), 32U);
  EXPECT_NE(signer.issue("usr_1").claims.session_id, claims->session_id);
}

TEST(PushTokenSigner, PullTokensOnlyPull) {
  ManualClock clock(kStart);
  PushTokenSigner signer(kKey, clock);
  const auto pull = signer.verify(signer.issue_pull("usr_1", "a/b"));
  ASSERT_TRUE(pull);
  EXPECT_FALSE(pull->push);
  EXPECT_EQ(pull->repository, "a/b");
  EXPECT_TRUE(signer.verify(signer.issue("usr_1", "a/b")).value().push);
  // A pull-typed token claiming pushes is forged.
  const std::string times =
      R"("iat":)" + std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60) + "}";
  EXPECT_FALSE(signer.verify(sign(
      JWT_ALG_HS256, kKey,
      R"({"iss":"orsa","typ":"pull","aud":"orsa-registry","sub":"usr_1","scope":"repository:a/b:push,pull",)" +
          times)));
}

// One master key, one derived key per token type: a session signed with the
// session key never verifies as a registry token and the other way round.
TEST(TokenKeys, EachTypeHasItsOwnKey) {
  ManualClock clock(kStart);
  const std::string session_key = derive_token_key(kKey, "session");
  const std::string registry_key = derive_token_key(kKey, "registry");
  EXPECT_NE(session_key, registry_key);
  EXPECT_EQ(session_key, derive_token_key(kKey, "session"));
  SessionSigner sessions(session_key, kTtl, clock);
  PushTokenSigner registry(registry_key, clock);
  PushTokenSigner registry_with_session_key(session_key, clock);
  EXPECT_FALSE(registry.verify(registry_with_session_key.issue("usr_1", "a/b")));
  SessionSigner sessions_with_registry_key(registry_key, kTtl, clock);
  expect_rejected(sessions.verify(sessions_with_registry_key.issue("usr_1").token));
}

}  // namespace
}  // namespace orsa::auth

namespace orsa::auth {
namespace {

TEST(JobTokenSigner, IssueThenVerifyRoundTrips) {
  ManualClock clock(kStart);
  JobTokenSigner signer(kKey, clock);
  const auto token = signer.issue("run_abc-1", 1024, std::chrono::seconds(90));
  ASSERT_TRUE(token) << token.error().message;
  const auto claims = signer.verify(*token);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->job, "run_abc-1");
  EXPECT_EQ(claims->max_output_bytes, 1024U);
  EXPECT_EQ(claims->expires_at, kStart + 90);
  clock.advance(89);
  EXPECT_TRUE(signer.verify(*token));
  clock.advance(1);
  const auto expired = signer.verify(*token);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST(JobTokenSigner, ANameThatIsNotOneSegmentIsRefused) {
  ManualClock clock(kStart);
  JobTokenSigner signer(kKey, clock);
  for (const std::string_view job : {"", "..", "a/b", "a b", "a.b", "é"}) {
    SCOPED_TRACE(job);
    const auto token = signer.issue(job, 1, std::chrono::seconds(60));
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(signer.issue("run_1", 1, std::chrono::seconds(0)));
}

TEST(JobTokenSigner, NoOtherTokenOpensAJobAndAJobTokenOpensNothingElse) {
  ManualClock clock(kStart);
  SessionSigner sessions(kKey, kTtl, clock);
  PushTokenSigner pushes(kKey, clock);
  JobTokenSigner jobs(kKey, clock);
  const auto job = jobs.issue("run_1", 1, std::chrono::seconds(60));
  ASSERT_TRUE(job);
  expect_rejected(sessions.verify(*job));
  EXPECT_FALSE(pushes.verify(*job));
  EXPECT_FALSE(jobs.verify(sessions.issue("usr_1").token));
  EXPECT_FALSE(jobs.verify(pushes.issue("usr_1", "alice/app")));
  EXPECT_FALSE(jobs.verify(pushes.issue_pull("usr_1", "alice/app")));
}

TEST(JobTokenSigner, ForgedOrMalformedClaimsFail) {
  ManualClock clock(kStart);
  JobTokenSigner signer(kKey, clock);
  const std::string times =
      R"("iat":)" + std::to_string(kStart) + R"(,"exp":)" + std::to_string(kStart + 60);
  const std::string good =
      R"({"iss":"orsa","typ":"job","aud":"orsa-jobs","sub":"run_1","max":10,)" + times + "}";
  ASSERT_TRUE(signer.verify(sign(JWT_ALG_HS256, kKey, good)));
  for (const std::string& claims : {
           R"({"iss":"orsa","typ":"push","aud":"orsa-jobs","sub":"run_1","max":10,)" + times + "}",
           R"({"iss":"orsa","typ":"job","aud":"orsa-registry","sub":"run_1","max":10,)" + times +
               "}",
           R"({"iss":"orsa","typ":"job","aud":"orsa-jobs","sub":"../x","max":10,)" + times + "}",
           R"({"iss":"orsa","typ":"job","aud":"orsa-jobs","sub":"run_1",)" + times + "}",
           R"({"iss":"orsa","typ":"job","aud":"orsa-jobs","sub":"run_1","max":-1,)" + times + "}",
           R"({"iss":"other","typ":"job","aud":"orsa-jobs","sub":"run_1","max":10,)" + times + "}",
       }) {
    SCOPED_TRACE(claims);
    EXPECT_FALSE(signer.verify(sign(JWT_ALG_HS256, kKey, claims)));
  }
  EXPECT_FALSE(signer.verify(sign(JWT_ALG_HS256, std::string(32, 'x'), good)));
  EXPECT_FALSE(signer.verify(sign(JWT_ALG_NONE, "", good)));
}

}  // namespace
}  // namespace orsa::auth
