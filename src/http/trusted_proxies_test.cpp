#include "http/trusted_proxies.hpp"

#include <gtest/gtest.h>

namespace orsa::http {
namespace {

TEST(TrustedProxies, ParsesRangesAndRejectsGarbage) {
  auto proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,fd00::/8");
  ASSERT_TRUE(proxies.has_value());
  EXPECT_TRUE(proxies->contains("10.1.2.3"));
  EXPECT_TRUE(proxies->contains("192.0.2.7"));
  EXPECT_FALSE(proxies->contains("192.0.2.8"));
  EXPECT_TRUE(proxies->contains("fd12::1"));
  EXPECT_FALSE(proxies->contains("fe80::1"));
  EXPECT_FALSE(proxies->contains("not-an-ip"));
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "host.example", "::/129", "1.2.3.4/"}) {
    EXPECT_FALSE(TrustedProxies::parse(bad).has_value()) << bad;
  }
  EXPECT_TRUE(TrustedProxies::parse("").value().empty());
}

TEST(TrustedProxies, ForwardedForIsBelievedOnlyFromATrustedPeer) {
  const auto proxies = TrustedProxies::parse("127.0.0.1/32,10.0.0.0/8").value();
  // A client that writes the header itself gets its own address.
  EXPECT_EQ(proxies.client_address("203.0.113.9", "198.51.100.1"), "203.0.113.9");
  // Behind the proxy: the entry the proxy appended.
  EXPECT_EQ(proxies.client_address("127.0.0.1", "198.51.100.1"), "198.51.100.1");
  // A spoofed left part is skipped: the rightmost untrusted hop wins.
  EXPECT_EQ(proxies.client_address("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.2"), "198.51.100.1");
  EXPECT_EQ(proxies.client_address("127.0.0.1", "garbage"), "127.0.0.1");
  EXPECT_EQ(proxies.client_address("127.0.0.1", std::nullopt), "127.0.0.1");
  const auto none = TrustedProxies::parse("").value();
  EXPECT_EQ(none.client_address("127.0.0.1", "198.51.100.1"), "127.0.0.1");
}

}  // namespace
}  // namespace orsa::http
