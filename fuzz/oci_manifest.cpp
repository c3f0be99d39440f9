// OCI image manifests, indexes and image configs as the registry receives
// them on a push (and the builder reads them on a pull): kind detection under
// the Content-Type the client declares, the three parsers, and their
// canonical serialisations, which must parse back to the same bytes (the
// registry and the builder address documents by the digest of those bytes).

#include <string_view>

#include "../fuzz/check.hpp"
#include "oci/manifest.hpp"

namespace {

constexpr std::string_view kContentTypes[] = {
    "",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/json; charset=utf-8",
    "application/vnd.oci.image.manifest.v1+json; x=\"y\"",
    "text/plain",
};

template <class Parse, class T>
void check_round_trip(Parse parse, const T& parsed) {
  const std::string canonical = orsa::oci::serialize(parsed);
  auto again = parse(canonical);
  ORSA_FUZZ_CHECK(again.has_value());
  ORSA_FUZZ_CHECK(orsa::oci::serialize(*again) == canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, json] = orsa::fuzz::split_control(data, size);
  const std::string_view content_type = kContentTypes[control % std::size(kContentTypes)];
  (void)orsa::oci::manifest_kind(json, content_type);
  if (auto manifest = orsa::oci::parse_manifest(json)) {
    check_round_trip([](std::string_view s) { return orsa::oci::parse_manifest(s); }, *manifest);
  }
  if (auto index = orsa::oci::parse_index(json)) {
    check_round_trip([](std::string_view s) { return orsa::oci::parse_index(s); }, *index);
  }
  if (auto config = orsa::oci::parse_config(json)) {
    check_round_trip([](std::string_view s) { return orsa::oci::parse_config(s); }, *config);
  }
  return 0;
}
