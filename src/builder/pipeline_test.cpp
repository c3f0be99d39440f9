#include "builder/pipeline.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/files.hpp"
#include "oci/blob_store.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"
#include "pipeline_steps.hpp"
#include "testing/archives.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;
using orsa::testing::TempDir;

constexpr std::string_view kBaseRepo = "orsa/base-test";
constexpr std::string_view kTargetRepo = "alice/knapsack";

/// The embedded registry's logic (oci::Registry over a BlobStore in a temp
/// dir) behind the pipeline's registry port: real manifest validation and
/// mounts, no HTTP.
class InProcessRegistry final : public ImageRegistry {
 public:
  InProcessRegistry() : store_(oci::BlobStore::open(dir_.path()).value()), registry_(*store_) {}

  oci::Registry& registry() { return registry_; }

  Result<oci::PulledManifest> get_manifest(std::string_view repo,
                                           std::string_view reference) override {
    auto stored = registry_.get_manifest(repo, reference);
    if (!stored) return fail(stored.error());
    return oci::PulledManifest{stored->bytes, stored->media_type, stored->digest};
  }
  Result<std::string> get_blob_bytes(std::string_view repo, const oci::Digest& digest) override {
    auto size = registry_.blob_size(repo, digest.str());
    if (!size) return fail(size.error());
    if (*size == 0) return std::string();
    return registry_.read_blob(repo, digest.str(), {0, *size - 1});
  }
  Result<oci::BlobPushResult> push_blob(std::string_view repo, const oci::Digest& digest,
                                        std::string_view bytes,
                                        std::optional<std::string_view> mount_from) override {
    oci::BlobPushResult result{digest, static_cast<std::int64_t>(bytes.size()),
                               oci::BlobPushOutcome::kSkipped, 0};
    if (registry_.blob_size(repo, digest.str())) return result;
    if (mount_from) {
      auto mount = registry_.mount_blob(repo, digest.str(), *mount_from, true);
      if (!mount) return fail(mount.error());
      if (mount->mounted) {
        result.outcome = oci::BlobPushOutcome::kMounted;
        return result;
      }
      (void)registry_.cancel_upload(repo, mount->upload_id);  // an upload we do not use
    }
    auto put = registry_.put_blob(repo, digest.str(), bytes);
    if (!put) return fail(put.error());
    result.outcome = oci::BlobPushOutcome::kUploaded;
    result.bytes_uploaded = static_cast<std::int64_t>(bytes.size());
    uploaded_ += result.bytes_uploaded;
    return result;
  }
  Result<oci::Digest> push_manifest(std::string_view repo, std::string_view reference,
                                    std::string_view bytes, std::string_view media_type) override {
    uploaded_ += static_cast<std::int64_t>(bytes.size());
    return registry_.put_manifest(repo, reference, bytes, media_type);
  }
  std::int64_t bytes_uploaded() const override { return uploaded_; }

 private:
  TempDir dir_{"orsa-builder-registry"};
  std::unique_ptr<oci::BlobStore> store_;
  oci::Registry registry_;
  std::int64_t uploaded_ = 0;
};

/// A base image of two layers (their content need not be real tar data).
oci::ImageManifest push_base(oci::Registry& registry) {
  oci::ImageConfig config;
  config.created = "2024-01-01T00:00:00Z";
  config.env = {"PATH=/usr/bin:/bin"};
  config.entrypoint = {"/bin/sh"};
  oci::ImageManifest manifest;
  for (const std::string layer : {"base layer one", "base layer two"}) {
    const auto digest = oci::Digest::of(layer);
    EXPECT_TRUE(registry.put_blob(kBaseRepo, digest.str(), layer));
    manifest.layers.push_back(
        {std::string(oci::kOciLayerGzip), digest, static_cast<std::int64_t>(layer.size()), {}, {}});
    config.diff_ids.push_back(oci::Digest::of(layer + " uncompressed"));
  }
  const std::string config_json = oci::serialize(config);
  EXPECT_TRUE(registry.put_blob(kBaseRepo, oci::Digest::of(config_json).str(), config_json));
  manifest.config = {std::string(oci::kOciConfig),
                     oci::Digest::of(config_json),
                     static_cast<std::int64_t>(config_json.size()),
                     {},
                     {}};
  auto pushed = registry.put_manifest(kBaseRepo, "1", oci::serialize(manifest), oci::kOciManifest);
  EXPECT_TRUE(pushed) << pushed.error().message;
  return manifest;
}

/// A minimal service template in cookiecutter's layout: one rendered file
/// naming the entrypoint, one executable script.
void write_service_template(const fs::path& dir) {
  fs::create_directories(dir / "{{cookiecutter.project_name}}-service/orsa_service");
  std::ofstream(dir / "cookiecutter.json") << R"({
  "project_name": "knapsack", "owner": "orsa", "version": "0.0.0", "commit": "unknown",
  "entrypoint_module": "model", "entrypoint_function": "solve", "max_body_bytes": 1048576,
  "timeout": 60, "workers": 2, "port": 8000, "user": 65532
})";
  std::ofstream(dir / "{{cookiecutter.project_name}}-service/orsa_service/app.py")
      << "from {{ cookiecutter.entrypoint_module }} import {{ cookiecutter.entrypoint_function }}\n"
         "TIMEOUT = {{ cookiecutter.timeout }}\n";
  const fs::path run = dir / "{{cookiecutter.project_name}}-service/orsa_service/run.sh";
  std::ofstream(run) << "#!/bin/sh\nexec gunicorn\n";
  fs::permissions(run, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
}

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    write_service_template(dir_.path() / "template");
    base_ = push_base(registry_.registry());
    job_.build_id = "bld_1";
    job_.owner = "alice";
    job_.project = "knapsack";
    job_.commit = std::string(40, 'c');
    job_.commit_time = 1'700'000'000;
    job_.source_archive = dir_.path() / "source.tar.gz";
    job_.template_dir = dir_.path() / "template";
    job_.registry = "http://127.0.0.1:1";  // never used: the port is in-process
    job_.base_repository = kBaseRepo;
    job_.base_reference = "1";
    job_.target_repository = kTargetRepo;
    job_.target_tag = "7";
    write_source(
        {{"model.py", "def solve(d):\n    return d\n"},
         {"orsa.toml", "[project]\nname = \"Knapsack solver\"\n[service]\ntimeout = 30\n"}});
  }

  void write_source(const std::vector<source::File>& files) {
    auto archive = source::pack_tar_gz(files, job_.commit_time);
    ASSERT_TRUE(archive) << archive.error().message;
    ASSERT_TRUE(write_file_atomic(job_.source_archive, *archive, 0644));
  }

  Result<BuildResult> build() {
    return run_build(job_, registry_,
                     [this](std::string_view line) { progress_.emplace_back(line); });
  }

  TempDir dir_{"orsa-builder-test"};
  InProcessRegistry registry_;
  oci::ImageManifest base_;
  BuildJob job_;
  std::vector<std::string> progress_;
};

// Extract and orsa.toml.

TEST_F(Pipeline, ExtractReadsTheSourceArchive) {
  auto files = steps::extract_source(job_);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "model.py");
  EXPECT_EQ((*files)[1].path, "orsa.toml");
}

TEST_F(Pipeline, ExtractRefusesAMissingArchive) {
  job_.source_archive = dir_.path() / "absent.tar.gz";
  auto files = steps::extract_source(job_);
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(files.error().message, "cannot read the source archive");
}

TEST_F(Pipeline, ExtractRefusesAPathLeavingTheTree) {
  ASSERT_TRUE(write_file_atomic(job_.source_archive,
                                orsa::testing::make_tar_gz({{"../escape.py", "x"}}), 0644));
  EXPECT_FALSE(steps::extract_source(job_));
}

TEST_F(Pipeline, ProjectConfigComesFromOrsaToml) {
  auto config = steps::project_config_of({{"orsa.toml", "[service]\nworkers = 4\n"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->workers, 4);
}

TEST_F(Pipeline, ProjectConfigDefaultsWithoutOrsaToml) {
  auto config = steps::project_config_of({{"model.py", "x"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->entrypoint_module, "model");
  EXPECT_EQ(config->entrypoint_function, "solve");
  EXPECT_EQ(config->timeout_s, 60);
}

TEST_F(Pipeline, AMissingEntrypointModuleFailsTheBuildSayingWhatToAdd) {
  write_source({{"solver.py", "def solve(d):\n    return d\n"}});
  auto result = build();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("'model' is missing: add model.py"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(progress_.empty());
}

TEST_F(Pipeline, AnEmptyEntrypointModuleFailsTheBuild) {
  write_source({{"model.py", " \n\n"}});
  auto result = build();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("(model.py) is empty"), std::string::npos)
      << result.error().message;
}

TEST_F(Pipeline, AnEntrypointInAPackageIsFound) {
  auto config =
      steps::project_config_of({{"orsa.toml", "[service]\nentrypoint = \"pkg.model:run\"\n"}});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(steps::check_entrypoint({{"pkg/model.py", "def run(d): return d\n"}}, *config));
  EXPECT_TRUE(
      steps::check_entrypoint({{"pkg/model/__init__.py", "def run(d): return d\n"}}, *config));
  EXPECT_FALSE(steps::check_entrypoint({{"model.py", "def run(d): return d\n"}}, *config));
}

TEST_F(Pipeline, ABadOrsaTomlFailsTheBuildNamingTheKey) {
  write_source({{"model.py", "x"}, {"orsa.toml", "[service]\ntimout = 30\n"}});
  auto result = build();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("service.timout"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(progress_.empty());  // it failed in the first step
}

// Render.

TEST_F(Pipeline, TheTemplateContextHoldsOnlyValidatedValues) {
  manifest::ProjectConfig config;
  config.name = "free text \"quoted\"";
  config.timeout_s = 30;
  const Json context = steps::template_context(job_, config);
  EXPECT_EQ(context["project_name"], "knapsack");
  EXPECT_EQ(context["owner"], "alice");
  EXPECT_EQ(context["version"], std::string(12, 'c'));
  EXPECT_EQ(context["commit"], job_.commit);
  EXPECT_EQ(context["timeout"], 30);
  EXPECT_EQ(context["port"], 8000);
  EXPECT_EQ(context["user"], 65532);
  EXPECT_EQ(context.dump().find("free text"), std::string::npos);
}

TEST_F(Pipeline, RenderFillsTheServiceTemplate) {
  manifest::ProjectConfig config;
  config.entrypoint_module = "solver";
  config.entrypoint_function = "run";
  config.timeout_s = 30;
  auto files = steps::render_service(job_, config);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  std::map<std::string, oci::LayerFile> by_path;
  for (auto& f : *files) by_path.emplace(f.path, f);
  ASSERT_TRUE(by_path.contains("orsa_service/app.py"));
  EXPECT_EQ(by_path["orsa_service/app.py"].content, "from solver import run\nTIMEOUT = 30\n");
  EXPECT_EQ(by_path["orsa_service/app.py"].mode, 0644u);
  EXPECT_EQ(by_path["orsa_service/run.sh"].mode, 0755u);
}

TEST_F(Pipeline, MergeSortsByPathAndRefusesAShadowedServiceFile) {
  auto merged = steps::merge({{"z.py", "z"}, {"a.py", "a"}}, {{"orsa_service/app.py", "s", 0644}});
  ASSERT_TRUE(merged) << merged.error().message;
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].path, "a.py");
  EXPECT_EQ((*merged)[1].path, "orsa_service/app.py");
  EXPECT_EQ((*merged)[2].path, "z.py");
  auto collision =
      steps::merge({{"orsa_service/app.py", "mine"}}, {{"orsa_service/app.py", "s", 0644}});
  ASSERT_FALSE(collision);
  EXPECT_EQ(collision.error().message,
            "project file 'orsa_service/app.py' collides with a file of the service template");
}

// App layer.

TEST_F(Pipeline, TheAppLayerIsDeterministicAndDependsOnTheEpoch) {
  const std::vector<oci::LayerFile> files = {{"model.py", "x", 0644}};
  auto a = steps::build_layer(files, 1'700'000'000);
  auto b = steps::build_layer(files, 1'700'000'000);
  auto later = steps::build_layer(files, 1'700'000'001);
  ASSERT_TRUE(a && b && later);
  EXPECT_EQ(a->bytes, b->bytes);
  EXPECT_EQ(a->info.digest, oci::Digest::of(a->bytes));
  EXPECT_NE(a->info.digest, later->info.digest);
  EXPECT_EQ(a->info.size, static_cast<std::int64_t>(a->bytes.size()));
}

// Config and manifest.

TEST_F(Pipeline, TheImageConfigRunsTheServiceOnTopOfTheBase) {
  oci::ImageConfig base;
  base.env = {"PATH=/usr/bin"};
  base.entrypoint = {"/bin/sh"};
  base.diff_ids = {oci::Digest::of("base")};
  const oci::LayerInfo app{oci::Digest::of("gz"), oci::Digest::of("tar"), 2};
  manifest::ProjectConfig project;
  const auto config = steps::image_config(job_, project, base, app);
  EXPECT_EQ(config.created, "2023-11-14T22:13:20Z");
  EXPECT_EQ(config.user, "65532:65532");
  EXPECT_EQ(config.working_dir, "/app");
  EXPECT_TRUE(config.entrypoint.empty());
  EXPECT_EQ(config.cmd,
            (std::vector<std::string>{"gunicorn", "-c", "/app/orsa_service/gunicorn.conf.py"}));
  EXPECT_EQ(config.exposed_ports, std::vector<std::string>{"8000/tcp"});
  EXPECT_EQ(config.env,
            (std::vector<std::string>{"PATH=/usr/bin", "ORSA_COMMIT=" + job_.commit,
                                      "ORSA_PROJECT=alice/knapsack", "PYTHONUNBUFFERED=1",
                                      "PYTHONDONTWRITEBYTECODE=1"}));
  EXPECT_EQ(config.labels.at("org.opencontainers.image.revision"), job_.commit);
  EXPECT_EQ(config.labels.at("org.opencontainers.image.title"), "knapsack");  // no name: the slug
  EXPECT_EQ(config.labels.at("orsa.project"), "alice/knapsack");
  EXPECT_EQ(config.diff_ids, (std::vector<oci::Digest>{oci::Digest::of("base"), app.diff_id}));
  ASSERT_EQ(config.history.size(), 1u);
  EXPECT_EQ(config.history[0].created_by,
            "orsa-builder: project alice/knapsack at " + std::string(12, 'c'));
  project.name = "Knapsack solver";
  EXPECT_EQ(
      steps::image_config(job_, project, base, app).labels.at("org.opencontainers.image.title"),
      "Knapsack solver");
}

TEST_F(Pipeline, TheManifestKeepsTheBaseLayersAndAddsTheAppLayer) {
  oci::ImageManifest base;
  base.layers.push_back({std::string(oci::kDockerLayerGzip), oci::Digest::of("docker"), 6, {}, {}});
  base.layers.push_back({std::string(oci::kOciLayerGzip), oci::Digest::of("oci"), 3, {}, {}});
  const oci::Descriptor config{std::string(oci::kOciConfig), oci::Digest::of("{}"), 2, {}, {}};
  const oci::LayerInfo app{oci::Digest::of("gz"), oci::Digest::of("tar"), 2};
  const auto manifest = steps::image_manifest(base, config, app);
  EXPECT_EQ(manifest.media_type, oci::kOciManifest);
  EXPECT_EQ(manifest.config.digest, config.digest);
  ASSERT_EQ(manifest.layers.size(), 3u);
  EXPECT_EQ(manifest.layers[0].media_type, oci::kOciLayerGzip);  // normalised
  EXPECT_EQ(manifest.layers[0].digest, oci::Digest::of("docker"));
  EXPECT_EQ(manifest.layers[1].digest, oci::Digest::of("oci"));
  EXPECT_EQ(manifest.layers[2].digest, app.digest);
  EXPECT_EQ(manifest.layers[2].size, 2);
}

// Push: the whole pipeline against the in-process registry.

TEST_F(Pipeline, PushesAnImageTheRegistryServes) {
  auto result = build();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->repository, kTargetRepo);
  EXPECT_EQ(result->tag, "7");
  EXPECT_EQ(result->base_layers_reused, 2);
  auto pulled = registry_.get_manifest(kTargetRepo, "7");
  ASSERT_TRUE(pulled) << pulled.error().message;
  EXPECT_EQ(pulled->digest.str(), result->digest);
  auto manifest = oci::parse_manifest(pulled->bytes);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(manifest->config.digest.str(), result->config_digest);
  ASSERT_EQ(manifest->layers.size(), 3u);
  EXPECT_EQ(manifest->layers[0].digest, base_.layers[0].digest);
  EXPECT_EQ(manifest->layers[2].digest.str(), result->app_layer_digest);
  std::int64_t size = static_cast<std::int64_t>(pulled->bytes.size()) + manifest->config.size;
  for (const auto& layer : manifest->layers) size += layer.size;
  EXPECT_EQ(result->size, size);
  auto config =
      oci::parse_config(registry_.get_blob_bytes(kTargetRepo, manifest->config.digest).value());
  ASSERT_TRUE(config);
  EXPECT_EQ(config->labels["org.opencontainers.image.title"], "Knapsack solver");
}

TEST_F(Pipeline, BaseLayersAreMountedNeverUploaded) {
  auto result = build();
  ASSERT_TRUE(result) << result.error().message;
  // Uploaded: the app layer, the config and the manifest; no base layer.
  auto manifest = oci::parse_manifest(registry_.get_manifest(kTargetRepo, "7")->bytes).value();
  const std::int64_t expected = manifest.layers[2].size + manifest.config.size +
                                static_cast<std::int64_t>(oci::serialize(manifest).size());
  EXPECT_EQ(result->bytes_uploaded, expected);
}

TEST_F(Pipeline, TheSameJobGivesTheSameDigest) {
  auto first = build();
  job_.target_tag = "8";
  job_.build_id = "bld_2";
  auto second = build();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->digest, second->digest);
  EXPECT_EQ(first->app_layer_digest, second->app_layer_digest);
  job_.commit = std::string(40, 'd');
  job_.target_tag = "9";
  auto other = build();
  ASSERT_TRUE(other);
  EXPECT_NE(other->digest, first->digest);
}

TEST_F(Pipeline, ReportsEachStepInOrder) {
  auto result = build();
  ASSERT_TRUE(result) << result.error().message;
  std::vector<std::string> names;
  for (const auto& step : result->steps) names.push_back(step.step);
  EXPECT_EQ(names, (std::vector<std::string>{"extract", "render", "layer", "config", "push"}));
  ASSERT_EQ(progress_.size(), 5u);
  EXPECT_TRUE(progress_[0].starts_with("step extract done in ")) << progress_[0];
  EXPECT_TRUE(progress_[0].ends_with(": 2 files")) << progress_[0];
  EXPECT_TRUE(progress_[4].ends_with(": " + result->digest)) << progress_[4];
  const Json json = to_json(*result);
  EXPECT_EQ(json["digest"], result->digest);
  EXPECT_EQ(json["steps_ms"].size(), 5u);
}

TEST_F(Pipeline, AMissingBaseImageIsUnavailable) {
  job_.base_reference = "404";
  auto result = build();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(result.error().message.starts_with("base image orsa/base-test:404: "))
      << result.error().message;
}

TEST_F(Pipeline, ABaseLayerThatCannotBeMountedFailsInsteadOfUploading) {
  oci::ImageManifest base = base_;
  const auto missing = oci::Digest::of("held by no repository");
  base.layers.push_back({std::string(oci::kOciLayerGzip), missing, 21, {}, {}});
  auto reused = steps::reuse_base_layers(registry_, job_, base);
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(reused.error().message,
            "base layer " + missing.str() + " is not available to mount from orsa/base-test");
  EXPECT_EQ(registry_.bytes_uploaded(), 0);
}

TEST_F(Pipeline, AProjectFileShadowingTheServiceFailsTheBuild) {
  write_source({{"model.py", "x"}, {"orsa_service/app.py", "mine"}});
  auto result = build();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("collides"), std::string::npos);
}

}  // namespace
}  // namespace orsa::builder
