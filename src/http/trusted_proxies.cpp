#include "http/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/strings.hpp"

namespace orsa::http {
namespace {

// An address as 16 bytes (IPv4 mapped into ::ffff:0:0/96) and whether it was IPv4.
std::optional<std::pair<std::array<std::uint8_t, 16>, bool>> parse_address(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string owned(text);
  std::array<std::uint8_t, 16> out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, owned.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return std::pair{out, true};
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, owned.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return std::pair{out, false};
  }
  return std::nullopt;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int prefix) {
  for (int i = 0; i < 16 && prefix > 0; ++i, prefix -= 8) {
    const int bits = prefix >= 8 ? 8 : prefix;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a[static_cast<std::size_t>(i)] & mask) != (b[static_cast<std::size_t>(i)] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    const auto slash = item.find('/');
    const auto address = parse_address(item.substr(0, slash));
    const auto bad = [&] {
      return fail(Error::invalid_argument("--trusted-proxies: '" + std::string(item) +
                                          "' is not an address or CIDR range"));
    };
    if (!address) return bad();
    const int width = address->second ? 32 : 128;
    int prefix = width;
    if (slash != std::string_view::npos) {
      const std::string_view bits = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
          prefix > width) {
        return bad();
      }
    }
    out.ranges_.push_back({address->first, prefix + (address->second ? 96 : 0)});
  }
  return out;
}

bool TrustedProxies::contains(std::string_view address) const {
  const auto parsed = parse_address(trim(address));
  if (!parsed) return false;
  for (const auto& range : ranges_) {
    if (prefix_matches(parsed->first, range.bytes, range.prefix)) return true;
  }
  return false;
}

std::string TrustedProxies::client_address(std::string_view peer,
                                           std::optional<std::string_view> forwarded_for) const {
  if (!forwarded_for || !contains(peer)) return std::string(peer);
  std::string_view chain = *forwarded_for;
  std::string client(peer);
  // Right to left: each entry was appended by the hop before it; stop at the
  // first one no trusted proxy vouches for.
  while (!chain.empty()) {
    const auto comma = chain.rfind(',');
    const std::string_view hop =
        trim(comma == std::string_view::npos ? chain : chain.substr(comma + 1));
    chain = comma == std::string_view::npos ? std::string_view() : chain.substr(0, comma);
    if (!parse_address(hop)) break;  // garbage: keep the last address we could vouch for
    client = std::string(hop);
    if (!contains(hop)) break;
  }
  return client;
}

}  // namespace orsa::http
