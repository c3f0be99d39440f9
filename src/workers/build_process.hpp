#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::workers {

/// What to run for one build: the builder with its arguments and the whole
/// environment (nothing of the deployer's own environment leaks through).
struct ProcessSpec {
  std::filesystem::path program;
  std::vector<std::string> args;  // without argv[0]
  std::vector<std::string> env;   // "NAME=value"
  std::filesystem::path cwd;
};

/// How a child process ended.
struct ProcessExit {
  int exit_code = -1;  // when it exited normally
  int signal = 0;      // when a signal killed it
  bool timed_out = false;
  bool canceled = false;
  std::string last_stdout_line;
};

/// Receives each output line (stdout and stderr) as it arrives, without the newline.
using LineSink = std::function<void(std::string_view line)>;

/// A child process in its own process group, its output read line by line.
/// cancel() may be called from any thread while run() blocks in another.
class BuildProcess {
 public:
  BuildProcess();
  ~BuildProcess();
  BuildProcess(const BuildProcess&) = delete;
  BuildProcess& operator=(const BuildProcess&) = delete;

  /// Spawns `spec` and reads its output into `sink` until it exits; after
  /// `timeout` or cancel() the group gets SIGTERM, then SIGKILL after `grace`.
  Result<ProcessExit> run(const ProcessSpec& spec, std::chrono::seconds timeout,
                          const LineSink& sink,
                          std::chrono::seconds grace = std::chrono::seconds(5));
  /// Asks a running (or about to run) process to stop.
  void cancel();

 private:
  int wake_fd_ = -1;  // eventfd: cancel() wakes run()'s poll
};

}  // namespace orsa::workers
