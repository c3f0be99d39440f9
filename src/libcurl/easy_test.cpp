#include "libcurl/easy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orsa::libcurl {
namespace {

TEST(EasyHandle, CreatesIndependentHandles) {
  auto first = EasyHandle::create();
  auto second = EasyHandle::create();
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->get(), nullptr);
  EXPECT_NE(first->get(), second->get());
}

TEST(MultiHandle, Creates) {
  auto multi = MultiHandle::create();
  ASSERT_TRUE(multi);
  EXPECT_NE(multi->get(), nullptr);
}

TEST(HeaderList, StartsEmptyAndKeepsLinesInOrder) {
  HeaderList list;
  EXPECT_EQ(list.get(), nullptr);
  list.append("Accept: application/json");
  list.append("Expect:");
  std::vector<std::string> lines;
  for (const curl_slist* node = list.get(); node != nullptr; node = node->next) {
    lines.emplace_back(node->data);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"Accept: application/json", "Expect:"}));
}

}  // namespace
}  // namespace orsa::libcurl
