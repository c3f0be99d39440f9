#include "workers/consistency_check.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include "core/json.hpp"
#include "core/json_writer.hpp"
#include "oci/fsck.hpp"
#include "oci/media_types.hpp"
#include "rollout_support.hpp"

namespace orsa::workers {
namespace {

using store::BuildStatus;
using store::DeploymentStatus;

constexpr std::size_t kMaxBuildsPerProject = 1'000'000;
constexpr std::string_view kBuildInterrupted =
    "interrupted: orsa-deployer stopped while the build ran";
constexpr std::string_view kRolloutInterrupted =
    "interrupted: orsa-deployer stopped during the rollout; start it again";

class Checker {
 public:
  Checker(store::Store& store, oci::BlobStore& blobs, runtime::Runtime* runtime,
          const CheckOptions& options)
      : store_(store), blobs_(blobs), runtime_(runtime), options_(options) {
    report_.repair = options.repair;
  }

  Result<CheckReport> run() {
    if (auto ok = check_registry(); !ok) return fail(ok.error());
    if (options_.server_running) {
      report_.notes.emplace_back(
          "a running orsa-deployer holds the data dir: builds and deployments in flight, upload "
          "sessions and containers are its own and were not checked");
    } else {
      if (auto ok = check_builds(); !ok) return fail(ok.error());
      if (auto ok = check_deployments(); !ok) return fail(ok.error());
    }
    if (auto ok = check_images(); !ok) return fail(ok.error());
    if (auto ok = check_build_tags(); !ok) return fail(ok.error());
    if (!options_.server_running) check_runtime();
    return std::move(report_);
  }

 private:
  template <class Fix>
  void found(std::string area, std::string kind, std::string subject, std::string detail, Fix fix) {
    Finding f{std::move(area), std::move(kind), std::move(subject), std::move(detail), true, false};
    if (options_.repair) f.repaired = fix();
    report_.findings.push_back(std::move(f));
  }

  void report(std::string area, std::string kind, std::string subject, std::string detail) {
    report_.findings.push_back(
        {std::move(area), std::move(kind), std::move(subject), std::move(detail), false, false});
  }

  Result<void> check_registry() {
    auto findings = oci::check_store(blobs_, {.repair = options_.repair,
                                              .verify_content = options_.verify_content,
                                              .upload_age = options_.upload_age,
                                              .now_unix = options_.now_unix,
                                              .skip_work_in_progress = options_.server_running});
    if (!findings) return fail(findings.error());
    for (auto& f : *findings) {
      std::string subject = f.repository.empty() ? f.subject : f.repository + " " + f.subject;
      report_.findings.push_back({"registry", std::move(f.kind), std::move(subject),
                                  std::move(f.detail), f.repairable, f.repaired});
    }
    return {};
  }

  Result<void> check_builds() {
    auto running = store_.builds().with_status(BuildStatus::kRunning);
    if (!running) return fail(running.error());
    for (const auto& b : *running) {
      found("builds", "build_interrupted", b.id,
            b.owner_username + "/" + b.project_name + " #" + std::to_string(b.number) +
                " is running but no deployer runs it",
            [&] {
              return static_cast<bool>(
                  store_.builds().update(b.id, {.status = BuildStatus::kFailed,
                                                .from = BuildStatus::kRunning,
                                                .error = std::string(kBuildInterrupted),
                                                .finished_at = options_.now_unix}));
            });
    }
    auto queued = store_.builds().with_status(BuildStatus::kQueued);
    if (queued && !queued->empty()) {
      report_.notes.push_back(std::to_string(queued->size()) +
                              " queued build(s) will run when orsa-deployer starts");
    }
    return {};
  }

  Result<void> check_deployments() {
    auto all = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
    if (!all) return fail(all.error());
    for (auto d : *all) {
      const bool in_flight = d.status == DeploymentStatus::kPending ||
                             d.status == DeploymentStatus::kPulling ||
                             d.status == DeploymentStatus::kStarting;
      if (!d.desired_running || !in_flight) continue;
      found("deployments", "deployment_interrupted", d.id,
            d.owner_username + "/" + d.project_name + " is " +
                std::string(store::deployment_status_name(d.status)) +
                " but no deployer rolls it out",
            [&] {
              // Its container, if any, is then an orphan the runtime step removes.
              d.status = DeploymentStatus::kFailed;
              d.status_reason = std::string(kRolloutInterrupted);
              d.desired_running = false;
              d.container_id.clear();
              d.host_port = 0;
              d.upstream_host.clear();
              return static_cast<bool>(store_.deployments().save(d));
            });
    }
    return {};
  }

  // The media type an image's manifest was pushed with, read from the document.
  std::string media_type_of(const oci::Digest& digest) const {
    auto bytes = blobs_.read_blob(digest);
    if (!bytes) return "";
    const Json doc = Json::parse(*bytes, nullptr, false);
    if (doc.is_object() && doc.contains("mediaType") && doc["mediaType"].is_string()) {
      return doc["mediaType"].get<std::string>();
    }
    return std::string(oci::kOciManifest);
  }

  Result<void> check_images() {
    auto images = store_.images().list(OwnerScope::everyone(), std::nullopt);
    if (!images) return fail(images.error());
    for (const auto& image : *images) {
      const std::string subject = image.id + " (" + image.repository + ":" + image.tag + ")";
      auto digest = oci::Digest::parse(image.digest);
      if (!digest) {
        report("images", "image_digest_invalid", subject, "stored digest '" + image.digest + "'");
        continue;
      }
      if (!blobs_.has_blob(*digest)) {
        image_manifest_gone(image, *digest, subject);
      } else if (!blobs_.has_manifest(image.repository, *digest)) {
        found("images", "image_unlinked", subject, "the manifest is stored but not linked", [&] {
          return blobs_.link_manifest(image.repository, *digest, media_type_of(*digest)) &&
                 blobs_.set_tag(image.repository, image.tag, *digest);
        });
      } else if (const auto tagged = blobs_.resolve_tag(image.repository, image.tag);
                 !tagged || *tagged != *digest) {
        found("images", "image_untagged", subject, "the tag does not name the image's manifest",
              [&] {
                return static_cast<bool>(blobs_.set_tag(image.repository, image.tag, *digest));
              });
      }
      rows_.emplace(image.repository, image.tag);
    }
    return {};
  }

  void image_manifest_gone(const store::Image& image, const oci::Digest& digest,
                           const std::string& subject) {
    auto uses = store_.deployments().count_using_image(image.id);
    if (uses && *uses > 0) {
      report("images", "image_manifest_missing", subject,
             "its manifest is gone and " + std::to_string(*uses) +
                 " deployment(s) use it: delete them, or build and deploy again");
      return;
    }
    found("images", "image_manifest_missing", subject,
          "its manifest is gone and no deployment uses it: the row is deleted", [&] {
            std::ignore =
                oci::remove_tag_and_unshared_manifest(blobs_, image.repository, image.tag, digest);
            return static_cast<bool>(store_.images().remove(OwnerScope::everyone(), image.id));
          });
  }

  // Tags named after a build of their project (the builder's tags) that no
  // images row records: the build was cut off between its push and its row.
  Result<void> check_build_tags() {
    auto projects = store_.projects().list(OwnerScope::everyone());
    if (!projects) return fail(projects.error());
    for (const auto& project : *projects) {
      const std::string repo = project.owner_username + "/" + project.name;
      auto tags = blobs_.list_tags(repo);
      if (!tags || tags->empty()) continue;
      auto builds = store_.builds().list(OwnerScope::everyone(), project.id, kMaxBuildsPerProject);
      if (!builds) return fail(builds.error());
      std::map<std::int64_t, const store::Build*> by_number;
      for (const auto& b : *builds) by_number.emplace(b.number, &b);
      for (const auto& tag : *tags) check_build_tag(repo, tag, by_number);
    }
    return {};
  }

  void check_build_tag(const std::string& repo, const std::string& tag,
                       const std::map<std::int64_t, const store::Build*>& by_number) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), number);
    if (ec != std::errc() || end != tag.data() + tag.size()) return;  // pushed by hand
    const auto it = by_number.find(number);
    if (it == by_number.end() || rows_.contains({repo, tag})) return;
    const store::Build& build = *it->second;
    if (options_.server_running && !store::is_final(build.status)) return;  // pushing now
    found("images", "tag_without_image", repo + ":" + tag,
          "build " + build.id + " (" + std::string(store::build_status_name(build.status)) +
              ") pushed it but no images row records it: the tag is removed",
          [&] {
            auto digest = blobs_.resolve_tag(repo, tag);
            if (!digest) return static_cast<bool>(blobs_.delete_tag(repo, tag));
            return static_cast<bool>(
                oci::remove_tag_and_unshared_manifest(blobs_, repo, tag, *digest));
          });
  }

  void check_runtime() {
    if (runtime_ == nullptr) {
      report_.notes.push_back(options_.no_runtime_reason + ": containers were not checked");
      return;
    }
    auto all = store_.deployments().list(OwnerScope::everyone(), std::nullopt);
    auto containers = runtime_->list({{runtime::kLabelManaged, "true"}});
    if (!all || !containers) {
      report_.notes.push_back("containers were not checked: " +
                              (all ? containers.error().message : all.error().message));
      return;
    }
    const auto by_id = index_by_id(*all);
    for (const auto& c : *containers) {
      if (container_wanted(by_id, c)) continue;
      const std::string dep = deployment_label(c.labels);
      found("runtime", "orphan_container", c.name,
            dep.empty() ? "labelled orsa.managed without a deployment"
                        : "of " + dep + ", which does not want it",
            [&] { return static_cast<bool>(runtime_->remove(c.id)); });
    }
    auto networks = runtime_->list_networks({{runtime::kLabelManaged, "true"}});
    if (!networks) {
      report_.notes.push_back("networks were not checked: " + networks.error().message);
      return;
    }
    for (const auto& n : *networks) {
      if (network_wanted(by_id, n)) continue;
      found("runtime", "orphan_network", n.name, "no deployment with a container uses it",
            [&] { return static_cast<bool>(runtime_->remove_network(n.name)); });
    }
  }

  store::Store& store_;
  oci::BlobStore& blobs_;
  runtime::Runtime* runtime_;
  const CheckOptions& options_;
  CheckReport report_;
  std::set<std::pair<std::string, std::string>> rows_;  // (repository, tag) of images rows
};

}  // namespace

std::size_t CheckReport::remaining() const {
  return static_cast<std::size_t>(
      std::ranges::count_if(findings, [](const Finding& f) { return !f.repaired; }));
}

Result<CheckReport> check_consistency(store::Store& store, oci::BlobStore& blobs,
                                      runtime::Runtime* runtime, const CheckOptions& options) {
  return Checker(store, blobs, runtime, options).run();
}

std::string report_text(const CheckReport& report) {
  std::string out;
  for (const auto& f : report.findings) {
    const char* state = f.repaired      ? "repaired"
                        : !f.repairable ? "needs attention"
                        : report.repair ? "repair failed"
                                        : "repairable";
    out += f.area + "  " + f.kind + "  " + f.subject + ": " + f.detail + " [" + state + "]\n";
  }
  for (const auto& note : report.notes) out += "note: " + note + "\n";
  const std::size_t remaining = report.remaining();
  if (report.findings.empty()) {
    out += "clean: no findings\n";
  } else {
    out += std::to_string(report.findings.size()) + " finding(s), " +
           std::to_string(report.findings.size() - remaining) + " repaired, " +
           std::to_string(remaining) + " remain" +
           (report.repair || remaining == 0 ? "" : " (run with --repair to fix the repairable)") +
           "\n";
  }
  return out;
}

std::string report_json(const CheckReport& report) {
  JsonWriter w;
  w.begin_object();
  w.key("repair").value(report.repair);
  w.key("clean").value(report.remaining() == 0);
  w.key("remaining").value(static_cast<std::int64_t>(report.remaining()));
  w.key("findings").begin_array();
  for (const auto& f : report.findings) {
    w.begin_object();
    w.key("area").value(f.area);
    w.key("kind").value(f.kind);
    w.key("subject").value(f.subject);
    w.key("detail").value(f.detail);
    w.key("repairable").value(f.repairable);
    w.key("repaired").value(f.repaired);
    w.end_object();
  }
  w.end_array();
  w.key("notes").begin_array();
  for (const auto& note : report.notes) w.value(note);
  w.end_array();
  w.end_object();
  return w.take();
}

}  // namespace orsa::workers
