#include "gateway/service_urls.hpp"

#include <gtest/gtest.h>

namespace orsa::gateway {
namespace {

TEST(ServiceUrls, PathModeAddressesTheListenerOrigin) {
  const ServiceUrls urls{.origin = "http://127.0.0.1:8081"};
  EXPECT_EQ(urls.url("alice", "shop"), "http://127.0.0.1:8081/alice/shop/");
}

TEST(ServiceUrls, DomainModeGivesEveryServiceItsOwnHost) {
  const ServiceUrls urls{.domain = "apps.example.net", .scheme = "https"};
  EXPECT_EQ(urls.url("alice", "shop"), "https://shop--alice.apps.example.net/");
  EXPECT_EQ(urls.url("a-b", "x-y"), "https://x-y--a-b.apps.example.net/");
}

TEST(ServiceUrls, AmbiguousOrTooLongNamesHaveNoLabel) {
  // "a--b--c" could be read two ways; "a-" + "--" + "b" is "a---b".
  EXPECT_FALSE(service_label("b--c", "a"));
  EXPECT_FALSE(service_label("c", "a--b"));
  EXPECT_FALSE(service_label("b", "a-"));
  EXPECT_FALSE(service_label(std::string(40, 'o'), std::string(30, 'p')));
  EXPECT_EQ(service_label("o", "p"), "p--o");
}

TEST(ServiceUrls, ParsesOnlyCanonicalHostsUnderTheDomain) {
  auto name = parse_service_host("shop--alice.apps.example.net", "apps.example.net");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->owner, "alice");
  EXPECT_EQ(name->project, "shop");
  auto with_port = parse_service_host("shop--alice.APPS.example.net:8443", "apps.example.net");
  ASSERT_TRUE(with_port);
  EXPECT_EQ(with_port->owner, "alice");
  for (const char* host :
       {"apps.example.net", "shop.apps.example.net", "a.shop--alice.apps.example.net",
        "shop--alice.apps.example.net.evil.org", "shop--alice.xapps.example.net",
        "a---b.apps.example.net", "a--b--c.apps.example.net", "--alice.apps.example.net",
        "shop--.apps.example.net", ""}) {
    EXPECT_FALSE(parse_service_host(host, "apps.example.net")) << host;
  }
}

}  // namespace
}  // namespace orsa::gateway
