#include "instance_id.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/files.hpp"
#include "core/temp_dir.hpp"

namespace orsa::deployer {
namespace {

TEST(InstanceId, AConfiguredIdIsCheckedAndUsedAsItIs) {
  TempDir dir;
  EXPECT_EQ(instance_id(dir.path(), "node-a.1").value(), "node-a.1");
  for (const char* bad : {"a b", "a/b", "ü", "x;rm"}) {
    EXPECT_EQ(instance_id(dir.path(), bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(instance_id(dir.path(), std::string(65, 'a')));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "instance-id"));
}

TEST(InstanceId, WithoutOneAnIdIsMadeOnceAndKeptAcrossRestarts) {
  TempDir dir;
  auto first = instance_id(dir.path(), "");
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(valid_instance_id(*first));
  EXPECT_EQ(instance_id(dir.path(), "").value(), *first);  // the restarted process
  TempDir other;
  EXPECT_NE(instance_id(other.path(), "").value(), *first);  // another instance
}

TEST(InstanceId, AKeptFileThatIsNotAnIdIsRefusedNotReplaced) {
  TempDir dir;
  std::ofstream(dir.path() / "instance-id") << "not an id\n";
  EXPECT_EQ(instance_id(dir.path(), "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_file(dir.path() / "instance-id").value(), "not an id\n");
}

}  // namespace
}  // namespace orsa::deployer
