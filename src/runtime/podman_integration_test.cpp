// The podman runtime end to end: pulls, runs, logs, lists, stops and
// adoption by the next service.

#include "podman_test_support.hpp"

namespace orsa::runtime {
namespace {

using namespace podman_testing;

TEST_F(PodmanRuntime, PullNeedsTheRightCredentialsAndAKnownImage) {
  ASSERT_TRUE(runtime_->version().has_value());
  auto wrong = runtime_->pull(image_, {registry_host_, kRegistryUser, "wrong-password"});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated) << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("wrong-password"), std::string::npos);

  auto unknown = runtime_->pull(image_repo_ + ":no-such-tag", auth());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound) << unknown.error().message;

  const std::string other_digest = image_repo_ + "@sha256:" + std::string(64, '0');
  EXPECT_FALSE(runtime_->has_image(other_digest));
  auto pulled = runtime_->pull(image_, auth());
  ASSERT_TRUE(pulled.has_value()) << pulled.error().message;
  // Pinned by digest, what the store holds is exactly that image.
  EXPECT_TRUE(runtime_->has_image(image_));
  EXPECT_FALSE(runtime_->has_image(other_digest));
  EXPECT_FALSE(runtime_->has_image(image_ + "?x"));
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
  EXPECT_TRUE(eventually(
      20s, [&] { return http_get(port) == "hello from orsa\n"; },
      "the page on 127.0.0.1:" + std::to_string(port)));

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
  ASSERT_TRUE(eventually(
      20s,
      [&] {
        lines = all_logs(id_);
        return max_tick(lines) >= 2;
      },
      "two ticks in the logs"));
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
  const testing::Deadline give_up(30s);
  follow.keep_going = [&] { return !give_up.expired(); };
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
  const testing::Deadline stop_at(1s);
  quiet.keep_going = [&] { return !stop_at.expired(); };
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
    const testing::Deadline deadline(60s);
    auto r = runtime_->events({{kLabelDeployment, deployment_}}, [&](const Event* e) {
      if (e == nullptr) {
        connected = true;
      } else if (e->container_id == id_ && e->action == "die" && !died) {
        die = *e;
        died = true;
      }
      return !done && !deadline.expired();
    });
    EXPECT_TRUE(r.has_value()) << r.error().message;
  });
  ASSERT_TRUE(eventually(
      10s, [&] { return connected.load(); }, "the events stream"));
  // A stop issued before the server subscribed would be missed: repeat the
  // stop/start cycle until the die event arrives.
  const testing::Deadline deadline(60s);
  while (!died && !deadline.expired()) {
    ASSERT_TRUE(runtime_->stop(id_, 1s).has_value());
    if (!eventually(5s, [&] { return died.load(); })) {
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
  EXPECT_TRUE(eventually(
      20s, [&] { return http_get(port) == "hello from orsa\n"; }, "the page after the restart"));
}

// The warm idle tier: a paused container keeps its memory and answers again
// the moment it is thawed; stopping or removing one needs no thaw first.
TEST_F(PodmanRuntime, PauseFreezesUnpauseServesAndAPausedOneStillStops) {
  ASSERT_FALSE(id_.empty());
  const std::uint16_t port = runtime_->inspect(id_).value().host_port;
  ASSERT_TRUE(eventually(
      20s, [&] { return http_get(port) == "hello from orsa\n"; }, "the page before pausing"));
  ASSERT_TRUE(runtime_->pause(id_)) << "pause";
  EXPECT_EQ(runtime_->inspect(id_).value().state, ContainerState::kPaused);
  EXPECT_EQ(http_get(port), "") << "a frozen server answered";
  const auto held = runtime_->memory_bytes(id_);
  ASSERT_TRUE(held.has_value()) << "the memory a paused container holds";
  EXPECT_GT(*held, 100 * 1024) << "a running httpd holds more than this";
  EXPECT_LT(*held, 64LL * 1024 * 1024) << "its limit is 64 MiB";
  ASSERT_TRUE(runtime_->unpause(id_)) << "unpause";
  EXPECT_EQ(runtime_->inspect(id_).value().state, ContainerState::kRunning);
  EXPECT_EQ(http_get(port), "hello from orsa\n");
  EXPECT_TRUE(runtime_->unpause(id_)) << "thawing a running container is not an error";
  EXPECT_EQ(runtime_->unpause("0123456789ab").error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(runtime_->pause(id_));
  auto stopped = runtime_->stop(id_, 1s);
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_EQ(runtime_->inspect(id_).value().state, ContainerState::kExited);
  ASSERT_TRUE(runtime_->start(id_));
  const std::uint16_t again = runtime_->inspect(id_).value().host_port;
  EXPECT_TRUE(eventually(
      20s, [&] { return http_get(again) == "hello from orsa\n"; }, "the page after the stop"));

  // Deleting a paused deployment removes its frozen container too.
  auto other = runtime_->run(spec("orsa-it-frozen-" + deployment_));
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_TRUE(runtime_->pause(*other));
  auto removed = runtime_->remove(*other);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(runtime_->inspect(*other).error().code, ErrorCode::kNotFound);
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

}  // namespace
}  // namespace orsa::runtime
