// Cross-tool checks of oci::write_layer: the layers it writes, read by the
// tools that will read them in the field (Python's tarfile, GNU tar). An
// integration test: it runs external programs, and a missing one fails it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "oci/layer_writer.hpp"
#include "testing/child_process.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using orsa::testing::run;
using orsa::testing::tool_available;

constexpr std::int64_t kEpoch = 1'700'000'000;
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kTar = "/bin/tar";

// The same tree as the unit tests' sample (src/oci/layer_writer_test.cpp).
std::vector<LayerFile> sample_files() {
  return {
      {.path = "model.py", .content = "def solve(d):\n    return d\n"},
      {.path = "bin/run", .content = "#!/bin/sh\nexec gunicorn app:app\n", .mode = 0700},
      {.path = "data/input.json", .content = "{\"items\": []}\n", .mode = 0600},
      {.path = "data/empty", .directory = true},
      {.path = "latest", .symlink_target = "data/input.json"},
  };
}

/// Writes the sample as a layer file under `dir` and returns its path.
fs::path write_sample_layer(const fs::path& dir, std::string_view prefix = {}) {
  std::string bytes;
  auto info = write_layer(
      sample_files(), kEpoch,
      [&bytes](std::string_view chunk) -> Result<void> {
        bytes.append(chunk);
        return {};
      },
      prefix);
  EXPECT_TRUE(info.has_value()) << info.error().message;
  const fs::path layer = dir / "layer.tar.gz";
  std::ofstream(layer, std::ios::binary) << bytes;
  return layer;
}

TEST(LayerWriterInterop, PythonTarfileReadsTheLayer) {
  ASSERT_TRUE(tool_available(kPython));
  const orsa::testing::TempDir dir;
  const fs::path layer = write_sample_layer(dir.path(), "app");
  const auto listing =
      run({.argv = {kPython, "-c",
                    "import sys, tarfile\n"
                    "for m in tarfile.open(sys.argv[1], 'r:gz'):\n"
                    "  print(m.name, oct(m.mode), m.uid, m.gid, repr(m.uname), repr(m.gname), "
                    "m.mtime, m.type.decode(), m.linkname or '-', sorted(m.pax_headers))",
                    layer.string()}},
          60s);
  ASSERT_EQ(listing.status, 0) << listing.err;
  const std::string t = std::to_string(kEpoch);
  EXPECT_EQ(listing.out, "app 0o755 0 0 '' '' " + t + " 5 - []\n" + "app/bin 0o755 0 0 '' '' " + t +
                             " 5 - []\n" + "app/bin/run 0o755 0 0 '' '' " + t + " 0 - []\n" +
                             "app/data 0o755 0 0 '' '' " + t + " 5 - []\n" +
                             "app/data/empty 0o755 0 0 '' '' " + t + " 5 - []\n" +
                             "app/data/input.json 0o644 0 0 '' '' " + t + " 0 - []\n" +
                             "app/latest 0o777 0 0 '' '' " + t + " 2 data/input.json []\n" +
                             "app/model.py 0o644 0 0 '' '' " + t + " 0 - []\n");
}

TEST(LayerWriterInterop, GnuTarListsTheLayer) {
  ASSERT_TRUE(tool_available(kTar));
  const orsa::testing::TempDir dir;
  const fs::path layer = write_sample_layer(dir.path());
  const auto listing =
      run({.argv = {kTar, "--numeric-owner", "--full-time", "-tvzf", layer.string()},
           .env = {{"TZ", "UTC"}}},
          60s);
  ASSERT_EQ(listing.status, 0) << listing.err;
  EXPECT_EQ(listing.out,
            "drwxr-xr-x 0/0               0 2023-11-14 22:13:20 bin/\n"
            "-rwxr-xr-x 0/0              32 2023-11-14 22:13:20 bin/run\n"
            "drwxr-xr-x 0/0               0 2023-11-14 22:13:20 data/\n"
            "drwxr-xr-x 0/0               0 2023-11-14 22:13:20 data/empty/\n"
            "-rw-r--r-- 0/0              14 2023-11-14 22:13:20 data/input.json\n"
            "lrwxrwxrwx 0/0               0 2023-11-14 22:13:20 latest -> data/input.json\n"
            "-rw-r--r-- 0/0              27 2023-11-14 22:13:20 model.py\n");
}

}  // namespace
}  // namespace orsa::oci
