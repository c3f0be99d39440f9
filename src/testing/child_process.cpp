#include "testing/child_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "core/files.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "testing/eventually.hpp"

extern char** environ;

namespace orsa::testing {
namespace {

std::map<std::string, std::string> environment_of(const ChildOptions& options) {
  std::map<std::string, std::string> env;
  if (options.inherit_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const auto eq = entry.find('=');
      if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (const auto& name : options.unset_env) env.erase(name);
  for (const auto& [name, value] : options.env) env[name] = value;
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// The child's stdin is /dev/null, stdout and stderr go to the capture files.
class Redirections {
 public:
  Redirections(const std::filesystem::path& out, const std::filesystem::path& err, bool merge) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions_, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (merge) {
      posix_spawn_file_actions_adddup2(&actions_, 1, 2);
    } else {
      posix_spawn_file_actions_addopen(&actions_, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0600);
    }
  }
  ~Redirections() { posix_spawn_file_actions_destroy(&actions_); }
  Redirections(const Redirections&) = delete;
  Redirections& operator=(const Redirections&) = delete;
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

int decode(int raw_status) {
  return WIFEXITED(raw_status) ? WEXITSTATUS(raw_status) : -WTERMSIG(raw_status);
}

}  // namespace

ChildProcess::ChildProcess(ChildOptions options) : merged_(options.merge_output) {
  if (options.argv.empty()) throw std::invalid_argument("ChildProcess needs a command");
  std::vector<std::string> env;
  for (const auto& [name, value] : environment_of(options)) {
    std::string entry = name;
    entry.append("=").append(value);
    env.push_back(std::move(entry));
  }
  auto c_argv = c_strings(options.argv);
  auto c_env = c_strings(env);
  const Redirections redirections(capture_.path() / "out", capture_.path() / "err", merged_);
  const int rc =
      posix_spawn(&pid_, c_argv[0], redirections.get(), nullptr, c_argv.data(), c_env.data());
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + options.argv[0] + ": " + errno_message(rc));
  }
}

ChildProcess::~ChildProcess() {
  kill();
}

void ChildProcess::reaped(int raw_status) {
  status_ = decode(raw_status);
  pid_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int raw = 0;
  if (waitpid(pid_, &raw, WNOHANG) == pid_) reaped(raw);
  return pid_ > 0;
}

std::optional<int> ChildProcess::wait(SteadyDuration budget) {
  if (eventually(budget, [this] { return !running(); })) return status_;
  return std::nullopt;
}

int ChildProcess::stop(SteadyDuration grace) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!wait(grace)) kill();
  }
  return status_.value_or(-1);
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  if (waitpid(pid_, &raw, 0) == pid_) reaped(raw);
  pid_ = -1;
}

std::string ChildProcess::out() const {
  return read_file(capture_.path() / "out").value_or("");
}

std::string ChildProcess::err() const {
  return merged_ ? "" : read_file(capture_.path() / "err").value_or("");
}

RunResult run(ChildOptions options, SteadyDuration budget) {
  ChildProcess child(std::move(options));
  RunResult result;
  if (auto status = child.wait(budget)) {
    result.status = *status;
  } else {
    child.kill();
    result.timed_out = true;
  }
  result.out = child.out();
  result.err = child.err();
  return result;
}

std::uint16_t free_loopback_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.ok()) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  return ntohs(addr.sin_port);
}

::testing::AssertionResult tool_available(const std::filesystem::path& path) {
  if (::access(path.c_str(), X_OK) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << path << " is missing or not executable; this test needs it (install it, the test "
         << "does not skip)";
}

}  // namespace orsa::testing
