// Project archive uploads (.tar.gz): extract_tar_gz under small limits, and
// for what it accepts, pack_tar_gz and extract again must give the same files
// (the round trip the download and re-upload of a project takes).
//
// The first input byte picks the layer: odd compresses the rest here, so the
// fuzzer mutates tar headers and pax records behind a valid gzip stream;
// even hands the rest over as it is (gzip framing, bombs, truncation).

#include <zlib.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "../fuzz/check.hpp"
#include "source/repos.hpp"

namespace {

orsa::source::Limits small_limits() {
  orsa::source::Limits limits;
  limits.max_file_bytes = 64 * 1024;
  limits.max_repo_bytes = 256 * 1024;
  limits.max_files = 64;
  return limits;
}

/// gzip-compresses `raw` (a fresh stream, as an uploader's tool would).
std::string gzip(std::string_view raw) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, rest] = orsa::fuzz::split_control(data, size);
  const std::string archive = (control & 1) != 0 ? gzip(rest) : std::string(rest);
  const auto limits = small_limits();
  auto files = orsa::source::extract_tar_gz(archive, limits);
  if (!files) return 0;
  std::size_t total = 0;
  for (const auto& file : *files) {
    ORSA_FUZZ_CHECK(orsa::source::validate_path(file.path, limits).has_value());
    ORSA_FUZZ_CHECK(file.content.size() <= limits.max_file_bytes);
    total += file.content.size();
  }
  ORSA_FUZZ_CHECK(total <= limits.max_repo_bytes);
  ORSA_FUZZ_CHECK(files->size() <= limits.max_files);
  auto packed = orsa::source::pack_tar_gz(*files, 0);
  ORSA_FUZZ_CHECK(packed.has_value());
  auto again = orsa::source::extract_tar_gz(*packed, limits);
  ORSA_FUZZ_CHECK(again.has_value());
  ORSA_FUZZ_CHECK(again->size() == files->size());
  // Paths are unique (duplicates are refused); the packer writes them sorted.
  std::ranges::sort(*files, {}, &orsa::source::File::path);
  for (std::size_t i = 0; i < files->size(); ++i) {
    ORSA_FUZZ_CHECK((*again)[i].path == (*files)[i].path);
    ORSA_FUZZ_CHECK((*again)[i].content == (*files)[i].content);
  }
  return 0;
}
