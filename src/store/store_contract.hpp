#pragma once

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "database_url.hpp"
#include "store/store.hpp"
#include "testing/temp_dir.hpp"

// The repository contract: every test of a fixture derived from StoreContract
// runs against SQLite (a temp file), the in-memory fake, and, when
// ORSA_TEST_POSTGRES_URL_FILE names the url file written by
// scripts/pg-test-server.sh, PostgreSQL in a fresh database per test. So the
// fake cannot drift from the SQL store.

namespace orsa::store {

enum class Impl { kSqlite, kPostgres, kMemory };

// Readable parameter names in gtest output (found by ADL, so gtest fixes the name).
void PrintTo(Impl impl, std::ostream* out);  // NOLINT(readability-identifier-naming)

namespace testing_support {

inline constexpr std::int64_t kStart = 1'700'000'000;

std::string impl_name(const ::testing::TestParamInfo<Impl>& info);
// The PostgreSQL instantiation exists only when the env var is set, so a
// plain run neither skips nor silently passes PostgreSQL tests.
std::vector<Impl> postgres_impls();

class StoreContract : public ::testing::TestWithParam<Impl> {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// The SQL backend under test (SQL-only fixtures).
  Backend backend() const;
  /// A direct session on the test database, for checks the port does not offer.
  std::unique_ptr<soci::session> raw();

  User user(const std::string& name, Role role = Role::kDeveloper);
  Project project(const User& owner, const std::string& name);
  ApiToken token(const User& owner, const std::string& hash);

  ManualClock clock_{kStart};
  std::optional<testing::TempDir> dir_;  // SQLite only
  std::string admin_url_, database_, url_, raw_target_;
  std::unique_ptr<Store> store_;

 private:
  void open_postgres();
};

}  // namespace testing_support
}  // namespace orsa::store

// Runs `fixture`'s tests against SQLite, PostgreSQL (when configured) and the fake.
#define ORSA_STORE_CONTRACT(fixture)                                                              \
  INSTANTIATE_TEST_SUITE_P(Sqlite, fixture, ::testing::Values(::orsa::store::Impl::kSqlite),      \
                           ::orsa::store::testing_support::impl_name);                            \
  INSTANTIATE_TEST_SUITE_P(Postgres, fixture,                                                     \
                           ::testing::ValuesIn(::orsa::store::testing_support::postgres_impls()), \
                           ::orsa::store::testing_support::impl_name);                            \
  INSTANTIATE_TEST_SUITE_P(Memory, fixture, ::testing::Values(::orsa::store::Impl::kMemory),      \
                           ::orsa::store::testing_support::impl_name);                            \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(fixture)

// SQL-specific behaviour (migrations, raw sessions): SQLite and PostgreSQL only.
#define ORSA_STORE_SQL_ONLY(fixture)                                                              \
  INSTANTIATE_TEST_SUITE_P(Sqlite, fixture, ::testing::Values(::orsa::store::Impl::kSqlite),      \
                           ::orsa::store::testing_support::impl_name);                            \
  INSTANTIATE_TEST_SUITE_P(Postgres, fixture,                                                     \
                           ::testing::ValuesIn(::orsa::store::testing_support::postgres_impls()), \
                           ::orsa::store::testing_support::impl_name);                            \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(fixture)
