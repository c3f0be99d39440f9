// The runs API against a real orsa-deployer: an image made by a FAKE
// builder (a script printing the builder's result line), then runs queued
// on it, read with their trace, their input as stored, listed, canceled,
// and refused to other users. Nothing executes a run here: the container
// side is tested with real podman elsewhere.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFakeBuilder = R"(#!/bin/bash
job="$3"
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$job"; }
echo "{\"status\":\"succeeded\",\"digest\":\"sha256:$(printf 'b%.0s' {1..64})\",\"size\":1,\"repository\":\"$(field target_repository)\",\"tag\":\"$(field target_tag)\",\"steps_ms\":{}}"
)";

class RunsApi : public ::testing::Test {
 protected:
  void SetUp() override {
    builder_ = scratch_.path() / "fake-builder";
    std::ofstream(builder_) << kFakeBuilder;
    std::filesystem::permissions(builder_, std::filesystem::perms::owner_all);
    DeployerOptions options;
    options.args = {"--builder-bin", builder_.string(), "--max-queued-runs-per-user", "3"};
    deployer_ = DeployerProcess::start(options);
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
    alice_ = api_->register_user("alice");
    bob_ = api_->register_user("bob");
    ASSERT_EQ(api_->call("POST", "/api/v1/projects", Json{{"name", "knap"}}, alice_).status, 201);
    image_ = build_image();
  }

  // Builds alice/knap's head with the fake builder; returns the build's view.
  Json build_image() {
    auto queued = api_->call("POST", "/api/v1/projects/alice/knap/builds", Json::object(), alice_);
    EXPECT_EQ(queued.status, 202) << queued.body;
    const std::string id = queued.json.value("id", "");
    Json view;
    EXPECT_TRUE(eventually(
        20s,
        [&] {
          view = api_->call("GET", "/api/v1/builds/" + id, std::nullopt, alice_).json;
          return view["status"] == "succeeded";
        },
        "build " + id + " to succeed", [&] { return view.dump(); }));
    return view;
  }

  ApiResponse submit(const Json& body, const std::string& token) {
    return api_->call("POST", "/api/v1/projects/alice/knap/runs", body, token);
  }

  TempDir scratch_{"orsa-runs-api-test"};
  std::filesystem::path builder_;
  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_, alice_, bob_;
  Json image_;
};

TEST_F(RunsApi, ASubmittedRunIsQueuedWithItsTraceAndItsInputAsStored) {
  const Json input = {{"capacity", 10}, {"items", Json::array({1, 2, 3})}};
  auto res =
      submit({{"input", input}, {"options", {{"seed", 7}}}, {"time_limit_s", 30}, {"priority", 2}},
             alice_);
  ASSERT_EQ(res.status, 202) << res.body;
  const Json run = res.json;
  EXPECT_TRUE(run["id"].get<std::string>().starts_with("run_")) << run.dump();
  EXPECT_EQ(run["status"], "queued");
  EXPECT_EQ(run["project"], "alice/knap");
  EXPECT_EQ(run["submitter"], "alice");
  EXPECT_EQ(run["priority"], 2);
  EXPECT_EQ(run["options"], Json({{"seed", 7}}));
  EXPECT_EQ(run["limits"]["time_limit_s"], 30);
  EXPECT_EQ(run["trace"]["image_id"], image_["image_id"]);
  EXPECT_EQ(run["trace"]["build_id"], image_["id"]);
  EXPECT_EQ(run["trace"]["commit"], image_["commit"]);
  EXPECT_EQ(run["trace"]["image_digest"], "sha256:" + std::string(64, 'b'));
  EXPECT_TRUE(run["trace"]["deployment_id"].is_null());
  EXPECT_TRUE(run["result"].is_null());

  const std::string id = run["id"];
  auto got = api_->call("GET", "/api/v1/runs/" + id, std::nullopt, alice_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json["queue_position"], 1);
  auto stored = api_->call("GET", "/api/v1/runs/" + id + "/input", std::nullopt, alice_);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(stored.body, input.dump());
  EXPECT_EQ(stored.json, input);
  EXPECT_EQ(run["input"]["size"], input.dump().size());
  auto result = api_->call("GET", "/api/v1/runs/" + id + "/result", std::nullopt, alice_);
  EXPECT_EQ(result.status, 404) << result.body;

  // Alice's runs, the project's, newest first with a cursor.
  const std::string second = submit({{"input", input}}, alice_).json.value("id", "");
  auto page = api_->call("GET", "/api/v1/projects/alice/knap/runs?limit=1", std::nullopt, alice_);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json["runs"].size(), 1u);
  EXPECT_EQ(page.json["runs"][0]["id"], second);
  const std::string cursor = page.json["next_cursor"];
  auto next = api_->call("GET", "/api/v1/projects/alice/knap/runs?limit=1&cursor=" + cursor,
                         std::nullopt, alice_);
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.json["runs"][0]["id"], id);
  auto mine = api_->call("GET", "/api/v1/runs?status=queued", std::nullopt, alice_);
  EXPECT_EQ(mine.json["runs"].size(), 2u) << mine.body;
}

TEST_F(RunsApi, AnotherUserNeitherSubmitsToNorSeesAPrivateProjectsRuns) {
  const std::string id = submit({{"input", 1}}, alice_).json.value("id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(submit({{"input", 1}}, bob_).status, 404);
  const auto hidden = api_->call("GET", "/api/v1/runs/" + id, std::nullopt, bob_);
  const auto missing = api_->call("GET", "/api/v1/runs/run_nothing", std::nullopt, bob_);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body, missing.body);  // existence is not revealed
  EXPECT_EQ(api_->call("GET", "/api/v1/runs/" + id + "/input", std::nullopt, bob_).status, 404);
  EXPECT_EQ(api_->call("POST", "/api/v1/runs/" + id + "/cancel", Json::object(), bob_).status, 404);
  EXPECT_EQ(api_->call("GET", "/api/v1/projects/alice/knap/runs", std::nullopt, bob_).status, 404);
  EXPECT_TRUE(api_->call("GET", "/api/v1/runs", std::nullopt, bob_).json["runs"].empty());
  // The admin sees and may cancel it.
  EXPECT_EQ(api_->call("GET", "/api/v1/runs/" + id, std::nullopt, admin_).status, 200);
  auto canceled = api_->call("POST", "/api/v1/runs/" + id + "/cancel", Json::object(), admin_);
  ASSERT_EQ(canceled.status, 202) << canceled.body;
  EXPECT_EQ(canceled.json["status"], "canceled");
  EXPECT_TRUE(canceled.json["queue_position"].is_null());
  // Once ended, a second cancel is a conflict.
  EXPECT_EQ(api_->call("POST", "/api/v1/runs/" + id + "/cancel", Json::object(), alice_).status,
            409);
}

TEST_F(RunsApi, QueuedRunsPerUserAreCappedWith429AndRetryAfter) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(submit({{"input", i}}, alice_).status, 202);
  auto refused = submit({{"input", 3}}, alice_);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.error_code(), "rate_limited");
  EXPECT_GT(std::stoi(refused.headers["Retry-After"]), 0);
  // The admin's queue is their own; a canceled run frees a place.
  EXPECT_EQ(submit({{"input", 3}}, admin_).status, 202);
  const std::string oldest =
      api_->call("GET", "/api/v1/runs?limit=3", std::nullopt, alice_).json["runs"][2]["id"];
  ASSERT_EQ(api_->call("POST", "/api/v1/runs/" + oldest + "/cancel", Json::object(), alice_).status,
            202);
  EXPECT_EQ(submit({{"input", 3}}, alice_).status, 202);
}

TEST_F(RunsApi, DeletingTheProjectDeletesItsRunsAndTheirData) {
  const std::string id = submit({{"input", {{"w", 1}}}}, alice_).json.value("id", "");
  ASSERT_FALSE(id.empty());
  const auto blobs = deployer_->data_dir() / "runs" / "sha256";
  EXPECT_FALSE(std::filesystem::is_empty(blobs));
  ASSERT_EQ(api_->call("DELETE", "/api/v1/projects/alice/knap", std::nullopt, alice_).status, 204);
  EXPECT_EQ(api_->call("GET", "/api/v1/runs/" + id, std::nullopt, alice_).status, 404);
  EXPECT_TRUE(std::filesystem::is_empty(blobs));
}

TEST_F(RunsApi, AnInputFileIsTheProjectsFileAtTheRunsCommit) {
  auto res = submit({{"input_file", "input.json"}}, alice_);
  ASSERT_EQ(res.status, 202) << res.body;
  const std::string id = res.json["id"];
  auto file =
      api_->call("GET", "/api/v1/projects/alice/knap/files/input.json", std::nullopt, alice_);
  ASSERT_EQ(file.status, 200) << file.body;
  auto stored = api_->call("GET", "/api/v1/runs/" + id + "/input", std::nullopt, alice_);
  EXPECT_EQ(stored.body, file.body);
  // A missing file, or both kinds of input: 400, nothing queued.
  auto missing = submit({{"input_file", "nope.json"}}, alice_);
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find("no file 'nope.json'"), std::string::npos) << missing.body;
  EXPECT_EQ(submit({{"input_file", "input.json"}, {"input", 1}}, alice_).status, 400);
  EXPECT_EQ(submit({{"input_file", "../../etc/passwd"}}, alice_).status, 400);
  EXPECT_EQ(api_->call("GET", "/api/v1/runs", std::nullopt, alice_).json["runs"].size(), 1u);
}

TEST_F(RunsApi, BadSubmissionsAreRefusedAndNothingIsQueued) {
  EXPECT_EQ(submit(Json::object(), alice_).status, 400);                       // no input
  EXPECT_EQ(submit({{"input", 1}, {"unknown", 1}}, alice_).status, 400);       // unknown field
  EXPECT_EQ(submit({{"input", 1}, {"options", 3}}, alice_).status, 400);       // not an object
  EXPECT_EQ(submit({{"input", 1}, {"time_limit_s", 0}}, alice_).status, 400);  // out of range
  EXPECT_EQ(submit({{"input", 1}, {"image_id", "img_nothing"}}, alice_).status, 404);
  auto text = api_->raw("POST", "/api/v1/projects/alice/knap/runs", "{\"input\":1}", alice_,
                        {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text.status, 415) << text.body;
  // Over the input limit (50 MiB by default): 413 before anything is stored.
  const std::string big = "{\"input\":\"" + std::string(51 * 1024 * 1024, 'x') + "\"}";
  auto huge = api_->raw("POST", "/api/v1/projects/alice/knap/runs", big, alice_,
                        {{"Content-Type", "application/json"}});
  EXPECT_EQ(huge.status, 413) << huge.body.substr(0, 200);
  EXPECT_TRUE(api_->call("GET", "/api/v1/runs", std::nullopt, alice_).json["runs"].empty());
  const auto runs_dir = deployer_->data_dir() / "runs" / "sha256";
  EXPECT_TRUE(std::filesystem::is_empty(runs_dir));
}

}  // namespace
}  // namespace orsa::testing
