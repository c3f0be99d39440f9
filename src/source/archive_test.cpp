#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "source/repos.hpp"

namespace orsa::source {
namespace {

struct Entry {
  std::string path;
  std::string content;
  unsigned type = AE_IFREG;
  std::string link;  // symlink target, or hard link target when hard is set
  bool hard = false;
  std::size_t zeros = 0;  // extra zero bytes streamed after content
};

Entry file(std::string path, std::string content, std::size_t zeros = 0) {
  Entry e;
  e.path = std::move(path);
  e.content = std::move(content);
  e.zeros = zeros;
  return e;
}
Entry node(std::string path, unsigned type) {
  Entry e;
  e.path = std::move(path);
  e.type = type;
  return e;
}
Entry symlink(std::string path, std::string target) {
  Entry e = node(std::move(path), AE_IFLNK);
  e.link = std::move(target);
  return e;
}
Entry hardlink(std::string path, std::string target) {
  Entry e = node(std::move(path), AE_IFREG);
  e.link = std::move(target);
  e.hard = true;
  return e;
}

enum class Packing { kTarGz, kTar, kZip };

la_ssize_t append(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// Builds an archive in memory with libarchive's writer.
std::string pack(const std::vector<Entry>& entries, Packing packing = Packing::kTarGz) {
  std::string out;
  archive* a = archive_write_new();
  if (packing == Packing::kZip) {
    archive_write_set_format_zip(a);
  } else {
    archive_write_set_format_pax_restricted(a);
  }
  if (packing == Packing::kTarGz) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);  // no zero padding after the gzip stream
  archive_write_open(a, &out, nullptr, append, nullptr);
  const std::string zeros(1 << 20, '\0');
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.hard) {
      archive_entry_set_hardlink(entry, e.link.c_str());
    } else if (e.type == AE_IFLNK) {
      archive_entry_set_symlink(entry, e.link.c_str());
    }
    const bool has_data = e.type == AE_IFREG && !e.hard;
    archive_entry_set_size(entry,
                           has_data ? static_cast<la_int64_t>(e.content.size() + e.zeros) : 0);
    archive_write_header(a, entry);
    if (has_data) {
      archive_write_data(a, e.content.data(), e.content.size());
      for (std::size_t left = e.zeros; left > 0;) {
        const auto n = std::min(left, zeros.size());
        archive_write_data(a, zeros.data(), n);
        left -= n;
      }
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

void expect_error(const Result<std::vector<File>>& r, ErrorCode code, std::string_view text) {
  ASSERT_FALSE(r) << text;
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
}

TEST(ExtractTarGz, UnpacksRegularFilesAndSkipsDirectories) {
  const auto bytes =
      pack({node("./", AE_IFDIR), file("./app.py", "print(1)\n"), node("./src", AE_IFDIR),
            file("./src/model.py", "x = 2\n"), file("empty.txt", "")});
  auto files = extract_tar_gz(bytes);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].path, "app.py");
  EXPECT_EQ((*files)[0].content, "print(1)\n");
  EXPECT_EQ((*files)[1].path, "src/model.py");
  EXPECT_EQ((*files)[1].content, "x = 2\n");
  EXPECT_EQ((*files)[2].path, "empty.txt");
  EXPECT_EQ((*files)[2].content, "");
}

TEST(ExtractTarGz, RejectsLinksAndSpecialFilesNamingTheEntry) {
  expect_error(extract_tar_gz(pack({file("a.txt", "a"), symlink("link", "/etc/passwd")})),
               ErrorCode::kInvalidArgument, "symlinks are not allowed: 'link'");
  expect_error(extract_tar_gz(pack({file("a.txt", "a"), hardlink("hard", "a.txt")})),
               ErrorCode::kInvalidArgument, "hard links are not allowed: 'hard'");
  expect_error(extract_tar_gz(pack({node("pipe", AE_IFIFO)})), ErrorCode::kInvalidArgument,
               "'pipe' is a device, fifo or socket");
  expect_error(extract_tar_gz(pack({node("dev", AE_IFCHR)})), ErrorCode::kInvalidArgument,
               "'dev' is a device, fifo or socket");
}

TEST(ExtractTarGz, RejectsBadPathsAndDuplicates) {
  expect_error(extract_tar_gz(pack({file("../evil", "x")})), ErrorCode::kInvalidArgument,
               "path '../evil' must not contain '..' segments");
  expect_error(extract_tar_gz(pack({file("/etc/cron.d/x", "x")})), ErrorCode::kInvalidArgument,
               "must be relative");
  expect_error(extract_tar_gz(pack({file(".git/hooks/post-update", "x")})),
               ErrorCode::kInvalidArgument, "'.git' segment");
  expect_error(extract_tar_gz(pack({file("a", "1"), file("./a", "2")})),
               ErrorCode::kInvalidArgument, "path 'a' appears more than once");
}

TEST(ExtractTarGz, RejectsOtherFormatsAndGarbage) {
  const std::vector<Entry> entries{file("a.txt", "a")};
  for (const auto& bytes : {pack(entries, Packing::kTar), pack(entries, Packing::kZip),
                            std::string("hello"), std::string()}) {
    expect_error(extract_tar_gz(bytes), ErrorCode::kInvalidArgument,
                 "upload must be a .tar.gz archive");
  }
  // Gzip of something that is not a tar.
  std::string gz_text;
  {
    archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    archive_write_open(a, &gz_text, nullptr, append, nullptr);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_write_header(a, entry);
    const std::string text(2000, 'z');
    archive_write_data(a, text.data(), text.size());
    archive_entry_free(entry);
    archive_write_close(a);
    archive_write_free(a);
  }
  ASSERT_EQ(static_cast<unsigned char>(gz_text[0]), 0x1f);
  EXPECT_EQ(extract_tar_gz(gz_text).error().code, ErrorCode::kInvalidArgument);

  // A truncated upload fails rather than yielding part of the files.
  const auto good = pack({file("a.txt", std::string(50'000, 'a')), file("b.txt", "b")});
  auto truncated = extract_tar_gz(good.substr(0, good.size() / 2));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kInvalidArgument);
}

TEST(ExtractTarGz, RejectsAnArchiveWithoutFiles) {
  expect_error(extract_tar_gz(pack({})), ErrorCode::kInvalidArgument, "no files");
  expect_error(extract_tar_gz(pack({node("dir", AE_IFDIR)})), ErrorCode::kInvalidArgument,
               "no files");
}

TEST(ExtractTarGz, EnforcesFileAndTotalLimits) {
  const Limits limits{.max_file_bytes = 100, .max_repo_bytes = 250, .max_files = 3};
  EXPECT_TRUE(extract_tar_gz(pack({file("a", std::string(100, 'a'))}), limits));
  expect_error(extract_tar_gz(pack({file("a", std::string(101, 'a'))}), limits),
               ErrorCode::kTooLarge, "file 'a' is 101 bytes; the limit is 100");
  expect_error(
      extract_tar_gz(pack({file("a", std::string(100, 'a')), file("b", std::string(100, 'b')),
                           file("c", std::string(51, 'c'))}),
                     limits),
      ErrorCode::kTooLarge, "limit of 250 bytes");
  expect_error(
      extract_tar_gz(pack({file("a", ""), file("b", ""), file("c", ""), file("d", "")}), limits),
      ErrorCode::kTooLarge, "limit of 3 files");
  std::vector<Entry> dirs;
  for (int i = 0; i < 40; ++i) dirs.push_back(node("d" + std::to_string(i), AE_IFDIR));
  expect_error(extract_tar_gz(pack(dirs), limits), ErrorCode::kTooLarge, "entries");
}

TEST(ExtractTarGz, StopsAGzipBombEarly) {
  const auto bomb = pack({file("zeros.bin", "", 100u << 20)});
  ASSERT_LT(bomb.size(), 1u << 20);  // 100 MiB of zeros compress to a few hundred KiB
  const auto start = std::chrono::steady_clock::now();
  auto r = extract_tar_gz(bomb);
  const auto took = std::chrono::steady_clock::now() - start;
  expect_error(r, ErrorCode::kTooLarge,
               "file 'zeros.bin' is 104857600 bytes; the limit is 2097152");
  EXPECT_LT(took, std::chrono::seconds(2));

  // Many files each under the file limit stop at the running total.
  std::vector<Entry> many;
  for (int i = 0; i < 40; ++i) many.push_back(file("f" + std::to_string(i), "", 2u << 20));
  expect_error(extract_tar_gz(pack(many)), ErrorCode::kTooLarge, "limit of 52428800 bytes");
}

}  // namespace
}  // namespace orsa::source

namespace orsa::source {
namespace {

TEST(PackTarGz, RoundTripsThroughExtract) {
  const std::vector<File> files = {
      {"model.py", "def solve(d):\n  return d\n"}, {"data/input.json", "{}"}, {"README.md", ""}};
  auto packed = pack_tar_gz(files, 1700000000);
  ASSERT_TRUE(packed) << packed.error().message;
  auto back = extract_tar_gz(*packed);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 3u);
  std::map<std::string, std::string> by_path;
  for (const auto& f : *back) by_path[f.path] = f.content;
  EXPECT_EQ(by_path["model.py"], "def solve(d):\n  return d\n");
  EXPECT_EQ(by_path["data/input.json"], "{}");
  EXPECT_EQ(by_path["README.md"], "");
}

}  // namespace
}  // namespace orsa::source
