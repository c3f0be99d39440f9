#include "pipeline_steps.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "core/files.hpp"
#include "core/temp_dir.hpp"
#include "core/time.hpp"
#include "oci/media_types.hpp"
#include "templating/render.hpp"

namespace orsa::builder::steps {
namespace {

namespace fs = std::filesystem;
using manifest::parse_project_config;
using manifest::ProjectConfig;

constexpr std::int64_t kMaxArchiveBytes = 200LL * 1024 * 1024;
// The user's files and the rendered service share /app in the image.
constexpr std::string_view kAppDir = "app";
// Runs the service as a fixed unprivileged user (no passwd entry needed).
constexpr std::string_view kServiceUser = "65532:65532";

Result<std::vector<oci::LayerFile>> read_tree(const fs::path& root) {
  std::vector<oci::LayerFile> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    auto content = read_file(it->path());
    if (!content) return fail(content.error());
    const auto perms = fs::status(it->path()).permissions();
    const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    files.push_back({fs::relative(it->path(), root).generic_string(), std::move(*content),
                     exec ? 0755u : 0644u});
  }
  if (ec) return fail(Error::internal("cannot read the rendered template"));
  return files;
}

}  // namespace

Result<std::vector<source::File>> extract_source(const BuildJob& job) {
  std::error_code ec;
  const auto size = fs::file_size(job.source_archive, ec);
  if (ec) return fail(Error::invalid_argument("cannot read the source archive"));
  if (static_cast<std::int64_t>(size) > kMaxArchiveBytes) {
    return fail(Error::too_large("source archive exceeds 200 MiB"));
  }
  auto bytes = read_file(job.source_archive);
  if (!bytes) return fail(bytes.error());
  source::Limits limits;
  limits.max_files = 10'000;
  limits.max_file_bytes = 200 * 1024 * 1024;
  limits.max_repo_bytes = 200 * 1024 * 1024;
  return source::extract_tar_gz(*bytes, limits);
}

Result<ProjectConfig> project_config_of(const std::vector<source::File>& files) {
  for (const auto& f : files) {
    if (f.path == "orsa.toml") return parse_project_config(f.content);
  }
  return parse_project_config("");
}

Result<void> check_entrypoint(const std::vector<source::File>& files, const ProjectConfig& config) {
  // "pkg.model" is pkg/model.py or the package pkg/model/__init__.py.
  std::string base = config.entrypoint_module;
  std::ranges::replace(base, '.', '/');
  const std::string module_file = base + ".py";
  const std::string package_file = base + "/__init__.py";
  for (const auto& f : files) {
    if (f.path != module_file && f.path != package_file) continue;
    const bool blank =
        std::ranges::all_of(f.content, [](unsigned char c) { return std::isspace(c); });
    if (!blank) return {};
    return fail(Error::invalid_argument("the entrypoint module '" + config.entrypoint_module +
                                        "' (" + f.path + ") is empty: it must define " +
                                        config.entrypoint_function + "(data)"));
  }
  return fail(Error::invalid_argument(
      "the entrypoint module '" + config.entrypoint_module + "' is missing: add " + module_file +
      " defining " + config.entrypoint_function +
      "(data), or point [service] entrypoint in orsa.toml at the right module"));
}

// Every value lands in Python source, so only validated ones are used: the
// project and owner slugs, the hex commit, the checked entrypoint
// identifiers and integers (never orsa.toml's free-text name). The version is
// the commit too: a build number would make equal commits differ.
Json template_context(const BuildJob& job, const ProjectConfig& config) {
  return {{"project_name", job.project},
          {"owner", job.owner},
          {"version", job.commit.substr(0, 12)},
          {"commit", job.commit},
          {"entrypoint_module", config.entrypoint_module},
          {"entrypoint_function", config.entrypoint_function},
          {"timeout", config.timeout_s},
          {"max_body_bytes", config.max_body_bytes},
          {"workers", config.workers},
          {"port", 8000},
          {"user", 65532}};
}

/// Renders the service wrapper into a temp dir and returns its files.
Result<std::vector<oci::LayerFile>> render_service(const BuildJob& job,
                                                   const ProjectConfig& config) {
  const TempDir out("orsa-render");
  auto generated =
      templating::render_template(job.template_dir, template_context(job, config), out.path());
  if (!generated) return fail(generated.error());
  return read_tree(*generated);
}

/// Project files plus the rendered service; a project file may not shadow
/// a service file (that would silently replace the wrapper).
Result<std::vector<oci::LayerFile>> merge(std::vector<source::File> project,
                                          std::vector<oci::LayerFile> service) {
  std::map<std::string, oci::LayerFile> by_path;
  for (auto& f : service) by_path.emplace(f.path, std::move(f));
  for (auto& f : project) {
    if (by_path.contains(f.path)) {
      return fail(Error::invalid_argument("project file '" + f.path +
                                          "' collides with a file of the service template"));
    }
    by_path.emplace(f.path, oci::LayerFile{f.path, std::move(f.content), 0644});
  }
  std::vector<oci::LayerFile> out;
  out.reserve(by_path.size());
  for (auto& [path, f] : by_path) out.push_back(std::move(f));
  return out;
}

Result<Layer> build_layer(std::vector<oci::LayerFile> files, std::int64_t epoch) {
  Layer layer;
  auto info = oci::write_layer(
      std::move(files), epoch,
      [&layer](std::string_view chunk) -> Result<void> {
        layer.bytes.append(chunk);
        return {};
      },
      kAppDir);
  if (!info) return fail(info.error());
  layer.info = *info;
  return layer;
}

Result<BaseImage> fetch_base(ImageRegistry& registry, const BuildJob& job) {
  auto pulled = registry.get_manifest(job.base_repository, job.base_reference);
  if (!pulled) {
    return fail(Error::unavailable("base image " + job.base_repository + ":" + job.base_reference +
                                   ": " + pulled.error().message));
  }
  auto manifest = oci::parse_manifest(pulled->bytes);
  if (!manifest) return fail(manifest.error());
  auto config_bytes = registry.get_blob_bytes(job.base_repository, manifest->config.digest);
  if (!config_bytes) return fail(config_bytes.error());
  auto config = oci::parse_config(*config_bytes);
  if (!config) return fail(config.error());
  return BaseImage{std::move(*manifest), std::move(*config)};
}

oci::ImageConfig image_config(const BuildJob& job, const ProjectConfig& project,
                              oci::ImageConfig config, const oci::LayerInfo& app) {
  const std::string created = format_rfc3339(job.commit_time);
  config.created = created;
  config.user = kServiceUser;
  config.working_dir = "/app";
  config.env.push_back("ORSA_COMMIT=" + job.commit);
  config.env.push_back("ORSA_PROJECT=" + job.owner + "/" + job.project);
  config.env.emplace_back("PYTHONUNBUFFERED=1");
  config.env.emplace_back("PYTHONDONTWRITEBYTECODE=1");
  config.entrypoint.clear();
  config.cmd = {"gunicorn", "-c", "/app/orsa_service/gunicorn.conf.py"};
  config.exposed_ports = {"8000/tcp"};
  // No build id or tag here: the same commit must give the same digest.
  config.labels["org.opencontainers.image.revision"] = job.commit;
  config.labels["org.opencontainers.image.title"] =
      project.name.empty() ? job.project : project.name;
  config.labels["orsa.project"] = job.owner + "/" + job.project;
  config.diff_ids.push_back(app.diff_id);
  config.history.push_back(
      {created,
       "orsa-builder: project " + job.owner + "/" + job.project + " at " + job.commit.substr(0, 12),
       "", false});
  return config;
}

oci::ImageManifest image_manifest(const oci::ImageManifest& base, const oci::Descriptor& config,
                                  const oci::LayerInfo& app) {
  oci::ImageManifest manifest;
  manifest.media_type = oci::kOciManifest;
  manifest.config = config;
  for (auto layer : base.layers) {
    // Keep the base's blobs as they are; only normalise Docker media types.
    if (layer.media_type == oci::kDockerLayerGzip) layer.media_type = oci::kOciLayerGzip;
    manifest.layers.push_back(std::move(layer));
  }
  manifest.layers.push_back({std::string(oci::kOciLayerGzip), app.digest, app.size, {}, {}});
  return manifest;
}

Result<int> reuse_base_layers(ImageRegistry& registry, const BuildJob& job,
                              const oci::ImageManifest& base) {
  int reused = 0;
  for (const auto& layer : base.layers) {
    // An empty source: if the registry cannot mount or already hold the
    // blob, the push fails (digest mismatch) instead of re-uploading a base.
    auto pushed = registry.push_blob(job.target_repository, layer.digest, std::string_view(),
                                     job.base_repository);
    if (!pushed || pushed->outcome == oci::BlobPushOutcome::kUploaded) {
      return fail(Error::unavailable("base layer " + layer.digest.str() +
                                     " is not available to mount from " + job.base_repository));
    }
    ++reused;
  }
  return reused;
}

}  // namespace orsa::builder::steps
