// Jobs on the real podman service: a job's files in and out, its time
// limit and cancel enforced from the caller's side, no network, a capped
// log and a capped output.

#include "podman_test_support.hpp"

namespace orsa::runtime {
namespace {

using namespace podman_testing;

constexpr const char* kInput = R"({"capacity": 15, "items": []})";

// The job tests share the suite's service and image (PodmanRuntime), so they
// run between the container tests and the teardown.
fs::path jobs_dir() {
  const fs::path dir = PodmanRuntime::work_path() / "jobs";
  fs::create_directories(dir);
  return dir;
}

fs::path job_input() {
  const fs::path input = PodmanRuntime::work_path() / "job-input.json";
  EXPECT_TRUE(write_file_atomic(input, kInput, 0600));
  return input;
}

JobSpec job(const std::string& tag, const std::string& script) {
  JobSpec s;
  s.name = "orsa-it-job-" + tag + "-" + PodmanRuntime::deployment();
  s.image = PodmanRuntime::image();
  s.labels = {{"orsa.run", tag + "-" + PodmanRuntime::deployment()}};
  s.command = {"/bin/busybox", "sh", "-c", script};
  s.input_file = job_input();
  s.options_json = R"({"time_limit_s": 5, "seed": 7})";
  s.work_dir = jobs_dir() / tag;
  s.memory_bytes = 64LL * 1024 * 1024;
  s.cpus = 0.5;
  s.pids_limit = 64;
  s.tmp_size_bytes = 16LL * 1024 * 1024;
  // Neither root nor the owner of anything on the host.
  s.user = "65532:65532";
  return s;
}

// The job's log lines.
std::vector<LogLine> job_log(JobRuntime& jobs, const std::string& id) {
  std::vector<LogLine> lines;
  auto r = jobs.job_logs(id, {}, [&](const LogLine& l) {
    lines.push_back(l);
    return true;
  });
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return lines;
}

// Removes a job when the test ends, whatever happens.
struct JobGuard {
  JobRuntime& jobs;
  std::vector<std::string> ids;
  ~JobGuard() {
    for (const auto& id : ids) (void)jobs.remove_job(id);
  }
  Result<std::string> start(const JobSpec& s) {
    auto id = jobs.start_job(s);
    if (id) ids.push_back(*id);
    return id;
  }
};

TEST_F(PodmanRuntime, AJobReadsItsInputAndItsResultIsReadBack) {
  JobGuard guard{*runtime_, {}};
  JobSpec s =
      job("ok",
          "/bin/busybox cat /job/input.json > /job/out/.result.tmp && "
          "/bin/busybox mv /job/out/.result.tmp /job/out/result.json; "
          "if echo x 2>/dev/null > /job/input.json; then echo input writable; "
          "else echo input read-only; fi; "
          "echo options $(/bin/busybox cat /job/options.json); "
          "echo uid $(/bin/busybox id -u); "
          "echo links $(/bin/busybox ls /sys/class/net | /bin/busybox tr '\\n' ' '); echo done");
  const auto began = Clock::now();
  auto id = guard.start(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  EXPECT_EQ(::access((s.work_dir / "out").c_str(), F_OK), 0);
  auto outcome = runtime_->wait_job(*id, {.time_limit = 60s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  std::printf(
      "  start+wait of a trivial job: %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count()));
  EXPECT_EQ(outcome->exit_code, 0);
  EXPECT_FALSE(outcome->timed_out || outcome->canceled || outcome->killed || outcome->oom_killed);
  ASSERT_TRUE(outcome->started_at_ms && outcome->finished_at_ms);
  EXPECT_LE(*outcome->started_at_ms, *outcome->finished_at_ms);

  const fs::path result = work_->path() / "result-ok.json";
  auto size = runtime_->copy_job_output(*id, JobOutput::kResult, result, 1024);
  ASSERT_TRUE(size.has_value()) << size.error().message;
  EXPECT_EQ(*size, std::string(kInput).size());
  EXPECT_EQ(read_file(result).value_or(""), kInput);
  auto no_error = runtime_->copy_job_output(*id, JobOutput::kError, result, 1024);
  ASSERT_FALSE(no_error.has_value());
  EXPECT_EQ(no_error.error().code, ErrorCode::kNotFound);

  // The engine may mark the job ended a moment before its last lines are in the log.
  const auto lines = logs_until(*runtime_, *id, "done");
  for (const auto& l : lines) std::printf("  job: %s\n", l.text.c_str());
  EXPECT_EQ(value_of(lines, "input"), "read-only");
  EXPECT_EQ(value_of(lines, "options"), R"({"time_limit_s": 5, "seed": 7})");
  EXPECT_EQ(value_of(lines, "uid"), "65532");
  EXPECT_EQ(value_of(lines, "links"), "lo");

  auto listed = runtime_->list_jobs({{"orsa.run", "ok-" + deployment_}});
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, *id);
  EXPECT_EQ(listed->front().labels.at(kLabelJob), "true");
  EXPECT_EQ(listed->front().labels.count(kLabelManaged), 0u);

  ASSERT_TRUE(runtime_->remove_job(*id).has_value());
  EXPECT_FALSE(fs::exists(s.work_dir)) << "the job's files outlived it";
  auto gone = runtime_->inspect(*id);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(runtime_->remove_job(*id).has_value()) << "removing twice";
}

// The CPU time a wait reports is the engine's count for the container, not
// its wall time: a job that computes for a while has it, bounded by its CPU
// limit; one that sleeps as long has only what its start cost.
TEST_F(PodmanRuntime, AJobsCpuTimeIsWhatItComputedWithinItsLimit) {
  JobGuard guard{*runtime_, {}};
  // The final sleep leaves the sampler a read after the computing ended.
  auto busy = guard.start(job("cpu-busy",
                              "/bin/busybox timeout 3 /bin/busybox sh -c "
                              "'while :; do :; done'; /bin/busybox sleep 1"));
  ASSERT_TRUE(busy.has_value()) << busy.error().message;
  auto computed = runtime_->wait_job(*busy, {.time_limit = 60s, .cpu_sample_interval = 200ms});
  ASSERT_TRUE(computed.has_value()) << computed.error().message;
  auto idle = guard.start(job("cpu-idle", "/bin/busybox sleep 3"));
  ASSERT_TRUE(idle.has_value()) << idle.error().message;
  auto slept = runtime_->wait_job(*idle, {.time_limit = 60s, .cpu_sample_interval = 200ms});
  ASSERT_TRUE(slept.has_value()) << slept.error().message;
  ASSERT_TRUE(computed->cpu_ms.has_value()) << "no CPU time was read while it ran";
  std::printf("  cpu of 3 s of busy loop at 0.5 CPU: %lld ms; of 3 s of sleep: %lld ms\n",
              static_cast<long long>(*computed->cpu_ms),
              static_cast<long long>(slept->cpu_ms.value_or(-1)));
  // 3 s at a limit of 0.5 CPU is 1.5 s (a loaded machine may give it less);
  // starting a container costs some 100 ms of its own.
  EXPECT_LE(*computed->cpu_ms, 1'800);
  EXPECT_LT(slept->cpu_ms.value_or(0), 500);
  EXPECT_GT(*computed->cpu_ms, slept->cpu_ms.value_or(0) + 200);
}

TEST_F(PodmanRuntime, AFailedJobStartLeavesNothingAndAWorkDirIsNeverReused) {
  JobGuard guard{*runtime_, {}};
  JobSpec bad = job("bad", "true");
  bad.command = {"/no/such/binary"};
  auto id = guard.start(bad);
  ASSERT_FALSE(id.has_value());
  EXPECT_FALSE(fs::exists(bad.work_dir));
  auto left = runtime_->list_jobs({{"orsa.run", "bad-" + deployment_}});
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());

  JobSpec taken = job("taken", "true");
  fs::create_directories(taken.work_dir);
  auto conflict = guard.start(taken);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict) << conflict.error().message;
  EXPECT_TRUE(fs::exists(taken.work_dir)) << "someone else's directory was removed";
}

// Item: with a user namespace per container (--container-userns auto) the
// job's uid is one the host does not know in advance: the input is still
// readable and the output writable. Without /etc/subuid ranges podman
// refuses the job with its reason, and nothing is left behind.
TEST_F(PodmanRuntime, AJobInItsOwnUserNamespaceReadsAndWritesItsFiles) {
  DockerApiRuntime with_userns(
      DockerApiOptions{.socket_path = service_->socket_path(), .userns_mode = "auto"});
  JobGuard guard{with_userns, {}};
  JobSpec s = job("userns",
                  "/bin/busybox cat /job/input.json > /job/out/result.json; "
                  "echo uidmap $(/bin/busybox head -n1 /proc/self/uid_map); echo done");
  const std::string subuid = read_file("/etc/subuid").value_or("");
  const bool configured =
      subuid.starts_with("containers:") || subuid.find("\ncontainers:") != std::string::npos;
  auto id = guard.start(s);
  if (!configured) {
    ASSERT_FALSE(id.has_value()) << "userns=auto ran without /etc/subuid ranges";
    EXPECT_NE(id.error().message.find("available IDs"), std::string::npos) << id.error().message;
    EXPECT_FALSE(fs::exists(s.work_dir));
    return;
  }
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto outcome = with_userns.wait_job(*id, {.time_limit = 60s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  std::istringstream map(value_of(logs_until(with_userns, *id, "done"), "uidmap"));
  long inside = -1, outside = -1;
  map >> inside >> outside;
  EXPECT_GT(outside, 0) << "no user namespace";
  const fs::path result = work_path() / "result-userns.json";
  ASSERT_TRUE(with_userns.copy_job_output(*id, JobOutput::kResult, result, 1024).has_value());
  EXPECT_EQ(read_file(result).value_or(""), kInput);
}

// Item: a crash between start_job's steps leaves a work_dir (with its output
// tmpfs) and no job; the restarted caller discards it.
TEST_F(PodmanRuntime, AWorkDirWithoutItsJobIsDiscarded) {
  JobGuard guard{*runtime_, {}};
  JobSpec s = job("orphan", "true");
  auto id = guard.start(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto removed = runtime_->remove(*id);  // the container alone, as a crash might
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  ASSERT_TRUE(fs::exists(s.work_dir / "out"));
  const auto mounted = [&] {
    return read_file("/proc/self/mountinfo").value_or("").find((s.work_dir / "out").string()) !=
           std::string::npos;
  };
  EXPECT_TRUE(mounted());
  ASSERT_TRUE(runtime_->discard_work_dir(s.work_dir).has_value());
  EXPECT_FALSE(fs::exists(s.work_dir));
  EXPECT_FALSE(mounted()) << "the output tmpfs is still mounted";
  EXPECT_TRUE(runtime_->discard_work_dir(s.work_dir).has_value()) << "twice";
  EXPECT_FALSE(runtime_->discard_work_dir("relative/dir").has_value());
}

TEST_F(PodmanRuntime, AJobsTimeLimitSendsSigtermThenSigkill) {
  JobGuard guard{*runtime_, {}};
  // Ignores SIGTERM (a shell as pid 1 has no handler): killed after the grace.
  auto stubborn = guard.start(job("stubborn", "echo working; exec /bin/busybox sleep 600"));
  ASSERT_TRUE(stubborn.has_value()) << stubborn.error().message;
  // Handles SIGTERM: stops within the grace with its own exit code.
  auto polite = guard.start(job("polite",
                                "trap 'echo got-term; exit 143' TERM; echo working; "
                                "/bin/busybox sleep 600 & wait"));
  ASSERT_TRUE(polite.has_value()) << polite.error().message;

  const auto began = Clock::now();
  auto killed = runtime_->wait_job(*stubborn, {.time_limit = 1s, .grace = 1s});
  const auto took = Clock::now() - began;
  ASSERT_TRUE(killed.has_value()) << killed.error().message;
  EXPECT_TRUE(killed->timed_out);
  EXPECT_TRUE(killed->killed);
  EXPECT_FALSE(killed->canceled);
  EXPECT_EQ(killed->exit_code, 137);
  EXPECT_GE(took, 1500ms) << "stopped before the time limit and the grace";
  EXPECT_LT(took, 10s);
  std::printf(
      "  time limit 1 s + grace 1 s: ended after %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

  auto stopped = runtime_->wait_job(*polite, {.time_limit = 1s, .grace = 20s});
  ASSERT_TRUE(stopped.has_value()) << stopped.error().message;
  EXPECT_TRUE(stopped->timed_out);
  EXPECT_FALSE(stopped->killed);
  EXPECT_EQ(stopped->exit_code, 143);
  EXPECT_LT(Clock::now() - began, 15s) << "waited for the grace although the job had ended";
  EXPECT_TRUE(
      has_line(logs_until(*runtime_, *polite, "got-term"), "got-term", LogLine::Stream::kStdout));

  for (const auto& id : {*stubborn, *polite}) {
    ASSERT_TRUE(runtime_->remove_job(id).has_value());
    auto gone = runtime_->inspect(id);
    ASSERT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  }
  EXPECT_FALSE(fs::exists(jobs_dir() / "stubborn"));
  auto left = runtime_->list_jobs({{"orsa.run", "stubborn-" + deployment_}});
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());
}

// Item: a caller that restarts waits again with the same deadline: it counts
// from the job's start as the engine recorded it.
TEST_F(PodmanRuntime, AJobWaitAfterARestartKeepsTheOriginalDeadline) {
  JobGuard guard{*runtime_, {}};
  auto id = guard.start(job("late", "exec /bin/busybox sleep 600"));
  ASSERT_TRUE(id.has_value()) << id.error().message;
  ASSERT_TRUE(eventually(
      20s,
      [&] {
        auto info = runtime_->inspect(*id);
        return info && info->started_at &&
               std::chrono::system_clock::now() -
                       std::chrono::system_clock::from_time_t(*info->started_at) >=
                   3s;
      },
      "the job running for 3 s"));
  DockerApiRuntime restarted(DockerApiOptions{.socket_path = service_->socket_path()});
  const auto began = Clock::now();
  auto outcome = restarted.wait_job(*id, {.time_limit = 2s, .grace = 0s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_LT(Clock::now() - began, 1500ms) << "the deadline restarted with the caller";
}

TEST_F(PodmanRuntime, ACancelStopsARunningJob) {
  JobGuard guard{*runtime_, {}};
  auto id = guard.start(job("cancel",
                            "trap 'echo got-term; exit 143' TERM; echo working; "
                            "/bin/busybox sleep 600 & wait"));
  ASSERT_TRUE(id.has_value()) << id.error().message;
  std::atomic<bool> cancel = false;
  std::thread canceller([&] {
    (void)eventually(30s, [&] {
      return has_line(job_log(*runtime_, *id), "working", LogLine::Stream::kStdout);
    });
    cancel = true;
  });
  const auto began = Clock::now();
  auto outcome = runtime_->wait_job(
      *id, {.time_limit = 120s, .grace = 5s, .cancel = [&] { return cancel.load(); }});
  canceller.join();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(outcome->canceled);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_FALSE(outcome->killed);
  EXPECT_EQ(outcome->exit_code, 143);
  EXPECT_LT(Clock::now() - began, 30s);
  EXPECT_TRUE(
      has_line(logs_until(*runtime_, *id, "got-term"), "got-term", LogLine::Stream::kStdout));
}

TEST_F(PodmanRuntime, AJobHasNoNetwork) {
  JobGuard guard{*runtime_, {}};
  const LoopbackListener control_plane;
  ASSERT_NE(control_plane.port, 0);
  const std::string script =
      "probe() { if /bin/busybox nc -w 3 $2 $3 </dev/null 2>/tmp/err; "
      "then echo \"probe $1 reached\"; "
      "else echo \"probe $1 blocked $(/bin/busybox head -c 80 /tmp/err)\"; fi; }; "
      "/bin/busybox httpd -p 8000 -h /www; /bin/busybox sleep 0.3; "
      "probe self 127.0.0.1 8000; "
      "probe host-loopback 127.0.0.1 " +
      std::to_string(control_plane.port) +
      "; probe outside 192.0.2.1 80; probe metadata 169.254.169.254 80; "
      "echo default-route $(/bin/busybox ip route | /bin/busybox grep -c '^default'); "
      "echo done";
  JobSpec s = job("net", script);
  s.user.clear();  // httpd on 8000 needs nothing, but keep the image's user path covered too
  auto id = guard.start(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto outcome = runtime_->wait_job(*id, {.time_limit = 60s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  for (const auto& l : lines) std::printf("  job: %s\n", l.text.c_str());
  EXPECT_EQ(value_of(lines, "probe self"), "reached") << "the probe itself does not work";
  for (const char* target : {"host-loopback", "outside", "metadata"}) {
    EXPECT_TRUE(value_of(lines, std::string("probe ") + target).starts_with("blocked"))
        << target << ": " << value_of(lines, std::string("probe ") + target);
  }
  EXPECT_EQ(value_of(lines, "default-route"), "0");
}

TEST_F(PodmanRuntime, AJobPrintingTenMegabytesKeepsItsLogCappedAndSucceeds) {
  JobGuard guard{*runtime_, {}};
  JobSpec s = job("chatty",
                  "/bin/busybox yes "
                  "'iteration 123456 objective 98765.4321 bound 98000.0000 gap 0.78% nodes 4242' "
                  "| /bin/busybox head -c 10485760; echo; echo printed; "
                  "echo '{\"ok\": true}' > /job/out/result.json");
  s.log_max_bytes = 1024 * 1024;
  auto id = guard.start(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto began = Clock::now();
  auto outcome = runtime_->wait_job(*id, {.time_limit = 120s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0);
  std::printf(
      "  10 MB of log: ran %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count()));
  const fs::path result = work_->path() / "result-chatty.json";
  ASSERT_TRUE(runtime_->copy_job_output(*id, JobOutput::kResult, result, 1024).has_value());
  EXPECT_EQ(read_file(result).value_or(""), "{\"ok\": true}\n");

  std::size_t bytes = 0;
  std::size_t count = 0;
  bool printed = false;
  // The engine may mark the job ended a moment before its last lines are in the log.
  EXPECT_TRUE(eventually(30s, [&] {
    bytes = count = 0;
    auto read = runtime_->job_logs(*id, {}, [&](const LogLine& l) {
      bytes += l.text.size() + 1;
      ++count;
      printed = printed || l.text == "printed";
      return true;
    });
    return read.has_value() && printed;
  }));
  std::printf("  log kept: %zu lines, %zu bytes\n", count, bytes);
  EXPECT_GT(count, 0u);
  EXPECT_TRUE(printed) << "the end of the log is lost";
  EXPECT_LE(bytes, static_cast<std::size_t>(s.log_max_bytes) + 64 * 1024);
}

TEST_F(PodmanRuntime, AJobOutputBeyondItsCapacityOrTheReadCapFailsClearly) {
  JobGuard guard{*runtime_, {}};
  JobSpec s = job("big",
                  "/bin/busybox head -c 1048576 /dev/zero > /job/out/result.json; "
                  "echo write-status $?; "
                  "echo size $(/bin/busybox stat -c %s /job/out/result.json); echo done");
  s.max_output_bytes = 64 * 1024;
  auto id = guard.start(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  auto outcome = runtime_->wait_job(*id, {.time_limit = 60s});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  EXPECT_NE(value_of(lines, "write-status"), "0") << "the job wrote past its output capacity";
  EXPECT_LE(std::atol(value_of(lines, "size").c_str()), 64 * 1024);

  const fs::path result = work_->path() / "result-big.json";
  auto capped = runtime_->copy_job_output(*id, JobOutput::kResult, result, 16 * 1024);
  ASSERT_FALSE(capped.has_value());
  EXPECT_EQ(capped.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(capped.error().message.find("result.json exceeds 16384 bytes"), std::string::npos)
      << capped.error().message;
  EXPECT_FALSE(fs::exists(result));
}

}  // namespace
}  // namespace orsa::runtime
