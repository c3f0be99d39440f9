#include "builder/platform_image.hpp"

#include <chrono>
#include <fstream>
#include <iterator>

#include "core/files.hpp"
#include "core/json.hpp"
#include "core/random.hpp"
#include "core/slug.hpp"
#include "core/time.hpp"
#include "oci/blob_store.hpp"
#include "oci/layer_writer.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/tag.hpp"
#include "rootfs.hpp"

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinUid = 1000;  // below: Debian's system accounts
constexpr std::int64_t kMaxUid = 65533;

Result<toml::table> parse_toml(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return fail(Error::not_found("no image recipe " + file.string()));
  try {
    return toml::parse(*text, std::string_view(file.string()));
  } catch (const toml::parse_error& e) {
    return fail(Error::invalid_argument("image recipe: " + std::string(e.description())));
  }
}

Result<std::map<std::string, std::string>> string_table(const toml::table& t,
                                                        std::string_view key) {
  std::map<std::string, std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    return fail(
        Error::invalid_argument("image recipe: '" + std::string(key) + "' must be a table"));
  }
  for (const auto& [name, value] : *table) {
    if (!value.is_string()) {
      return fail(Error::invalid_argument("image recipe: '" + std::string(key) + "." +
                                          std::string(name.str()) + "' must be a string"));
    }
    out[std::string(name.str())] = value.as_string()->get();
  }
  return out;
}

Result<void> read_arrays(const toml::table& t, PlatformRecipe& recipe) {
  const std::pair<std::string_view, std::vector<std::string>*> arrays[] = {
      {"packages", &recipe.packages}, {"remove", &recipe.remove},
      {"env", &recipe.env},           {"entrypoint", &recipe.entrypoint},
      {"cmd", &recipe.cmd},           {"exposed_ports", &recipe.exposed_ports}};
  for (const auto& [key, target] : arrays) {
    auto values = string_array(t, key);
    if (!values) return fail(values.error());
    *target = std::move(*values);
  }
  return {};
}

// "/a/b": absolute, normalised, not "/" itself and without a trailing slash.
bool plain_absolute(const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() && p.lexically_normal() == p && path.size() > 1 && path.back() != '/';
}

Result<void> validate(const PlatformRecipe& recipe) {
  if (auto ok = oci::validate_repo_name(recipe.repository); !ok) {
    return fail(Error::invalid_argument("image recipe: 'repository': " + ok.error().message));
  }
  if (auto ok = validate_packages(recipe.packages); !ok) return ok;
  if (!recipe.user.empty()) {
    if (auto ok = validate_slug(recipe.user, "image recipe: 'user'"); !ok) return ok;
    if (recipe.uid < kMinUid || recipe.uid > kMaxUid) {
      return fail(Error::invalid_argument("image recipe: 'uid' must be in [" +
                                          std::to_string(kMinUid) + ", " + std::to_string(kMaxUid) +
                                          "]"));
    }
  }
  if (!plain_absolute(recipe.home)) {
    return fail(Error::invalid_argument("image recipe: 'home' must be a plain absolute path"));
  }
  for (const auto& path : recipe.remove) {
    if (!plain_absolute(path)) {
      return fail(Error::invalid_argument("image recipe: 'remove' holds '" + path +
                                          "', not a plain absolute path below /"));
    }
  }
  if (recipe.entrypoint.empty() && recipe.cmd.empty()) {
    return fail(Error::invalid_argument("image recipe: give an 'entrypoint' or a 'cmd'"));
  }
  return {};
}

// `path` (plain absolute) under `rootfs`, refused when a directory on the way
// is a symlink: the root filesystem's own links are absolute (/var/run ->
// /run) and would lead a removal or a mkdir, run as root, out onto the host.
Result<fs::path> inside_rootfs(const fs::path& rootfs, const std::string& path) {
  fs::path at = rootfs;
  const fs::path relative = fs::path(path).relative_path();
  for (auto part = relative.begin(); part != relative.end(); ++part) {
    at /= *part;
    std::error_code ec;
    if (std::next(part) != relative.end() && fs::is_symlink(at, ec)) {
      return fail(Error::invalid_argument(
          "image recipe: " + path + " passes through a symbolic link in the image (" +
          (fs::path("/") / at.lexically_relative(rootfs)).string() + "); name the real directory"));
    }
  }
  return at;
}

// The service account: a passwd and group line, no password, no login shell.
Result<void> add_user(const PlatformRecipe& recipe, const fs::path& rootfs) {
  if (recipe.user.empty()) return {};
  const std::string id = std::to_string(recipe.uid);
  std::ofstream passwd(rootfs / "etc/passwd", std::ios::app);
  passwd << recipe.user << ":x:" << id << ":" << id << "::" << recipe.home
         << ":/usr/sbin/nologin\n";
  std::ofstream group(rootfs / "etc/group", std::ios::app);
  group << recipe.user << ":x:" << id << ":\n";
  std::error_code ec;
  if (recipe.home != "/nonexistent") {
    auto home = inside_rootfs(rootfs, recipe.home);
    if (!home) return fail(home.error());
    fs::create_directories(*home, ec);
  }
  if (!passwd || !group || ec) return fail(Error::internal("cannot add the image's user"));
  return {};
}

using OwnerMap = std::map<std::string, std::uint32_t>;

// The account's home belongs to it, so that a volume mounted there starts
// out writable (engines copy the image directory's owner into a new volume).
OwnerMap account_owned(const PlatformRecipe& recipe) {
  if (recipe.user.empty() || recipe.home == "/nonexistent") return {};
  return {{recipe.home.substr(1), static_cast<std::uint32_t>(recipe.uid)}};
}

std::string image_config(const PlatformRecipe& recipe, const PlatformBuildOptions& options,
                         const std::vector<oci::LayerInfo>& layers) {
  oci::ImageConfig config;
  config.created = format_rfc3339(options.epoch);
  config.user =
      recipe.user.empty() ? "" : std::to_string(recipe.uid) + ":" + std::to_string(recipe.uid);
  config.env = recipe.env;
  config.entrypoint = recipe.entrypoint;
  config.cmd = recipe.cmd;
  config.working_dir = recipe.working_dir;
  config.exposed_ports = recipe.exposed_ports;
  config.labels = recipe.labels;
  for (const auto& [key, value] : options.labels) config.labels[key] = value;
  config.labels["org.opencontainers.image.version"] = options.tag;
  config.labels["org.opencontainers.image.created"] = config.created;
  config.history = {
      {config.created, "mmdebstrap " + recipe.suite + " (runtime packages)", "", false},
      {config.created, "orsa-builder image build: staged files", "", false}};
  for (const auto& layer : layers) config.diff_ids.push_back(layer.diff_id);
  return oci::serialize(config);
}

struct ArchiveBlobs {
  fs::path dir;  // <archive root>/blobs/sha256
  std::vector<oci::Descriptor> layers;
};

Result<oci::Descriptor> put_blob(const fs::path& blobs, std::string_view media_type,
                                 std::string_view content) {
  const oci::Digest digest = oci::Digest::of(content);
  if (auto ok = write_file_atomic(blobs / std::string(digest.hex()), content); !ok)
    return fail(ok.error());
  return oci::Descriptor{
      std::string(media_type), digest, static_cast<std::int64_t>(content.size()), {}, {}};
}

// index.json names the image for podman (and OCI tools), manifest.json for
// `docker load`; both point at the same blobs.
Result<void> write_references(const fs::path& root, const oci::Descriptor& manifest,
                              const oci::Descriptor& config,
                              const std::vector<oci::Descriptor>& layers,
                              const std::string& reference) {
  oci::ImageIndex index;
  oci::Descriptor named = manifest;
  named.annotations["org.opencontainers.image.ref.name"] = reference;
  named.annotations["io.containerd.image.name"] = reference;
  index.manifests = {named};
  Json docker_layers = Json::array();
  const auto blob_path = [](const oci::Digest& d) {
    return "blobs/sha256/" + std::string(d.hex());
  };
  for (const auto& layer : layers) docker_layers.push_back(blob_path(layer.digest));
  Json image = Json::object();
  image["Config"] = blob_path(config.digest);
  image["RepoTags"] = Json::array({reference});
  image["Layers"] = docker_layers;
  const Json docker = Json::array({image});
  for (const auto& [name, content] :
       {std::pair<std::string, std::string>{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
        {"index.json", oci::serialize(index)},
        {"manifest.json", docker.dump()}}) {
    if (auto ok = write_file_atomic(root / name, content); !ok) return ok;
  }
  return {};
}

Result<std::int64_t> write_archive(const fs::path& root, const fs::path& out, std::int64_t epoch) {
  const fs::path partial = out.string() + ".partial";
  auto written =
      write_layer_file(root, partial, epoch, {.compression = oci::LayerCompression::kNone});
  if (!written) return fail(written.error());
  std::error_code ec;
  fs::rename(partial, out, ec);
  if (ec) return fail(Error::internal("cannot write " + out.string() + ": " + ec.message()));
  return written->info.size;
}

}  // namespace

Result<PlatformRecipe> load_platform_recipe(const fs::path& file) {
  auto t = parse_toml(file);
  if (!t) return fail(t.error());
  if (auto ok = only_known_keys(
          *t,
          {"repository", "suite", "variant", "packages", "remove", "security_updates", "user",
           "uid", "home", "env", "entrypoint", "cmd", "working_dir", "exposed_ports", "labels"},
          "image recipe");
      !ok) {
    return fail(ok.error());
  }
  PlatformRecipe recipe;
  recipe.repository = (*t)["repository"].value_or(std::string());
  recipe.suite = (*t)["suite"].value_or(recipe.suite);
  recipe.variant = (*t)["variant"].value_or(recipe.variant);
  recipe.security_updates = (*t)["security_updates"].value_or(recipe.security_updates);
  recipe.user = (*t)["user"].value_or(std::string());
  recipe.uid = (*t)["uid"].value_or(std::int64_t{0});
  recipe.home = (*t)["home"].value_or(recipe.home);
  recipe.working_dir = (*t)["working_dir"].value_or(std::string());
  if (auto ok = read_arrays(*t, recipe); !ok) return fail(ok.error());
  auto labels = string_table(*t, "labels");
  if (!labels) return fail(labels.error());
  recipe.labels = std::move(*labels);
  if (auto ok = validate(recipe); !ok) return fail(ok.error());
  return recipe;
}

Result<PlatformBuildResult> build_platform_image(const PlatformRecipe& recipe,
                                                 const PlatformBuildOptions& options,
                                                 const Progress& progress) {
  if (auto ok = oci::validate_tag(options.tag); !ok) return fail(ok.error());
  std::error_code ec;
  if (!options.files_dir.empty() && !fs::is_directory(options.files_dir, ec)) {
    return fail(Error::invalid_argument(options.files_dir.string() + " is not a directory"));
  }
  PlatformBuildResult result;
  result.reference = "localhost/" + recipe.repository + ":" + options.tag;
  const fs::path work = options.work_dir / ("image-" + random_hex(4));
  const fs::path rootfs = work / "rootfs";
  const fs::path blobs = work / "archive/blobs/sha256";
  fs::create_directories(blobs, ec);
  const ScratchDir cleanup{work};
  if (ec) return fail(Error::internal("cannot create " + blobs.string() + ": " + ec.message()));

  auto last = std::chrono::steady_clock::now();
  const auto step = [&](std::string_view name) {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
    result.steps.push_back({std::string(name), ms});
    progress("step " + std::string(name) + " done in " + std::to_string(static_cast<long>(ms)) +
             " ms");
  };

  progress("building " + result.reference);
  const DebianRootfs spec{.suite = recipe.suite,
                          .variant = recipe.variant,
                          .packages = recipe.packages,
                          .security_updates = recipe.security_updates,
                          .apt_cache = options.apt_cache};
  if (auto ok = build_debian_rootfs(spec, options.mirror, options.epoch, rootfs); !ok)
    return fail(ok.error());
  for (const auto& path : recipe.remove) {
    auto target = inside_rootfs(rootfs, path);
    if (!target) return fail(target.error());
    fs::remove_all(*target, ec);
    if (ec) return fail(Error::internal("cannot remove " + path + ": " + ec.message()));
  }
  if (auto ok = add_user(recipe, rootfs); !ok) return fail(ok.error());
  step("rootfs");

  std::vector<oci::LayerInfo> layers;
  std::vector<oci::Descriptor> descriptors;
  for (const fs::path& tree : {rootfs, options.files_dir}) {
    if (tree.empty()) continue;
    auto layer = write_layer_file(tree, work / "layer.tar.gz", options.epoch,
                                  {.owners = tree == rootfs ? account_owned(recipe) : OwnerMap{}});
    if (!layer) return fail(layer.error());
    fs::rename(layer->path, blobs / std::string(layer->info.digest.hex()), ec);
    if (ec) return fail(Error::internal("cannot keep a layer: " + ec.message()));
    layers.push_back(layer->info);
    descriptors.push_back(
        {std::string(oci::kOciLayerGzip), layer->info.digest, layer->info.size, {}, {}});
  }
  step("layers");

  auto config = put_blob(blobs, oci::kOciConfig, image_config(recipe, options, layers));
  if (!config) return fail(config.error());
  oci::ImageManifest manifest;
  manifest.config = *config;
  manifest.layers = descriptors;
  auto manifest_blob = put_blob(blobs, oci::kOciManifest, oci::serialize(manifest));
  if (!manifest_blob) return fail(manifest_blob.error());
  if (auto ok = write_references(work / "archive", *manifest_blob, *config, descriptors,
                                 result.reference);
      !ok) {
    return fail(ok.error());
  }
  auto bytes = write_archive(work / "archive", options.out, options.epoch);
  if (!bytes) return fail(bytes.error());
  result.manifest_digest = manifest_blob->digest.str();
  result.archive_bytes = *bytes;
  step("archive");
  return result;
}

}  // namespace orsa::builder
