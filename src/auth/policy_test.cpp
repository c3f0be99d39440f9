#include "auth/policy.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace orsa::auth {
namespace {

Principal principal(Role role) {
  return {"usr_me", "me", role, false, ""};
}

struct Case {
  Role role;
  bool own;
  Action action;
  std::optional<ErrorCode> expected;  // nullopt = allowed
};

TEST(Policy, AuthorizeTable) {
  using enum ErrorCode;
  const Case cases[] = {
      {Role::kAdmin, true, Action::kRead, std::nullopt},
      {Role::kAdmin, true, Action::kWrite, std::nullopt},
      {Role::kAdmin, false, Action::kRead, std::nullopt},
      {Role::kAdmin, false, Action::kWrite, std::nullopt},
      {Role::kDeveloper, true, Action::kRead, std::nullopt},
      {Role::kDeveloper, true, Action::kWrite, std::nullopt},
      {Role::kDeveloper, false, Action::kRead, kNotFound},
      {Role::kDeveloper, false, Action::kWrite, kNotFound},
      {Role::kViewer, true, Action::kRead, std::nullopt},
      {Role::kViewer, true, Action::kWrite, kPermissionDenied},
      {Role::kViewer, false, Action::kRead, kNotFound},
      {Role::kViewer, false, Action::kWrite, kNotFound},
  };
  for (const auto& c : cases) {
    const auto who = principal(c.role);
    const auto r = Policy::authorize(who, c.action, c.own ? "usr_me" : "usr_other");
    const std::string label = std::string(role_name(c.role)) + (c.own ? " own " : " other ") +
                              (c.action == Action::kRead ? "read" : "write");
    if (!c.expected) {
      EXPECT_TRUE(r) << label;
      continue;
    }
    ASSERT_FALSE(r) << label;
    EXPECT_EQ(r.error().code, *c.expected) << label;
  }
}

TEST(Policy, MessagesDoNotRevealOtherUsersResources) {
  const auto r = Policy::authorize(principal(Role::kViewer), Action::kWrite, "usr_other");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "not found");
  const auto own = Policy::authorize(principal(Role::kViewer), Action::kWrite, "usr_me");
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().message, "viewers have read-only access");
}

TEST(Policy, EmptyUserIdOwnsNothing) {
  Principal nobody{"", "", Role::kDeveloper, false, ""};
  const auto r = Policy::authorize(nobody, Action::kRead, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(Policy, AuthorizeCreate) {
  EXPECT_TRUE(Policy::authorize_create(principal(Role::kAdmin)));
  EXPECT_TRUE(Policy::authorize_create(principal(Role::kDeveloper)));
  const auto r = Policy::authorize_create(principal(Role::kViewer));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
}

TEST(Policy, AuthorizeCatalogIsAnySignedInReader) {
  for (const Role role : {Role::kViewer, Role::kDeveloper, Role::kAdmin})
    EXPECT_TRUE(Policy::authorize_catalog(principal(role)));
  Principal write_only = principal(Role::kDeveloper);
  write_only.scopes = static_cast<std::uint8_t>(Scope::kWrite);
  EXPECT_EQ(Policy::authorize_catalog(write_only).error().code, ErrorCode::kPermissionDenied);
  Principal push_token = principal(Role::kDeveloper);
  push_token.repository_scope = "me/knap";
  EXPECT_EQ(Policy::authorize_catalog(push_token).error().code, ErrorCode::kPermissionDenied);
  Principal nobody = principal(Role::kDeveloper);
  nobody.user_id.clear();
  EXPECT_EQ(Policy::authorize_catalog(nobody).error().code, ErrorCode::kUnauthenticated);
}

TEST(Policy, RequireAdmin) {
  EXPECT_TRUE(Policy::require_admin(principal(Role::kAdmin)));
  for (Role role : {Role::kDeveloper, Role::kViewer}) {
    const auto r = Policy::require_admin(principal(role));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(r.error().message, "admin role required");
  }
}

struct RepoCase {
  Role role;
  std::string scope;  // push token scope, "" for none
  std::string repo;
  std::string owner_id;
  Action action;
  std::optional<ErrorCode> expected;
};

TEST(Policy, AuthorizeRepositoryTable) {
  using enum ErrorCode;
  const RepoCase cases[] = {
      // Own repository: as any resource.
      {Role::kDeveloper, "", "me/app", "usr_me", Action::kWrite, std::nullopt},
      {Role::kViewer, "", "me/app", "usr_me", Action::kRead, std::nullopt},
      {Role::kViewer, "", "me/app", "usr_me", Action::kWrite, kPermissionDenied},
      // Another user's: invisible, whatever the action.
      {Role::kDeveloper, "", "other/app", "usr_other", Action::kRead, kNotFound},
      {Role::kViewer, "", "other/app", "usr_other", Action::kWrite, kNotFound},
      {Role::kAdmin, "", "other/app", "usr_other", Action::kWrite, std::nullopt},
      // No owner (project unknown): not found, even for its namesake.
      {Role::kDeveloper, "", "me/ghost", "", Action::kRead, kNotFound},
      // Reserved namespace: everyone pulls, admins push.
      {Role::kViewer, "", "orsa/base", "", Action::kRead, std::nullopt},
      {Role::kDeveloper, "", "orsa/base", "", Action::kWrite, kPermissionDenied},
      {Role::kAdmin, "", "orsa/base", "", Action::kWrite, std::nullopt},
      // Push tokens: their repository only, plus pulling base images.
      {Role::kDeveloper, "me/app", "me/app", "usr_me", Action::kWrite, std::nullopt},
      {Role::kDeveloper, "me/app", "me/other", "usr_me", Action::kRead, kNotFound},
      {Role::kAdmin, "me/app", "other/app", "usr_other", Action::kRead, kNotFound},
      {Role::kDeveloper, "me/app", "orsa/base", "", Action::kRead, std::nullopt},
      {Role::kAdmin, "me/app", "orsa/base", "", Action::kWrite, kNotFound},
      {Role::kAdmin, "orsa/base", "orsa/base", "", Action::kWrite, std::nullopt},
  };
  for (const auto& c : cases) {
    Principal who = principal(c.role);
    who.repository_scope = c.scope;
    const auto r = Policy::authorize_repository(who, c.action, {c.repo, c.owner_id});
    const std::string label = std::string(role_name(c.role)) + " scope=" + c.scope + " " + c.repo +
                              (c.action == Action::kRead ? " pull" : " push");
    if (!c.expected) {
      EXPECT_TRUE(r) << label;
      continue;
    }
    ASSERT_FALSE(r) << label;
    EXPECT_EQ(r.error().code, *c.expected) << label;
  }
}

TEST(Policy, ReservedNamespace) {
  EXPECT_TRUE(Policy::is_reserved_namespace("orsa"));
  EXPECT_FALSE(Policy::is_reserved_namespace("orsa2"));
  EXPECT_FALSE(Policy::is_reserved_namespace(""));
}

TEST(Policy, ScopeIsEveryoneOnlyForAdmins) {
  EXPECT_FALSE(Policy::scope(principal(Role::kAdmin)).owner_id.has_value());
  for (Role role : {Role::kDeveloper, Role::kViewer}) {
    const auto scope = Policy::scope(principal(role));
    ASSERT_TRUE(scope.owner_id.has_value());
    EXPECT_EQ(*scope.owner_id, "usr_me");
  }
}

TEST(Policy, TokenScopesLimitWhatARoleMayDo) {
  auto dev = principal(Role::kDeveloper);
  dev.via_api_token = true;
  dev.scopes = static_cast<std::uint8_t>(Scope::kRead);
  EXPECT_TRUE(Policy::authorize(dev, Action::kRead, "usr_me"));
  EXPECT_EQ(Policy::authorize(dev, Action::kWrite, "usr_me").error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(Policy::authorize(dev, Action::kDeploy, "usr_me").error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_FALSE(Policy::authorize_create(dev));
  dev.scopes = static_cast<std::uint8_t>(Scope::kDeploy) | static_cast<std::uint8_t>(Scope::kRead);
  EXPECT_TRUE(Policy::authorize(dev, Action::kDeploy, "usr_me"));
  EXPECT_FALSE(Policy::authorize(dev, Action::kWrite, "usr_me"));
  // Viewers may not deploy, whatever their token says.
  auto viewer = principal(Role::kViewer);
  EXPECT_EQ(Policy::authorize(viewer, Action::kDeploy, "usr_me").error().code,
            ErrorCode::kPermissionDenied);
}

TEST(Policy, AnAdminTokenWithoutTheAdminScopeIsAPlainUser) {
  auto admin = principal(Role::kAdmin);
  admin.via_api_token = true;
  admin.scopes = static_cast<std::uint8_t>(Scope::kRead) | static_cast<std::uint8_t>(Scope::kWrite);
  EXPECT_EQ(Policy::authorize(admin, Action::kRead, "usr_other").error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(Policy::authorize(admin, Action::kWrite, "usr_me"));
  EXPECT_EQ(Policy::require_admin(admin).error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(Policy::scope(admin).owner_id == std::nullopt);
  admin.scopes = kAllScopes;
  EXPECT_TRUE(Policy::require_admin(admin));
  EXPECT_TRUE(Policy::authorize(admin, Action::kWrite, "usr_other"));
}

TEST(Policy, PullOnlyRegistryTokensNeverWrite) {
  auto runtime = principal(Role::kDeveloper);
  runtime.via_api_token = true;
  runtime.repository_scope = "me/app";
  runtime.repository_pull_only = true;
  EXPECT_TRUE(Policy::authorize_repository(runtime, Action::kRead, {"me/app", "usr_me"}));
  EXPECT_EQ(
      Policy::authorize_repository(runtime, Action::kWrite, {"me/app", "usr_me"}).error().code,
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      Policy::authorize_repository(runtime, Action::kRead, {"me/other", "usr_me"}).error().code,
      ErrorCode::kNotFound);
}

TEST(Policy, ScopeListsRoundTrip) {
  EXPECT_EQ(parse_scopes("read,deploy").value(),
            static_cast<std::uint8_t>(Scope::kRead) | static_cast<std::uint8_t>(Scope::kDeploy));
  EXPECT_EQ(scopes_string(kAllScopes), "read,write,deploy,admin");
  EXPECT_EQ(scopes_string(parse_scopes("admin,read").value()), "read,admin");
  EXPECT_FALSE(parse_scopes("read,root"));
  EXPECT_FALSE(parse_scopes("read,"));
}

}  // namespace
}  // namespace orsa::auth

namespace orsa::auth {
namespace {

struct SubmitCase {
  Role role;
  bool own;
  bool service_public;
  std::optional<ErrorCode> expected;  // nullopt = allowed
};

TEST(Policy, RunSubmissionFollowsTheServicesVisibility) {
  using enum ErrorCode;
  const SubmitCase cases[] = {
      {Role::kAdmin, false, false, std::nullopt},
      {Role::kDeveloper, true, false, std::nullopt},
      {Role::kDeveloper, false, false, kNotFound},
      {Role::kDeveloper, false, true, std::nullopt},
      {Role::kViewer, true, false, kPermissionDenied},
      {Role::kViewer, false, false, kNotFound},
      {Role::kViewer, false, true, kPermissionDenied},
  };
  for (const auto& c : cases) {
    const auto r = Policy::authorize_project_runs(principal(c.role), Action::kWrite,
                                                  c.own ? "usr_me" : "usr_other", c.service_public);
    const std::string label = std::string(role_name(c.role)) + (c.own ? " own" : " other") +
                              (c.service_public ? " public" : " private");
    if (!c.expected) {
      EXPECT_TRUE(r) << label;
      continue;
    }
    ASSERT_FALSE(r) << label;
    EXPECT_EQ(r.error().code, *c.expected) << label;
  }
  // Nobody without an id, and no token without the write scope.
  Principal anonymous{"", "", Role::kDeveloper, false, ""};
  EXPECT_EQ(
      Policy::authorize_project_runs(anonymous, Action::kWrite, "usr_other", true).error().code,
      kNotFound);
  auto reader = principal(Role::kDeveloper);
  reader.scopes = static_cast<std::uint8_t>(Scope::kRead);
  EXPECT_EQ(Policy::authorize_project_runs(reader, Action::kWrite, "usr_me", false).error().code,
            kPermissionDenied);
  // Listing: viewers may, strangers of a private project may not.
  EXPECT_TRUE(Policy::authorize_project_runs(reader, Action::kRead, "usr_other", true));
  EXPECT_TRUE(
      Policy::authorize_project_runs(principal(Role::kViewer), Action::kRead, "usr_other", true));
  EXPECT_EQ(Policy::authorize_project_runs(reader, Action::kRead, "usr_other", false).error().code,
            kNotFound);
}

TEST(Policy, ARunBelongsToItsSubmitterAndItsProjectsOwner) {
  using enum ErrorCode;
  const auto dev = principal(Role::kDeveloper);
  const RunParties submitted{"usr_other", "usr_me"};
  const RunParties on_my_project{"usr_me", "usr_other"};
  const RunParties strangers{"usr_other", "usr_third"};
  EXPECT_TRUE(Policy::authorize_run(dev, Action::kRead, submitted));
  EXPECT_TRUE(Policy::authorize_run(dev, Action::kWrite, submitted));
  EXPECT_TRUE(Policy::authorize_run(dev, Action::kWrite, on_my_project));
  EXPECT_EQ(Policy::authorize_run(dev, Action::kRead, strangers).error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_run(dev, Action::kWrite, strangers).error().code, kNotFound);
  EXPECT_TRUE(Policy::authorize_run(principal(Role::kAdmin), Action::kWrite, strangers));
  const auto viewer = principal(Role::kViewer);
  EXPECT_TRUE(Policy::authorize_run(viewer, Action::kRead, on_my_project));
  EXPECT_EQ(Policy::authorize_run(viewer, Action::kWrite, on_my_project).error().code,
            kPermissionDenied);
  EXPECT_EQ(Policy::authorize_run(viewer, Action::kRead, strangers).error().code, kNotFound);
}

TEST(Policy, AConsumerKeyReachesItsProjectsRunsAndNothingElse) {
  using enum ErrorCode;
  const auto key = Principal::consumer("ck_1", "prj_shop", "acme");
  // Its project's runs, whatever the service's visibility.
  EXPECT_TRUE(Policy::authorize_project_runs(key, Action::kWrite, "usr_me", false, "prj_shop"));
  EXPECT_TRUE(Policy::authorize_project_runs(key, Action::kRead, "usr_me", false, "prj_shop"));
  // Another project of the same owner, or a caller that names no project: not found.
  EXPECT_EQ(
      Policy::authorize_project_runs(key, Action::kWrite, "usr_me", true, "prj_other").error().code,
      kNotFound);
  EXPECT_EQ(Policy::authorize_project_runs(key, Action::kRead, "usr_me", true).error().code,
            kNotFound);
  // Runs it submitted; not the owner's own, not another key's.
  const RunParties mine{"usr_me", "usr_me", "ck_1"};
  const RunParties owners{"usr_me", "usr_me"};
  const RunParties other_key{"usr_me", "usr_me", "ck_2"};
  EXPECT_TRUE(Policy::authorize_run(key, Action::kRead, mine));
  EXPECT_TRUE(Policy::authorize_run(key, Action::kWrite, mine));
  EXPECT_EQ(Policy::authorize_run(key, Action::kRead, owners).error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_run(key, Action::kRead, other_key).error().code, kNotFound);
  // The management API: nothing exists for it.
  EXPECT_EQ(Policy::authorize(key, Action::kRead, "usr_me").error().code, kNotFound);
  EXPECT_EQ(Policy::authorize(key, Action::kRead, "").error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_create(key).error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_catalog(key).error().code, kNotFound);
  EXPECT_EQ(Policy::require_admin(key).error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_sign_in_methods(key, Action::kRead).error().code, kNotFound);
  EXPECT_EQ(Policy::authorize_repository(key, Action::kRead, {"usr/shop", "usr_me"}).error().code,
            kNotFound);
  EXPECT_EQ(Policy::scope(key).owner_id, std::optional<std::string>(""));
  // And the owner keeps seeing the runs its consumers submitted.
  EXPECT_TRUE(Policy::authorize_run(principal(Role::kDeveloper), Action::kRead, mine));
}

TEST(Policy, SignInMethodsAreChangedFromASessionOnly) {
  using enum ErrorCode;
  for (Role role : {Role::kAdmin, Role::kDeveloper, Role::kViewer}) {
    const auto session = principal(role);
    EXPECT_TRUE(Policy::authorize_sign_in_methods(session, Action::kRead));
    EXPECT_TRUE(Policy::authorize_sign_in_methods(session, Action::kWrite)) << "even a viewer";
  }
  auto token = principal(Role::kDeveloper);
  token.via_api_token = true;
  EXPECT_TRUE(Policy::authorize_sign_in_methods(token, Action::kRead));
  EXPECT_EQ(Policy::authorize_sign_in_methods(token, Action::kWrite).error().code,
            kPermissionDenied);
  token.scopes = static_cast<std::uint8_t>(Scope::kWrite);
  EXPECT_EQ(Policy::authorize_sign_in_methods(token, Action::kRead).error().code, kPermissionDenied)
      << "a token without the read scope";
  auto push = principal(Role::kDeveloper);
  push.repository_scope = "me/shop";
  EXPECT_EQ(Policy::authorize_sign_in_methods(push, Action::kRead).error().code, kPermissionDenied);
  EXPECT_EQ(Policy::authorize_sign_in_methods(Principal{}, Action::kRead).error().code,
            kUnauthenticated);
}

TEST(Policy, AJobTokenOpensItsOwnJobsFilesOnly) {
  using enum JobFile;
  for (const JobFile file : {kInput, kOptions}) {
    EXPECT_TRUE(Policy::authorize_job_file("run_1", Action::kRead, "run_1", file));
    const auto write = Policy::authorize_job_file("run_1", Action::kWrite, "run_1", file);
    ASSERT_FALSE(write);
    EXPECT_EQ(write.error().code, ErrorCode::kPermissionDenied);
  }
  for (const JobFile file : {kResult, kError}) {
    EXPECT_TRUE(Policy::authorize_job_file("run_1", Action::kWrite, "run_1", file));
    const auto read = Policy::authorize_job_file("run_1", Action::kRead, "run_1", file);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, ErrorCode::kPermissionDenied);
  }
  for (const JobFile file : {kInput, kOptions, kResult, kError}) {
    for (const Action action : {Action::kRead, Action::kWrite}) {
      const auto other = Policy::authorize_job_file("run_1", action, "run_2", file);
      ASSERT_FALSE(other);
      EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
      EXPECT_FALSE(Policy::authorize_job_file("", action, "", file));
    }
  }
}

}  // namespace
}  // namespace orsa::auth
