#include "runtime/podman_service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <tuple>

#include "core/files.hpp"
#include "core/strings.hpp"
#include "unix_http.hpp"

extern char** environ;

namespace orsa::runtime {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1
constexpr std::size_t kMaxRunrootPath = 50;  // podman: "runroot is longer than 50 characters"
constexpr auto kPollInterval = std::chrono::milliseconds(25);
constexpr std::size_t kLogTailBytes = 2000;
constexpr const char* kConfEnv = "CONTAINERS_CONF";
constexpr const char* kRegistriesEnv = "CONTAINERS_REGISTRIES_CONF";
constexpr const char* kStorageEnv = "CONTAINERS_STORAGE_CONF";

// ENVIRONMENT.md: runc (crun fails on this hybrid cgroup setup), cgroupfs,
// file events, and ulimits the sandbox's hard limits allow. Plus file locks
// (under --tmpdir): the default shm locks live in one /dev/shm/libpod_lock
// shared by every podman on the host, and a podman starting on a fresh
// tmpdir frees all of them, so stores interfere (seen: a service hanging at
// start on a lock number another store's container held).
//
// Logs go to files (k8s-file) capped per container even when a create asks
// for no cap; networks are configured under the state dir, not in the
// host's /etc/cni/net.d, so every store has its own.
constexpr std::string_view kContainersConf =
    "[containers]\n"
    "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
    "log_driver = \"k8s-file\"\n"
    "log_size_max = 8388608\n"
    "[engine]\n"
    "runtime = \"runc\"\n"
    "cgroup_manager = \"cgroupfs\"\n"
    "events_logger = \"file\"\n"
    "lock_type = \"file\"\n";

std::string errno_text() {
  return errno_message(errno);
}

// A TOML basic string; config values here are paths and host:port names.
Result<std::string> toml_string(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(Error::invalid_argument("control character in podman setting"));
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

Result<std::string> find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return fail(Error::unavailable(name + " is not executable"));
  }
  const char* env_path = std::getenv("PATH");
  std::string_view dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    dirs.remove_prefix(colon == std::string_view::npos ? dirs.size() : colon + 1);
    if (dir.empty()) continue;
    std::string candidate = concat({dir, "/", name});
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return fail(Error::unavailable(name + " not found in PATH (scripts/install-deps.sh installs " +
                                 "podman, runc, uidmap and busybox-static)"));
}

// A directory only we can use, for sockets whose natural path is too long.
Result<void> ensure_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return {};
  if (errno != EEXIST) {
    return fail(Error::internal("cannot create " + dir.string() + ": " + errno_text()));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 077) != 0) {
    return fail(
        Error::permission_denied(dir.string() + " exists but is not a private directory of ours"));
  }
  return {};
}

bool answers(const std::string& socket_path, std::chrono::milliseconds timeout) {
  const detail::UnixHttp http(socket_path, timeout);
  auto reply = http.request("GET", "/v1.41/version", {}, {}, timeout, 64 * 1024);
  return reply && reply->status == 200;
}

// Closes every descriptor above stderr; async-signal-safe.
void close_inherited_fds() {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  const long max_fd = ::sysconf(_SC_OPEN_MAX);
  for (long fd = 3; fd < (max_fd > 0 ? max_fd : 65536); ++fd) ::close(static_cast<int>(fd));
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<std::unique_ptr<PodmanService>> PodmanService::start(PodmanServiceOptions options) {
  if (options.state_dir.empty()) return fail(Error::invalid_argument("podman state_dir is empty"));
  std::error_code ec;
  options.state_dir = fs::absolute(options.state_dir, ec);
  std::unique_ptr<PodmanService> service(new PodmanService());
  // Paths that do not fit go to a private dir under /tmp named after the
  // state dir, so every service on the same state dir finds the same one.
  char short_name[40];
  std::snprintf(short_name, sizeof short_name, "orsa-podman-%016llx",
                static_cast<unsigned long long>(fnv1a(options.state_dir.native())));
  const fs::path short_dir = fs::path("/tmp") / short_name;
  if (options.root.empty()) options.root = options.state_dir / "root";
  options.root = fs::absolute(options.root, ec);
  if (options.runroot.empty()) {
    options.runroot = options.state_dir / "runroot";
    if (options.runroot.native().size() > kMaxRunrootPath) options.runroot = short_dir / "runroot";
  }
  options.runroot = fs::absolute(options.runroot, ec);
  if (options.runroot.native().size() > kMaxRunrootPath) {
    return fail(Error::invalid_argument("podman refuses a runroot longer than 50 characters: " +
                                        options.runroot.string()));
  }
  const fs::path preferred_socket = options.state_dir / "podman.sock";
  const bool short_socket = preferred_socket.native().size() > kMaxSocketPath;
  if (short_socket || options.runroot.parent_path() == short_dir) {
    if (auto dir = ensure_private_dir(short_dir); !dir) return fail(dir.error());
    service->short_dir_ = short_dir;
  }
  service->socket_path_ =
      short_socket ? (short_dir / "podman.sock").string() : preferred_socket.string();
  for (const auto& dir : {options.state_dir, options.root, options.runroot}) {
    fs::create_directories(dir, ec);
    if (ec) return fail(Error::internal("cannot create " + dir.string() + ": " + ec.message()));
  }
  service->options_ = std::move(options);
  const PodmanServiceOptions& o = service->options_;
  auto binary = find_executable(o.podman_binary);
  if (!binary) return fail(binary.error());
  service->podman_path_ = *binary;

  // Config files: the service must not depend on (or touch) /etc/containers.
  std::string registries;
  for (const auto& host : o.insecure_registries) {
    auto location = toml_string(host);
    if (!location) return fail(location.error());
    registries += "[[registry]]\nlocation = " + *location + "\ninsecure = true\n";
  }
  const fs::path network_dir = o.state_dir / "networks";
  fs::create_directories(network_dir, ec);
  auto network_conf = toml_string(network_dir.string());
  if (!network_conf) return fail(network_conf.error());
  const std::string containers_conf =
      std::string(kContainersConf) + "[network]\nnetwork_config_dir = " + *network_conf + "\n";
  auto driver = toml_string(o.storage_driver);
  auto graphroot = toml_string(o.root.string());
  auto runroot = toml_string(o.runroot.string());
  if (!driver || !graphroot || !runroot) {
    return fail(Error::invalid_argument("podman storage settings contain control characters"));
  }
  const std::string storage = "[storage]\ndriver = " + *driver + "\ngraphroot = " + *graphroot +
                              "\nrunroot = " + *runroot + "\n";
  const std::pair<const char*, std::pair<std::string, std::string_view>> files[] = {
      {kConfEnv, {"containers.conf", containers_conf}},
      {kRegistriesEnv, {"registries.conf", registries}},
      {kStorageEnv, {"storage.conf", storage}},
  };
  for (const auto& [env, file] : files) {
    const fs::path path = o.state_dir / file.first;
    if (auto written = write_file_atomic(path, file.second, 0600); !written) {
      return fail(written.error());
    }
    service->env_.emplace_back(env, path.string());
  }

  struct stat st {};
  if (::lstat(service->socket_path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return fail(Error::conflict(service->socket_path_ + " exists and is not a socket"));
    }
    if (answers(service->socket_path_, std::chrono::seconds(2))) {
      return fail(Error::conflict("a service already answers on " + service->socket_path_));
    }
    ::unlink(service->socket_path_.c_str());  // stale: its service died
  }

  service->log_path_ = o.state_dir / "podman.log";
  fs::rename(service->log_path_, o.state_dir / "podman.log.1", ec);  // keep one previous log
  if (auto launched = service->launch(); !launched) return fail(launched.error());
  if (auto ready = service->wait_ready(); !ready) return fail(ready.error());
  spdlog::info("podman service {} ready on {} (storage {}, root {})", service->pid_.load(),
               service->socket_path_, o.storage_driver, o.root.string());
  return service;
}

PodmanService::~PodmanService() {
  std::ignore = stop();  // a destructor has no one to report to; stop() logs
}

std::vector<std::string> PodmanService::cli_command() const {
  std::vector<std::string> args = {podman_path_, "--root", options_.root.string(), "--runroot",
                                   options_.runroot.string(),
                                   // Keeps the events file, exit codes and locks
                                   // apart from every other podman on the host.
                                   "--tmpdir", (options_.runroot / "libpod-tmp").string()};
  if (!options_.storage_driver.empty()) {
    args.emplace_back("--storage-driver");
    args.push_back(options_.storage_driver);
  }
  return args;
}

std::vector<std::pair<std::string, std::string>> PodmanService::cli_environment() const {
  return env_;
}

Result<void> PodmanService::launch() {
  // Everything the child needs is prepared before fork: after it, a child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<std::string> args = cli_command();
  args.insert(args.end(), {"system", "service", "--time=0", "unix://" + socket_path_});
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view key = entry.substr(0, entry.find('='));
    if (key != kConfEnv && key != kRegistriesEnv && key != kStorageEnv) env.emplace_back(entry);
  }
  for (const auto& [key, value] : env_) env.push_back(concat({key, "=", value}));
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return fail(Error::internal("cannot open " + log_path_.string() + ": " + errno_text()));
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    return fail(Error::internal("cannot open /dev/null: " + errno_text()));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // SIGTERM when our parent dies, so a killed deployer leaves no service
    // behind; if it died before this line, getppid() already changed.
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(126);
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to us; we stop the service in order
    sigset_t none;
    ::sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);  // the forked child's only thread
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD}) {
      ::sigaction(sig, &dfl, nullptr);
    }
    if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) ::_exit(126);
    // Our listening sockets must not leak into podman (and on into conmon,
    // which outlives us).
    close_inherited_fds();
    ::execve(podman_path_.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0)
    return fail(Error::internal(std::string("fork failed: ") + errno_message(fork_errno)));
  pid_ = pid;
  return {};
}

Result<void> PodmanService::wait_ready() {
  const auto deadline = Clock::now() + options_.start_timeout;
  while (true) {
    int status = 0;
    if (const pid_t pid = pid_; ::waitpid(pid, &status, WNOHANG) == pid) {
      pid_ = 0;
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return fail(Error::unavailable("podman system service exited (status " +
                                     std::to_string(code) + "): " + log_tail()));
    }
    // GET /version runs the OCI runtime to report it: seconds on a loaded machine.
    if (answers(socket_path_, std::chrono::seconds(10))) return {};
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string tail = log_tail();
  std::ignore = stop_locked();  // the start failure below is what the caller needs
  return fail(Error::unavailable("podman system service did not answer on " + socket_path_ +
                                 " within " + std::to_string(options_.start_timeout.count()) +
                                 " ms: " + tail));
}

Result<bool> PodmanService::restart_if_exited() {
  std::lock_guard lock(lifecycle_mutex_);
  const pid_t pid = pid_;
  if (stopped_ || pid <= 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return false;
  pid_ = 0;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  spdlog::warn("podman system service {} exited (status {}); starting it again", pid, code);
  ::unlink(socket_path_.c_str());  // its socket is dead; the new service binds it again
  if (auto ok = launch(); !ok) return fail(ok.error());
  if (auto ok = wait_ready(); !ok) return fail(ok.error());
  spdlog::info("podman system service restarted (pid {})", pid_.load());
  return true;
}

Result<void> PodmanService::stop() {
  std::lock_guard lock(lifecycle_mutex_);
  stopped_ = true;
  return stop_locked();
}

Result<void> PodmanService::stop_locked() {
  if (const pid_t pid = pid_; pid > 0) {
    ::kill(pid, SIGTERM);
    const auto deadline = Clock::now() + options_.stop_timeout;
    bool exited = false;
    while (!exited && Clock::now() < deadline) {
      exited = ::waitpid(pid, nullptr, WNOHANG) == pid;
      if (!exited) std::this_thread::sleep_for(kPollInterval);
    }
    if (!exited) {
      spdlog::warn("podman service {} ignored SIGTERM for {} ms; killing it", pid,
                   options_.stop_timeout.count());
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = 0;
    // Only a socket our child served: another service may own it otherwise.
    ::unlink(socket_path_.c_str());
  }
  // Only if empty: a runroot there must survive for the next service.
  if (!short_dir_.empty()) ::rmdir(short_dir_.c_str());
  return {};
}

std::string PodmanService::log_tail() const {
  auto text = read_file(log_path_);
  if (!text) return "(no podman log)";
  std::string tail =
      text->size() > kLogTailBytes ? text->substr(text->size() - kLogTailBytes) : *text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  return tail.empty() ? "(podman log is empty)" : tail;
}

}  // namespace orsa::runtime
