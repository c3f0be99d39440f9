#pragma once

// What the podman integration tests share: tools, a loopback registry with
// htpasswd auth, and a fixture running the real podman service.

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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/temp_dir.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "runtime/podman_service.hpp"
#include "testing/child_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::runtime::podman_testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kRegistryUser = "orsa-it";
inline constexpr const char* kPodman = "/usr/bin/podman";
inline constexpr const char* kRunc = "/usr/sbin/runc";
inline constexpr const char* kBusybox = "/usr/bin/busybox";
inline constexpr const char* kRegistry = "/usr/bin/docker-registry";
inline constexpr const char* kCurl = "/usr/bin/curl";
inline constexpr const char* kTar = "/usr/bin/tar";

using testing::eventually;

struct CommandResult {
  int status = -1;     // the exit code; -1 when it was killed or timed out
  std::string output;  // stdout and stderr
};

// Runs argv (argv[0] a path) with extra environment, killed after 180 s.
inline CommandResult run_command(const std::vector<std::string>& argv,
                                 const std::vector<std::pair<std::string, std::string>>& env = {}) {
  auto r = testing::run({.argv = argv, .env = {env.begin(), env.end()}, .merge_output = true},
                        std::chrono::seconds(180));
  return {r.timed_out || r.status < 0 ? -1 : r.status, std::move(r.out)};
}

// The body of GET http://host:port/, or "" when nothing answers.
inline std::string http_get_at(const std::string& host, std::uint16_t port) {
  const auto r = run_command({kCurl, "-s", "-m", "2", "--noproxy", "*",
                              "http://" + host + ":" + std::to_string(port) + "/"});
  return r.status == 0 ? r.output : std::string();
}

// The body of GET http://127.0.0.1:port/path, or "" when nothing answers.
inline std::string http_get(std::uint16_t port, const std::string& path = "/") {
  const auto r =
      run_command({kCurl, "-s", "-m", "2", "http://127.0.0.1:" + std::to_string(port) + path});
  return r.status == 0 ? r.output : std::string();
}

inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  // Reparented to an init that has not reaped it yet: a zombie is dead too.
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  const auto paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

// Podman's overlay driver bind-mounts <root>/overlay onto itself and may
// leave it mounted after the service exits; a store cannot be deleted so.
inline void unmount_below(const fs::path& dir) {
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

// "" when `path` is an executable, else why not.
inline std::string require_tool(const char* path) {
  const auto available = testing::tool_available(path);
  return available ? std::string() : std::string(available.message()) + "; ";
}

inline bool has_line(const std::vector<LogLine>& lines, const std::string& text,
                     LogLine::Stream stream) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const LogLine& l) { return l.text == text && l.stream == stream; });
}

inline int max_tick(const std::vector<LogLine>& lines) {
  int best = 0;
  for (const auto& l : lines) {
    if (l.text.starts_with("tick ")) best = std::max(best, std::atoi(l.text.c_str() + 5));
  }
  return best;
}

// Log lines of `id` once one equals `last` (the container's own "done").
inline std::vector<LogLine> logs_until(Runtime& runtime, const std::string& id,
                                       const std::string& last,
                                       std::chrono::seconds timeout = 30s) {
  std::vector<LogLine> lines;
  // No line `last` in time: the caller's checks on the lines say what is missing.
  (void)testing::eventually(timeout, [&] {
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
inline std::string value_of(const std::vector<LogLine>& lines, const std::string& key) {
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
 public:
  // What helpers outside the fixture (the job tests) build on.
  static fs::path work_path() { return work_->path(); }
  static const std::string& deployment() { return deployment_; }
  static const std::string& image() { return image_; }

 protected:
  static void SetUpTestSuite() {
    const std::string missing = require_tool(kPodman) + require_tool(kRunc) +
                                require_tool(kBusybox) + require_tool(kRegistry) +
                                require_tool(kCurl) + require_tool(kTar);
    if (!missing.empty()) {
      setup_error_ = missing +
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
    if (registry_) registry_->stop();
    registry_.reset();
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
    registry_port_ = testing::free_loopback_port();
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
    registry_ = std::make_unique<testing::ChildProcess>(testing::ChildOptions{
        .argv = {kRegistry, "serve", (dir / "config.yml").string()}, .merge_output = true});
    const bool up = testing::eventually(20s, [] {
      const auto r = run_command({kCurl, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "http://" + registry_host_ + "/v2/"});
      return r.output == "401";
    });
    return up ? std::string() : "docker-registry did not answer: " + registry_->out();
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
    if (auto r = run_command({kTar, "-C", rootfs.string(), "-cf", tar, "."}); r.status != 0) {
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
  static inline std::unique_ptr<testing::ChildProcess> registry_;
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

}  // namespace orsa::runtime::podman_testing
