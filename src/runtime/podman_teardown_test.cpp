// The end of the suite: removing the shared container and image, and a
// service whose parent dies. These run last: the tests of the suite share one
// service, container and image, and gtest runs them in registration order,
// which follows the order of the sources in CMakeLists.txt.

#include "podman_test_support.hpp"

namespace orsa::runtime {
namespace {

using namespace podman_testing;

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
  const testing::Deadline deadline(40s);
  while (!deadline.expired() && ::poll(&pfd, 1, 100) >= 0) {
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
  EXPECT_TRUE(eventually(
      20s,
      [&] {
        return ::waitpid(podman_pid, nullptr, WNOHANG) == podman_pid || process_gone(podman_pid);
      },
      "podman service " + std::to_string(podman_pid) + " gone with its parent"));
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  unmount_below(work_->path());
  // The killed parent could not clean up its short dir (socket and runroot).
  std::error_code ec;
  fs::remove_all(fs::path(socket).parent_path(), ec);
  EXPECT_FALSE(ec) << ec.message();
}

// A service killed under a running control plane is started again on the
// same socket and store; after stop() it stays down.
TEST_F(PodmanRuntime, AServiceThatDiedIsStartedAgain) {
  PodmanServiceOptions options;
  options.state_dir = work_->path() / "restart" / "podman";
  auto started = PodmanService::start(options);
  ASSERT_TRUE(started) << started.error().message;
  PodmanService& service = **started;
  EXPECT_FALSE(service.restart_if_exited().value());  // alive: nothing to do
  const pid_t first = service.pid();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  Result<bool> restarted = false;
  ASSERT_TRUE(eventually(
      20s,
      [&] {
        restarted = service.restart_if_exited();
        return !restarted || *restarted;
      },
      "the killed service noticed"));
  ASSERT_TRUE(restarted) << restarted.error().message;
  EXPECT_NE(service.pid(), first);
  DockerApiRuntime runtime({.socket_path = service.socket_path()});
  EXPECT_TRUE(runtime.list({}).has_value()) << "the new service does not answer";

  ASSERT_TRUE(service.stop());
  EXPECT_FALSE(service.restart_if_exited().value());  // stopped on purpose: stays down
  EXPECT_EQ(service.pid(), 0);
  unmount_below(options.state_dir);
}

}  // namespace
}  // namespace orsa::runtime
