#include "builder/base_image.hpp"

#include <spawn.h>
#include <sys/wait.h>
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

extern char** environ;

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDefaultEpoch = 1704067200;  // 2024-01-01T00:00:00Z
constexpr const char* kBusybox = "/bin/busybox";
// Applets linked in the busybox base; enough for shell scripts in tests.
constexpr const char* kBusyboxApplets[] = {"sh", "echo", "cat", "ls", "sleep", "env", "id", "wget"};
// Files that only record the build itself, removed for smaller, steadier layers.
constexpr const char* kDebianScratch[] = {"var/cache/apt", "var/lib/apt/lists", "var/log",
                                          "var/cache/debconf/templates.dat-old", "tmp"};

Result<std::vector<std::string>> string_array(const toml::table& t, std::string_view key) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr)
    return fail(Error::invalid_argument("recipe: '" + std::string(key) + "' must be an array"));
  for (const auto& item : *array) {
    if (!item.is_string()) {
      return fail(Error::invalid_argument("recipe: '" + std::string(key) + "' must hold strings"));
    }
    out.push_back(item.as_string()->get());
  }
  return out;
}

Result<void> validate_packages(const std::vector<std::string>& packages) {
  static const std::regex kPackage("[a-z0-9][a-z0-9.+-]+");
  for (const auto& p : packages) {
    if (!std::regex_match(p, kPackage)) {
      return fail(Error::invalid_argument("recipe: '" + p + "' is not a Debian package name"));
    }
  }
  return {};
}

Result<void> run(std::vector<std::string> argv, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args, env;
  for (auto& a : argv) args.push_back(a.data());
  for (auto& e : env_strings) env.push_back(e.data());
  args.push_back(nullptr);
  env.push_back(nullptr);
  // Nothing of the builder's own descriptors reaches mmdebstrap or apt.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return fail(Error::unavailable(argv[0] + " is not installed (scripts/install-deps.sh)"));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Error::unavailable(argv[0] + " failed with status " + std::to_string(status)));
  }
  return {};
}

Result<void> debian_rootfs(const BaseRecipe& recipe, const BaseBuildOptions& options,
                           std::int64_t epoch, const fs::path& rootfs) {
  std::string mirror = options.mirror;
  if (mirror.empty()) {
    auto found = machine_debian_mirror();
    if (!found) return fail(found.error());
    mirror = *found;
  }
  std::string include;
  for (const auto& p : recipe.packages) include += (include.empty() ? "" : ",") + p;
  // No recommends, documentation or translations: a service image needs none.
  std::vector<std::string> argv{"mmdebstrap",
                                "--variant=" + recipe.variant,
                                "--mode=root",
                                "--aptopt=Apt::Install-Recommends \"false\"",
                                "--dpkgopt=path-exclude=/usr/share/man/*",
                                "--dpkgopt=path-exclude=/usr/share/doc/*",
                                "--dpkgopt=path-exclude=/usr/share/locale/*",
                                "--dpkgopt=path-include=/usr/share/locale/locale.alias"};
  if (!include.empty()) argv.push_back("--include=" + include);
  argv.insert(argv.end(),
              {recipe.suite, rootfs.string(), "deb " + mirror + " " + recipe.suite + " main"});
  if (auto ok = run(argv, {"SOURCE_DATE_EPOCH=" + std::to_string(epoch)}); !ok) return ok;
  std::error_code ec;
  for (const char* scratch : kDebianScratch) {
    fs::remove_all(rootfs / scratch, ec);
    fs::create_directories(rootfs / scratch, ec);
  }
  fs::permissions(rootfs / "tmp", fs::perms(01777), ec);
  return {};
}

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

struct WrittenLayer {
  fs::path path;
  oci::LayerInfo info;
};

Result<WrittenLayer> write_layer_file(const fs::path& rootfs, const fs::path& out,
                                      std::int64_t epoch) {
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) return fail(Error::internal("cannot write " + out.string()));
  auto info =
      oci::write_layer_from_dir(rootfs, epoch, [&file](std::string_view chunk) -> Result<void> {
        file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        if (!file) return fail(Error::internal("layer write failed"));
        return {};
      });
  if (!info) return fail(info.error());
  file.close();
  return WrittenLayer{out, *info};
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
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    if (k != "kind" && k != "suite" && k != "variant" && k != "packages" && k != "env") {
      return fail(Error::invalid_argument("recipe: unknown key '" + k + "'"));
    }
  }
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
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{work};

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
  auto built = recipe.kind == "debian" ? debian_rootfs(recipe, options, epoch, rootfs)
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
