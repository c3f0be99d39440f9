// `X-Forwarded-For` as a client writes it, and `--trusted-proxies` lists:
// the client address chosen is always the peer or one of the header's
// entries (never bytes from elsewhere), and with no trusted proxy it is
// always the peer, whatever the header says.

#include <optional>
#include <string>
#include <string_view>

#include "../fuzz/check.hpp"
#include "http/trusted_proxies.hpp"

namespace {

using orsa::http::TrustedProxies;

constexpr std::string_view kPeer = "10.1.2.3";

void check_choice(const TrustedProxies& proxies, std::string_view header) {
  const std::string chosen = proxies.client_address(kPeer, header);
  ORSA_FUZZ_CHECK(chosen == kPeer || header.find(chosen) != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = orsa::fuzz::as_text(data, size);
  // "<trusted list>\n<X-Forwarded-For>": both halves come from outside bytes.
  const std::size_t newline = text.find('\n');
  const std::string_view list = text.substr(0, newline);
  const std::string_view header =
      newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

  const TrustedProxies none;
  ORSA_FUZZ_CHECK(none.client_address(kPeer, header) == kPeer);
  ORSA_FUZZ_CHECK(none.client_address(kPeer, std::nullopt) == kPeer);

  if (auto parsed = TrustedProxies::parse(list)) {
    check_choice(*parsed, header);
    // Any bytes as an address: an answer, never a crash.
    if (parsed->contains(header)) ORSA_FUZZ_CHECK(!parsed->empty());
  } else {
    ORSA_FUZZ_CHECK(parsed.error().code == orsa::ErrorCode::kInvalidArgument);
  }
  // The peer itself trusted: the header decides (within its own entries).
  if (auto self = TrustedProxies::parse(kPeer)) check_choice(*self, header);
  return 0;
}
