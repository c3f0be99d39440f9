#include "build_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/strings.hpp"

namespace orsa::workers {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A single line longer than this is split: output is logged, not parsed,
// except the final result line, which is far shorter.
constexpr std::size_t kMaxLine = 64 * 1024;

/// A pipe whose ends close on exec and on destruction.
struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

Result<void> open_pipe(Pipe& pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(Error::unavailable(std::string("cannot create a pipe: ") + errno_message(errno)));
  }
  pipe.read = fds[0];
  pipe.write = fds[1];
  return {};
}

/// Splits a byte stream into lines for the sink.
class LineSplitter {
 public:
  LineSplitter(const LineSink& sink, std::string* last) : sink_(sink), last_(last) {}
  void feed(std::string_view bytes) {
    buffer_.append(bytes);
    std::size_t start = 0;
    for (std::size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(std::string_view(buffer_).substr(start, nl - start));
    }
    buffer_.erase(0, start);
    if (buffer_.size() > kMaxLine) {
      emit(buffer_);
      buffer_.clear();
    }
  }
  void flush() {
    if (!buffer_.empty()) emit(buffer_);
    buffer_.clear();
  }

 private:
  void emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (last_ != nullptr && !line.empty()) *last_ = line;
    sink_(line);
  }
  const LineSink& sink_;
  std::string* last_;
  std::string buffer_;
};

Result<pid_t> spawn(const ProcessSpec& spec, Pipe& out, Pipe& err) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  // Nothing else of the deployer's (sockets, the database) reaches the builder.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  // Its own process group, so a kill reaches whatever the builder starts.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_storage{spec.program.string()};
  argv_storage.insert(argv_storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = spec.env;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, spec.program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return fail(Error::unavailable("cannot start the builder (" + spec.program.filename().string() +
                                   "): " + errno_message(rc)));
  }
  return pid;
}

/// Drives one running child: reads output, enforces the deadline and cancel.
class Supervisor {
 public:
  Supervisor(pid_t pid, int wake_fd, std::chrono::seconds timeout, std::chrono::seconds grace)
      : pid_(pid), wake_fd_(wake_fd), deadline_(SteadyClock::now() + timeout), grace_(grace) {}

  void pump(Pipe& out, Pipe& err, const LineSink& sink, ProcessExit& exit) {
    LineSplitter stdout_lines(sink, &exit.last_stdout_line);
    LineSplitter stderr_lines(sink, nullptr);
    std::array<char, 16 * 1024> buf{};
    while (out.read >= 0 || err.read >= 0) {
      std::array<pollfd, 3> fds{pollfd{out.read, POLLIN, 0}, pollfd{err.read, POLLIN, 0},
                                pollfd{wake_fd_, POLLIN, 0}};
      const int ready = ::poll(fds.data(), fds.size(), wait_ms());
      if (ready < 0 && errno != EINTR) break;
      if (fds[2].revents & POLLIN) on_cancel(exit);
      if (SteadyClock::now() >= next_deadline()) on_deadline(exit);
      for (auto [pipe, splitter, fd] :
           {std::tuple{&out, &stdout_lines, fds[0]}, std::tuple{&err, &stderr_lines, fds[1]}}) {
        if (fd.revents == 0) continue;
        const ssize_t n = ::read(pipe->read, buf.data(), buf.size());
        if (n > 0) {
          splitter->feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
        } else if (n == 0 || errno != EINTR) {
          pipe->close_read();
        }
      }
    }
    stdout_lines.flush();
    stderr_lines.flush();
  }

  void reap(ProcessExit& exit) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
    // Whatever the builder left running in its group goes too.
    ::kill(-pid_, SIGKILL);
  }

 private:
  SteadyClock::time_point next_deadline() const { return kill_at_.value_or(deadline_); }

  int wait_ms() const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline() - SteadyClock::now());
    return static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 60'000));
  }

  void on_cancel(ProcessExit& exit) {
    std::uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &value, sizeof value);
    if (kill_at_) return;
    exit.canceled = true;
    terminate();
  }

  void on_deadline(ProcessExit& exit) {
    if (kill_at_) {
      ::kill(-pid_, SIGKILL);
      kill_at_ = SteadyClock::time_point::max();
      return;
    }
    exit.timed_out = true;
    terminate();
  }

  void terminate() {
    ::kill(-pid_, SIGTERM);
    kill_at_ = SteadyClock::now() + grace_;
  }

  pid_t pid_;
  int wake_fd_;
  SteadyClock::time_point deadline_;
  std::chrono::seconds grace_;
  std::optional<SteadyClock::time_point> kill_at_;
};

}  // namespace

BuildProcess::BuildProcess() : wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

BuildProcess::~BuildProcess() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void BuildProcess::cancel() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

Result<ProcessExit> BuildProcess::run(const ProcessSpec& spec, std::chrono::seconds timeout,
                                      const LineSink& sink, std::chrono::seconds grace) {
  if (wake_fd_ < 0) return fail(Error::unavailable("cannot create an eventfd"));
  Pipe out, err;
  if (auto ok = open_pipe(out); !ok) return fail(ok.error());
  if (auto ok = open_pipe(err); !ok) return fail(ok.error());
  auto pid = spawn(spec, out, err);
  if (!pid) return fail(pid.error());
  // Our copies of the write ends must go, or the pipes never reach EOF.
  out.close_write();
  err.close_write();
  ProcessExit exit;
  Supervisor supervisor(*pid, wake_fd_, timeout, grace);
  supervisor.pump(out, err, sink, exit);
  supervisor.reap(exit);
  return exit;
}

}  // namespace orsa::workers
