#include "store/store.hpp"

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "database_url.hpp"
#include "migrations.hpp"

// Every TEST_P here runs against SQLite (a temp file) and, when
// ORSA_TEST_POSTGRES_URL_FILE names the url file written by
// scripts/pg-test-server.sh, against PostgreSQL in a fresh database per test.

namespace orsa::store {

// Readable parameter names in gtest output (found by ADL, so not in the anonymous namespace).
void PrintTo(Backend backend, std::ostream* out) {
  *out << (backend == Backend::kSqlite ? "sqlite" : "postgres");
}

namespace {

constexpr std::int64_t kStart = 1'700'000'000;
constexpr const char* kPostgresUrlEnv = "ORSA_TEST_POSTGRES_URL_FILE";

std::string backend_name(const testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

// The PostgreSQL instantiation exists only when the env var is set, so a
// plain run neither skips nor silently passes PostgreSQL tests.
std::vector<Backend> postgres_backends() {
  if (std::getenv(kPostgresUrlEnv) == nullptr) return {};
  return {Backend::kPostgres};
}

// "postgresql://u:p@h:1/postgres?x" with the database replaced by `name`.
std::string with_database(const std::string& url, const std::string& name) {
  const auto authority = url.find("://") + 3;
  const auto slash = url.find('/', authority);
  const auto query = url.find('?', authority);
  const auto base = url.substr(0, std::min(slash, query));
  const auto params = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + name + params;
}

std::string conninfo(const std::string& url) {
  return parse_database_url(url).value().target;
}

class StoreTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("orsa-store-test-" + random_hex(8));
      // A space and a nested, not yet existing directory: open_store creates it.
      raw_target_ = (dir_ / "data dir" / "orsa.db").string();
      url_ = "sqlite:" + raw_target_;
    } else {
      const char* file = std::getenv(kPostgresUrlEnv);
      std::ifstream in(file == nullptr ? "" : file);
      std::getline(in, admin_url_);
      ASSERT_FALSE(admin_url_.empty())
          << kPostgresUrlEnv << " is set but " << (file ? file : "") << " is missing or empty";
      database_ = "orsa_t_" + random_hex(8);
      soci::session admin(soci::postgresql, conninfo(admin_url_));
      admin << "CREATE DATABASE " + database_;
      url_ = with_database(admin_url_, database_);
      raw_target_ = conninfo(url_);
    }
    auto store = open_store(url_, clock_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!database_.empty()) {
      soci::session admin(soci::postgresql, conninfo(admin_url_));
      admin << "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)";
    }
  }

  // A direct session on the test database, for checks the port does not offer.
  std::unique_ptr<soci::session> raw() {
    if (GetParam() == Backend::kSqlite) {
      auto sql = std::make_unique<soci::session>(soci::sqlite3, "db=\"" + raw_target_ + "\"");
      *sql << "PRAGMA foreign_keys = ON";
      return sql;
    }
    return std::make_unique<soci::session>(soci::postgresql, raw_target_);
  }

  User user(const std::string& name, Role role = Role::kDeveloper) {
    auto created = store_->create_user({name, name + "@example.com", "hash-" + name, role});
    EXPECT_TRUE(created) << created.error().message;
    return created.value_or(User{});
  }

  Project project(const User& owner, const std::string& name) {
    auto created = store_->create_project({owner.id, name, "python-flask"});
    EXPECT_TRUE(created) << created.error().message;
    return created.value_or(Project{});
  }

  ApiToken token(const User& owner, const std::string& hash) {
    auto created = store_->create_token({owner.id, "cli", hash, std::nullopt});
    EXPECT_TRUE(created) << created.error().message;
    return created.value_or(ApiToken{});
  }

  ManualClock clock_{kStart};
  std::filesystem::path dir_;
  std::string admin_url_, database_, url_, raw_target_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, testing::Values(Backend::kSqlite), backend_name);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, testing::ValuesIn(postgres_backends()), backend_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);

TEST_P(StoreTest, PingAnswers) {
  EXPECT_TRUE(store_->ping());
}

TEST_P(StoreTest, ReopeningLeavesAppliedMigrationsUntouched) {
  user("alice");
  clock_.advance(60);
  auto again = open_store(url_, clock_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->count_users().value_or(-1), 1);

  auto sql = raw();
  long long count = 0, applied_at = 0;
  *sql << "SELECT COUNT(*), MIN(applied_at) FROM schema_migrations", soci::into(count),
      soci::into(applied_at);
  EXPECT_EQ(count, static_cast<long long>(embedded_migrations().size()));
  EXPECT_EQ(applied_at, kStart);
}

TEST_P(StoreTest, CreatesAndFindsUsers) {
  EXPECT_EQ(store_->count_users().value_or(-1), 0);
  const auto alice = user("alice", Role::kAdmin);
  EXPECT_TRUE(alice.id.starts_with("usr_")) << alice.id;
  EXPECT_EQ(alice.created_at, kStart);
  EXPECT_FALSE(alice.disabled);
  clock_.advance(5);
  const auto bob = user("bob");

  auto by_id = store_->find_user_by_id(alice.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "alice");
  EXPECT_EQ(by_id->email, "alice@example.com");
  EXPECT_EQ(by_id->password_hash, "hash-alice");
  EXPECT_EQ(by_id->role, Role::kAdmin);
  EXPECT_EQ(by_id->created_at, kStart);

  EXPECT_EQ(store_->find_user_by_login("bob").value_or(User{}).id, bob.id);
  EXPECT_EQ(store_->find_user_by_login("bob@example.com").value_or(User{}).id, bob.id);
  EXPECT_EQ(store_->find_user_by_login("bob@example.com").value_or(User{}).created_at, kStart + 5);

  auto users = store_->list_users();
  ASSERT_TRUE(users);
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "alice");
  EXPECT_EQ((*users)[1].username, "bob");
  EXPECT_EQ(store_->count_users().value_or(-1), 2);
}

TEST_P(StoreTest, DuplicateUsernameOrEmailIsConflict) {
  user("alice");
  auto same_name = store_->create_user({"alice", "other@example.com", "h", Role::kViewer});
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().code, ErrorCode::kConflict);
  EXPECT_EQ(same_name.error().message, "username 'alice' is already taken");

  auto same_email = store_->create_user({"alicia", "alice@example.com", "h", Role::kViewer});
  ASSERT_FALSE(same_email);
  EXPECT_EQ(same_email.error().code, ErrorCode::kConflict);
  EXPECT_EQ(same_email.error().message, "email is already registered");
  EXPECT_EQ(store_->count_users().value_or(-1), 1);
}

TEST_P(StoreTest, MissingRowsAreNotFound) {
  const auto alice = user("alice");
  const auto expect_not_found = [](const auto& result, std::string_view message) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(result.error().message, message);
  };
  expect_not_found(store_->find_user_by_id("usr_missing"), "user not found");
  expect_not_found(store_->find_user_by_login("nobody"), "user not found");
  expect_not_found(store_->update_user("usr_missing", Role::kAdmin, true), "user not found");
  expect_not_found(store_->update_user("usr_missing", std::nullopt, std::nullopt),
                   "user not found");
  expect_not_found(store_->find_token_by_hash("nope"), "token not found");
  expect_not_found(store_->delete_token(OwnerScope::everyone(), "tok_missing"), "token not found");
  expect_not_found(store_->touch_token("tok_missing", kStart), "token not found");
  expect_not_found(store_->find_project(OwnerScope::everyone(), "alice", "nope"),
                   "project not found");
  expect_not_found(store_->delete_project(OwnerScope::everyone(), "prj_missing"),
                   "project not found");
  expect_not_found(store_->touch_project("prj_missing", kStart), "project not found");
  // Rows that point at a missing user.
  expect_not_found(store_->create_token({"usr_missing", "cli", "h1", std::nullopt}),
                   "user not found");
  expect_not_found(store_->create_project({"usr_missing", "knap", "python-flask"}),
                   "user not found");
  EXPECT_TRUE(store_->list_tokens(OwnerScope::of(alice.id)).value().empty());
}

TEST_P(StoreTest, UpdateUserChangesOnlyGivenFields) {
  const auto alice = user("alice");
  auto disabled = store_->update_user(alice.id, std::nullopt, true);
  ASSERT_TRUE(disabled) << disabled.error().message;
  EXPECT_TRUE(disabled->disabled);
  EXPECT_EQ(disabled->role, Role::kDeveloper);

  auto promoted = store_->update_user(alice.id, Role::kAdmin, std::nullopt);
  ASSERT_TRUE(promoted);
  EXPECT_EQ(promoted->role, Role::kAdmin);
  EXPECT_TRUE(promoted->disabled);

  auto both = store_->update_user(alice.id, Role::kViewer, false);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->role, Role::kViewer);
  EXPECT_FALSE(both->disabled);
  EXPECT_EQ(both->username, "alice");
  EXPECT_EQ(both->password_hash, "hash-alice");

  auto unchanged = store_->update_user(alice.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->role, Role::kViewer);
  EXPECT_EQ(store_->find_user_by_id(alice.id).value().role, Role::kViewer);
}

TEST_P(StoreTest, TokensRoundTripNullableFields) {
  const auto alice = user("alice");
  auto forever = store_->create_token({alice.id, "cli", "hash-1", std::nullopt});
  ASSERT_TRUE(forever) << forever.error().message;
  EXPECT_TRUE(forever->id.starts_with("tok_"));
  EXPECT_EQ(forever->created_at, kStart);
  clock_.advance(1);
  auto expiring = store_->create_token({alice.id, "ci", "hash-2", kStart + 3600});
  ASSERT_TRUE(expiring);

  auto found = store_->find_token_by_hash("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, forever->id);
  EXPECT_EQ(found->user_id, alice.id);
  EXPECT_EQ(found->name, "cli");
  EXPECT_FALSE(found->expires_at);
  EXPECT_FALSE(found->last_used_at);

  auto second = store_->find_token_by_hash("hash-2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->expires_at, kStart + 3600);
  EXPECT_FALSE(second->last_used_at);

  ASSERT_TRUE(store_->touch_token(forever->id, kStart + 99));
  EXPECT_EQ(store_->find_token_by_hash("hash-1").value().last_used_at, kStart + 99);
  EXPECT_FALSE(store_->find_token_by_hash("hash-1").value().expires_at);

  auto listed = store_->list_tokens(OwnerScope::of(alice.id));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, forever->id);
  EXPECT_EQ((*listed)[0].last_used_at, kStart + 99);
  EXPECT_EQ((*listed)[1].expires_at, kStart + 3600);
}

TEST_P(StoreTest, DuplicateTokenHashIsConflictWithoutTheHash) {
  const auto alice = user("alice");
  token(alice, "secret-hash");
  auto again = store_->create_token({alice.id, "other", "secret-hash", std::nullopt});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message.find("secret-hash"), std::string::npos);
}

TEST_P(StoreTest, TokensAreScopedToTheirUser) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto a = token(alice, "ha");
  const auto b = token(bob, "hb");

  auto bobs = store_->list_tokens(OwnerScope::of(bob.id));
  ASSERT_TRUE(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].id, b.id);
  EXPECT_EQ(store_->list_tokens(OwnerScope::everyone()).value().size(), 2u);

  auto steal = store_->delete_token(OwnerScope::of(bob.id), a.id);
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->find_token_by_hash("ha"));

  EXPECT_TRUE(store_->delete_token(OwnerScope::of(alice.id), a.id));
  EXPECT_FALSE(store_->find_token_by_hash("ha"));
  EXPECT_TRUE(store_->delete_token(OwnerScope::everyone(), b.id));
  EXPECT_TRUE(store_->list_tokens(OwnerScope::everyone()).value().empty());
}

TEST_P(StoreTest, CreatesFindsListsAndTouchesProjects) {
  const auto bob = user("bob");
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  EXPECT_TRUE(knap.id.starts_with("prj_"));
  EXPECT_EQ(knap.owner_username, "alice");
  EXPECT_EQ(knap.created_at, kStart);
  EXPECT_EQ(knap.updated_at, kStart);
  project(bob, "a-first");
  project(alice, "facility");

  auto found = store_->find_project(OwnerScope::of(alice.id), "alice", "knap");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, knap.id);
  EXPECT_EQ(found->owner_id, alice.id);
  EXPECT_EQ(found->owner_username, "alice");
  EXPECT_EQ(found->template_name, "python-flask");

  ASSERT_TRUE(store_->touch_project(knap.id, kStart + 50));
  found = store_->find_project(OwnerScope::everyone(), "alice", "knap");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->created_at, kStart);
  EXPECT_EQ(found->updated_at, kStart + 50);

  auto all = store_->list_projects(OwnerScope::everyone());
  ASSERT_TRUE(all);
  std::vector<std::string> names;
  for (const auto& p : *all) names.push_back(p.owner_username + "/" + p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alice/facility", "alice/knap", "bob/a-first"}));
}

TEST_P(StoreTest, ProjectEgressIsOffUntilSet) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  EXPECT_FALSE(knap.allow_egress);
  ASSERT_TRUE(store_->set_project_egress(knap.id, true));
  EXPECT_TRUE(store_->find_project(OwnerScope::everyone(), "alice", "knap")->allow_egress);
  ASSERT_TRUE(store_->set_project_egress(knap.id, false));
  EXPECT_FALSE(store_->find_project(OwnerScope::everyone(), "alice", "knap")->allow_egress);
  EXPECT_EQ(store_->set_project_egress("prj_none", true).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, DuplicateProjectIsConflictPerOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  project(alice, "knap");
  auto again = store_->create_project({alice.id, "knap", "python-flask"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "project 'alice/knap' already exists");
  // The same name under another owner is fine.
  EXPECT_TRUE(store_->create_project({bob.id, "knap", "python-flask"}));
}

TEST_P(StoreTest, ProjectsAreScopedToTheirOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  project(bob, "mine");

  auto peek = store_->find_project(OwnerScope::of(bob.id), "alice", "knap");
  ASSERT_FALSE(peek);
  EXPECT_EQ(peek.error().code, ErrorCode::kNotFound);

  auto bobs = store_->list_projects(OwnerScope::of(bob.id));
  ASSERT_TRUE(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].name, "mine");

  auto steal = store_->delete_project(OwnerScope::of(bob.id), knap.id);
  ASSERT_FALSE(steal);
  EXPECT_EQ(steal.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->find_project(OwnerScope::everyone(), "alice", "knap"));

  EXPECT_EQ(store_->list_projects(OwnerScope::everyone()).value().size(), 2u);
  EXPECT_TRUE(store_->delete_project(OwnerScope::everyone(), knap.id));
  EXPECT_FALSE(store_->find_project(OwnerScope::of(alice.id), "alice", "knap"));
}

TEST_P(StoreTest, AuditIsNewestFirstWithNullableActor) {
  const auto alice = user("alice");
  ASSERT_TRUE(store_->record_audit(
      {{}, 0, std::nullopt, "login_failed", "user:alice", "10.0.0.1", "bad password"}));
  clock_.advance(10);
  ASSERT_TRUE(
      store_->record_audit({{}, 0, alice.id, "login", "user:" + alice.id, "10.0.0.1", "password"}));
  ASSERT_TRUE(store_->record_audit(
      {"aud_explicit", kStart + 5, alice.id, "token_create", "token:x", "::1", ""}));

  auto events = store_->list_audit(10);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].action, "login");
  EXPECT_EQ((*events)[0].at, kStart + 10);
  EXPECT_EQ((*events)[0].actor_id, alice.id);
  EXPECT_TRUE((*events)[0].id.starts_with("aud_"));
  EXPECT_EQ((*events)[1].id, "aud_explicit");
  EXPECT_EQ((*events)[1].detail, "");
  EXPECT_EQ((*events)[2].action, "login_failed");
  EXPECT_FALSE((*events)[2].actor_id);
  EXPECT_EQ((*events)[2].ip, "10.0.0.1");
  EXPECT_EQ((*events)[2].detail, "bad password");

  EXPECT_EQ(store_->list_audit(1).value().size(), 1u);
  EXPECT_TRUE(store_->list_audit(0).value().empty());
}

TEST_P(StoreTest, DeletingUserCascadesToTokensAndProjects) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  token(alice, "ha");
  project(alice, "knap");
  project(bob, "keep");
  {
    auto sql = raw();
    *sql << "DELETE FROM users WHERE id = :id", soci::use(alice.id);
  }
  EXPECT_FALSE(store_->find_token_by_hash("ha"));
  EXPECT_TRUE(store_->list_tokens(OwnerScope::of(alice.id)).value().empty());
  auto left = store_->list_projects(OwnerScope::everyone());
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].name, "keep");
}

TEST_P(StoreTest, ConcurrentWritersAllSucceed) {
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  std::vector<User> owners;
  for (int t = 0; t < kThreads; ++t) owners.push_back(user("user-" + std::to_string(t)));
  std::vector<std::vector<std::string>> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->create_project(
            {owners[static_cast<std::size_t>(t)].id, "p-" + std::to_string(i), "python-flask"});
        if (!created) failures[static_cast<std::size_t>(t)].push_back(created.error().message);
        // Readers interleave with the writers.
        if (!store_->list_projects(OwnerScope::everyone())) {
          failures[static_cast<std::size_t>(t)].push_back("list failed");
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& f : failures) EXPECT_TRUE(f.empty()) << f.front();
  auto all = store_->list_projects(OwnerScope::everyone());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::string> ids;
  for (const auto& p : *all) ids.insert(p.id);
  EXPECT_EQ(ids.size(), all->size());
}

TEST_P(StoreTest, BuildsAreNumberedPerProjectFromOne) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  const std::string sha(40, 'a');
  auto first = store_->create_build({knap.id, sha});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->id.starts_with("bld_")) << first->id;
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->owner_id, alice.id);
  EXPECT_EQ(first->owner_username, "alice");
  EXPECT_EQ(first->project_name, "knap");
  EXPECT_EQ(first->status, BuildStatus::kQueued);
  EXPECT_EQ(first->created_at, kStart);
  EXPECT_FALSE(first->started_at);
  EXPECT_FALSE(first->image_id);
  EXPECT_EQ(store_->create_build({knap.id, sha}).value().number, 2);
  EXPECT_EQ(store_->create_build({other.id, sha}).value().number, 1);
  auto gone = store_->create_build({"prj_missing", sha});
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);

  auto listed = store_->list_builds(OwnerScope::of(alice.id), knap.id, 10);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].number, 2);  // newest first
  EXPECT_EQ(store_->list_builds(OwnerScope::of(alice.id), knap.id, 1).value().size(), 1u);
}

TEST_P(StoreTest, ConcurrentBuildsGetDistinctNumbers) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  constexpr int kThreads = 6;
  constexpr int kEach = 5;
  std::vector<std::string> failures;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto created = store_->create_build({knap.id, std::string(40, 'b')});
        if (!created) {
          std::lock_guard lock(mu);
          failures.push_back(created.error().message);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  auto all = store_->list_builds(OwnerScope::everyone(), knap.id, 1000);
  ASSERT_TRUE(all);
  std::set<std::int64_t> numbers;
  for (const auto& b : *all) numbers.insert(b.number);
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*numbers.begin(), 1);
  EXPECT_EQ(*numbers.rbegin(), kThreads * kEach);
}

TEST_P(StoreTest, BuildStatusUpdatesKeepUnsetFieldsAndGuardTheSource) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto build = store_->create_build({knap.id, std::string(40, 'c')}).value();
  auto running = store_->update_build(
      build.id, {.status = BuildStatus::kRunning, .from = BuildStatus::kQueued, .started_at = 10});
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(running->status, BuildStatus::kRunning);
  EXPECT_EQ(running->started_at, 10);
  // A second claim of the same queued build loses.
  auto again = store_->update_build(
      build.id, {.status = BuildStatus::kRunning, .from = BuildStatus::kQueued, .started_at = 11});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  auto failed = store_->update_build(
      build.id,
      {.status = BuildStatus::kFailed, .error = "boom", .finished_at = 20, .image_id = "img_x"});
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(failed->started_at, 10);
  EXPECT_EQ(failed->finished_at, 20);
  EXPECT_EQ(failed->error, "boom");
  EXPECT_EQ(failed->image_id, "img_x");
  EXPECT_EQ(store_->update_build("bld_missing", {}).error().code, ErrorCode::kNotFound);

  auto found = store_->builds_with_status(BuildStatus::kFailed);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, build.id);
  EXPECT_TRUE(store_->builds_with_status(BuildStatus::kQueued).value().empty());
}

TEST_P(StoreTest, BuildsAreScopedToTheirOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto build = store_->create_build({knap.id, std::string(40, 'd')}).value();
  EXPECT_TRUE(store_->find_build(OwnerScope::of(alice.id), build.id));
  EXPECT_TRUE(store_->find_build(OwnerScope::everyone(), build.id));
  auto hidden = store_->find_build(OwnerScope::of(bob.id), build.id);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->list_builds(OwnerScope::of(bob.id), knap.id, 10).value().empty());
}

TEST_P(StoreTest, ImagesAreUniquePerTagAndScoped) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto other = project(alice, "other");
  const auto bobs = project(bob, "knap");
  const auto image = [&](const Project& p, const User& owner, const std::string& tag) {
    return store_->create_image({owner.id, p.id, "bld_1", owner.username + "/" + p.name, tag,
                                 "sha256:" + std::string(64, 'e'), 1234, std::string(40, 'f')});
  };
  auto first = image(knap, alice, "1");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->id.starts_with("img_"));
  EXPECT_EQ(first->size, 1234);
  EXPECT_EQ(first->repository, "alice/knap");
  auto dup = image(knap, alice, "1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  clock_.advance(1);
  ASSERT_TRUE(image(knap, alice, "2"));
  ASSERT_TRUE(image(other, alice, "1"));
  ASSERT_TRUE(image(bobs, bob, "1"));

  EXPECT_EQ(store_->list_images(OwnerScope::of(alice.id), std::nullopt).value().size(), 3u);
  auto knaps = store_->list_images(OwnerScope::of(alice.id), knap.id);
  ASSERT_TRUE(knaps);
  ASSERT_EQ(knaps->size(), 2u);
  EXPECT_EQ((*knaps)[0].tag, "2");  // newest first
  EXPECT_EQ(store_->list_images(OwnerScope::everyone(), std::nullopt).value().size(), 4u);
  EXPECT_TRUE(store_->list_images(OwnerScope::of(bob.id), knap.id).value().empty());

  EXPECT_EQ(store_->find_image(OwnerScope::of(alice.id), first->id).value().tag, "1");
  EXPECT_EQ(store_->find_image(OwnerScope::of(bob.id), first->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->delete_image(OwnerScope::of(bob.id), first->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->delete_image(OwnerScope::of(alice.id), first->id));
  EXPECT_FALSE(store_->find_image(OwnerScope::everyone(), first->id));
}

TEST_P(StoreTest, DeletingAProjectCascadesToBuildsAndImages) {
  const auto alice = user("alice");
  const auto knap = project(alice, "knap");
  const auto build = store_->create_build({knap.id, std::string(40, 'a')}).value();
  const auto image =
      store_->create_image({alice.id, knap.id, build.id, "alice/knap", "1",
                            "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')});
  ASSERT_TRUE(image) << image.error().message;
  ASSERT_TRUE(store_->delete_project(OwnerScope::of(alice.id), knap.id));
  EXPECT_FALSE(store_->find_build(OwnerScope::everyone(), build.id));
  EXPECT_FALSE(store_->find_image(OwnerScope::everyone(), image->id));
}

TEST_P(StoreTest, DeploymentsAreScopedSavedAndCountedPerImage) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto knap = project(alice, "knap");
  const auto image =
      store_->create_image({alice.id, knap.id, "bld_1", "alice/knap", "1",
                            "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')});
  ASSERT_TRUE(image) << image.error().message;
  auto created = store_->create_deployment(
      {knap.id, image->id, Visibility::kPublic, 256, 500, R"({"MODE":"fast"})"});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->id.starts_with("dep_"));
  EXPECT_EQ(created->owner_id, alice.id);
  EXPECT_EQ(created->owner_username, "alice");
  EXPECT_EQ(created->project_name, "knap");
  EXPECT_EQ(created->image_tag, "1");
  EXPECT_EQ(created->status, DeploymentStatus::kPending);
  EXPECT_TRUE(created->desired_running);
  EXPECT_EQ(created->visibility, Visibility::kPublic);
  EXPECT_EQ(created->cpu_millis, 500);
  EXPECT_EQ(created->env_json, R"({"MODE":"fast"})");
  EXPECT_FALSE(created->started_at);

  EXPECT_EQ(store_->create_deployment({"prj_missing", image->id}).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->find_deployment(OwnerScope::of(bob.id), created->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->list_deployments(OwnerScope::of(bob.id), std::nullopt).value().empty());
  EXPECT_EQ(store_->list_deployments(OwnerScope::of(alice.id), knap.id).value().size(), 1u);

  clock_.advance(5);
  Deployment changed = *created;
  changed.status = DeploymentStatus::kHealthy;
  changed.container_id = "c0ffee";
  changed.host_port = 41234;
  changed.upstream_host = "10.89.3.2";
  changed.started_at = 77;
  changed.restarts = 2;
  auto saved = store_->save_deployment(changed);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->status, DeploymentStatus::kHealthy);
  EXPECT_EQ(saved->container_id, "c0ffee");
  EXPECT_EQ(saved->host_port, 41234);
  EXPECT_EQ(saved->upstream_host, "10.89.3.2");
  EXPECT_EQ(saved->started_at, 77);
  EXPECT_EQ(saved->restarts, 2);
  EXPECT_EQ(saved->updated_at, created->updated_at + 5);
  EXPECT_EQ(store_->count_deployments_of_image(image->id).value(), 1);
  ASSERT_TRUE(store_->record_last_request(created->id, 500));
  ASSERT_TRUE(store_->record_last_request(created->id, 400));  // never moves back
  EXPECT_EQ(store_->find_deployment(OwnerScope::everyone(), created->id)->last_request_at, 500);
  EXPECT_EQ(store_->find_deployment(OwnerScope::everyone(), created->id)->status,
            DeploymentStatus::kHealthy);

  EXPECT_EQ(store_->delete_deployment(OwnerScope::of(bob.id), created->id).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(store_->delete_deployment(OwnerScope::of(alice.id), created->id));
  EXPECT_EQ(store_->count_deployments_of_image(image->id).value(), 0);
  Deployment gone = *created;
  EXPECT_EQ(store_->save_deployment(gone).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, DeploymentNamesRoundTrip) {
  for (auto status :
       {DeploymentStatus::kPending, DeploymentStatus::kPulling, DeploymentStatus::kStarting,
        DeploymentStatus::kHealthy, DeploymentStatus::kFailed, DeploymentStatus::kStopped,
        DeploymentStatus::kCrashloop}) {
    EXPECT_EQ(parse_deployment_status(deployment_status_name(status)), status);
  }
  EXPECT_FALSE(parse_deployment_status("running"));
  EXPECT_EQ(parse_visibility("public"), Visibility::kPublic);
  EXPECT_FALSE(parse_visibility("secret"));
}

TEST_P(StoreTest, BuildStatusNamesRoundTrip) {
  for (auto status : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded,
                      BuildStatus::kFailed, BuildStatus::kCanceled}) {
    EXPECT_EQ(parse_build_status(build_status_name(status)), status);
  }
  EXPECT_FALSE(parse_build_status("done"));
  EXPECT_TRUE(is_final(BuildStatus::kCanceled));
  EXPECT_FALSE(is_final(BuildStatus::kRunning));
}

TEST_P(StoreTest, FailingMigrationIsNamedAndRolledBack) {
  auto sql = raw();
  const std::vector<Migration> migrations = {
      {"9001_extra.sql", "-- adds a table\nCREATE TABLE extra_a (id TEXT PRIMARY KEY);"},
      {"9002_broken.sql", "CREATE TABLE extra_b (id TEXT);\nCREATE TABLE oops (;"},
  };
  auto result = apply_migrations(*sql, GetParam(), migrations, kStart);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("9002_broken.sql"), std::string::npos)
      << result.error().message;

  long long recorded = 0;
  *sql << "SELECT COUNT(*) FROM schema_migrations WHERE version IN (9001, 9002)",
      soci::into(recorded);
  EXPECT_EQ(recorded, 1);
  // 9002 ran in one transaction: its first statement was rolled back too.
  EXPECT_THROW(*sql << "SELECT COUNT(*) FROM extra_b", soci::soci_error);
  *sql << "SELECT COUNT(*) FROM extra_a", soci::into(recorded);
  EXPECT_EQ(recorded, 0);

  // Re-running the good one is a no-op.
  auto again = apply_migrations(*sql, GetParam(), {migrations[0]}, kStart);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0u);
}

TEST_P(StoreTest, RefusesSchemaNewerThanTheProgram) {
  {
    auto sql = raw();
    *sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 1)";
  }
  auto store = open_store(url_, clock_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("9999"), std::string::npos) << store.error().message;
}

TEST_P(StoreTest, RejectsBadlyNamedMigrations) {
  auto sql = raw();
  for (const auto& bad : std::vector<std::vector<Migration>>{
           {{"init.sql", "SELECT 1"}},
           {{"0003_a.sql", "SELECT 1"}, {"0002_b.sql", "SELECT 1"}},
       }) {
    auto result = apply_migrations(*sql, GetParam(), bad, kStart);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  }
}

TEST(SqliteStore, UsesWalAndCreatesTheParentDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / ("orsa-store-wal-" + random_hex(8));
  const auto path = dir / "a" / "b" / "orsa.db";
  ManualClock clock(kStart);
  {
    auto store = open_store("sqlite:" + path.string(), clock, 2);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_TRUE(std::filesystem::exists(path));
    soci::session sql(soci::sqlite3, "db=\"" + path.string() + "\"");
    std::string mode;
    sql << "PRAGMA journal_mode", soci::into(mode);
    EXPECT_EQ(mode, "wal");
  }
  std::filesystem::remove_all(dir);
}

TEST(SqliteStore, UnwritableLocationIsUnavailable) {
  ManualClock clock(kStart);
  auto store = open_store("sqlite:/proc/orsa-cannot-write/orsa.db", clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orsa::store
