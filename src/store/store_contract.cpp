#include "store_contract.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/random.hpp"
#include "store/memory_store.hpp"

namespace orsa::store {

void PrintTo(Impl impl, std::ostream* out) {
  *out << (impl == Impl::kSqlite ? "sqlite" : impl == Impl::kPostgres ? "postgres" : "memory");
}

namespace testing_support {
namespace {

constexpr const char* kPostgresUrlEnv = "ORSA_TEST_POSTGRES_URL_FILE";

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

}  // namespace

std::string impl_name(const ::testing::TestParamInfo<Impl>& info) {
  std::ostringstream out;
  PrintTo(info.param, &out);
  return out.str();
}

std::vector<Impl> postgres_impls() {
  if (std::getenv(kPostgresUrlEnv) == nullptr) return {};
  return {Impl::kPostgres};
}

void StoreContract::SetUp() {
  if (GetParam() == Impl::kMemory) {
    store_ = std::make_unique<MemoryStore>(clock_);
    return;
  }
  if (GetParam() == Impl::kSqlite) {
    dir_.emplace("orsa-store-test");
    // A space and a nested, not yet existing directory: open_store creates it.
    raw_target_ = (dir_->path() / "data dir" / "orsa.db").string();
    url_ = "sqlite:" + raw_target_;
  } else {
    open_postgres();
    if (HasFatalFailure()) return;
  }
  auto store = open_store(url_, clock_);
  ASSERT_TRUE(store) << store.error().message;
  store_ = std::move(*store);
}

void StoreContract::open_postgres() {
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

void StoreContract::TearDown() {
  store_.reset();
  dir_.reset();
  if (!database_.empty()) {
    soci::session admin(soci::postgresql, conninfo(admin_url_));
    admin << "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)";
  }
}

Backend StoreContract::backend() const {
  return GetParam() == Impl::kPostgres ? Backend::kPostgres : Backend::kSqlite;
}

std::unique_ptr<soci::session> StoreContract::raw() {
  if (GetParam() == Impl::kSqlite) {
    auto sql = std::make_unique<soci::session>(soci::sqlite3, "db=\"" + raw_target_ + "\"");
    *sql << "PRAGMA foreign_keys = ON";
    return sql;
  }
  return std::make_unique<soci::session>(soci::postgresql, raw_target_);
}

User StoreContract::user(const std::string& name, Role role) {
  auto created = store_->users().create({name, name + "@example.com", "hash-" + name, role});
  EXPECT_TRUE(created) << created.error().message;
  return created.value_or(User{});
}

Project StoreContract::project(const User& owner, const std::string& name) {
  auto created = store_->projects().create({owner.id, name, "python-flask"});
  EXPECT_TRUE(created) << created.error().message;
  return created.value_or(Project{});
}

ApiToken StoreContract::token(const User& owner, const std::string& hash) {
  auto created = store_->tokens().create({owner.id, "cli", hash, std::nullopt});
  EXPECT_TRUE(created) << created.error().message;
  return created.value_or(ApiToken{});
}

}  // namespace testing_support
}  // namespace orsa::store
