#include "builder/base_image.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <fstream>
#include <regex>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/slug.hpp"
#include "core/time.hpp"
#include "oci/layer_writer.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "rootfs.hpp"

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDefaultEpoch = 1704067200;  // 2024-01-01T00:00:00Z
constexpr const char* kBusybox = "/bin/busybox";
// Applets linked in the busybox base; enough for shell scripts in tests.
constexpr const char* kBusyboxApplets[] = {"sh", "echo", "cat", "ls", "sleep", "env", "id", "wget"};

Result<void> busybox_rootfs(const fs::path& rootfs) {
  std::error_code ec;
  fs::create_directories(rootfs / "bin", ec);
  fs::create_directories(rootfs / "tmp", ec);
  fs::permissions(rootfs / "tmp", fs::perms(01777), ec);
  fs::copy_file(kBusybox, rootfs / "bin/busybox", fs::copy_options::overwrite_existing, ec);
  if (ec) return fail(Error::unavailable("cannot copy /bin/busybox (install busybox-static)"));
  fs::permissions(rootfs / "bin/busybox", fs::perms(0755), ec);
  for (const char* applet : kBusyboxApplets)
    fs::create_symlink("busybox", rootfs / "bin" / applet, ec);
  return {};
}

std::string base_config(const BaseRecipe& recipe, const oci::LayerInfo& layer, std::int64_t epoch) {
  oci::ImageConfig config;
  config.created = format_rfc3339(epoch);
  config.env = recipe.env;
  config.cmd = {"/bin/sh"};
  config.labels["org.opencontainers.image.title"] = base_repository(recipe);
  config.labels["orsa.base.recipe"] = recipe.tag;
  config.diff_ids = {layer.diff_id};
  config.history = {{config.created, "orsa-builder base build " + recipe.name, "", false}};
  return oci::serialize(config);
}

}  // namespace

std::string base_repository(const BaseRecipe& recipe) {
  return "orsa/base-" + recipe.name;
}

Result<BaseRecipe> load_base_recipe(const fs::path& bases_dir, std::string_view name) {
  if (auto ok = validate_slug(name, "base name"); !ok) return fail(ok.error());
  const fs::path file = bases_dir / name / "recipe.toml";
  auto text = read_file(file);
  if (!text) return fail(Error::not_found("no base recipe '" + std::string(name) + "'"));
  toml::table t;
  try {
    t = toml::parse(*text, std::string_view(file.string()));
  } catch (const toml::parse_error& e) {
    return fail(Error::invalid_argument("recipe: " + std::string(e.description())));
  }
  if (auto ok = only_known_keys(t, {"kind", "suite", "variant", "packages", "env"}, "recipe"); !ok)
    return fail(ok.error());
  BaseRecipe recipe;
  recipe.name = name;
  recipe.kind = t["kind"].value_or(std::string());
  recipe.suite = t["suite"].value_or(recipe.suite);
  recipe.variant = t["variant"].value_or(recipe.variant);
  auto packages = string_array(t, "packages");
  if (!packages) return fail(packages.error());
  recipe.packages = std::move(*packages);
  auto env = string_array(t, "env");
  if (!env) return fail(env.error());
  recipe.env = std::move(*env);
  if (auto ok = validate_packages(recipe.packages); !ok) return fail(ok.error());
  if (recipe.kind == "debian") {
    recipe.tag = recipe.suite + "-" + std::string(oci::Digest::of(*text).hex().substr(0, 12));
  } else if (recipe.kind == "busybox") {
    auto binary = read_file(kBusybox);
    if (!binary)
      return fail(Error::unavailable("/bin/busybox is missing (install busybox-static)"));
    recipe.tag = "busybox-" + std::string(oci::Digest::of(*binary + *text).hex().substr(0, 12));
  } else {
    return fail(Error::invalid_argument("recipe: 'kind' must be \"debian\" or \"busybox\""));
  }
  return recipe;
}

Result<std::string> machine_debian_mirror() {
  static const std::regex kUris(R"(^URIs:\s*(\S+))");
  static const std::regex kDebLine(R"(^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+)");
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/etc/apt/sources.list.d", ec)) {
    if (entry.path().extension() == ".sources" || entry.path().extension() == ".list") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  files.insert(files.begin(), "/etc/apt/sources.list");
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if ((std::regex_search(line, m, kUris) || std::regex_search(line, m, kDebLine)) &&
          m[1].str().find("security") == std::string::npos) {
        return m[1].str();
      }
    }
  }
  return fail(Error::unavailable("no Debian mirror in the machine's apt sources; pass --mirror"));
}

Result<BaseBuildResult> build_base_image(const BaseRecipe& recipe, const BaseBuildOptions& options,
                                         oci::RegistryClient& client, const Progress& progress) {
  BaseBuildResult result{base_repository(recipe), recipe.tag, {}, 0, {}};
  const std::int64_t epoch = options.epoch > 0 ? options.epoch : kDefaultEpoch;
  const fs::path work = options.work_dir / ("base-" + recipe.name + "-" + random_hex(4));
  const fs::path rootfs = work / "rootfs";
  std::error_code ec;
  fs::create_directories(work, ec);
  const ScratchDir cleanup{work};

  auto last = std::chrono::steady_clock::now();
  const auto step = [&](std::string_view name, std::string_view detail) {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
    result.steps.push_back({std::string(name), ms});
    progress("step " + std::string(name) + " done in " + std::to_string(static_cast<long>(ms)) +
             " ms" + (detail.empty() ? "" : ": " + std::string(detail)));
  };

  progress("building root filesystem for " + result.repository + ":" + recipe.tag);
  auto built = recipe.kind == "debian"
                   ? build_debian_rootfs({recipe.suite, recipe.variant, recipe.packages},
                                         options.mirror, epoch, rootfs)
                   : busybox_rootfs(rootfs);
  if (!built) return fail(built.error());
  step("rootfs", "");
  auto layer = write_layer_file(rootfs, work / "layer.tar.gz", epoch);
  if (!layer) return fail(layer.error());
  result.layer_bytes = layer->info.size;
  step("layer", layer->info.digest.str() + " (" + std::to_string(layer->info.size) + " bytes)");

  const std::string config = base_config(recipe, layer->info, epoch);
  oci::ImageManifest manifest;
  manifest.media_type = oci::kOciManifest;
  manifest.config = {std::string(oci::kOciConfig),
                     oci::Digest::of(config),
                     static_cast<std::int64_t>(config.size()),
                     {},
                     {}};
  manifest.layers = {
      {std::string(oci::kOciLayerGzip), layer->info.digest, layer->info.size, {}, {}}};
  const std::string manifest_json = oci::serialize(manifest);
  auto pushed = client.push_image(result.repository, recipe.tag, manifest_json, config,
                                  {oci::BlobSource(layer->path)});
  if (!pushed) return fail(pushed.error());
  auto latest = client.push_manifest(result.repository, "latest", manifest_json, oci::kOciManifest);
  if (!latest) return fail(latest.error());
  result.digest = pushed->manifest_digest.str();
  step("push", result.digest);
  return result;
}

}  // namespace orsa::builder
