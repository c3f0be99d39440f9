#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "migrations.hpp"
#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class SqlStoreTest : public testing_support::StoreContract {};
ORSA_STORE_SQL_ONLY(SqlStoreTest);

TEST_P(SqlStoreTest, ReopeningLeavesAppliedMigrationsUntouched) {
  user("alice");
  clock_.advance(60);
  auto again = open_store(url_, clock_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->users().count().value_or(-1), 1);

  auto sql = raw();
  long long count = 0, applied_at = 0;
  *sql << "SELECT COUNT(*), MIN(applied_at) FROM schema_migrations", soci::into(count),
      soci::into(applied_at);
  EXPECT_EQ(count, static_cast<long long>(embedded_migrations().size()));
  EXPECT_EQ(applied_at, kStart);
}

TEST_P(SqlStoreTest, DeletingUserCascadesToTokensAndProjects) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  token(alice, "ha");
  project(alice, "knap");
  project(bob, "keep");
  {
    auto sql = raw();
    *sql << "DELETE FROM users WHERE id = :id", soci::use(alice.id);
  }
  EXPECT_FALSE(store_->tokens().find_by_hash("ha"));
  EXPECT_TRUE(store_->tokens().list(OwnerScope::of(alice.id)).value().empty());
  auto left = store_->projects().list(OwnerScope::everyone());
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].name, "keep");
}

TEST_P(SqlStoreTest, FailingMigrationIsNamedAndRolledBack) {
  auto sql = raw();
  const std::vector<Migration> migrations = {
      {"9001_extra.sql", "-- adds a table\nCREATE TABLE extra_a (id TEXT PRIMARY KEY);"},
      {"9002_broken.sql", "CREATE TABLE extra_b (id TEXT);\nCREATE TABLE oops (;"},
  };
  auto result = apply_migrations(*sql, backend(), migrations, kStart);
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
  auto again = apply_migrations(*sql, backend(), {migrations[0]}, kStart);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, 0u);
}

TEST_P(SqlStoreTest, RefusesSchemaNewerThanTheProgram) {
  {
    auto sql = raw();
    *sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 1)";
  }
  auto store = open_store(url_, clock_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("9999"), std::string::npos) << store.error().message;
}

TEST_P(SqlStoreTest, RejectsBadlyNamedMigrations) {
  auto sql = raw();
  for (const auto& bad : std::vector<std::vector<Migration>>{
           {{"init.sql", "SELECT 1"}},
           {{"0003_a.sql", "SELECT 1"}, {"0002_b.sql", "SELECT 1"}},
       }) {
    auto result = apply_migrations(*sql, backend(), bad, kStart);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  }
}

TEST(SqliteStore, UsesWalAndCreatesTheParentDirectory) {
  const testing::TempDir dir("orsa-store-wal");
  const auto path = dir.path() / "a" / "b" / "orsa.db";
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
}

TEST(SqliteStore, UnwritableLocationIsUnavailable) {
  ManualClock clock(kStart);
  auto store = open_store("sqlite:/proc/orsa-cannot-write/orsa.db", clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orsa::store
