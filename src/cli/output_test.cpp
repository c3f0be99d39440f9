#include "cli/output.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace orsa::cli {
namespace {

TEST(Table, ColumnsAlignOnTheWidestCell) {
  Table table{.headers = {"ID", "STATUS", "URL"},
              .rows = {{"dep_1", "healthy", "http://a/"}, {"dep_22222", "failed", ""}}};
  EXPECT_EQ(table.render(),
            "ID         STATUS   URL\n"
            "dep_1      healthy  http://a/\n"
            "dep_22222  failed\n");
}

TEST(Table, ColoursWrapStatusCellsAfterPadding) {
  Table table{.headers = {"STATUS", "ID"}, .rows = {{"failed", "b"}}, .status_columns = {0}};
  EXPECT_EQ(table.render(true), "STATUS  ID\n\x1b[31mfailed\x1b[0m  b\n");
  EXPECT_EQ(table.render(false), "STATUS  ID\nfailed  b\n");
}

TEST(Table, AnEmptyTableIsItsHeader) {
  const Table table{.headers = {"A", "B"}};
  EXPECT_EQ(table.render(), "A  B\n");
}

TEST(Output, StatusColours) {
  EXPECT_EQ(colour_status("succeeded", true), "\x1b[32msucceeded\x1b[0m");
  EXPECT_EQ(colour_status("queued", true), "\x1b[33mqueued\x1b[0m");
  EXPECT_EQ(colour_status("stopped", true), "stopped");
  EXPECT_EQ(colour_status("failed", false), "failed");
}

TEST(Output, NoColorWinsEvenOnATerminal) {
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(use_colour(1));
  ::unsetenv("NO_COLOR");
}

TEST(Output, ExitCodes) {
  EXPECT_EQ(exit_for(Error::unauthenticated("x")), Exit::kAuth);
  EXPECT_EQ(exit_for(Error::permission_denied("x")), Exit::kAuth);
  EXPECT_EQ(exit_for(Error::not_found("x")), Exit::kNotFound);
  EXPECT_EQ(exit_for(Error::conflict("x")), Exit::kConflict);
  EXPECT_EQ(exit_for(Error::invalid_argument("x")), Exit::kUsage);
  EXPECT_EQ(exit_for(Error::unprocessable("x")), Exit::kFailure);
  EXPECT_EQ(exit_for(Error::unavailable("x")), Exit::kFailure);
  EXPECT_EQ(exit_for(Error::too_large("x")), Exit::kFailure);
}

TEST(Output, TimesAndSizes) {
  EXPECT_EQ(short_time("2026-01-02T03:04:05Z"), "2026-01-02 03:04:05");
  EXPECT_EQ(short_time("-"), "-");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(12 * 1024 * 1024), "12.0 MiB");
}

TEST(Output, Durations) {
  EXPECT_EQ(parse_duration_s("60").value(), 60);
  EXPECT_EQ(parse_duration_s("60s").value(), 60);
  EXPECT_EQ(parse_duration_s("5m").value(), 300);
  EXPECT_EQ(parse_duration_s("2h").value(), 7200);
  EXPECT_FALSE(parse_duration_s(""));
  EXPECT_FALSE(parse_duration_s("s"));
  EXPECT_FALSE(parse_duration_s("-5s"));
  EXPECT_FALSE(parse_duration_s("0"));
  EXPECT_FALSE(parse_duration_s("5 m"));
  EXPECT_FALSE(parse_duration_s("99999999h"));
  EXPECT_EQ(parse_duration_s("1x").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orsa::cli
