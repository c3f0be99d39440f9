#include "host_network.hpp"

#include <gtest/gtest.h>

namespace orsa::runtime::detail {
namespace {

TEST(HostNetwork, ParsesSubnetsAndNamesTheirGateway) {
  auto subnet = parse_ipv4_subnet("10.89.3.0/24");
  ASSERT_TRUE(subnet.has_value());
  EXPECT_EQ(subnet->prefix, 24);
  EXPECT_EQ(first_host_address(*subnet), "10.89.3.1");
  // A host address inside the subnet is masked to its network first.
  EXPECT_EQ(first_host_address(parse_ipv4_subnet("172.20.5.77/16").value()), "172.20.0.1");
  for (const char* bad : {"", "10.89.3.0", "10.89.3.0/", "10.89.3.0/31", "10.89.3.0/4",
                          "10.89.3/24", "fd00::/64", "10.89.3.0/24x"}) {
    EXPECT_FALSE(parse_ipv4_subnet(bad).has_value()) << bad;
  }
}

TEST(HostNetwork, BridgeNamesFitAnInterfaceNameAndDiffer) {
  const std::string a = bridge_name_for("orsa-net-dep_aaaaaaaaaaaaaaaa");
  const std::string b = bridge_name_for("orsa-net-dep_aaaaaaaaaaaaaaaa-egress");
  EXPECT_EQ(a.size(), 14u);  // IFNAMSIZ is 16 with the NUL
  EXPECT_TRUE(a.starts_with("orsa"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a, bridge_name_for("orsa-net-dep_aaaaaaaaaaaaaaaa"));
}

TEST(HostNetwork, LoopbackHasAnIpv4AddressAndUnknownInterfacesNone) {
  EXPECT_TRUE(interface_has_ipv4("lo"));
  EXPECT_FALSE(interface_has_ipv4("orsa-no-such"));
}

TEST(HostNetwork, AnUnknownInterfaceIsNotFound) {
  auto added = ensure_interface_address("orsa-no-such", "10.255.255.1", 24);
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace orsa::runtime::detail
