#include "api/job_files_api.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>

#include "core/files.hpp"
#include "core/temp_dir.hpp"

namespace orsa::api {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kKey(32, 'k');

class Collect final : public http::BodyWriter {
 public:
  bool write(std::string_view chunk) override {
    text += chunk;
    return true;
  }
  bool closed() const override { return false; }
  void on_close(std::function<void()> wake) override { static_cast<void>(wake); }
  std::string text;
};

void write(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

// The routes as the server runs them: match, admission, then the handler.
class JobFilesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(root() / "run_1" / "input.json", R"({"n":3})");
    write(root() / "run_1" / "options.json", R"({"seed":1})");
    fs::create_directories(root() / "run_1" / "out");
    write(root() / "run_2" / "input.json", R"({"secret":true})");
    fs::create_directories(root() / "run_2" / "out");
    register_job_file_routes(router_, tokens_, {.work_root = root(), .max_upload_bytes = 1024});
  }

  fs::path root() const { return dir_.path() / "work"; }

  std::string token(std::string_view job, std::uint64_t max = 100) {
    auto t = tokens_.issue(job, max, std::chrono::seconds(60));
    EXPECT_TRUE(t);
    return t ? *t : "";
  }

  http::Response call(std::string method, std::string path, const std::string& bearer,
                      const std::string& body = {}, bool say_length = true) {
    http::Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    if (!bearer.empty()) req.headers["Authorization"] = "Bearer " + bearer;
    if (say_length && req.method == "PUT")
      req.headers["Content-Length"] = std::to_string(body.size());
    const auto match = router_.match(req.method, req.path);
    if (match.handler == nullptr)
      return http::text_response(match.method_not_allowed ? 405 : 404, "");
    req.params = match.params;
    if (match.admit != nullptr) {
      if (auto refused = (*match.admit)(req)) return *refused;
    }
    const fs::path spool = dir_.path() / "spool";
    write(spool, body);
    req.body_file = spool;
    auto res = (*match.handler)(req);
    if (res.stream) {
      Collect out;
      res.stream(out);
      res.body = out.text;
    }
    return res;
  }

  TempDir dir_{"orsa-job-files"};
  ManualClock clock_{kNow};
  auth::JobTokenSigner tokens_{kKey, clock_};
  http::Router router_;
};

TEST_F(JobFilesApiTest, AJobReadsItsInputAndOptionsAndUploadsItsResult) {
  const std::string t = token("run_1");
  auto input = call("GET", "/jobs/run_1/input.json", t);
  EXPECT_EQ(input.status, 200);
  EXPECT_EQ(input.body, R"({"n":3})");
  EXPECT_EQ(call("GET", "/jobs/run_1/options.json", t).body, R"({"seed":1})");
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, R"({"x":1})").status, 204);
  EXPECT_EQ(read_file(root() / "run_1" / "out" / "result.json").value_or(""), R"({"x":1})");
  // A retry replaces the file whole.
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, R"({"x":2})").status, 204);
  EXPECT_EQ(read_file(root() / "run_1" / "out" / "result.json").value_or(""), R"({"x":2})");
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/error.json", t, "{}").status, 204);
}

TEST_F(JobFilesApiTest, AnotherJobsFilesAreNotFound) {
  const std::string t = token("run_1");
  EXPECT_EQ(call("GET", "/jobs/run_2/input.json", t).status, 404);
  EXPECT_EQ(call("PUT", "/jobs/run_2/out/result.json", t, "{}").status, 404);
  EXPECT_FALSE(fs::exists(root() / "run_2" / "out" / "result.json"));
  // Nor does a path step out of the job.
  EXPECT_EQ(call("GET", "/jobs/run_1/../run_2/input.json", t).status, 404);
  EXPECT_EQ(call("GET", "/jobs/run_1/result.json", t).status, 404);
}

TEST_F(JobFilesApiTest, WithoutAValidTokenNothingIsRead) {
  EXPECT_EQ(call("GET", "/jobs/run_1/input.json", "").status, 401);
  EXPECT_EQ(call("GET", "/jobs/run_1/input.json", "garbage").status, 401);
  auth::JobTokenSigner other(std::string(32, 'x'), clock_);
  EXPECT_EQ(
      call("GET", "/jobs/run_1/input.json", *other.issue("run_1", 1, std::chrono::seconds(60)))
          .status,
      401);
  const std::string t = token("run_1");
  clock_.advance(60);
  EXPECT_EQ(call("GET", "/jobs/run_1/input.json", t).status, 401);
}

TEST_F(JobFilesApiTest, InputsAreReadOnlyAndOutputsWriteOnly) {
  const std::string t = token("run_1");
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/input.json", t, "{}").status, 404);
  EXPECT_EQ(call("PUT", "/jobs/run_1/input.json", t, "{}").status, 405);
  EXPECT_EQ(read_file(root() / "run_1" / "input.json").value_or(""), R"({"n":3})");
  EXPECT_EQ(call("GET", "/jobs/run_1/out/result.json", t).status, 405);
}

TEST_F(JobFilesApiTest, AnUploadOverTheTokensLimitOrWithoutALengthIsRefusedUnread) {
  const std::string t = token("run_1", 4);
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, "12345").status, 413);
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, "1234", false).status, 400);
  EXPECT_FALSE(fs::exists(root() / "run_1" / "out" / "result.json"));
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, "1234").status, 204);
}

TEST_F(JobFilesApiTest, AJobWhoseDirectoryIsGoneIsNotFound) {
  const std::string t = token("run_1");
  fs::remove_all(root() / "run_1");
  EXPECT_EQ(call("GET", "/jobs/run_1/input.json", t).status, 404);
  EXPECT_EQ(call("PUT", "/jobs/run_1/out/result.json", t, "{}").status, 404);
  EXPECT_FALSE(fs::exists(root() / "run_1"));
}

}  // namespace
}  // namespace orsa::api
