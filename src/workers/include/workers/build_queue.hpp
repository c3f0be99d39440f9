#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "services/accounts.hpp"
#include "services/builds.hpp"
#include "source/repos.hpp"
#include "store/store.hpp"
#include "workers/base_bootstrap.hpp"

namespace orsa::workers {

/// How the build queue runs builders.
struct BuildQueueOptions {
  std::filesystem::path data_dir;      // builds/ lives here
  std::filesystem::path builder_bin;   // orsa-builder
  std::filesystem::path template_dir;  // the rendered service template (python-flask)
  std::string base_image = "orsa/base-python-or:latest";
  std::size_t max_concurrent = 2;
  std::chrono::seconds timeout{600};
  std::size_t max_log_bytes = 8 * 1024 * 1024;
  const BaseGate* base_gate = nullptr;  // builds wait here while the base is bootstrapped
  /// Removes what a build that did not succeed may have pushed under its tag
  /// (a builder killed after its manifest push, an image row that could not
  /// be written), so no failed build leaves a tag behind. May be empty.
  std::function<void(const std::string& repository, const std::string& tag)> discard_push;
  /// Told of each image a build records (the prefetcher). May be empty.
  std::function<void(const store::Image&)> on_image;
  // Several instances on one database (ADR 0019): this instance's id, put on
  // the builds it claims, and whether the instance that claimed a build
  // still lives (empty: no other instance does).
  std::string instance_id;
  std::function<bool(const std::string& runner)> runner_alive;
  // Whether instances share repositories, registry and logs (ADR 0019 step
  // 3): then any instance runs any queued build, and those of dead ones.
  bool take_over_others = false;
  // A build whose runner died mid-build is queued again until it has
  // started this many times, then fails "interrupted".
  std::int64_t max_attempts = 2;
  // How often running builds of instances that died are looked for, and
  // queued builds that no instance took.
  std::chrono::seconds sweep_interval{10};
};

/// The build queue: queued builds run on a bounded pool (one core::WorkQueue)
/// of orsa-builder processes; output goes to builds/<id>.log and to live
/// followers; a successful build records its image.
class BuildQueue final : public services::BuildRunner {
 public:
  BuildQueue(store::Store& store, source::SourceRepos& repos, services::Accounts& accounts,
             const Clock& clock, BuildQueueOptions options);
  ~BuildQueue() override;
  BuildQueue(const BuildQueue&) = delete;
  BuildQueue& operator=(const BuildQueue&) = delete;

  /// Queues again (or, past max_attempts, fails "interrupted") the builds a
  /// previous process of this instance or a dead instance left running,
  /// queues the queued ones and starts the pool and the sweep; builders push
  /// to `registry_url`.
  Result<void> start(std::string registry_url);
  /// Kills running builders (their builds fail "interrupted") and joins the pool.
  void stop();

  void enqueue(const std::string& id) override;
  void dequeue(const std::string& id) override;
  void cancel_running(const std::string& id) override;
  std::unique_ptr<services::LogFollower> follow(const std::string& id) override;
  std::filesystem::path log_path(std::string_view id) const override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::workers
