// `WWW-Authenticate` headers the registry client receives from registries
// (RFC 7235 challenges, several per header, quoted strings, token68).

#include <cctype>

#include "../fuzz/check.hpp"
#include "oci/registry_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto challenges = orsa::oci::parse_www_authenticate(orsa::fuzz::as_text(data, size));
  if (!challenges) return 0;
  for (const auto& challenge : *challenges) {
    ORSA_FUZZ_CHECK(!challenge.scheme.empty());
    for (const char c : challenge.scheme) {
      ORSA_FUZZ_CHECK(std::tolower(static_cast<unsigned char>(c)) == static_cast<unsigned char>(c));
    }
  }
  return 0;
}
