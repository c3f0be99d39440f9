#include "database_url.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "migrations.hpp"
#include "sql_errors.hpp"
#include "store/store.hpp"

namespace orsa::store {
namespace {

TEST(DatabaseUrl, ParsesSqlitePath) {
  auto url = parse_database_url("sqlite:/tmp/x y/orsa.db");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->backend, Backend::kSqlite);
  EXPECT_EQ(url->target, "/tmp/x y/orsa.db");
  EXPECT_TRUE(url->secrets.empty());
}

TEST(DatabaseUrl, TranslatesPostgresUrlAndRedactsPassword) {
  for (const std::string_view raw : {"postgresql://orsa:s3cret@db:5432/orsa?sslmode=require",
                                     "postgres://orsa:s3cret@db/orsa"}) {
    auto url = parse_database_url(raw);
    ASSERT_TRUE(url) << raw;
    EXPECT_EQ(url->backend, Backend::kPostgres);
    EXPECT_NE(url->target.find("host='db'"), std::string::npos) << url->target;
    EXPECT_NE(url->target.find("user='orsa'"), std::string::npos) << url->target;
    EXPECT_NE(url->target.find("password='s3cret'"), std::string::npos) << url->target;
    EXPECT_NE(url->target.find("dbname='orsa'"), std::string::npos) << url->target;
    EXPECT_EQ(url->redacted.find("s3cret"), std::string::npos) << url->redacted;
    EXPECT_NE(url->redacted.find("orsa:***@db"), std::string::npos) << url->redacted;
    EXPECT_EQ(scrub("auth failed for s3cret", url->secrets), "auth failed for ***");
  }
}

TEST(DatabaseUrl, RedactsQueryAndEncodedPasswords) {
  auto url = parse_database_url("postgresql://db/orsa?user=u&password=p%40s%27s&sslmode=disable");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->redacted, "postgresql://db/orsa?user=u&password=***&sslmode=disable");
  EXPECT_EQ(scrub("bad p@s's and p%40s%27s", url->secrets), "bad *** and ***");
  // Quotes are escaped for libpq's keyword syntax.
  EXPECT_NE(url->target.find("password='p@s\\'s'"), std::string::npos) << url->target;
}

TEST(DatabaseUrl, RejectsMalformedPostgresUrlsWithoutThePassword) {
  for (const std::string_view bad :
       {"postgresql://u:hunter2@db/x?nosuchoption=1", "postgresql://u:hunter2%zz@db/x",
        "postgresql://u:hunter%202@db/x"}) {
    auto url = parse_database_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(url.error().message.find("hunter"), std::string::npos) << url.error().message;
  }
}

TEST(DatabaseUrl, UrlWithoutPasswordIsUnchanged) {
  auto url = parse_database_url("postgresql://orsa@localhost/orsa");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->redacted, "postgresql://orsa@localhost/orsa");
  EXPECT_TRUE(url->secrets.empty());
}

TEST(DatabaseUrl, RejectsOtherSchemesWithoutEchoingThem) {
  for (const std::string_view bad :
       {"mysql://root:hunter2@db/x", "", "sqlite:", "sqlite::memory:", "host=db password=hunter2",
        "SQLITE:/x.db", "postgresql:/x", "sqlite:/tmp/a\"b"}) {
    auto url = parse_database_url(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos);
  }
  const auto message = parse_database_url("mysql://x").error().message;
  EXPECT_NE(message.find("sqlite:PATH"), std::string::npos) << message;
  EXPECT_NE(message.find("postgresql://"), std::string::npos) << message;
}

TEST(OpenStore, BadSchemeIsInvalidArgument) {
  ManualClock clock(1000);
  auto store = open_store("mongodb://u:hunter2@h/db", clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos);
}

TEST(OpenStore, UnreachablePostgresIsUnavailableWithoutPassword) {
  ManualClock clock(1000);
  // Port 1 on loopback refuses at once: no server, no waiting.
  auto store = open_store("postgresql://orsa:hunter2@127.0.0.1:1/orsa?connect_timeout=2", clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().message.find("hunter2"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("127.0.0.1:1"), std::string::npos) << store.error().message;
}

TEST(OpenStore, ZeroPoolSizeIsInvalidArgument) {
  ManualClock clock(1000);
  auto store = open_store("sqlite:/nonexistent-dir-never-created/x.db", clock, 0);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
}

TEST(SplitSql, SplitsOnSemicolonsAndDropsCommentsAndBlanks) {
  const auto statements = split_sql(
      "-- header; with a semicolon\nCREATE TABLE a (x INTEGER);\n\n  ;\n"
      "CREATE INDEX i ON a (x) -- trailing; comment\n;\nSELECT 1");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (x INTEGER)");
  EXPECT_EQ(statements[1], "CREATE INDEX i ON a (x)");
  EXPECT_EQ(statements[2], "SELECT 1");
  EXPECT_TRUE(split_sql("").empty());
  EXPECT_TRUE(split_sql("-- only a comment\n;;").empty());
}

TEST(SplitSql, EmbeddedMigrationsAreOrderedAndSplit) {
  const auto migrations = embedded_migrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().name, "0001_init.sql");
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].name, migrations[i].name);
  }
  EXPECT_GE(split_sql(migrations.front().sql).size(), 4u);
}

TEST(SqlErrors, ClassifiesSqliteAndPostgresMessages) {
  EXPECT_EQ(classify_violation("sqlite3_statement_backend::loadOne: UNIQUE constraint failed: "
                               "users.username"),
            Violation::kUnique);
  EXPECT_EQ(classify_violation("ERROR:  duplicate key value violates unique constraint "
                               "\"users_email_key\"\nDETAIL: Key (email)=(a@b) already exists."),
            Violation::kUnique);
  EXPECT_EQ(classify_violation("FOREIGN KEY constraint failed"), Violation::kForeignKey);
  EXPECT_EQ(classify_violation("anything", "23505"), Violation::kUnique);
  EXPECT_EQ(classify_violation("anything", "23503"), Violation::kForeignKey);
  EXPECT_EQ(classify_violation("no such table: users"), Violation::kNone);
  // Values echoed on later lines do not count.
  EXPECT_EQ(classify_violation("syntax error\nDETAIL: duplicate key value"), Violation::kNone);
}

TEST(SqlErrors, NamesOnlyTheFirstLineAndLoggableDropsDetail) {
  const std::string pg =
      "ERROR:  duplicate key value violates unique constraint \"users_email_key\"\n"
      "DETAIL:  Key (email)=(users_username_key@x.io) already exists.";
  EXPECT_TRUE(names_any(pg, {"users.email", "users_email_key"}));
  EXPECT_FALSE(names_any(pg, {"users.username", "users_username_key"}));
  EXPECT_EQ(loggable(pg).find("DETAIL"), std::string::npos);
}

}  // namespace
}  // namespace orsa::store
