#pragma once

// Invariant checks inside fuzz targets: a violated one aborts, which the
// fuzzer records as a crash and the replay test reports as a failure.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define ORSA_FUZZ_CHECK(cond)                                                           \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace orsa::fuzz {

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits off the first byte (a mode or a size the target derives from the
/// input, so the fuzzer can vary it); 0 and the whole input when empty.
struct Control {
  std::uint8_t byte = 0;
  std::string_view rest;
};
inline Control split_control(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  return {data[0], as_text(data + 1, size - 1)};
}

}  // namespace orsa::fuzz
