#include "builder/pipeline.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/registry_client.hpp"
#include "pipeline_steps.hpp"

namespace orsa::builder {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace steps;

/// Measures one step and reports it.
class StepClock {
 public:
  StepClock(std::vector<StepTiming>& steps, const Progress& progress)
      : steps_(steps), progress_(progress) {}
  void done(std::string_view step, std::string_view detail = {}) {
    const auto now = SteadyClock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    steps_.push_back({std::string(step), ms});
    char line[64];
    std::snprintf(line, sizeof line, "%.1f ms", ms);
    progress_("step " + std::string(step) + " done in " + line +
              (detail.empty() ? "" : ": " + std::string(detail)));
  }

 private:
  std::vector<StepTiming>& steps_;
  const Progress& progress_;
  SteadyClock::time_point last_ = SteadyClock::now();
};

/// The job's registry over HTTP. The client is created on first use, so a
/// bad registry setting is reported after the local steps, as before.
class HttpImageRegistry final : public ImageRegistry {
 public:
  explicit HttpImageRegistry(oci::RegistryClientOptions options) : options_(std::move(options)) {}

  Result<oci::PulledManifest> get_manifest(std::string_view repo,
                                           std::string_view reference) override {
    auto c = client();
    if (!c) return fail(c.error());
    return (*c)->get_manifest(repo, reference);
  }
  Result<std::string> get_blob_bytes(std::string_view repo, const oci::Digest& digest) override {
    auto c = client();
    if (!c) return fail(c.error());
    return (*c)->get_blob_bytes(repo, digest);
  }
  Result<oci::BlobPushResult> push_blob(std::string_view repo, const oci::Digest& digest,
                                        std::string_view bytes,
                                        std::optional<std::string_view> mount_from) override {
    auto c = client();
    if (!c) return fail(c.error());
    return (*c)->push_blob(repo, digest, bytes, mount_from);
  }
  Result<oci::Digest> push_manifest(std::string_view repo, std::string_view reference,
                                    std::string_view bytes, std::string_view media_type) override {
    auto c = client();
    if (!c) return fail(c.error());
    return (*c)->push_manifest(repo, reference, bytes, media_type);
  }
  std::int64_t bytes_uploaded() const override {
    return client_ ? client_->stats().bytes_uploaded : 0;
  }

 private:
  Result<oci::RegistryClient*> client() {
    if (!client_) {
      auto created = oci::RegistryClient::create(options_);
      if (!created) return fail(created.error());
      client_.emplace(std::move(*created));
    }
    return &*client_;
  }

  oci::RegistryClientOptions options_;
  std::optional<oci::RegistryClient> client_;
};

}  // namespace

Json to_json(const BuildResult& r) {
  Json steps = Json::object();
  for (const auto& s : r.steps) steps[s.step] = std::round(s.ms * 10) / 10;
  return {{"repository", r.repository},
          {"tag", r.tag},
          {"digest", r.digest},
          {"config_digest", r.config_digest},
          {"app_layer_digest", r.app_layer_digest},
          {"size", r.size},
          {"bytes_uploaded", r.bytes_uploaded},
          {"base_layers_reused", r.base_layers_reused},
          {"steps_ms", steps}};
}

Result<BuildResult> run_build(const BuildJob& job, std::string_view push_token,
                              const Progress& progress) {
  HttpImageRegistry registry(
      {.base_url = job.registry,
       .credentials = oci::RegistryCredentials::bearer(std::string(push_token))});
  return run_build(job, registry, progress);
}

Result<BuildResult> run_build(const BuildJob& job, ImageRegistry& registry,
                              const Progress& progress) {
  BuildResult result;
  result.repository = job.target_repository;
  result.tag = job.target_tag;
  StepClock clock(result.steps, progress);

  auto project_files = extract_source(job);
  if (!project_files) return fail(project_files.error());
  auto project = project_config_of(*project_files);
  if (!project) return fail(project.error());
  if (auto ok = check_entrypoint(*project_files, *project); !ok) return fail(ok.error());
  clock.done("extract", std::to_string(project_files->size()) + " files");

  auto service = render_service(job, *project);
  if (!service) return fail(service.error());
  auto files = merge(std::move(*project_files), std::move(*service));
  if (!files) return fail(files.error());
  clock.done("render");

  auto layer = build_layer(std::move(*files), job.commit_time);
  if (!layer) return fail(layer.error());
  clock.done("layer", layer->info.digest.str());

  auto base = fetch_base(registry, job);
  if (!base) return fail(base.error());
  const std::string config_json =
      oci::serialize(image_config(job, *project, base->config, layer->info));
  const oci::Descriptor config_desc{std::string(oci::kOciConfig),
                                    oci::Digest::of(config_json),
                                    static_cast<std::int64_t>(config_json.size()),
                                    {},
                                    {}};
  const oci::ImageManifest manifest = image_manifest(base->manifest, config_desc, layer->info);
  const std::string manifest_json = oci::serialize(manifest);
  clock.done("config");

  auto reused = reuse_base_layers(registry, job, base->manifest);
  if (!reused) return fail(reused.error());
  auto app = registry.push_blob(job.target_repository, layer->info.digest, layer->bytes);
  if (!app) return fail(app.error());
  auto config_pushed = registry.push_blob(job.target_repository, config_desc.digest, config_json);
  if (!config_pushed) return fail(config_pushed.error());
  auto digest = registry.push_manifest(job.target_repository, job.target_tag, manifest_json,
                                       oci::kOciManifest);
  if (!digest) return fail(digest.error());
  clock.done("push", digest->str());

  result.digest = digest->str();
  result.config_digest = config_desc.digest.str();
  result.app_layer_digest = layer->info.digest.str();
  result.base_layers_reused = *reused;
  result.bytes_uploaded = registry.bytes_uploaded();
  result.size = static_cast<std::int64_t>(manifest_json.size() + config_json.size());
  for (const auto& l : manifest.layers) result.size += l.size;
  return result;
}

}  // namespace orsa::builder
