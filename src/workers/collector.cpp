#include "workers/collector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "oci/gc.hpp"

namespace orsa::workers {
namespace {

services::GcImage gc_image(const store::Image& image) {
  return {image.id, image.repository, image.tag, image.digest, image.size};
}

// Oldest first within a repository, so reports read in deletion order.
void sort_for_report(std::vector<store::Image>& images) {
  std::sort(images.begin(), images.end(), [](const store::Image& a, const store::Image& b) {
    return std::tie(a.repository, a.created_at, a.id) < std::tie(b.repository, b.created_at, b.id);
  });
}

// Images of one project that may go: beyond the newest `keep`, older than
// `cutoff`, and used by no deployment.
void select_in_project(std::vector<store::Image>& images, const std::set<std::string>& used,
                       std::size_t keep, std::int64_t cutoff, std::vector<store::Image>& out) {
  std::stable_sort(images.begin(), images.end(), [](const store::Image& a, const store::Image& b) {
    return a.created_at > b.created_at;
  });
  for (std::size_t i = keep; i < images.size(); ++i) {
    if (images[i].created_at < cutoff && !used.contains(images[i].id)) out.push_back(images[i]);
  }
}

// The deployment's last sign of life: a request through the gateway (live
// or stored), else its start.
std::int64_t last_activity(const store::Deployment& d, const DeploymentHooks& hooks) {
  std::int64_t last = d.started_at.value_or(d.created_at);
  if (d.last_request_at) last = std::max(last, *d.last_request_at);
  if (hooks.last_request_at) {
    if (auto live = hooks.last_request_at(d.id)) last = std::max(last, *live);
  }
  return last;
}

std::string audit_detail(const services::GcReport& r) {
  return "images=" + std::to_string(r.images.size()) + " blobs=" + std::to_string(r.blob_count) +
         " blob_bytes=" + std::to_string(r.blob_bytes) +
         " idle_stopped=" + std::to_string(r.idle_stopped.size()) +
         " bytes_freed=" + std::to_string(r.bytes_freed) +
         " errors=" + std::to_string(r.errors.size());
}

}  // namespace

Collector::Collector(store::Store& store, services::Images& images, oci::BlobStore& blobs,
                     services::Audit& audit, const Clock& clock, CollectorOptions options,
                     DeploymentHooks hooks)
    : store_(store),
      images_(images),
      blobs_(blobs),
      audit_(audit),
      clock_(clock),
      options_(options),
      hooks_(std::move(hooks)) {}

Collector::~Collector() {
  stop();
}

void Collector::set_deployment_hooks(DeploymentHooks hooks) {
  std::lock_guard lock(hooks_mu_);
  hooks_ = std::move(hooks);
}

void Collector::set_run_retention(RunRetention retention) {
  std::lock_guard lock(hooks_mu_);
  run_retention_ = std::move(retention);
}

DeploymentHooks Collector::hooks() const {
  std::lock_guard lock(hooks_mu_);
  return hooks_;
}

Result<services::GcReport> Collector::run(bool dry_run, std::optional<std::string> actor_id,
                                          std::string_view ip) {
  std::unique_lock running(run_mu_, std::try_to_lock);
  if (!running) return fail(Error::conflict("a collection is already running"));
  const std::int64_t now = clock_.now_unix();
  const DeploymentHooks hooks = this->hooks();
  auto candidates = select_images(now);
  if (!candidates) return fail(candidates.error());
  auto idle = select_idle(now, hooks);
  if (!idle) return fail(idle.error());

  services::GcReport report;
  report.dry_run = dry_run;
  list_paused(hooks, report);  // before any is stopped: what the tier held
  if (dry_run) {
    for (const auto& image : *candidates) report.images.push_back(gc_image(image));
    sweep_blobs(*candidates, now, report);
    for (const auto& d : *idle) {
      report.idle_stopped.push_back({d.id, d.owner_username + "/" + d.project_name});
    }
  } else {
    delete_images(*candidates, report);
    sweep_blobs({}, now, report);
    stop_idle(*idle, hooks, report);
    RunRetention retention;
    {
      std::lock_guard lock(hooks_mu_);
      retention = run_retention_;
    }
    if (retention) {
      if (auto ok = retention(); !ok) report.errors.push_back("runs: " + ok.error().message);
    }
  }
  record(report, actor_id, ip);
  return report;
}

Result<std::vector<store::Image>> Collector::select_images(std::int64_t now) {
  auto images = store_.images().list(OwnerScope::everyone(), std::nullopt);
  if (!images) return fail(images.error());
  auto deployments = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
  if (!deployments) return fail(deployments.error());
  // Any deployment row counts, stopped or failed too: it may be started again.
  std::set<std::string> used;
  for (const auto& d : *deployments) used.insert(d.image_id);
  std::map<std::string, std::vector<store::Image>> by_project;
  for (auto& image : *images) by_project[image.project_id].push_back(std::move(image));
  std::vector<store::Image> out;
  const std::int64_t cutoff = now - options_.image_age.count();
  for (auto& [project, list] : by_project) {
    select_in_project(list, used, options_.keep, cutoff, out);
  }
  sort_for_report(out);
  return out;
}

Result<std::vector<store::Deployment>> Collector::select_idle(std::int64_t now,
                                                              const DeploymentHooks& hooks) {
  if (!hooks.stop_idle) return std::vector<store::Deployment>{};
  auto deployments = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
  if (!deployments) return fail(deployments.error());
  std::vector<store::Deployment> out;
  for (auto& d : *deployments) {
    // Paused (the warm tier) is the first step of idleness; this is the second.
    const bool serving = d.desired_running && (d.status == store::DeploymentStatus::kHealthy ||
                                               d.status == store::DeploymentStatus::kPaused);
    if (serving && now - last_activity(d, hooks) > options_.idle.count()) {
      out.push_back(std::move(d));
    }
  }
  return out;
}

void Collector::delete_images(const std::vector<store::Image>& candidates,
                              services::GcReport& report) {
  for (const auto& image : candidates) {
    // A deployment created since the selection wins over the collector.
    auto uses = store_.deployments().count_using_image(image.id);
    if (!uses || *uses > 0) continue;
    if (auto ok = images_.remove_unchecked(image); !ok) {
      report.errors.push_back("image " + image.id + ": " + ok.error().message);
      continue;
    }
    report.images.push_back(gc_image(image));
  }
}

void Collector::sweep_blobs(const std::vector<store::Image>& assume_deleted, std::int64_t now,
                            services::GcReport& report) {
  oci::SweepOptions options{.cutoff_unix = now - options_.blob_grace.count(),
                            .dry_run = report.dry_run};
  for (const auto& image : assume_deleted) {
    options.assume_deleted_tags.emplace_back(image.repository, image.tag);
  }
  auto swept = oci::sweep_blobs(blobs_, options);
  if (!swept) {
    report.errors.push_back("blobs: " + swept.error().message);
    return;
  }
  report.blob_count = static_cast<std::int64_t>(swept->blobs.size());
  report.blob_bytes = swept->bytes;
  if (!report.dry_run) report.bytes_freed = swept->bytes;
}

void Collector::list_paused(const DeploymentHooks& hooks, services::GcReport& report) {
  auto deployments = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
  if (!deployments) return report.errors.push_back("paused: " + deployments.error().message);
  for (const auto& d : *deployments) {
    if (d.status != store::DeploymentStatus::kPaused) continue;
    const auto held = hooks.paused_memory ? hooks.paused_memory(d) : std::nullopt;
    report.paused.push_back({d.id, d.owner_username + "/" + d.project_name, held.value_or(-1)});
  }
}

void Collector::stop_idle(const std::vector<store::Deployment>& idle, const DeploymentHooks& hooks,
                          services::GcReport& report) {
  for (const auto& d : idle) {
    if (auto ok = hooks.stop_idle(d); !ok) {
      report.errors.push_back("deployment " + d.id + ": " + ok.error().message);
      continue;
    }
    report.idle_stopped.push_back({d.id, d.owner_username + "/" + d.project_name});
  }
}

void Collector::record(const services::GcReport& report, const std::optional<std::string>& actor_id,
                       std::string_view ip) {
  const std::string detail = audit_detail(report);
  audit_.record(actor_id, report.dry_run ? "gc_dry_run" : "gc", "collector", ip, detail);
  for (const auto& error : report.errors) spdlog::warn("collector: {}", error);
  spdlog::info("collector: {}{}", report.dry_run ? "dry run: " : "", detail);
}

void Collector::set_leadership(std::function<bool()> leading) {
  leading_ = std::move(leading);
}

void Collector::start() {
  if (options_.interval.count() <= 0 || thread_) return;
  thread_ = std::make_unique<BackgroundThread>("collector",
                                               [this](const std::stop_token& stop) { loop(stop); });
}

void Collector::stop() {
  thread_.reset();  // requests stop and joins
}

void Collector::loop(const std::stop_token& stop) {
  for (;;) {
    {
      std::unique_lock lock(loop_mu_);
      loop_cv_.wait_for(lock, stop, options_.interval, [] { return false; });
    }
    if (stop.stop_requested()) return;
    if (leading_ && !leading_()) continue;
    auto report = run(false);
    if (!report) spdlog::warn("collector: {}", report.error().message);
  }
}

}  // namespace orsa::workers
