#include "oci/tag.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oci/registry_client.hpp"

namespace orsa::oci {
namespace {

void expect_invalid(const std::string& tag) {
  SCOPED_TRACE("tag '" + tag + "'");
  auto r = validate_tag(tag);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().registry_code, "TAG_INVALID");
}

TEST(Tag, AcceptsTheSpecAlphabet) {
  for (const std::string& good : std::vector<std::string>{
           "a", "Z", "0", "_", "v1", "LATEST", "1.0.0-rc.1", "a.", "a-", "a_b", "__", "_.-"}) {
    EXPECT_TRUE(validate_tag(good)) << good;
  }
}

TEST(Tag, LengthBoundaryIs128) {
  EXPECT_TRUE(validate_tag(std::string(kMaxTagBytes, 'a')));
  EXPECT_TRUE(validate_tag("_" + std::string(kMaxTagBytes - 1, '.')));
  expect_invalid(std::string(kMaxTagBytes + 1, 'a'));
  expect_invalid("");
}

TEST(Tag, FirstCharacterIsAWordCharacter) {
  for (const std::string& bad : std::vector<std::string>{".", "-", ".hidden", "-x", ".."}) {
    expect_invalid(bad);
  }
}

TEST(Tag, RejectsEverythingOutsideTheAlphabet) {
  for (const std::string& bad :
       std::vector<std::string>{"a/b", "a:b", "a b", "a+b", "a@b", "a\tb", std::string("a\0b", 3),
                                "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9", "v1\n"}) {
    expect_invalid(bad);
  }
}

TEST(Tag, TheRegistryClientAppliesTheSameRule) {
  // No request is sent for a malformed reference, so nothing needs to listen.
  auto client = RegistryClient::create({.base_url = "http://127.0.0.1:1"});
  ASSERT_TRUE(client);
  for (const std::string& bad : {std::string(".x"), std::string(kMaxTagBytes + 1, 'a')}) {
    auto r = client->get_manifest("alice/app", bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().message;
  }
}

}  // namespace
}  // namespace orsa::oci
