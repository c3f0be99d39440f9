#include "cli/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/files.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::cli {
namespace {

Config two_profiles() {
  Config config;
  config.current = "work";
  config.profiles["default"] = {.server = "http://127.0.0.1:8080",
                                .token = "orsa_secret1",
                                .token_id = "tok_1",
                                .username = "alice"};
  config.profiles["work"] = {.server = "https://orsa.example.org", .token = "orsa_secret2"};
  return config;
}

TEST(Config, RoundTripsThroughTheFileWithMode0600) {
  testing::TempDir dir;
  const auto path = dir.path() / "orsa" / "config.toml";
  ASSERT_TRUE(save_config(path, two_profiles()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto loaded = load_config(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(*loaded, two_profiles());
}

TEST(Config, AMissingFileIsAnEmptyConfiguration) {
  testing::TempDir dir;
  auto loaded = load_config(dir.path() / "none.toml");
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(loaded->profiles.empty());
  EXPECT_EQ(loaded->current, "default");
}

TEST(Config, UnknownKeysAndWrongTypesNameTheKey) {
  auto bad = config_from_toml("colour = true\n", "config.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown key colour"), std::string::npos);
  bad = config_from_toml("[profiles.a]\nserver = \"http://x\"\nport = 1\n", "config.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("profiles.a.port"), std::string::npos);
  bad = config_from_toml("[profiles.a]\nserver = 8080\n", "config.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("must be a string"), std::string::npos);
  bad = config_from_toml("[profiles.a]\ntoken = \"t\"\n", "config.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("server is missing"), std::string::npos);
  bad = config_from_toml("current = [", "config.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 1"), std::string::npos);
}

TEST(Config, ProfileNames) {
  EXPECT_TRUE(valid_profile_name("default"));
  EXPECT_TRUE(valid_profile_name("staging_2-eu"));
  EXPECT_FALSE(valid_profile_name(""));
  EXPECT_FALSE(valid_profile_name("a.b"));
  EXPECT_FALSE(valid_profile_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace orsa::cli
