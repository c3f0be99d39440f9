#include "build_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/unique_fd.hpp"

namespace orsa::workers {
namespace {

using std::chrono::seconds;

ProcessSpec shell(const std::string& script) {
  return {.program = "/bin/sh", .args = {"-c", script}, .env = {"PATH=/usr/bin:/bin"}, .cwd = "/"};
}

std::vector<std::string> run_lines(const ProcessSpec& spec, ProcessExit* exit = nullptr) {
  std::vector<std::string> lines;
  BuildProcess process;
  auto ended = process.run(spec, seconds(20), [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_TRUE(ended.has_value()) << (ended ? "" : ended.error().message);
  if (ended && exit != nullptr) *exit = *ended;
  return lines;
}

// The control plane's sockets and files are opened without close-on-exec in
// places it does not control (libraries); the spawner must close them all.
TEST(BuildProcessTest, ChildInheritsNoDescriptorOfTheParent) {
  const UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM, 0));    // no SOCK_CLOEXEC
  const UniqueFd file_fd(::open("/proc/self/status", O_RDONLY));  // no O_CLOEXEC
  ASSERT_GE(socket_fd.get(), 3);
  ASSERT_GE(file_fd.get(), 3);
  const std::string script = "for fd in " + std::to_string(socket_fd.get()) + " " +
                             std::to_string(file_fd.get()) +
                             "; do if [ -e /proc/$$/fd/$fd ]; then echo leaked $fd; fi; done; "
                             "echo checked";
  const auto lines = run_lines(shell(script));
  EXPECT_EQ(lines, std::vector<std::string>{"checked"});
}

TEST(BuildProcessTest, ChildStdinIsDevNullAndOutputIsCaptured) {
  ProcessExit exit;
  const auto lines = run_lines(shell("readlink /proc/$$/fd/0; echo to-stderr >&2; exit 3"), &exit);
  EXPECT_EQ(lines, (std::vector<std::string>{"/dev/null", "to-stderr"}));
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(exit.last_stdout_line, "/dev/null");
}

TEST(BuildProcessTest, EnvironmentIsOnlyTheSpecs) {
  ::setenv("ORSA_TEST_SECRET", "must-not-leak", 1);
  auto spec = shell("echo \"[${ORSA_TEST_SECRET:-}]\" \"$ONLY\"");
  spec.env.push_back("ONLY=given");
  EXPECT_EQ(run_lines(spec), std::vector<std::string>{"[] given"});
  ::unsetenv("ORSA_TEST_SECRET");
}

TEST(BuildProcessTest, TimeoutStopsTheWholeProcessGroup) {
  BuildProcess process;
  auto ended = process.run(
      shell("sleep 30 & sleep 30; echo not-reached"), seconds(1), [](std::string_view) {},
      seconds(1));
  ASSERT_TRUE(ended.has_value());
  EXPECT_TRUE(ended->timed_out);
  EXPECT_NE(ended->signal, 0);
}

}  // namespace
}  // namespace orsa::workers
