#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/files.hpp"
#include "core/json.hpp"
#include "core/json_writer.hpp"
#include "core/random.hpp"
#include "core/slug.hpp"
#include "core/strings.hpp"
#include "core/temp_dir.hpp"
#include "core/time.hpp"
#include "core/unique_fd.hpp"

namespace orsa {
namespace {

TEST(Slug, AcceptsLowercaseDigitsAndDashes) {
  EXPECT_TRUE(validate_slug("knapsack", "name"));
  EXPECT_TRUE(validate_slug("a", "name"));
  EXPECT_TRUE(validate_slug("0-facility-location-2", "name"));
  EXPECT_TRUE(validate_slug(std::string(63, 'a'), "name"));
}

TEST(Slug, RejectsEverythingElseNamingTheField) {
  for (const char* bad : {"", "-lead", "Upper", "under_score", "dot.ted", "sp ace", "..", "a/b"}) {
    auto r = validate_slug(bad, "project name");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("project name"), std::string::npos);
  }
  EXPECT_FALSE(validate_slug(std::string(64, 'a'), "name"));
}

TEST(Strings, TrimLowerCompareDigits) {
  EXPECT_EQ(trim(" \t value \r\n"), "value");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim("a b"), "a b");
  EXPECT_EQ(ascii_lower("Basic ÄbC"), "basic Äbc");
  EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(iequals("Content-Type", "Content-Typ"));
  EXPECT_TRUE(is_digits("0123"));
  EXPECT_FALSE(is_digits(""));
  EXPECT_FALSE(is_digits("12a"));
  EXPECT_FALSE(is_digits("-1"));
  EXPECT_EQ(errno_message(ENOENT), "No such file or directory");
}

TEST(Strings, ConcatJoinsItsParts) {
  const std::string value = "value";
  EXPECT_EQ(concat({"KEY", "=", value}), "KEY=value");
  EXPECT_EQ(concat({"", "a", ""}), "a");
  EXPECT_EQ(concat({}), "");
}

TEST(UniqueFd, ClosesOnceAndMovesOwnership) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const int read_end = pipe_fds[0];
  {
    UniqueFd owner(read_end);
    UniqueFd moved(std::move(owner));
    EXPECT_FALSE(owner.ok());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(moved.get(), read_end);
    EXPECT_NE(::fcntl(read_end, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(read_end, F_GETFD), -1);  // closed when the last owner went
  UniqueFd write_end(pipe_fds[1]);
  const int raw = write_end.release();
  EXPECT_FALSE(write_end.ok());
  EXPECT_NE(::fcntl(raw, F_GETFD), -1);  // released, not closed
  ::close(raw);
}

TEST(Random, IdsHavePrefixAndAreUnique) {
  const auto a = new_id("usr");
  const auto b = new_id("usr");
  EXPECT_EQ(a.rfind("usr_", 0), 0u);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
}

TEST(Random, EncodersAreCorrect) {
  EXPECT_EQ(hex_encode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(base64_encode("alice:s3cret"), "YWxpY2U6czNjcmV0");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64_decode("+/8="), "\xfb\xff");
  EXPECT_EQ(base64_decode("YWxp\nY2U6czNjcmV0"), "alice:s3cret");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_FALSE(base64_decode("YWx!"));
  EXPECT_FALSE(base64_decode("-_8"));
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Time, FormatsRfc3339InUtc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1798393554), "2026-12-27T17:45:54Z");
}

TEST(JsonObjectReader, NamesTheBadField) {
  EXPECT_EQ(JsonObjectReader::parse("{").error().message, "request body is not valid JSON");
  EXPECT_EQ(JsonObjectReader::parse("[1]").error().message, "request body must be a JSON object");
  auto r = JsonObjectReader::parse(R"({"name": 5, "extra": true})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->required_string("name").error().message, "field 'name' must be a string");
  EXPECT_EQ(r->required_string("missing").error().message, "missing field 'missing'");
  EXPECT_EQ(r->optional_bool("extra").value(), true);
  EXPECT_FALSE(r->optional_string("missing").value().has_value());
  EXPECT_EQ(r->reject_unknown({"name"}).error().message, "unknown field 'extra'");
  EXPECT_TRUE(r->reject_unknown({"name", "extra"}));
}

TEST(Files, WriteAtomicSetsModeAndContent) {
  const TempDir scratch("orsa-core");
  const auto& dir = scratch.path();
  const auto path = dir / "secret.key";
  ASSERT_TRUE(write_file_atomic(path, "s3cret", 0600));
  EXPECT_EQ(read_file(path).value(), "s3cret");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temp left
  EXPECT_EQ(read_file(dir / "absent").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa

namespace orsa {
namespace {

TEST(Time, MatchesTheCivilCalendarAcrossLeapYearsAndCenturies) {
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(4107542399), "2100-02-28T23:59:59Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(1700000000), "2023-11-14T22:13:20Z");
}

TEST(Strings, PercentEncodesAllButTheUnreservedAndWhatIsKept) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(percent_encode("host:5000/ns/img@sha256", "/:@"), "host:5000/ns/img@sha256");
  EXPECT_EQ(percent_encode(std::string("\0\xff", 2)), "%00%FF");
}

TEST(Time, ParsesRfc3339AndDatesAndRefusesTheRest) {
  for (const std::int64_t t : {0LL, 951782400LL, 1700000000LL, 4107542399LL}) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t) << t;
  }
  EXPECT_EQ(parse_rfc3339("2023-11-14"), 1699920000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.999Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20+01:00"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T21:43:20-00:30"), 1700000000);
  for (const char* bad :
       {"", "2023", "2023-02-29", "2024-02-30", "2023-13-01", "2023-11-14T", "2023-11-14T24:00:00Z",
        "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+1:00",
        "2023-11-14 22:13:20Z", "１２３４-11-14", "2023-11-14T22:13:20Zjunk", "+2023-11-14"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
  EXPECT_EQ(parse_rfc3339("2024-02-29"), 1709164800);
}

TEST(JsonWriter, WritesCompactEscapedJsonThatNlohmannReadsBack) {
  JsonWriter w;
  w.begin_object()
      .key("name")
      .value("a \"quoted\"\n\\ \x01")
      .key("n")
      .value(std::int64_t{-42})
      .key("ok")
      .value(true)
      .key("none")
      .null()
      .key("list")
      .begin_array()
      .value("x")
      .begin_object()
      .end_object()
      .raw("[1,2]")
      .end_array()
      .end_object();
  const std::string text = w.take();
  EXPECT_EQ(
      text,
      R"({"name":"a \"quoted\"\n\\ \u0001","n":-42,"ok":true,"none":null,"list":["x",{},[1,2]]})");
  const Json parsed = Json::parse(text);
  EXPECT_EQ(parsed["name"], "a \"quoted\"\n\\ \x01");
  EXPECT_EQ(parsed["list"][2][1], 2);
}

}  // namespace
}  // namespace orsa
