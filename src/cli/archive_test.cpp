#include "cli/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <map>

#include "core/files.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::cli {
namespace {

std::map<std::string, std::string> read_tar_gz(const std::string& bytes) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string content(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
    archive_read_data(a, content.data(), content.size());
    out[archive_entry_pathname(entry)] = content;
  }
  archive_read_free(a);
  return out;
}

TEST(Archive, HoldsExactlyTheListedFilesByteForByte) {
  testing::TempDir dir;
  const std::string binary("\x89PNG\r\n\x1a\n\x00\xff", 10);
  std::filesystem::create_directories(dir.path() / "data");
  ASSERT_TRUE(write_file_atomic(dir.path() / "data" / "logo.png", binary));
  ASSERT_TRUE(write_file_atomic(dir.path() / "model.py", "print(1)\n"));
  ASSERT_TRUE(write_file_atomic(dir.path() / "left-out.txt", "not listed"));
  auto tgz = folder_tar_gz(dir.path(), {{"data/logo.png", "h1"}, {"model.py", "h2"}});
  ASSERT_TRUE(tgz) << tgz.error().message;
  const auto entries = read_tar_gz(*tgz);
  EXPECT_EQ(entries, (std::map<std::string, std::string>{{"data/logo.png", binary},
                                                         {"model.py", "print(1)\n"}}));
}

TEST(Archive, RefusesMoreThanTheServerTakesInAll) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "a", std::string(60, 'a')));
  ASSERT_TRUE(write_file_atomic(dir.path() / "b", std::string(60, 'b')));
  auto tgz = folder_tar_gz(dir.path(), {{"a", "h"}, {"b", "h"}}, {.max_repo_bytes = 100});
  ASSERT_FALSE(tgz);
  EXPECT_EQ(tgz.error().code, ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace orsa::cli
