#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/work_queue.hpp"
#include "oci/blob_store.hpp"
#include "services/audit.hpp"
#include "services/collection.hpp"
#include "services/images.hpp"
#include "store/store.hpp"

namespace orsa::workers {

/// When the collector runs and what it takes.
struct CollectorOptions {
  std::chrono::seconds interval = std::chrono::hours(1);        // periodic runs; 0: none
  std::chrono::seconds image_age = std::chrono::hours(24 * 7);  // images older than this may go
  std::size_t keep = 3;                                         // newest images kept per project
  std::chrono::seconds idle = std::chrono::hours(24);  // deployments idle longer are stopped
  // Unreferenced blobs newer than this before the run's start stay: a push
  // in progress has uploaded its layers but not yet its manifest.
  std::chrono::seconds blob_grace = std::chrono::hours(1);
};

/// What the deployments side lends the collector; either may be empty (no
/// stop_idle: nothing is idle-stopped; no last_request_at: the stored times
/// alone decide).
struct DeploymentHooks {
  /// Stops the container and marks the deployment stopped with reason "idle".
  std::function<Result<void>(const store::Deployment&)> stop_idle;
  /// The memory a paused deployment's container holds (the admin's view of
  /// what the warm tier costs); none when unknown.
  std::function<std::optional<std::int64_t>(const store::Deployment&)> paused_memory;
  /// The gateway's time (unix seconds) of the deployment's last request.
  std::function<std::optional<std::int64_t>(const std::string& deployment_id)> last_request_at;
};

/// Garbage collection: old unused images, unreferenced registry blobs and
/// idle deployments. Runs every `interval` on its own thread and on demand;
/// one run at a time (a second caller gets kConflict rather than waiting,
/// so an admin's request never hangs behind a long sweep).
class Collector final : public services::Collection {
 public:
  Collector(store::Store& store, services::Images& images, oci::BlobStore& blobs,
            services::Audit& audit, const Clock& clock, CollectorOptions options,
            DeploymentHooks hooks = {});
  ~Collector() override;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  /// Replaces the deployment hooks (the deployments service is wired later).
  void set_deployment_hooks(DeploymentHooks hooks);

  /// Deletes runs past their retention and the run data no run references
  /// (services::Runs::collect); part of every collection but dry runs.
  using RunRetention = std::function<Result<void>()>;
  void set_run_retention(RunRetention retention);
  /// Before start(): whether this instance leads (LeaseKeeper::held); the
  /// periodic run is skipped while another does. Unset: always.
  void set_leadership(std::function<bool()> leading);

  /// One collection now; `actor_id` is the admin who asked (none: periodic).
  Result<services::GcReport> run(bool dry_run, std::optional<std::string> actor_id = std::nullopt,
                                 std::string_view ip = {}) override;

  /// Starts the periodic thread (no-op when the interval is 0).
  void start();
  /// Wakes and joins the periodic thread; a run in progress finishes first.
  void stop();

  const CollectorOptions& options() const { return options_; }

 private:
  Result<std::vector<store::Image>> select_images(std::int64_t now);
  Result<std::vector<store::Deployment>> select_idle(std::int64_t now,
                                                     const DeploymentHooks& hooks);
  void delete_images(const std::vector<store::Image>& candidates, services::GcReport& report);
  void sweep_blobs(const std::vector<store::Image>& deleted, std::int64_t now,
                   services::GcReport& report);
  /// The deployments paused when the run began, with their memory.
  void list_paused(const DeploymentHooks& hooks, services::GcReport& report);
  void stop_idle(const std::vector<store::Deployment>& idle, const DeploymentHooks& hooks,
                 services::GcReport& report);
  void record(const services::GcReport& report, const std::optional<std::string>& actor_id,
              std::string_view ip);
  DeploymentHooks hooks() const;
  void loop(const std::stop_token& stop);

  store::Store& store_;
  services::Images& images_;
  oci::BlobStore& blobs_;
  services::Audit& audit_;
  const Clock& clock_;
  const CollectorOptions options_;

  mutable std::mutex hooks_mu_;
  DeploymentHooks hooks_;
  RunRetention run_retention_;     // under hooks_mu_
  std::function<bool()> leading_;  // set before start(), read-only after
  std::mutex run_mu_;              // held for a whole run

  std::mutex loop_mu_;
  std::condition_variable_any loop_cv_;  // only ever woken by the stop token
  std::unique_ptr<BackgroundThread> thread_;
};

}  // namespace orsa::workers
