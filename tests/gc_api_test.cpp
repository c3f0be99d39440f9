// POST /api/v1/admin/gc against a real orsa-deployer: who may run the
// collector, the report's shape, and the audit trail. Which images and
// blobs a run deletes is covered exactly by the unit tests
// (src/deployer/collector_test.cpp, src/oci/gc_test.cpp).

#include <gtest/gtest.h>

#include "support/api_client.hpp"
#include "support/deployer_process.hpp"

namespace orsa::testing {
namespace {

class GcApi : public ::testing::Test {
 protected:
  void SetUp() override {
    // No periodic run during the test: only the requests below collect.
    deployer_ = DeployerProcess::start({.args = {"--gc-interval", "0", "--gc-keep", "5"}});
    api_ = std::make_unique<ApiClient>(deployer_->url());
    admin_ = api_->login("admin", DeployerProcess::kAdminPassword);
  }

  ApiResponse gc(const std::optional<Json>& body, const std::string& token) const {
    return api_->call("POST", "/api/v1/admin/gc", body, token);
  }

  std::unique_ptr<DeployerProcess> deployer_;
  std::unique_ptr<ApiClient> api_;
  std::string admin_;
};

void expect_empty_report(const Json& report, bool dry_run) {
  EXPECT_EQ(report["dry_run"], dry_run);
  EXPECT_EQ(report["images"], Json::array());
  EXPECT_EQ(report["blobs"], (Json{{"count", 0}, {"bytes", 0}}));
  EXPECT_EQ(report["idle_stopped"], Json::array());
  EXPECT_EQ(report["bytes_freed"], 0);
  EXPECT_EQ(report["errors"], Json::array());
}

TEST_F(GcApi, OnlyAdminsRunTheCollector) {
  EXPECT_EQ(gc(Json{{"dry_run", true}}, "").status, 401);
  const std::string dev = api_->register_user("devon");
  auto denied = gc(Json{{"dry_run", true}}, dev);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.error_code(), "permission_denied");
}

TEST_F(GcApi, DryRunAndRunReportAndAreAudited) {
  auto dry = gc(Json{{"dry_run", true}}, admin_);
  ASSERT_EQ(dry.status, 200) << dry.body;
  expect_empty_report(dry.json, true);

  // Without a body (or without dry_run) the run is real, like the periodic one.
  auto run = gc(std::nullopt, admin_);
  ASSERT_EQ(run.status, 200) << run.body;
  expect_empty_report(run.json, false);
  auto explicit_run = gc(Json{{"dry_run", false}}, admin_);
  ASSERT_EQ(explicit_run.status, 200) << explicit_run.body;
  expect_empty_report(explicit_run.json, false);

  auto audit = api_->call("GET", "/api/v1/admin/audit", std::nullopt, admin_);
  ASSERT_EQ(audit.status, 200);
  int runs = 0, dry_runs = 0;
  for (const auto& e : audit.json["events"]) {
    if (e["action"] == "gc") ++runs;
    if (e["action"] == "gc_dry_run") ++dry_runs;
    if (e["action"] == "gc" || e["action"] == "gc_dry_run") {
      EXPECT_FALSE(e["actor_id"].is_null());
      EXPECT_EQ(e["detail"], "images=0 blobs=0 blob_bytes=0 idle_stopped=0 bytes_freed=0 errors=0");
    }
  }
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(dry_runs, 1);
}

// `?dry_run=true` once ran the collector for real: the query is now read,
// and a parameter the route does not know is refused before anything runs.
TEST_F(GcApi, DryRunInTheQueryIsADryRun) {
  const std::string gc_path = "/api/v1/admin/gc";
  auto dry = api_->call("POST", gc_path + "?dry_run=true", std::nullopt, admin_);
  ASSERT_EQ(dry.status, 200) << dry.body;
  expect_empty_report(dry.json, true);
  auto conflicting =
      api_->call("POST", gc_path + "?dry_run=true", Json{{"dry_run", false}}, admin_);
  EXPECT_EQ(conflicting.status, 400) << conflicting.body;
  auto misspelt = api_->call("POST", gc_path + "?dryrun=1", std::nullopt, admin_);
  EXPECT_EQ(misspelt.status, 400);
  EXPECT_NE(misspelt.error_message().find("unknown query parameter 'dryrun'"), std::string::npos)
      << misspelt.body;
  EXPECT_EQ(api_->call("POST", gc_path + "?dry_run=maybe", std::nullopt, admin_).status, 400);

  auto audit = api_->call("GET", "/api/v1/admin/audit", std::nullopt, admin_);
  ASSERT_EQ(audit.status, 200);
  int runs = 0, dry_runs = 0;
  for (const auto& e : audit.json["events"]) {
    if (e["action"] == "gc") ++runs;
    if (e["action"] == "gc_dry_run") ++dry_runs;
  }
  EXPECT_EQ(runs, 0);  // nothing ran for real
  EXPECT_EQ(dry_runs, 1);
}

TEST_F(GcApi, RejectsABadBody) {
  EXPECT_EQ(gc(Json{{"dry_run", "yes"}}, admin_).status, 400);
  EXPECT_EQ(gc(Json{{"dry_run", true}, {"everything", true}}, admin_).status, 400);
  EXPECT_EQ(api_->raw("POST", "/api/v1/admin/gc", "not json", admin_,
                      {{"Content-Type", "application/json"}})
                .status,
            400);
  EXPECT_EQ(
      api_->raw("POST", "/api/v1/admin/gc", "{}", admin_, {{"Content-Type", "text/plain"}}).status,
      415);
}

}  // namespace
}  // namespace orsa::testing
