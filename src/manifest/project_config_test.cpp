#include "manifest/project_config.hpp"

#include <gtest/gtest.h>

#include "core/files.hpp"

namespace orsa::manifest {
namespace {

std::string message_of(std::string_view toml) {
  auto r = parse_project_config(toml);
  return r ? "" : r.error().message;
}

TEST(ProjectConfig, ReadsTheStarterTemplate) {
  auto text = read_file(ORSA_SOURCE_DIR "/templates/python-flask/starter/orsa.toml");
  ASSERT_TRUE(text);
  auto config = parse_project_config(*text);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->name, "knapsack");
  EXPECT_EQ(config->entrypoint_module, "model");
  EXPECT_EQ(config->entrypoint_function, "solve");
  EXPECT_EQ(config->timeout_s, 60);
  EXPECT_EQ(config->max_body_bytes, 1048576);
}

TEST(ProjectConfig, EmptyFileMeansDefaults) {
  auto config = parse_project_config("");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->entrypoint_module, "model");
  EXPECT_EQ(config->workers, 2);
  EXPECT_FALSE(config->memory_mb);
}

TEST(ProjectConfig, ReadsEverySetting) {
  auto config = parse_project_config(R"(
[project]
name = "lp"
[service]
entrypoint = "pkg.solver:run_model"
timeout = 120
max_body_bytes = 2048
workers = 4
[resources]
memory_mb = 1024
cpus = 2
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->entrypoint_module, "pkg.solver");
  EXPECT_EQ(config->entrypoint_function, "run_model");
  EXPECT_EQ(config->timeout_s, 120);
  EXPECT_EQ(config->workers, 4);
  EXPECT_EQ(config->memory_mb, 1024);
  EXPECT_DOUBLE_EQ(config->cpus.value(), 2.0);
}

TEST(ProjectConfig, NamesUnknownKeysAndWrongTypes) {
  EXPECT_EQ(message_of("[service]\ntimout = 5\n"), "orsa.toml: unknown key 'service.timout'");
  EXPECT_EQ(message_of("[servce]\n"), "orsa.toml: unknown key 'servce'");
  EXPECT_EQ(message_of("[service]\ntimeout = \"60\"\n"),
            "orsa.toml: 'service.timeout' must be an integer");
  EXPECT_EQ(message_of("[service]\ntimeout = 0\n"),
            "orsa.toml: 'service.timeout' must be between 1 and 3600");
  EXPECT_EQ(message_of("[project]\nname = 3\n"), "orsa.toml: 'project.name' must be a string");
  EXPECT_EQ(message_of("service = 1\n"), "orsa.toml: 'service' must be a table");
  EXPECT_EQ(message_of("[resources]\ncpus = \"two\"\n"),
            "orsa.toml: 'resources.cpus' must be a number");
  EXPECT_EQ(message_of("[resources]\ncpus = 0.0\n"),
            "orsa.toml: 'resources.cpus' must be greater than 0 and at most 64");
}

TEST(ProjectConfig, RejectsMalformedEntrypoints) {
  for (const char* bad : {"model", ":solve", "model:", "mod el:solve", "model:so-lve", "../x:y",
                          "model:solve:extra", "1model:solve", "pkg..mod:f"}) {
    const std::string toml = std::string("[service]\nentrypoint = \"") + bad + "\"\n";
    EXPECT_NE(message_of(toml).find("'service.entrypoint' must look like"), std::string::npos)
        << bad;
  }
}

TEST(ProjectConfig, SyntaxErrorsCarryTheLine) {
  const std::string msg = message_of("[service]\ntimeout = = 3\n");
  EXPECT_EQ(msg.rfind("orsa.toml:2: ", 0), 0u) << msg;
}

}  // namespace
}  // namespace orsa::manifest
