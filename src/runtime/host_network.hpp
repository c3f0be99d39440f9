#pragma once

// The host side of container networks, where an engine leaves it undone.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::runtime::detail {

/// An IPv4 subnet, "10.89.3.0/24".
struct Ipv4Subnet {
  std::uint32_t network = 0;  // host byte order
  int prefix = 0;
};

/// Parses "a.b.c.d/n" (n in 8..30; the address is masked to its network).
Result<Ipv4Subnet> parse_ipv4_subnet(std::string_view text);

/// "a.b.c.d" of the subnet's first host address, the conventional gateway.
std::string first_host_address(const Ipv4Subnet& subnet);

/// A host interface name for a network name: "orsa" and 10 hex digits of its
/// hash (interface names have at most 15 bytes).
std::string bridge_name_for(std::string_view network_name);

/// Whether the host interface `ifname` exists and has an IPv4 address.
bool interface_has_ipv4(const std::string& ifname);

/// Gives the host interface `ifname` the address `address`/`prefix` (rtnetlink;
/// needs CAP_NET_ADMIN). Already there: success. No such interface: kNotFound.
Result<void> ensure_interface_address(const std::string& ifname, const std::string& address,
                                      int prefix);

}  // namespace orsa::runtime::detail
