#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "testing/eventually.hpp"

namespace orsa::testing {

struct ChildOptions {
  std::vector<std::string> argv;  // argv[0] is a path, never looked up in PATH
  /// Set on top of the test's own environment (or of nothing, see below).
  std::map<std::string, std::string> env;
  /// Removed from the inherited environment.
  std::vector<std::string> unset_env;
  bool inherit_env = true;
  /// stdout and stderr in one capture, in the order they were written.
  bool merge_output = false;
};

/// A process the test started: output captured to files, waited on with a
/// deadline, killed (SIGKILL) and reaped when the object goes away so a
/// failing test never leaves it behind.
class ChildProcess {
 public:
  /// Starts the process. Throws std::runtime_error when it cannot (e.g. a
  /// missing binary).
  explicit ChildProcess(ChildOptions options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// False once the process has exited (and was reaped).
  bool running();
  /// Waits up to `budget` for the exit: the exit code, -signal when it was
  /// killed, nullopt when it still runs.
  std::optional<int> wait(SteadyDuration budget);
  /// SIGTERM, up to `grace` to exit, then SIGKILL; the exit status as wait().
  int stop(SteadyDuration grace = std::chrono::seconds(15));
  /// SIGKILL, no grace; reaps the process.
  void kill();
  /// The exit status once known (after wait, stop, kill or running()).
  std::optional<int> exit_status() const { return status_; }

  /// Everything written to stdout so far (with stderr when merged).
  std::string out() const;
  std::string err() const;

 private:
  void reaped(int raw_status);

  TempDir capture_{"orsa-child"};
  pid_t pid_ = -1;
  std::optional<int> status_;
  bool merged_ = false;
};

struct RunResult {
  int status = -1;  // exit code, or -signal; -1 with timed_out
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs a command to completion (killed after `budget`) and returns its
/// status and output.
RunResult run(ChildOptions options, SteadyDuration budget);

/// A TCP port on 127.0.0.1 nobody listened on a moment ago, for a child
/// that cannot bind port 0 and report it back. Prefer port 0 when possible.
std::uint16_t free_loopback_port();

/// Fails the test (it is not skipped) when `path` is not an executable file:
/// an integration test needs its tool. Use as ASSERT_TRUE(tool_available(p)).
::testing::AssertionResult tool_available(const std::filesystem::path& path);

}  // namespace orsa::testing
