// services::Accounts against the in-memory store with real signers and
// hashing: sign-up, logins and their limits, passwords, users and tokens.

#include "services/accounts.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

constexpr std::string_view kPassword = "correct horse battery";

std::uint8_t bits(auth::Scope scope) {
  return static_cast<std::uint8_t>(scope);
}

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(accounts_.bootstrap_admin("root", "root@example.org", std::string(kPassword)));
    admin_ = principal(store_.users().find_by_login("root").value());
    alice_ = principal(registered("alice"));
  }

  store::User registered(const std::string& name) {
    return accounts_.register_user({name, name + "@example.org", std::string(kPassword)}, caller_)
        .value()
        .user;
  }

  static auth::Principal principal(const store::User& user) {
    return {user.id, user.username, user.role, false, ""};
  }

  std::size_t user_count() { return static_cast<std::size_t>(store_.users().count().value()); }

  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  auth::SessionSigner signer_{std::string(32, 's'), std::chrono::hours(1), clock_};
  auth::PushTokenSigner push_{std::string(32, 'p'), clock_};
  // Generous per address, so the per-account backoff is what a test meets.
  auth::LoginRateLimiter limiter_{clock_, 100};
  Audit audit_{store_.audit(), clock_};
  Accounts accounts_{{store_.users(), store_.sessions(), store_.tokens(), store_.projects()},
                     signer_,
                     push_,
                     limiter_,
                     audit_,
                     clock_,
                     Registration::kOpen};
  const Caller caller_{"192.0.2.1"};
  auth::Principal admin_;
  auth::Principal alice_;
};

TEST_F(AccountsTest, RegisteringMakesALoggedInDeveloper) {
  auto in = accounts_.register_user({"bob", " Bob@Example.org ", std::string(kPassword),
                                     Role::kAdmin},  // the role asked for is ignored
                                    caller_);
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->user.role, Role::kDeveloper);
  EXPECT_EQ(in->user.email, "bob@example.org");
  EXPECT_EQ(signer_.verify(in->session.token).value().user_id, in->user.id);
}

TEST_F(AccountsTest, ATakenNameOrEmailIsOneConflictAndNothingIsStored) {
  const auto before = user_count();
  const auto name =
      accounts_.register_user({"alice", "new@example.org", std::string(kPassword)}, caller_);
  const auto email =
      accounts_.register_user({"new", "ALICE@example.org", std::string(kPassword)}, caller_);
  ASSERT_FALSE(name);
  ASSERT_FALSE(email);
  EXPECT_EQ(name.error().code, ErrorCode::kConflict);
  EXPECT_EQ(name.error().message, email.error().message);
  EXPECT_EQ(user_count(), before);
}

TEST_F(AccountsTest, BadAccountsAreRefusedAndNothingIsStored) {
  const auto before = user_count();
  for (const NewAccount& bad : {NewAccount{"Bad Name", "x@example.org", std::string(kPassword)},
                                NewAccount{"okname", "not-an-email", std::string(kPassword)},
                                NewAccount{"okname", "x@example.org", "short"}}) {
    const auto in = accounts_.register_user(bad, caller_);
    ASSERT_FALSE(in) << bad.username;
    EXPECT_EQ(in.error().code, ErrorCode::kInvalidArgument) << bad.username;
  }
  EXPECT_EQ(user_count(), before);
}

TEST_F(AccountsTest, ClosedRegistrationLeavesUserCreationToAdmins) {
  Accounts closed{{store_.users(), store_.sessions(), store_.tokens(), store_.projects()},
                  signer_,
                  push_,
                  limiter_,
                  audit_,
                  clock_,
                  Registration::kClosed};
  const NewAccount bob{"bob", "bob@example.org", std::string(kPassword)};
  EXPECT_EQ(closed.register_user(bob, caller_).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(closed.create_user(alice_, bob, caller_).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(user_count(), 2u);
  auto created = closed.create_user(admin_, bob, caller_);
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(user_count(), 3u);
}

TEST_F(AccountsTest, LoginByNameOrEmailAndAWrongPasswordIsUnauthenticated) {
  EXPECT_EQ(accounts_.login("alice", kPassword, caller_).value().user.id, alice_.user_id);
  EXPECT_EQ(accounts_.login("ALICE@example.org", kPassword, caller_).value().user.id,
            alice_.user_id);
  EXPECT_EQ(accounts_.login("alice", "wrong password!", caller_).error().code,
            ErrorCode::kUnauthenticated);
  clock_.advance(1);  // the audit log is newest first
  EXPECT_EQ(accounts_.login("nobody", kPassword, caller_).error().code,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(store_.audit().list(1).value().front().action, "login_failed");
}

TEST_F(AccountsTest, RepeatedFailuresSlowTheAccountDownUntilTheDelayPasses) {
  int failures = 0;
  while (failures < 10) {
    const auto attempt = accounts_.login("alice", "wrong password!", caller_);
    if (attempt.error().code == ErrorCode::kRateLimited) break;
    ++failures;
  }
  EXPECT_GE(failures, 1);
  EXPECT_LT(failures, 10);
  // Even the right password waits now.
  EXPECT_EQ(accounts_.login("alice", kPassword, caller_).error().code, ErrorCode::kRateLimited);
  clock_.advance(3600);
  EXPECT_TRUE(accounts_.login("alice", kPassword, caller_));
}

TEST_F(AccountsTest, ADisabledUserCannotLogIn) {
  ASSERT_TRUE(accounts_.update_user(admin_, alice_.user_id, {.disabled = true}, caller_));
  EXPECT_EQ(accounts_.login("alice", kPassword, caller_).error().code,
            ErrorCode::kPermissionDenied);
  ASSERT_TRUE(accounts_.update_user(admin_, alice_.user_id, {.disabled = false}, caller_));
  EXPECT_TRUE(accounts_.login("alice", kPassword, caller_));
}

TEST_F(AccountsTest, ChangingThePasswordRaisesTheEpochAndNeedsTheCurrentOne) {
  const std::string replacement = "another long password";
  const auto epoch = store_.users().find_by_id(alice_.user_id).value().session_epoch;
  EXPECT_EQ(accounts_.change_password(alice_, "wrong password!", replacement, caller_).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(accounts_.change_password(alice_, kPassword, "short", caller_).error().code,
            ErrorCode::kInvalidArgument);
  auto token_caller = alice_;
  token_caller.via_api_token = true;
  EXPECT_EQ(accounts_.change_password(token_caller, kPassword, replacement, caller_).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(store_.users().find_by_id(alice_.user_id).value().session_epoch, epoch);

  auto changed = accounts_.change_password(alice_, kPassword, replacement, caller_);
  ASSERT_TRUE(changed) << changed.error().message;
  // Sessions issued under the old epoch no longer count; the new one does.
  EXPECT_GT(changed->user.session_epoch, epoch);
  EXPECT_EQ(changed->session.claims.epoch, changed->user.session_epoch);
  EXPECT_EQ(accounts_.login("alice", kPassword, caller_).error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(accounts_.login("alice", replacement, caller_));
}

TEST_F(AccountsTest, UserManagementIsForAdminsAndNotOnThemselves) {
  EXPECT_EQ(accounts_.list_users(alice_).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      accounts_.update_user(alice_, admin_.user_id, {.role = Role::kViewer}, caller_).error().code,
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      accounts_.update_user(admin_, admin_.user_id, {.role = Role::kViewer}, caller_).error().code,
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_.users().find_by_id(admin_.user_id).value().role, Role::kAdmin);
  EXPECT_EQ(accounts_.list_users(admin_).value().size(), 2u);
  clock_.advance(1);  // the audit log is newest first
  auto promoted = accounts_.update_user(admin_, alice_.user_id, {.role = Role::kAdmin}, caller_);
  ASSERT_TRUE(promoted);
  EXPECT_EQ(promoted->role, Role::kAdmin);
  EXPECT_EQ(store_.audit().list(1).value().front().action, "role_change");
}

TEST_F(AccountsTest, TokensAreCreatedListedAndRevokedByTheirOwner) {
  auto token = accounts_.create_token(alice_, "ci", 30, bits(auth::Scope::kRead), caller_);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_FALSE(token->secret.empty());
  EXPECT_EQ(token->token.scopes, "read");
  EXPECT_EQ(token->token.expires_at, clock_.now_unix() + 30 * 86400);
  ASSERT_EQ(accounts_.list_tokens(alice_).value().size(), 1u);
  const auto bob = principal(registered("bob"));
  EXPECT_TRUE(accounts_.list_tokens(bob).value().empty());
  EXPECT_EQ(accounts_.revoke_token(bob, token->token.id, caller_).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(accounts_.revoke_token(alice_, token->token.id, caller_));
  EXPECT_TRUE(accounts_.list_tokens(alice_).value().empty());
}

TEST_F(AccountsTest, BadTokenRequestsAreRefusedAndNothingIsStored) {
  EXPECT_EQ(accounts_.create_token(alice_, "", std::nullopt, std::nullopt, caller_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(accounts_.create_token(alice_, "ci", 0, std::nullopt, caller_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(accounts_.create_token(alice_, "ci", 3651, std::nullopt, caller_).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(accounts_.create_token(alice_, "ci", std::nullopt, 0, caller_).error().code,
            ErrorCode::kInvalidArgument);
  auto viewer = alice_;
  viewer.role = Role::kViewer;
  EXPECT_EQ(accounts_.create_token(viewer, "ci", std::nullopt, std::nullopt, caller_).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(accounts_.list_tokens(alice_).value().empty());
}

TEST_F(AccountsTest, ATokenCannotMintBeyondItsScopesOrItsLifetime) {
  auto reader = alice_;
  reader.via_api_token = true;
  reader.scopes = bits(auth::Scope::kRead) | bits(auth::Scope::kWrite);
  reader.expires_at = clock_.now_unix() + 86400;
  const auto wider = accounts_.create_token(
      reader, "ci", std::nullopt, bits(auth::Scope::kWrite) | bits(auth::Scope::kDeploy), caller_);
  ASSERT_FALSE(wider);
  EXPECT_EQ(wider.error().code, ErrorCode::kPermissionDenied);
  EXPECT_TRUE(accounts_.list_tokens(alice_).value().empty());

  auto minted = accounts_.create_token(reader, "ci", 30, std::nullopt, caller_);
  ASSERT_TRUE(minted) << minted.error().message;
  EXPECT_EQ(minted->token.scopes, "read,write");
  EXPECT_EQ(minted->token.expires_at, reader.expires_at);
}

}  // namespace
}  // namespace orsa::services
