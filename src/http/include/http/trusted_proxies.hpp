#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::http {

/// The reverse proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`).
/// Without any, the client address is the TCP peer's, and the header is
/// ignored: anyone could write it.
class TrustedProxies {
 public:
  /// Parses "CIDR,CIDR,…" (IPv4 or IPv6; a bare address is a /32 or /128).
  static Result<TrustedProxies> parse(std::string_view list);

  /// Is `address` inside one of the ranges?
  bool contains(std::string_view address) const;

  /// The client's address: walking `X-Forwarded-For` from the right (the
  /// entry the nearest proxy wrote) while the hop is a trusted proxy, the
  /// first untrusted address. The peer when it is not a trusted proxy, or
  /// when the header is absent or malformed.
  std::string client_address(std::string_view peer,
                             std::optional<std::string_view> forwarded_for) const;

  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 0;                        // in bits of the 128
  };
  std::vector<Range> ranges_;
};

}  // namespace orsa::http
