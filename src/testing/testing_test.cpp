#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "testing/child_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::testing {
namespace {

using namespace std::chrono_literals;

TEST(Eventually, SucceedsOnceThePredicateHolds) {
  std::atomic<int> calls = 0;
  EXPECT_TRUE(eventually(5s, [&] { return ++calls >= 3; }));
  EXPECT_EQ(calls, 3);
}

TEST(Eventually, FailureNamesTheConditionTheBudgetAndTheLastState) {
  const auto result = eventually(
      30ms, [] { return false; }, "the door to open", [] { return std::string("closed"); });
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_NE(message.find("waited 30 ms for the door to open"), std::string::npos) << message;
  EXPECT_NE(message.find("last state: closed"), std::string::npos) << message;
}

TEST(Eventually, SeesAConditionAnotherThreadSets) {
  std::atomic<bool> done = false;
  std::jthread worker([&] { done = true; });
  EXPECT_TRUE(eventually(
      5s, [&] { return done.load(); }, "the worker"));
}

TEST(EventuallyValue, ReturnsTheFirstValueOrNothing) {
  int calls = 0;
  const auto value = eventually_value(
      5s, [&]() -> std::optional<int> { return ++calls == 2 ? std::optional(42) : std::nullopt; });
  EXPECT_EQ(value, 42);
  EXPECT_EQ(eventually_value(20ms, []() -> std::optional<int> { return std::nullopt; }),
            std::nullopt);
}

TEST(HoldsFor, FailsAtTheFirstBreak) {
  EXPECT_TRUE(holds_for(30ms, [] { return true; }));
  int calls = 0;
  const auto result = holds_for(
      5s, [&] { return ++calls < 3; }, "the lease");
  ASSERT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("the lease stopped holding"), std::string::npos);
}

// The fixture is a program of this build (child_fixture.cpp): the tests
// depend on no tool of the machine.
constexpr const char* kFixture = ORSA_CHILD_FIXTURE;

TEST(ChildProcess, CapturesStdoutAndStderrApart) {
  const auto r = run({.argv = {kFixture, "out", "out", "err", "err", "exit", "3"}}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ChildProcess, MergesOutputInOrderWhenAsked) {
  const auto r = run(
      {.argv = {kFixture, "out", "one", "err", "two", "out", "three"}, .merge_output = true}, 10s);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "one\ntwo\nthree\n");
  EXPECT_EQ(r.err, "");
}

TEST(ChildProcess, SetsAndRemovesEnvironment) {
  ::setenv("ORSA_TESTING_INHERITED", "yes", 1);
  ::setenv("ORSA_TESTING_KEPT", "kept", 1);
  const auto r = run({.argv = {kFixture, "env", "ORSA_TESTING_SET", "env", "ORSA_TESTING_INHERITED",
                               "env", "ORSA_TESTING_KEPT"},
                      .env = {{"ORSA_TESTING_SET", "set"}},
                      .unset_env = {"ORSA_TESTING_INHERITED"}},
                     10s);
  const auto bare =
      run({.argv = {kFixture, "env", "ORSA_TESTING_KEPT"}, .inherit_env = false}, 10s);
  ::unsetenv("ORSA_TESTING_INHERITED");
  ::unsetenv("ORSA_TESTING_KEPT");
  EXPECT_EQ(r.out, "set\nnone\nkept\n");
  EXPECT_EQ(bare.out, "none\n");
}

TEST(ChildProcess, AMissingBinaryThrows) {
  EXPECT_THROW(run({.argv = {"/nonexistent/orsa-tool"}}, 10s), std::runtime_error);
}

TEST(ChildProcess, RunKillsACommandPastItsBudget) {
  const auto r = run({.argv = {kFixture, "out", "started", "hang"}}, 50ms);
  EXPECT_TRUE(r.timed_out);
}

TEST(ChildProcess, WaitReturnsNothingWhileItRuns) {
  ChildProcess child({.argv = {kFixture, "hang"}});
  EXPECT_EQ(child.wait(20ms), std::nullopt);
  EXPECT_TRUE(child.running());
}

TEST(ChildProcess, StopSendsSigtermAndReportsTheSignal) {
  ChildProcess child({.argv = {kFixture, "hang"}});
  EXPECT_TRUE(child.running());
  EXPECT_EQ(child.stop(), -SIGTERM);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.exit_status(), -SIGTERM);
}

TEST(ChildProcess, TheDestructorKillsAndReaps) {
  pid_t pid = -1;
  {
    ChildProcess child({.argv = {kFixture, "hang"}});
    pid = child.pid();
    ASSERT_GT(pid, 0);
  }
  // Reaped: the pid no longer names a child of this process.
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
}

TEST(FreeLoopbackPort, IsAUsablePortNumber) {
  EXPECT_GT(free_loopback_port(), 0);
}

TEST(ToolAvailable, FailsForAMissingTool) {
  EXPECT_TRUE(tool_available(kFixture));
  EXPECT_FALSE(tool_available("/nonexistent/tool"));
}

TEST(TempDir, IsRemovedWithItsContent) {
  std::filesystem::path path;
  {
    const TempDir dir("orsa-testing");
    path = dir.path();
    std::filesystem::create_directories(path / "a/b");
    EXPECT_TRUE(std::filesystem::is_directory(path / "a/b"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace orsa::testing
