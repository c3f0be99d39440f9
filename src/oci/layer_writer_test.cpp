#include "oci/layer_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <clocale>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kEpoch = 1'700'000'000;

struct Written {
  LayerInfo info;
  std::string bytes;
  std::size_t largest_chunk = 0;
  std::size_t chunks = 0;
};

ByteSink string_sink(Written& out) {
  return [&out](std::string_view chunk) -> Result<void> {
    out.bytes.append(chunk);
    out.largest_chunk = std::max(out.largest_chunk, chunk.size());
    ++out.chunks;
    return {};
  };
}

Written write_to_string(std::vector<LayerFile> files, std::string_view prefix = {},
                        std::int64_t epoch = kEpoch) {
  Written out;
  auto info = write_layer(std::move(files), epoch, string_sink(out), prefix);
  EXPECT_TRUE(info.has_value()) << info.error().message;
  if (info) out.info = *info;
  return out;
}

Written write_dir_to_string(const fs::path& root, std::string_view prefix = {}) {
  Written out;
  auto info = write_layer_from_dir(root, kEpoch, string_sink(out), {.prefix = prefix});
  EXPECT_TRUE(info.has_value()) << info.error().message;
  if (info) out.info = *info;
  return out;
}

// Inflates a gzip stream, handing the output to `consume` in pieces.
template <class Consume>
bool gunzip_each(std::string_view gz, Consume consume) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out(64 * 1024, '\0');
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    status = inflate(&z, Z_NO_FLUSH);
    consume(std::string_view(out.data(), out.size() - z.avail_out));
  }
  inflateEnd(&z);
  return status == Z_STREAM_END && z.avail_in == 0;
}

std::string gunzip(std::string_view gz) {
  std::string tar;
  EXPECT_TRUE(gunzip_each(gz, [&](std::string_view piece) { tar.append(piece); }));
  return tar;
}

// A minimal ustar reader, independent of libarchive, for checking headers.
struct TarHeader {
  std::string name;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t size = 0;
  std::int64_t mtime = 0;
  char type = 0;
  std::string linkname;
  std::string magic;
  std::string uname;
  std::string gname;
  std::string pax;  // the preceding PAX record block, if any
};

std::string field(std::string_view block, std::size_t at, std::size_t len) {
  std::string_view f = block.substr(at, len);
  return std::string(f.substr(0, f.find('\0')));
}

std::int64_t octal(std::string_view block, std::size_t at, std::size_t len) {
  return std::stoll("0" + field(block, at, len), nullptr, 8);
}

std::vector<TarHeader> read_tar(std::string_view tar) {
  std::vector<TarHeader> out;
  std::string pax;
  std::size_t at = 0;
  while (at + 512 <= tar.size()) {
    const std::string_view block = tar.substr(at, 512);
    if (block.find_first_not_of('\0') == std::string_view::npos) break;
    TarHeader h;
    h.name = field(block, 0, 100);
    const std::string prefix = field(block, 345, 155);
    if (!prefix.empty()) h.name = prefix + "/" + h.name;
    h.mode = static_cast<std::uint32_t>(octal(block, 100, 8));
    h.uid = static_cast<std::uint32_t>(octal(block, 108, 8));
    h.gid = static_cast<std::uint32_t>(octal(block, 116, 8));
    h.size = octal(block, 124, 12);
    h.mtime = octal(block, 136, 12);
    h.type = block[156];
    h.linkname = field(block, 157, 100);
    h.magic = std::string(block.substr(257, 8));
    h.uname = field(block, 265, 32);
    h.gname = field(block, 297, 32);
    at += 512;
    const std::string data(tar.substr(at, static_cast<std::size_t>(h.size)));
    at += (static_cast<std::size_t>(h.size) + 511) / 512 * 512;
    if (h.type == 'x') {
      pax = data;
      continue;
    }
    h.pax = std::exchange(pax, {});
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<std::string> names(const std::vector<TarHeader>& headers) {
  std::vector<std::string> out;
  for (const TarHeader& h : headers) out.push_back(h.name);
  return out;
}

std::vector<LayerFile> sample_files() {
  return {
      {.path = "model.py", .content = "def solve(d):\n    return d\n"},
      {.path = "bin/run", .content = "#!/bin/sh\nexec gunicorn app:app\n", .mode = 0700},
      {.path = "data/input.json", .content = "{\"items\": []}\n", .mode = 0600},
      {.path = "data/empty", .directory = true},
      {.path = "latest", .symlink_target = "data/input.json"},
  };
}

void write_file(const fs::path& path, std::string_view content, mode_t mode) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

void set_mtime(const fs::path& path, std::int64_t seconds) {
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// The on-disk twin of sample_files(), with the given mtime and permission noise.
void materialise_sample(const fs::path& root, std::int64_t mtime, bool noisy_perms) {
  write_file(root / "model.py", "def solve(d):\n    return d\n", noisy_perms ? 0600 : 0644);
  write_file(root / "bin/run", "#!/bin/sh\nexec gunicorn app:app\n", noisy_perms ? 0711 : 0700);
  write_file(root / "data/input.json", "{\"items\": []}\n", noisy_perms ? 0640 : 0600);
  fs::create_directories(root / "data/empty");
  fs::create_symlink("data/input.json", root / "latest");
  if (noisy_perms) {
    ASSERT_EQ(::chmod((root / "data").c_str(), 0700), 0);
    ASSERT_EQ(::chmod((root / "bin").c_str(), 0750), 0);
  }
  for (const auto& entry : fs::recursive_directory_iterator(root)) set_mtime(entry.path(), mtime);
}

TEST(LayerWriter, SameEntriesGiveIdenticalBytes) {
  const Written a = write_to_string(sample_files());
  std::vector<LayerFile> reversed = sample_files();
  std::reverse(reversed.begin(), reversed.end());
  const Written b = write_to_string(reversed);
  ASSERT_FALSE(a.bytes.empty());
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.info.digest, b.info.digest);
  EXPECT_EQ(a.info.diff_id, b.info.diff_id);
}

TEST(LayerWriter, DigestsDescribeTheStreams) {
  const Written w = write_to_string(sample_files());
  EXPECT_EQ(w.info.digest, Digest::of(w.bytes));
  EXPECT_EQ(w.info.size, static_cast<std::int64_t>(w.bytes.size()));
  EXPECT_EQ(w.info.diff_id, Digest::of(gunzip(w.bytes)));
  EXPECT_NE(w.info.digest, w.info.diff_id);
}

TEST(LayerWriter, GzipHeaderHasNoNameAndNoTime) {
  const Written w = write_to_string(sample_files());
  ASSERT_GE(w.bytes.size(), 10u);
  // magic, deflate, no flags (so no name/comment/extra), mtime 0, xfl 0, OS unix.
  const std::string expected("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  EXPECT_EQ(w.bytes.substr(0, 10), expected);
}

TEST(LayerWriter, DiffIdIsPinned) {
  // The uncompressed tar depends only on our writer and the ustar format, so
  // its digest is stable across machines and zlib builds; a change here is a
  // change of every image ORSA builds.
  const Written w = write_to_string(sample_files());
  EXPECT_EQ(w.info.diff_id.str(),
            "sha256:6d8cf3cb8b05aba436edf1e7bbe20283acf1ed00d7ae75ac76ec99aafb5fb7a7");
  // The blob digest also pins the deflate output of the zlib build (Debian 12,
  // zlib 1.2.13): a different zlib may compress differently.
  EXPECT_EQ(w.info.digest.str(),
            "sha256:a285794356de0b7625485bb3fb9b1a7face693daa65b8416d277aa069fdea1cb");
  EXPECT_EQ(w.info.size, 306);
}

TEST(LayerWriter, EntriesAreSortedWithParentsFirst) {
  const Written w = write_to_string({
      {.path = "b/c/d.txt", .content = "d"},
      {.path = "b-x", .content = "x"},
      {.path = "a.txt", .content = "a"},
      {.path = "B", .content = "upper case sorts first"},
  });
  const auto headers = read_tar(gunzip(w.bytes));
  EXPECT_EQ(names(headers),
            (std::vector<std::string>{"B", "a.txt", "b/", "b-x", "b/c/", "b/c/d.txt"}));
}

TEST(LayerWriter, HeadersAreNormalised) {
  const Written w = write_to_string({
      {.path = "plain", .content = "p", .mode = 0600},
      {.path = "exec", .content = "e", .mode = 0100},
      {.path = "setuid", .content = "s", .mode = 04755},
      {.path = "dir", .mode = 0700, .directory = true},
      {.path = "link", .mode = 0600, .symlink_target = "/etc/passwd"},
  });
  const auto headers = read_tar(gunzip(w.bytes));
  ASSERT_EQ(headers.size(), 5u);
  for (const TarHeader& h : headers) {
    EXPECT_EQ(h.uid, 0u) << h.name;
    EXPECT_EQ(h.gid, 0u) << h.name;
    EXPECT_EQ(h.mtime, kEpoch) << h.name;
    EXPECT_EQ(h.uname, "") << h.name;
    EXPECT_EQ(h.gname, "") << h.name;
    EXPECT_EQ(h.magic, std::string("ustar\0"
                                   "00",
                                   8))
        << h.name;
    EXPECT_EQ(h.pax, "") << h.name;
  }
  EXPECT_EQ(headers[0].name, "dir/");
  EXPECT_EQ(headers[0].type, '5');
  EXPECT_EQ(headers[0].mode, 0755u);
  EXPECT_EQ(headers[1].name, "exec");
  EXPECT_EQ(headers[1].mode, 0755u);
  EXPECT_EQ(headers[2].name, "link");
  EXPECT_EQ(headers[2].type, '2');
  EXPECT_EQ(headers[2].mode, 0777u);
  EXPECT_EQ(headers[2].linkname, "/etc/passwd");
  EXPECT_EQ(headers[3].name, "plain");
  EXPECT_EQ(headers[3].type, '0');
  EXPECT_EQ(headers[3].mode, 0644u);
  EXPECT_EQ(headers[3].size, 1);
  EXPECT_EQ(headers[4].name, "setuid");
  EXPECT_EQ(headers[4].mode, 0755u);
}

TEST(LayerWriter, StickyDirectoriesStayWorldWritable) {
  // /tmp must stay usable by the unprivileged service user.
  const Written w = write_to_string({{.path = "tmp", .mode = 01777, .directory = true},
                                     {.path = "var/tmp", .mode = 01700, .directory = true},
                                     {.path = "opened", .mode = 0777, .directory = true}});
  const auto headers = read_tar(gunzip(w.bytes));
  ASSERT_EQ(names(headers), (std::vector<std::string>{"opened/", "tmp/", "var/", "var/tmp/"}));
  EXPECT_EQ(headers[0].mode, 0755u);
  EXPECT_EQ(headers[1].mode, 01777u);
  EXPECT_EQ(headers[2].mode, 0755u);
  EXPECT_EQ(headers[3].mode, 01777u);
}

TEST(LayerWriter, TarEndsWithTwoZeroBlocksAndNoPadding) {
  const std::string tar = gunzip(write_to_string({{.path = "f", .content = "x"}}).bytes);
  // header + one data block + end-of-archive; no 10 KiB record padding.
  ASSERT_EQ(tar.size(), 4u * 512u);
  EXPECT_EQ(tar.substr(1024), std::string(1024, '\0'));
}

TEST(LayerWriter, EpochIsTheMtime) {
  const Written zero = write_to_string(sample_files(), {}, 0);
  const Written later = write_to_string(sample_files(), {}, kEpoch);
  EXPECT_NE(zero.info.diff_id, later.info.diff_id);
  for (const TarHeader& h : read_tar(gunzip(zero.bytes))) EXPECT_EQ(h.mtime, 0) << h.name;
}

TEST(LayerWriter, PrefixIsPrependedWithItsDirectories) {
  const Written a = write_to_string({{.path = "main.py", .content = "x"}}, "srv/app");
  const Written b = write_to_string({{.path = "main.py", .content = "x"}}, "srv/app/");
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(names(read_tar(gunzip(a.bytes))),
            (std::vector<std::string>{"srv/", "srv/app/", "srv/app/main.py"}));
}

TEST(LayerWriter, ContentChangesTheDigest) {
  std::vector<LayerFile> changed = sample_files();
  changed[0].content += "# one more line\n";
  const Written a = write_to_string(sample_files());
  const Written b = write_to_string(changed);
  EXPECT_NE(a.info.digest, b.info.digest);
  EXPECT_NE(a.info.diff_id, b.info.diff_id);
}

TEST(LayerWriter, LongAndNonAsciiNamesAreDeterministic) {
  const std::string long_dir(150, 'n');
  const std::string long_file = long_dir + "/" + std::string(120, 'f') + ".py";
  const std::vector<LayerFile> files = {
      {.path = long_file, .content = "long"},
      {.path = "caf\xc3\xa9.txt", .content = "utf-8"},
      {.path = "lat\xe9", .content = "latin-1 bytes are kept as they are"},
      {.path = "link", .symlink_target = std::string(120, 't')}};
  const Written c_locale = write_to_string(files);
  // libarchive converts names through the process locale unless told to keep
  // bytes; the layer must not depend on the environment of the builder.
  const char* old = std::setlocale(LC_ALL, nullptr);
  const std::string saved = old != nullptr ? old : "C";
  // glibc has C.UTF-8 built in: its absence is a broken host, not a reason to skip.
  ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr) << "no C.UTF-8 locale";
  const Written utf8_locale = write_to_string(files);
  std::setlocale(LC_ALL, saved.c_str());
  ASSERT_FALSE(c_locale.bytes.empty());
  EXPECT_EQ(c_locale.bytes, utf8_locale.bytes);

  const auto headers = read_tar(gunzip(c_locale.bytes));
  ASSERT_EQ(headers.size(), 5u);
  EXPECT_NE(headers[0].pax.find("path=caf\xc3\xa9.txt\n"), std::string::npos) << headers[0].pax;
  EXPECT_NE(headers[1].pax.find("hdrcharset=BINARY\n"), std::string::npos) << headers[1].pax;
  EXPECT_NE(headers[1].pax.find("path=lat\xe9\n"), std::string::npos) << headers[1].pax;
  EXPECT_EQ(headers[0].pax.find("hdrcharset"), std::string::npos) << headers[0].pax;
  EXPECT_NE(headers[2].pax.find("linkpath=" + std::string(120, 't') + "\n"), std::string::npos);
  EXPECT_NE(headers[3].pax.find("path=" + long_dir + "/\n"), std::string::npos);
  EXPECT_NE(headers[4].pax.find("path=" + long_file + "\n"), std::string::npos);
  for (const TarHeader& h : headers) {
    EXPECT_EQ(h.mtime, kEpoch);
    for (const char* varying :
         {"atime", "ctime", "mtime", "uname", "gname", "LIBARCHIVE", "SCHILY"}) {
      EXPECT_EQ(h.pax.find(varying), std::string::npos) << h.name << ": " << h.pax;
    }
  }
}

TEST(LayerWriter, RejectsBadPathsNamingThem) {
  struct Case {
    std::vector<LayerFile> files;
    std::string prefix;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{{.path = ""}}, "", "empty"},
      {{{.path = "/etc/passwd"}}, "", "'/etc/passwd'"},
      {{{.path = "a/../../etc"}}, "", "'a/../../etc'"},
      {{{.path = ".."}}, "", "'..'"},
      {{{.path = "./a"}}, "", "'./a'"},
      {{{.path = "a//b"}}, "", "'a//b'"},
      {{{.path = "a/"}}, "", "'a/'"},
      {{{.path = std::string("a\0b", 3)}}, "", "NUL"},
      {{{.path = "x", .content = "1"}, {.path = "x", .content = "2"}}, "", "more than once"},
      {{{.path = "x", .content = "1"}, {.path = "x/y", .content = "2"}}, "", "not a directory"},
      {{{.path = "l", .symlink_target = "t"}, {.path = "l/y"}}, "", "not a directory"},
      {{{.path = "d", .content = "c", .directory = true}}, "", "'d'"},
      {{{.path = "ok"}}, "../up", "prefix"},
      {{{.path = "ok"}}, "/abs", "prefix"},
  };
  for (const Case& c : cases) {
    Written out;
    auto info = write_layer(c.files, kEpoch, string_sink(out), c.prefix);
    ASSERT_FALSE(info.has_value()) << c.needle;
    EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(info.error().message.find(c.needle), std::string::npos)
        << "'" << info.error().message << "' lacks " << c.needle;
    EXPECT_TRUE(out.bytes.empty()) << "wrote bytes before validating: " << c.needle;
  }
}

TEST(LayerWriter, RejectsEpochOutOfRange) {
  Written out;
  EXPECT_FALSE(write_layer(sample_files(), -1, string_sink(out)).has_value());
  EXPECT_FALSE(write_layer(sample_files(), 1LL << 40, string_sink(out)).has_value());
}

TEST(LayerWriter, SinkErrorStopsTheWrite) {
  int calls = 0;
  const ByteSink failing = [&calls](std::string_view) -> Result<void> {
    ++calls;
    return fail(Error::unavailable("upload broke"));
  };
  auto info = write_layer(sample_files(), kEpoch, failing);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(info.error().message, "upload broke");
  EXPECT_EQ(calls, 1);
}

TEST(LayerWriterFromDir, MatchesTheInMemoryLayer) {
  TempDir dir;
  materialise_sample(dir.path(), 1'234'567'890, /*noisy_perms=*/false);
  EXPECT_EQ(write_dir_to_string(dir.path()).bytes, write_to_string(sample_files()).bytes);
}

TEST(LayerWriterFromDir, IgnoresMtimesOwnersAndPermissionNoise) {
  TempDir a;
  TempDir b;
  materialise_sample(a.path(), 1'000'000'000, /*noisy_perms=*/false);
  materialise_sample(b.path(), 1'600'000'000, /*noisy_perms=*/true);
  ASSERT_EQ(::lchown((b.path() / "model.py").c_str(), 1234, 5678), 0);
  ASSERT_EQ(::lchown((b.path() / "latest").c_str(), 1234, 5678), 0);
  const Written wa = write_dir_to_string(a.path(), "app");
  const Written wb = write_dir_to_string(b.path(), "app");
  ASSERT_FALSE(wa.bytes.empty());
  EXPECT_EQ(wa.bytes, wb.bytes);
  EXPECT_EQ(wa.info.digest, wb.info.digest);
}

TEST(LayerWriterFromDir, UncompressedIsThePlainTarWithOneDigest) {
  TempDir dir;
  materialise_sample(dir.path(), 1'234'567'890, /*noisy_perms=*/false);
  Written plain;
  auto info = write_layer_from_dir(dir.path(), kEpoch, string_sink(plain),
                                   {.compression = LayerCompression::kNone});
  ASSERT_TRUE(info.has_value()) << info.error().message;
  const Written gzipped = write_dir_to_string(dir.path());
  EXPECT_EQ(plain.bytes, gunzip(gzipped.bytes));
  EXPECT_EQ(info->digest, Digest::of(plain.bytes));
  EXPECT_EQ(info->diff_id, info->digest);
  EXPECT_EQ(info->size, static_cast<std::int64_t>(plain.bytes.size()));
}

TEST(LayerWriterFromDir, NamedEntriesGetTheirOwnerOthersStayRoot) {
  TempDir dir;
  materialise_sample(dir.path(), 1'234'567'890, /*noisy_perms=*/false);
  Written out;
  auto info = write_layer_from_dir(dir.path(), kEpoch, string_sink(out),
                                   {.owners = {{"data/empty", 10001u}}});
  ASSERT_TRUE(info.has_value()) << info.error().message;
  for (const TarHeader& h : read_tar(gunzip(out.bytes))) {
    const std::uint32_t expected = h.name == "data/empty/" ? 10001u : 0u;
    EXPECT_EQ(h.uid, expected) << h.name;
    EXPECT_EQ(h.gid, expected) << h.name;
  }
}

TEST(LayerWriterFromDir, ExecuteBitIsKept) {
  TempDir a;
  TempDir b;
  write_file(a.path() / "run", "x", 0644);
  write_file(b.path() / "run", "x", 0744);
  EXPECT_NE(write_dir_to_string(a.path()).info.diff_id, write_dir_to_string(b.path()).info.diff_id);
}

TEST(LayerWriterFromDir, SkipsSpecialFilesAndDoesNotFollowLinks) {
  TempDir outside;
  write_file(outside.path() / "secret", "do not include", 0644);
  TempDir dir;
  write_file(dir.path() / "f", "f", 0644);
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0644), 0);
  fs::create_directory_symlink(outside.path(), dir.path() / "escape");
  fs::create_hard_link(dir.path() / "f", dir.path() / "g");
  const auto headers = read_tar(gunzip(write_dir_to_string(dir.path()).bytes));
  ASSERT_EQ(names(headers), (std::vector<std::string>{"escape", "f", "g"}));
  EXPECT_EQ(headers[0].type, '2');
  EXPECT_EQ(headers[0].linkname, outside.path().string());
  // Hard links are stored as independent regular files.
  EXPECT_EQ(headers[2].type, '0');
  EXPECT_EQ(headers[2].size, 1);
}

TEST(LayerWriterFromDir, RejectsAMissingRoot) {
  Written out;
  auto info = write_layer_from_dir("/nonexistent/orsa-layer-root", kEpoch, string_sink(out));
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().message.find("/nonexistent/orsa-layer-root"), std::string::npos);
}

TEST(LayerWriterFromDir, StreamsALargeFile) {
  TempDir dir;
  constexpr std::size_t kSize = 50u * 1024 * 1024;
  {
    // Varied bytes so the compressed stream is large too.
    std::ofstream out(dir.path() / "big.bin", std::ios::binary);
    std::string block(1024 * 1024, '\0');
    std::uint32_t x = 12345;
    for (std::size_t i = 0; i < kSize / block.size(); ++i) {
      for (char& c : block) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
      }
      out << block;
    }
  }
  std::int64_t total = 0;
  std::size_t largest = 0;
  Sha256 compressed;
  std::string head;
  const ByteSink counting = [&](std::string_view chunk) -> Result<void> {
    total += static_cast<std::int64_t>(chunk.size());
    largest = std::max(largest, chunk.size());
    compressed.update(chunk);
    if (head.size() < 1024 * 1024) head.append(chunk);  // keep only a little
    return {};
  };
  auto info = write_layer_from_dir(dir.path(), kEpoch, counting);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size, total);
  EXPECT_GT(total, static_cast<std::int64_t>(kSize / 2));
  EXPECT_LE(largest, 64u * 1024u);
  EXPECT_EQ(info->digest, compressed.finish());
}

TEST(LayerWriterFromDir, DiffIdOfALargeLayerMatchesItsTar) {
  TempDir dir;
  write_file(dir.path() / "a.txt", std::string(3 * 1024 * 1024, 'a'), 0644);
  const Written w = write_dir_to_string(dir.path());
  Sha256 tar_hash;
  std::size_t tar_size = 0;
  ASSERT_TRUE(gunzip_each(w.bytes, [&](std::string_view piece) {
    tar_hash.update(piece);
    tar_size += piece.size();
  }));
  EXPECT_EQ(tar_size, 512u + 3u * 1024 * 1024 + 1024u);
  EXPECT_EQ(w.info.diff_id, tar_hash.finish());
  EXPECT_GT(w.chunks, 1u);
}

// The same layers read by Python's tarfile and GNU tar: the integration
// test tests/layer_writer_interop_test.cpp (unit tests run no external tools).

}  // namespace
}  // namespace orsa::oci
