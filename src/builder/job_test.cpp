#include "builder/job.hpp"

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace orsa::builder {
namespace {

Json valid_job() {
  return {{"build_id", "bld_1"},
          {"owner", "alice"},
          {"project", "knapsack"},
          {"commit", std::string(40, 'a')},
          {"commit_time", 1700000000},
          {"source_archive", "/tmp/src.tar.gz"},
          {"template_dir", "/tmp/template"},
          {"registry", "http://127.0.0.1:8080"},
          {"base_repository", "orsa/base-python-or"},
          {"base_reference", "1"},
          {"target_repository", "alice/knapsack"},
          {"target_tag", "3"}};
}

std::string error_for(Json job) {
  auto r = parse_job(job.dump());
  return r ? "" : r.error().message;
}

TEST(BuildJob, ParsesAValidJob) {
  auto job = parse_job(valid_job().dump());
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->target_repository, "alice/knapsack");
  EXPECT_EQ(job->commit_time, 1700000000);
  EXPECT_EQ(job->timeout_s, 600);
  EXPECT_EQ(job->source_archive, "/tmp/src.tar.gz");
}

TEST(BuildJob, NamesTheBadField) {
  Json j = valid_job();
  j.erase("commit");
  EXPECT_EQ(error_for(j), "missing field 'commit'");
  j = valid_job();
  j["commit"] = "HEAD";
  EXPECT_EQ(error_for(j), "field 'commit' must be a 40-character hex sha");
  j = valid_job();
  j["target_repository"] = "bob/knapsack";
  EXPECT_EQ(error_for(j), "field 'target_repository' must be '<owner>/<project>'");
  j = valid_job();
  j["owner"] = "../etc";
  EXPECT_NE(error_for(j).find("owner"), std::string::npos);
  j = valid_job();
  j["push_token"] = "secret";
  EXPECT_EQ(error_for(j), "unknown field 'push_token'");
  j = valid_job();
  j["timeout_s"] = 0;
  EXPECT_EQ(error_for(j), "field 'timeout_s' must be between 1 and 3600");
  j = valid_job();
  j["registry"] = "ftp://x";
  EXPECT_EQ(error_for(j), "field 'registry' must be an http(s) URL");
  EXPECT_EQ(parse_job("not json").error().message, "request body is not valid JSON");
}

}  // namespace
}  // namespace orsa::builder
