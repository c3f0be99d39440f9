// The runtime against the real podman service: PodmanService starts it on a
// private store, DockerApiRuntime pulls from a loopback docker-registry with
// htpasswd auth, runs busybox httpd, and reads logs, events and state. Needs
// podman, runc, busybox-static and docker-registry (scripts/install-deps.sh);
// fails with a message, never skips, when one is missing.

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/temp_dir.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "runtime/podman_service.hpp"

extern char** environ;

namespace orsa::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kRegistryUser = "orsa-it";
constexpr auto kPoll = 50ms;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs argv (with extra environment) under a 180 s `timeout`.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::string line = "env";
  for (const auto& [key, value] : env) line += " " + shell_quote(key + "=" + value);
  line += " timeout 180";
  for (const auto& arg : argv) line += " " + shell_quote(arg);
  line += " 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPoll);
  }
  return true;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The body of GET http://host:port/, or "" when nothing answers.
std::string http_get_at(const std::string& host, std::uint16_t port) {
  const auto r = run_command({"curl", "-s", "-m", "2", "--noproxy", "*",
                              "http://" + host + ":" + std::to_string(port) + "/"});
  return r.status == 0 ? r.output : std::string();
}

// The body of GET http://127.0.0.1:port/path, or "" when nothing answers.
std::string http_get(std::uint16_t port, const std::string& path = "/") {
  const auto r =
      run_command({"curl", "-s", "-m", "2", "http://127.0.0.1:" + std::to_string(port) + path});
  return r.status == 0 ? r.output : std::string();
}

bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  // Reparented to an init that has not reaped it yet: a zombie is dead too.
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  const auto paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

// Podman's overlay driver bind-mounts <root>/overlay onto itself and may
// leave it mounted after the service exits; a store cannot be deleted so.
void unmount_below(const fs::path& dir) {
  std::vector<std::string> points;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  const std::string prefix = dir.string() + "/";
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, point;
    fields >> id >> parent >> devices >> root >> point;
    if (point.starts_with(prefix)) points.push_back(point);
  }
  std::sort(points.rbegin(), points.rend());  // children before parents
  for (const auto& point : points) ::umount2(point.c_str(), MNT_DETACH);
}

std::string require_tool(const char* name) {
  const auto r = run_command({"sh", "-c", std::string("command -v ") + name});
  return r.status == 0 ? std::string() : std::string(name) + " ";
}

bool has_line(const std::vector<LogLine>& lines, const std::string& text, LogLine::Stream stream) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const LogLine& l) { return l.text == text && l.stream == stream; });
}

int max_tick(const std::vector<LogLine>& lines) {
  int best = 0;
  for (const auto& l : lines) {
    if (l.text.starts_with("tick ")) best = std::max(best, std::atoi(l.text.c_str() + 5));
  }
  return best;
}

// Log lines of `id` once one equals `last` (the container's own "done").
std::vector<LogLine> logs_until(Runtime& runtime, const std::string& id, const std::string& last,
                                std::chrono::seconds timeout = 30s) {
  std::vector<LogLine> lines;
  wait_until(timeout, [&] {
    lines.clear();
    (void)runtime.logs(id, {}, [&](const LogLine& l) {
      lines.push_back(l);
      return true;
    });
    return std::any_of(lines.begin(), lines.end(),
                       [&](const LogLine& l) { return l.text == last; });
  });
  return lines;
}

// The text after "<key> " in the first line starting so, or "(missing)".
std::string value_of(const std::vector<LogLine>& lines, const std::string& key) {
  for (const auto& l : lines) {
    if (l.text.starts_with(key + " ")) return l.text.substr(key.size() + 1);
  }
  return "(missing)";
}

// A listener on 127.0.0.1 standing in for the control plane.
struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;
  LoopbackListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 8) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ~LoopbackListener() { ::close(fd); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
};

class PodmanRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string missing = require_tool("podman") + require_tool("runc") +
                                require_tool("busybox") + require_tool("docker-registry") +
                                require_tool("curl");
    if (!missing.empty()) {
      setup_error_ = "missing tools: " + missing +
                     "(run scripts/install-deps.sh: podman, runc, uidmap, busybox-static, "
                     "docker-registry)";
      return;
    }
    work_ = new TempDir("orsa-rt");
    deployment_ = "it-" + random_hex(4);
    if (auto error = start_registry(); !error.empty()) {
      setup_error_ = error;
      return;
    }
    if (auto error = start_service(); !error.empty()) {
      setup_error_ = error;
      return;
    }
    setup_error_ = push_test_image();
  }

  static void TearDownTestSuite() {
    if (!cli_.empty()) {
      // The CLI works whether or not a service is up.
      auto rm = cli_;
      rm.insert(rm.end(), {"rm", "-a", "-f", "-t", "0"});
      run_command(rm, cli_env_);
      auto rmi = cli_;
      rmi.insert(rmi.end(), {"rmi", "-a", "-f"});
      run_command(rmi, cli_env_);
      for (const auto& name : networks_) {
        auto rm_net = cli_;
        rm_net.insert(rm_net.end(), {"network", "rm", "-f", name});
        run_command(rm_net, cli_env_);
      }
    }
    runtime_.reset();
    service_.reset();
    if (registry_pid_ > 0) {
      ::kill(registry_pid_, SIGTERM);
      ::waitpid(registry_pid_, nullptr, 0);
      registry_pid_ = 0;
    }
    if (work_ != nullptr) unmount_below(work_->path());
    delete work_;
    work_ = nullptr;
  }

  void TearDown() override {
    // Containers a failed test left behind would hold the image.
    for (const auto& id : own_) {
      if (runtime_) (void)runtime_->remove(id);
    }
    own_.clear();
  }

  // `runtime_->run(s)`, with the container removed after the test whatever happens.
  static Result<std::string> run_own(const ContainerSpec& s) {
    auto id = runtime_->run(s);
    if (id) own_.push_back(*id);
    return id;
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_NE(runtime_, nullptr) << "an earlier test lost the podman service";
  }

  static std::string start_registry() {
    registry_password_ = random_hex(12);
    const char* salt = ::crypt_gensalt("$2b$", 5, nullptr, 0);
    const char* hash = salt != nullptr ? ::crypt(registry_password_.c_str(), salt) : nullptr;
    if (hash == nullptr || hash[0] == '*') return "cannot compute a bcrypt htpasswd entry";
    const fs::path dir = work_->path() / "registry";
    fs::create_directories(dir / "data");
    registry_port_ = free_port();
    registry_host_ = "127.0.0.1:" + std::to_string(registry_port_);
    (void)write_file_atomic(dir / "htpasswd", std::string(kRegistryUser) + ":" + hash + "\n");
    (void)write_file_atomic(dir / "config.yml",
                            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                            "    rootdirectory: " +
                                (dir / "data").string() +
                                "\n  delete:\n    enabled: true\nhttp:\n  addr: " + registry_host_ +
                                "\nauth:\n  htpasswd:\n    realm: orsa-it\n"
                                "    path: " +
                                (dir / "htpasswd").string() + "\n");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir / "registry.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string config = (dir / "config.yml").string();
    char arg0[] = "docker-registry";
    char arg1[] = "serve";
    char* argv[] = {arg0, arg1, config.data(), nullptr};
    const int rc =
        ::posix_spawnp(&registry_pid_, "docker-registry", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return "cannot start docker-registry";
    const bool up = wait_until(20s, [] {
      const auto r = run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "http://" + registry_host_ + "/v2/"});
      return r.output == "401";
    });
    return up ? std::string() : "docker-registry did not answer: " + read_file(log).value_or("");
  }

  static std::string start_service() {
    PodmanServiceOptions options;
    options.state_dir = work_->path() / "podman";
    options.insecure_registries = {registry_host_};
    auto service = PodmanService::start(options);
    if (!service) return "PodmanService::start: " + service.error().message;
    service_ = std::move(*service);
    cli_ = service_->cli_command();
    cli_env_ = service_->cli_environment();
    runtime_ = std::make_unique<DockerApiRuntime>(
        DockerApiOptions{.socket_path = service_->socket_path()});
    return {};
  }

  static CommandResult podman(std::vector<std::string> args) {
    auto argv = service_->cli_command();
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, service_->cli_environment());
  }

  // busybox alone as a rootfs, imported with the CLI and pushed with auth; the
  // local copy is removed so that the runtime's pull really fetches it.
  static std::string push_test_image() {
    const fs::path rootfs = work_->path() / "rootfs";
    fs::create_directories(rootfs / "bin");
    fs::create_directories(rootfs / "www");
    fs::create_directories(rootfs / "tmp");
    fs::permissions(rootfs / "tmp", fs::perms::all | fs::perms::sticky_bit);
    fs::copy_file("/bin/busybox", rootfs / "bin" / "busybox");
    (void)write_file_atomic(rootfs / "www" / "index.html", "hello from orsa\n");
    const std::string tar = (work_->path() / "rootfs.tar").string();
    if (auto r = run_command({"tar", "-C", rootfs.string(), "-cf", tar, "."}); r.status != 0) {
      return "tar: " + r.output;
    }
    const std::string local = "localhost/orsa-it/bb:1";
    if (auto r = podman({"import", "-q", tar, local}); r.status != 0) return "import: " + r.output;
    const std::string digest_file = (work_->path() / "digest").string();
    image_repo_ = registry_host_ + "/orsa/bb";
    if (auto r = podman({"push", "-q", "--tls-verify=false", "--creds",
                         std::string(kRegistryUser) + ":" + registry_password_, "--digestfile",
                         digest_file, local, image_repo_ + ":1"});
        r.status != 0) {
      return "push: " + r.output;
    }
    if (auto r = podman({"rmi", "-f", local}); r.status != 0) return "rmi: " + r.output;
    image_ = image_repo_ + "@" + read_file(digest_file).value_or("");
    return {};
  }

  static RegistryAuth auth() { return {registry_host_, kRegistryUser, registry_password_}; }

  static ContainerSpec spec(const std::string& name) {
    ContainerSpec s;
    s.name = name;
    s.image = image_;
    s.labels = {{kLabelManaged, "true"},
                {kLabelDeployment, deployment_},
                {kLabelProject, "alice/bb"},
                {kLabelOwner, "usr_it"}};
    s.env = {{"GREETING", "hello"}};
    s.command = {"/bin/busybox", "sh", "-c",
                 "echo started-stdout; echo started-stderr >&2; echo \"env $GREETING\"; "
                 "if /bin/busybox touch /root-write 2>/dev/null; then echo root-writable; "
                 "else echo root-readonly; fi; "
                 "/bin/busybox touch /tmp/tmp-write && echo tmp-writable; "
                 "(i=0; while true; do i=$((i+1)); echo tick $i; /bin/busybox sleep 0.3; done) & "
                 "exec /bin/busybox httpd -f -p 8000 -h /www"};
    s.memory_bytes = 64LL * 1024 * 1024;
    s.cpus = 0.5;
    s.pids_limit = 64;
    s.tmp_size_bytes = 16LL * 1024 * 1024;
    return s;
  }

  static std::vector<LogLine> all_logs(const std::string& id) {
    std::vector<LogLine> lines;
    auto r = runtime_->logs(id, {}, [&](const LogLine& l) {
      lines.push_back(l);
      return true;
    });
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return lines;
  }

  static inline std::string setup_error_ = "SetUpTestSuite did not run";
  static inline TempDir* work_ = nullptr;
  static inline std::string deployment_;
  static inline pid_t registry_pid_ = 0;
  static inline std::uint16_t registry_port_ = 0;
  static inline std::string registry_host_;
  static inline std::string registry_password_;
  static inline std::string image_repo_;
  static inline std::string image_;
  static inline std::unique_ptr<PodmanService> service_;
  static inline std::unique_ptr<DockerApiRuntime> runtime_;
  static inline std::string id_;  // the container the tests share
  static inline std::vector<std::string> cli_;
  static inline std::vector<std::string> networks_;
  static inline std::vector<std::string> own_;  // removed at the end whatever happened
  static inline std::vector<std::pair<std::string, std::string>> cli_env_;
};

TEST_F(PodmanRuntime, PullNeedsTheRightCredentialsAndAKnownImage) {
  ASSERT_TRUE(runtime_->version().has_value());
  auto wrong = runtime_->pull(image_, {registry_host_, kRegistryUser, "wrong-password"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated) << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("wrong-password"), std::string::npos);

  auto unknown = runtime_->pull(image_repo_ + ":no-such-tag", auth());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound) << unknown.error().message;

  auto pulled = runtime_->pull(image_, auth());
  ASSERT_TRUE(pulled.has_value()) << pulled.error().message;
}

TEST_F(PodmanRuntime, RunsAContainerThatServesOnLoopbackWithItsLimits) {
  auto id = runtime_->run(spec("orsa-it-web-" + deployment_));
  ASSERT_TRUE(id.has_value()) << id.error().message;
  id_ = *id;
  auto info = runtime_->inspect(id_);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->id, id_);
  EXPECT_EQ(info->name, "orsa-it-web-" + deployment_);
  EXPECT_EQ(info->state, ContainerState::kRunning);
  EXPECT_EQ(info->labels.at(kLabelDeployment), deployment_);
  EXPECT_EQ(info->host_ip, "127.0.0.1");
  ASSERT_NE(info->host_port, 0);
  ASSERT_TRUE(info->started_at.has_value());
  EXPECT_FALSE(info->finished_at.has_value());
  const std::uint16_t port = info->host_port;
  EXPECT_TRUE(wait_until(20s, [&] { return http_get(port) == "hello from orsa\n"; }))
      << "nothing answered on 127.0.0.1:" << port;

  const auto limits = podman({"inspect", "--format",
                              "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} "
                              "{{.HostConfig.PidsLimit}} {{.HostConfig.ReadonlyRootfs}} "
                              "{{index .HostConfig.Tmpfs \"/tmp\"}}",
                              id_});
  ASSERT_EQ(limits.status, 0) << limits.output;
  EXPECT_TRUE(limits.output.starts_with("67108864 500000000 64 true rw,size=16777216,mode=1777"))
      << limits.output;
}

TEST_F(PodmanRuntime, LogsCarryBothStreamsTimestampsAndFollow) {
  ASSERT_FALSE(id_.empty());
  std::vector<LogLine> lines;
  ASSERT_TRUE(wait_until(20s, [&] {
    lines = all_logs(id_);
    return max_tick(lines) >= 2;
  }));
  EXPECT_TRUE(has_line(lines, "started-stdout", LogLine::Stream::kStdout));
  EXPECT_TRUE(has_line(lines, "started-stderr", LogLine::Stream::kStderr));
  EXPECT_TRUE(has_line(lines, "env hello", LogLine::Stream::kStdout));
  // Read-only root, writable /tmp.
  EXPECT_TRUE(has_line(lines, "root-readonly", LogLine::Stream::kStdout));
  EXPECT_TRUE(has_line(lines, "tmp-writable", LogLine::Stream::kStdout));
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& line : lines) {
    EXPECT_GT(line.at_ns, now_ns - 600'000'000'000LL) << line.text;
    EXPECT_LT(line.at_ns, now_ns + 60'000'000'000LL) << line.text;
  }

  LogOptions tail;
  tail.tail = 2;
  std::vector<LogLine> last;
  ASSERT_TRUE(runtime_->logs(id_, tail, [&](const LogLine& l) {
    last.push_back(l);
    return true;
  }));
  EXPECT_EQ(last.size(), 2u);

  // Follow: a tick printed after the call started arrives, then the sink stops it.
  const int seen = max_tick(lines);
  LogOptions follow;
  follow.follow = true;
  follow.tail = 0;
  const auto give_up = Clock::now() + 30s;
  follow.keep_going = [&] { return Clock::now() < give_up; };
  int later = 0;
  const auto started = Clock::now();
  auto followed = runtime_->logs(id_, follow, [&](const LogLine& l) {
    if (l.text.starts_with("tick ")) later = std::atoi(l.text.c_str() + 5);
    return later <= seen;
  });
  ASSERT_TRUE(followed.has_value()) << followed.error().message;
  EXPECT_GT(later, seen);
  EXPECT_LT(Clock::now() - started, 20s);

  // keep_going ends a follow even when the sink is never asked.
  LogOptions quiet = follow;
  const auto stop_at = Clock::now() + 1s;
  quiet.keep_going = [&] { return Clock::now() < stop_at; };
  const auto quiet_started = Clock::now();
  auto ended = runtime_->logs(id_, quiet, [](const LogLine&) { return true; });
  ASSERT_TRUE(ended.has_value()) << ended.error().message;
  EXPECT_LT(Clock::now() - quiet_started, 5s);
}

TEST_F(PodmanRuntime, ListsByLabel) {
  ASSERT_FALSE(id_.empty());
  auto mine = runtime_->list({{kLabelDeployment, deployment_}, {kLabelManaged, "true"}});
  ASSERT_TRUE(mine.has_value()) << mine.error().message;
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().id, id_);
  EXPECT_EQ(mine->front().state, ContainerState::kRunning);
  EXPECT_EQ(mine->front().labels.at(kLabelProject), "alice/bb");
  EXPECT_NE(mine->front().host_port, 0);
  auto none = runtime_->list({{kLabelDeployment, "no-such-deployment"}});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_F(PodmanRuntime, StopReportsDieEventAndStartRunsAgain) {
  ASSERT_FALSE(id_.empty());
  std::atomic<bool> connected = false;
  std::atomic<bool> died = false;
  std::atomic<bool> done = false;
  Event die;
  std::thread watcher([&] {
    const auto deadline = Clock::now() + 60s;
    auto r = runtime_->events({{kLabelDeployment, deployment_}}, [&](const Event* e) {
      if (e == nullptr) {
        connected = true;
      } else if (e->container_id == id_ && e->action == "die" && !died) {
        die = *e;
        died = true;
      }
      return !done && Clock::now() < deadline;
    });
    EXPECT_TRUE(r.has_value()) << r.error().message;
  });
  ASSERT_TRUE(wait_until(10s, [&] { return connected.load(); }));
  // A stop issued before the server subscribed would be missed: repeat the
  // stop/start cycle until the die event arrives.
  const auto deadline = Clock::now() + 60s;
  while (!died && Clock::now() < deadline) {
    ASSERT_TRUE(runtime_->stop(id_, 1s).has_value());
    if (!wait_until(5s, [&] { return died.load(); })) {
      ASSERT_TRUE(runtime_->start(id_));
    }
  }
  done = true;
  watcher.join();
  ASSERT_TRUE(died);
  EXPECT_EQ(die.labels.at(kLabelDeployment), deployment_);
  EXPECT_EQ(die.labels.at(kLabelManaged), "true");
  EXPECT_EQ(die.labels.count("image"), 0u);

  auto stopped = runtime_->inspect(id_);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->state, ContainerState::kExited);
  EXPECT_TRUE(stopped->finished_at.has_value());
  EXPECT_NE(stopped->exit_code, 0);
  EXPECT_FALSE(stopped->oom_killed);
  EXPECT_TRUE(runtime_->stop(id_, 1s).has_value()) << "stopping a stopped container";

  ASSERT_TRUE(runtime_->start(id_).has_value());
  EXPECT_TRUE(runtime_->start(id_).has_value()) << "starting a running container";
  auto again = runtime_->inspect(id_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->state, ContainerState::kRunning);
  ASSERT_NE(again->host_port, 0);
  const std::uint16_t port = again->host_port;
  EXPECT_TRUE(wait_until(20s, [&] { return http_get(port) == "hello from orsa\n"; }));
}

TEST_F(PodmanRuntime, FailedStartLeavesNoContainer) {
  ContainerSpec bad = spec("orsa-it-bad-" + deployment_);
  bad.labels[kLabelDeployment] = deployment_ + "-bad";
  bad.command = {"/no/such/binary"};
  auto id = runtime_->run(bad);
  ASSERT_FALSE(id.has_value());
  auto left = runtime_->list({{kLabelDeployment, deployment_ + "-bad"}});
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());

  ContainerSpec dup = spec("orsa-it-web-" + deployment_);
  auto conflict = runtime_->run(dup);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict) << conflict.error().message;

  auto missing = runtime_->inspect("0123456789ab");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(PodmanRuntime, ContainersOutliveTheServiceAndAreAdoptedByTheNextOne) {
  ASSERT_FALSE(id_.empty());
  auto before = runtime_->inspect(id_);
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->state, ContainerState::kRunning);
  const std::uint16_t port = before->host_port;

  ASSERT_TRUE(service_->stop().has_value());
  auto down = runtime_->inspect(id_);
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(http_get(port), "hello from orsa\n") << "the container died with the service";

  runtime_.reset();
  service_.reset();
  ASSERT_EQ(start_service(), "");
  auto adopted = runtime_->list({{kLabelDeployment, deployment_}});
  ASSERT_TRUE(adopted.has_value()) << adopted.error().message;
  ASSERT_EQ(adopted->size(), 1u);
  EXPECT_EQ(adopted->front().id, id_);
  EXPECT_EQ(adopted->front().state, ContainerState::kRunning);
  EXPECT_EQ(adopted->front().host_port, port);
  EXPECT_EQ(http_get(port), "hello from orsa\n");
}

// Item: a deployed container runs without capabilities, cannot gain
// privileges (setuid), and has its open-files and process caps.
TEST_F(PodmanRuntime, ContainersRunWithoutCapabilitiesOrNewPrivileges) {
  ContainerSpec s = spec("orsa-it-caps-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-caps";
  s.open_files_limit = 200;
  s.command = {"/bin/busybox", "sh", "-c",
               "/bin/busybox grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status | "
               "/bin/busybox tr -d '\\t' | /bin/busybox sed 's/:/ /'; "
               "echo nofile $(ulimit -n); "
               "echo uid $(/bin/busybox id -u); "
               "echo uidmap $(/bin/busybox head -n1 /proc/self/uid_map); "
               "if /bin/busybox chown 1:1 /tmp 2>/dev/null; then echo chown allowed; "
               "else echo chown denied; fi; echo done; exec /bin/busybox sleep 600"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  EXPECT_EQ(value_of(lines, "CapEff"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "CapPrm"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "CapBnd"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "NoNewPrivs"), "1");
  EXPECT_EQ(value_of(lines, "nofile"), "200");
  // uid 0 without CAP_CHOWN cannot even change an owner in its own /tmp.
  EXPECT_EQ(value_of(lines, "chown"), "denied");
  const auto pids = podman({"inspect", "--format", "{{.HostConfig.PidsLimit}}", *id});
  EXPECT_EQ(pids.output, "64\n");
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: a numeric user makes the process a non-root uid on the host too.
TEST_F(PodmanRuntime, ANumericUserIsNotRootOnTheHost) {
  ContainerSpec s = spec("orsa-it-user-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-user";
  s.user = "65534:65534";
  s.command = {"/bin/busybox", "sh", "-c",
               "echo uid $(/bin/busybox id -u); echo done; "
               "exec /bin/busybox sleep 600"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  EXPECT_EQ(value_of(lines, "uid"), "65534");
  const auto top = podman({"top", *id, "huser"});
  EXPECT_EQ(top.status, 0) << top.output;
  // The host's name for uid 65534, or the number where it has none.
  EXPECT_TRUE(top.output.find("65534") != std::string::npos ||
              top.output.find("nobody") != std::string::npos)
      << top.output;
  EXPECT_EQ(top.output.find("root"), std::string::npos) << top.output;
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: userns=auto. Podman allocates each container's range from the
// "containers" entries in /etc/subuid and /etc/subgid: where they exist, root
// in the container maps to a high host uid; where not, the create fails
// with podman's reason rather than silently running without one.
TEST_F(PodmanRuntime, UserNamespaceAutoMapsRootAwayOrSaysWhyNot) {
  DockerApiRuntime with_userns(
      DockerApiOptions{.socket_path = service_->socket_path(), .userns_mode = "auto"});
  ContainerSpec s = spec("orsa-it-userns-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-userns";
  s.command = {"/bin/busybox", "sh", "-c",
               "echo uidmap $(/bin/busybox head -n1 /proc/self/uid_map); echo done; "
               "exec /bin/busybox sleep 600"};
  const std::string subuid = read_file("/etc/subuid").value_or("");
  const bool configured =
      subuid.starts_with("containers:") || subuid.find("\ncontainers:") != std::string::npos;
  auto id = with_userns.run(s);
  if (id) own_.push_back(*id);
  if (!configured) {
    ASSERT_FALSE(id.has_value()) << "userns=auto ran without /etc/subuid ranges";
    EXPECT_NE(id.error().message.find("available IDs"), std::string::npos) << id.error().message;
    return;
  }
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(with_userns, *id, "done");
  std::istringstream map(value_of(lines, "uidmap"));
  long inside = -1, outside = -1;
  map >> inside >> outside;
  EXPECT_EQ(inside, 0);
  EXPECT_GT(outside, 0) << "root in the container is root on the host";
  EXPECT_TRUE(with_userns.remove(*id).has_value());
}

// Item: a container writing to stdout without end keeps its log under the cap.
TEST_F(PodmanRuntime, AnEndlessWriterKeepsItsLogUnderTheCap) {
  ContainerSpec s = spec("orsa-it-flood-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-flood";
  s.log_max_bytes = 256 * 1024;
  s.command = {
      "/bin/busybox", "sh", "-c",
      "i=0; while true; do i=$((i+1)); "
      "echo \"flood $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; done"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto path = podman({"inspect", "--format", "{{.HostConfig.LogConfig.Path}}", *id});
  ASSERT_EQ(path.status, 0) << path.output;
  const std::string log_file = path.output.substr(0, path.output.find('\n'));
  // Written: at least 40 times the cap (each line is ~80 bytes).
  long written = 0;
  EXPECT_TRUE(wait_until(60s,
                         [&] {
                           LogOptions last;
                           last.tail = 1;
                           (void)runtime_->logs(*id, last, [&](const LogLine& l) {
                             if (l.text.starts_with("flood "))
                               written = std::atol(l.text.c_str() + 6) * 80;
                             return true;
                           });
                           return written > 40 * s.log_max_bytes;
                         }))
      << "the writer wrote only " << written << " bytes";
  std::uintmax_t largest = 0;
  for (int i = 0; i < 20; ++i) {
    std::error_code ec;
    largest = std::max(largest, fs::file_size(log_file, ec));
    EXPECT_FALSE(ec) << log_file << ": " << ec.message();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(largest, 0u);
  EXPECT_LE(largest, static_cast<std::uintmax_t>(s.log_max_bytes) + 64 * 1024)
      << "the log grew past its cap";
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: tenants on networks of their own. From inside a deployed container,
// another tenant's container, the host's loopback services (the control
// plane), the host's own address on the bridge, the metadata address and
// the outside are all unreachable; the host (the gateway) still reaches
// every container at its address.
TEST_F(PodmanRuntime, OwnNetworksIsolateTenantsAndHaveNoEgress) {
  const std::string net_a = "orsa-it-a-" + deployment_;
  const std::string net_b = "orsa-it-b-" + deployment_;
  const std::map<std::string, std::string> labels = {{kLabelManaged, "true"},
                                                     {kLabelDeployment, deployment_ + "-net"}};
  networks_ = {net_a, net_b};
  for (const auto& name : networks_) {
    ASSERT_TRUE(runtime_->create_network({.name = name, .labels = labels}).has_value()) << name;
  }
  // Idempotent; asking for other egress under the same name is refused.
  EXPECT_TRUE(runtime_->create_network({.name = net_a, .labels = labels}).has_value());
  auto other = runtime_->create_network({.name = net_a, .labels = labels, .egress = true});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  auto listed = runtime_->list_networks(labels);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(listed->size(), 2u);

  // Bob's service on B.
  ContainerSpec bob = spec("orsa-it-bob-" + deployment_);
  bob.labels[kLabelDeployment] = deployment_ + "-bob";
  bob.network = net_b;
  bob.command = {"/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"};
  auto bob_id = run_own(bob);
  ASSERT_TRUE(bob_id.has_value()) << bob_id.error().message;
  auto bob_info = runtime_->inspect(*bob_id);
  ASSERT_TRUE(bob_info.has_value());
  ASSERT_FALSE(bob_info->ip_address.empty());
  EXPECT_EQ(bob_info->network, net_b);
  EXPECT_EQ(bob_info->host_port, 0) << "nothing is published on an own network";
  EXPECT_TRUE(wait_until(
      20s, [&] { return http_get_at(bob_info->ip_address, 8000) == "hello from orsa\n"; }))
      << "the host does not reach bob at " << bob_info->ip_address;

  // Mallory's container on A probes everything it should not reach.
  const LoopbackListener control_plane;
  ASSERT_NE(control_plane.port, 0);
  const std::string probe =
      // A TCP connect with nc (this static busybox's wget crashes resolving).
      "probe() { if /bin/busybox nc -w 3 $2 $3 </dev/null 2>/tmp/err; "
      "then echo \"probe $1 reached\"; "
      "else echo \"probe $1 blocked $(/bin/busybox head -c 80 /tmp/err)\"; fi; }; "
      "/bin/busybox httpd -p 8000 -h /www; /bin/busybox sleep 0.3; "
      "gw=$(/bin/busybox ip route | /bin/busybox sed -n 's/.* src \\([0-9.]*\\).*/\\1/p' | "
      "/bin/busybox head -n1 | /bin/busybox sed 's/[0-9]*$/1/'); "
      "echo default-route $(/bin/busybox ip route | /bin/busybox grep -c '^default'); "
      "probe self 127.0.0.1 8000; "
      "probe tenant " +
      bob_info->ip_address +
      " 8000; "
      "probe control-plane-loopback 127.0.0.1 " +
      std::to_string(control_plane.port) +
      "; "
      "probe control-plane-bridge $gw " +
      std::to_string(control_plane.port) +
      "; "
      "probe metadata 169.254.169.254 80; "
      "probe outside 192.0.2.1 80; "
      "probe default-network 10.88.0.1 " +
      std::to_string(control_plane.port) +
      "; "
      "echo done; exec /bin/busybox sleep 600";
  ContainerSpec mallory = spec("orsa-it-mallory-" + deployment_);
  mallory.labels[kLabelDeployment] = deployment_ + "-mallory";
  mallory.network = net_a;
  mallory.command = {"/bin/busybox", "sh", "-c", probe};
  auto mallory_id = run_own(mallory);
  ASSERT_TRUE(mallory_id.has_value()) << mallory_id.error().message;
  const auto lines = logs_until(*runtime_, *mallory_id, "done", 60s);
  for (const auto& l : lines) std::printf("  mallory: %s\n", l.text.c_str());
  EXPECT_EQ(value_of(lines, "default-route"), "0");
  EXPECT_EQ(value_of(lines, "probe self"), "reached") << "the probe itself does not work";
  for (const char* target : {"tenant", "control-plane-loopback", "control-plane-bridge", "metadata",
                             "outside", "default-network"}) {
    EXPECT_TRUE(value_of(lines, std::string("probe ") + target).starts_with("blocked"))
        << target << ": " << value_of(lines, std::string("probe ") + target);
  }
  // The gateway's path: the host reaches mallory's service too.
  auto mallory_info = runtime_->inspect(*mallory_id);
  ASSERT_TRUE(mallory_info.has_value());
  EXPECT_EQ(http_get_at(mallory_info->ip_address, 8000), "hello from orsa\n");

  // A restarted container keeps the host's reach (start() re-attaches).
  ASSERT_TRUE(runtime_->stop(*bob_id, 1s).has_value());
  ASSERT_TRUE(runtime_->start(*bob_id).has_value());
  bob_info = runtime_->inspect(*bob_id);
  ASSERT_TRUE(bob_info.has_value());
  EXPECT_TRUE(wait_until(
      20s, [&] { return http_get_at(bob_info->ip_address, 8000) == "hello from orsa\n"; }));

  // A network in use is not removed; once empty it is, and twice is fine.
  auto busy = runtime_->remove_network(net_a);
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ErrorCode::kConflict) << busy.error().message;
  ASSERT_TRUE(runtime_->remove(*mallory_id).has_value());
  ASSERT_TRUE(runtime_->remove(*bob_id).has_value());
  for (const auto& name : networks_) {
    EXPECT_TRUE(runtime_->remove_network(name).has_value()) << name;
    EXPECT_TRUE(runtime_->remove_network(name).has_value()) << name;
  }
  listed = runtime_->list_networks(labels);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->empty());
}

// Item: a project allowed egress gets a routed network (a default route),
// still isolated from other networks; a solve job gets no network at all.
TEST_F(PodmanRuntime, EgressNetworksRouteAndNoNetworkMeansLoopbackOnly) {
  const std::string net = "orsa-it-e-" + deployment_;
  networks_.push_back(net);
  ASSERT_TRUE(
      runtime_->create_network({.name = net, .labels = {{kLabelManaged, "true"}}, .egress = true})
          .has_value());
  const std::string show =
      "echo default-route $(/bin/busybox ip route | /bin/busybox grep -c '^default'); "
      "echo links $(/bin/busybox ls /sys/class/net | /bin/busybox tr '\\n' ' '); echo done; "
      "exec /bin/busybox sleep 600";
  ContainerSpec routed = spec("orsa-it-routed-" + deployment_);
  routed.labels[kLabelDeployment] = deployment_ + "-routed";
  routed.network = net;
  routed.command = {"/bin/busybox", "sh", "-c", show};
  auto routed_id = run_own(routed);
  ASSERT_TRUE(routed_id.has_value()) << routed_id.error().message;
  EXPECT_EQ(value_of(logs_until(*runtime_, *routed_id, "done"), "default-route"), "1");

  ContainerSpec job = spec("orsa-it-job-" + deployment_);
  job.labels[kLabelDeployment] = deployment_ + "-job";
  job.network = kNoNetwork;
  job.command = {"/bin/busybox", "sh", "-c", show};
  auto job_id = run_own(job);
  ASSERT_TRUE(job_id.has_value()) << job_id.error().message;
  const auto lines = logs_until(*runtime_, *job_id, "done");
  EXPECT_EQ(value_of(lines, "default-route"), "0");
  EXPECT_EQ(value_of(lines, "links"), "lo");
  EXPECT_TRUE(runtime_->remove(*routed_id).has_value());
  EXPECT_TRUE(runtime_->remove(*job_id).has_value());
  EXPECT_TRUE(runtime_->remove_network(net).has_value());
}

TEST_F(PodmanRuntime, RemoveIsIdempotent) {
  ASSERT_FALSE(id_.empty());
  ASSERT_TRUE(runtime_->remove(id_).has_value());
  auto gone = runtime_->inspect(id_);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(runtime_->remove(id_).has_value());
  auto removed = runtime_->remove_image(image_);
  EXPECT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_TRUE(runtime_->remove_image(image_).has_value());
  const auto images = podman({"images", "-q"});
  EXPECT_EQ(images.status, 0);
  EXPECT_EQ(images.output, "") << "the pulled image is still there";
  auto left = runtime_->list({{kLabelDeployment, deployment_}});
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());
}

// A deployer killed with SIGKILL leaves no podman service behind. The
// "deployer" is a forked child; its state dir is long enough that the socket
// moves to /tmp.
TEST_F(PodmanRuntime, ServiceDiesWithItsParent) {
  const fs::path state = work_->path() / std::string(110, 'd') / "podman";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // The orphaned service is reparented to us, so we can reap it (this
  // sandbox's init does not reap orphans).
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::close(fds[0]);
    PodmanServiceOptions options;
    options.state_dir = state;
    auto service = PodmanService::start(options);
    const std::string message =
        service ? std::to_string((*service)->pid()) + " " + (*service)->socket_path()
                : "0 " + service.error().message;
    (void)::write(fds[1], message.data(), message.size());
    ::close(fds[1]);
    while (true) ::pause();
  }
  ::close(fds[1]);
  std::string message;
  char buffer[512];
  pollfd pfd{fds[0], POLLIN, 0};
  const auto deadline = Clock::now() + 40s;
  while (Clock::now() < deadline && ::poll(&pfd, 1, 100) >= 0) {
    if ((pfd.revents & (POLLIN | POLLHUP)) == 0) continue;
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  const pid_t podman_pid = std::atoi(message.c_str());
  ASSERT_GT(podman_pid, 0) << message;
  const std::string socket = message.substr(message.find(' ') + 1);
  EXPECT_LE(socket.size(), 107u);
  EXPECT_TRUE(socket.starts_with("/tmp/orsa-podman-")) << socket;
  EXPECT_TRUE(wait_until(20s,
                         [&] {
                           return ::waitpid(podman_pid, nullptr, WNOHANG) == podman_pid ||
                                  process_gone(podman_pid);
                         }))
      << "podman service " << podman_pid << " outlived its parent";
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  unmount_below(work_->path());
  // The killed parent could not clean up its short dir (socket and runroot).
  std::error_code ec;
  fs::remove_all(fs::path(socket).parent_path(), ec);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace orsa::runtime
