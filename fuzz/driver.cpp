// The main of every fuzz target. The targets only define the libFuzzer entry
// point, so the same source runs in three ways:
//   fuzz_X FILE|DIR...   replays files (every file of each directory, sorted):
//                        the `fuzz.replay.X` tests and crash reproduction;
//   fuzz_X               runs one input read from stdin, as afl-fuzz feeds it
//                        (the fork server comes from AFL's instrumentation);
//   with ORSA_AFL_PERSISTENT (AFL's plugin instrumentation), many inputs per
//   process through AFL's shared-memory persistent loop.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

void run_one(const std::string& bytes) {
  // A copy in a buffer of exactly this size, so ASan sees reads past the end.
  std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(exact.data(), exact.size());
}

bool replay_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    return false;
  }
  run_one(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
  return true;
}

/// Replays every regular file under `arg`; the number replayed, or -1 on error.
long replay(const fs::path& arg) {
  std::error_code ec;
  if (!fs::is_directory(arg, ec)) return replay_file(arg) ? 1 : -1;
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec) {
    std::cerr << "cannot list " << arg << ": " << ec.message() << "\n";
    return -1;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    if (!replay_file(file)) return -1;
  }
  return static_cast<long>(files.size());
}

}  // namespace

#if defined(ORSA_AFL_PERSISTENT) && defined(__AFL_FUZZ_TESTCASE_LEN)
__AFL_FUZZ_INIT();
#endif

int main(int argc, char** argv) {
  if (argc > 1) {
    long total = 0;
    for (int i = 1; i < argc; ++i) {
      const long n = replay(argv[i]);
      if (n < 0) return 1;
      total += n;
    }
    // An empty corpus would make the replay test pass without testing anything.
    if (total == 0) {
      std::cerr << "no inputs found\n";
      return 1;
    }
    std::cout << "replayed " << total << " inputs\n";
    return 0;
  }
#if defined(ORSA_AFL_PERSISTENT) && defined(__AFL_FUZZ_TESTCASE_LEN)
  __AFL_INIT();
  const unsigned char* buf = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000)) {
    const std::size_t len = __AFL_FUZZ_TESTCASE_LEN;
    run_one(std::string(reinterpret_cast<const char*>(buf), len));
  }
  return 0;
#else
  run_one(std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()));
  return 0;
#endif
}
