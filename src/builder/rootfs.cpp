#include "rootfs.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "builder/base_image.hpp"

extern char** environ;

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;

// Files that only record the build itself, removed for smaller, steadier layers.
constexpr const char* kDebianScratch[] = {"var/cache/apt", "var/lib/apt/lists", "var/log",
                                          "var/cache/debconf/templates.dat-old", "tmp"};

Result<void> run(std::vector<std::string> argv, const std::vector<std::string>& extra_env) {
  // The caller's environment, with each NAME of `extra_env` replaced.
  const auto overridden = [&extra_env](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('='));
    return std::any_of(extra_env.begin(), extra_env.end(), [name](const std::string& extra) {
      return std::string_view(extra).substr(0, extra.find('=')) == name;
    });
  };
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) env_strings.emplace_back(*e);
  }
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

// Debian's archive layout: the security suite lives beside the main archive
// (…/debian → …/debian-security).
std::string security_mirror(std::string mirror) {
  while (!mirror.empty() && mirror.back() == '/') mirror.pop_back();
  return mirror + "-security";
}

// mmdebstrap's documented cache hooks: the .debs go in before apt runs and
// come back out after, essential ones included (they are unlinked otherwise).
Result<void> add_apt_cache(const fs::path& cache, std::vector<std::string>& argv) {
  if (cache.empty()) return {};
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return fail(Error::unavailable("apt cache " + cache.string() + ": " + ec.message()));
  const std::string quoted = "'" + fs::absolute(cache).string() + "'";
  if (quoted.find('\'', 1) != quoted.size() - 1) {
    return fail(Error::invalid_argument("apt cache path must not contain a quote"));
  }
  argv.insert(argv.end(),
              {"--skip=essential/unlink", "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives/",
               "--setup-hook=sync-in " + quoted + " /var/cache/apt/archives/",
               "--customize-hook=sync-out /var/cache/apt/archives " + quoted});
  return {};
}

}  // namespace

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

Result<void> only_known_keys(const toml::table& t, const std::vector<std::string_view>& known,
                             std::string_view what) {
  for (const auto& [key, value] : t) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      return fail(Error::invalid_argument(std::string(what) + ": unknown key '" +
                                          std::string(key.str()) + "'"));
    }
  }
  return {};
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

Result<void> build_debian_rootfs(const DebianRootfs& spec, std::string mirror, std::int64_t epoch,
                                 const fs::path& rootfs) {
  if (mirror.empty()) {
    auto found = machine_debian_mirror();
    if (!found) return fail(found.error());
    mirror = *found;
  }
  std::string include;
  for (const auto& p : spec.packages) include += (include.empty() ? "" : ",") + p;
  // No recommends, documentation or translations: a service image needs none.
  // No fsync per file either: a failed build is thrown away whole. As an
  // unprivileged user (orsa-deployer's image), fakechroot stands in for the
  // chroot and gives the same tree without any capability.
  std::vector<std::string> argv{"mmdebstrap",
                                "--variant=" + spec.variant,
                                ::geteuid() == 0 ? "--mode=root" : "--mode=fakechroot",
                                "--dpkgopt=force-unsafe-io",
                                "--aptopt=Apt::Install-Recommends \"false\"",
                                "--dpkgopt=path-exclude=/usr/share/man/*",
                                "--dpkgopt=path-exclude=/usr/share/doc/*",
                                "--dpkgopt=path-exclude=/usr/share/locale/*",
                                "--dpkgopt=path-include=/usr/share/locale/locale.alias"};
  if (!include.empty()) argv.push_back("--include=" + include);
  if (auto ok = add_apt_cache(spec.apt_cache, argv); !ok) return ok;
  argv.insert(argv.end(),
              {spec.suite, rootfs.string(), "deb " + mirror + " " + spec.suite + " main"});
  if (spec.security_updates) {
    argv.push_back("deb " + security_mirror(mirror) + " " + spec.suite + "-security main");
  }
  // Debian's own tools first: mmdebstrap runs mmtarfilter (python3) once per
  // package, and a version manager's python3 shim ahead on PATH costs a
  // fraction of a second each time, minutes per image.
  if (auto ok = run(argv, {"SOURCE_DATE_EPOCH=" + std::to_string(epoch),
                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
      !ok) {
    return ok;
  }
  std::error_code ec;
  for (const char* scratch : kDebianScratch) {
    fs::remove_all(rootfs / scratch, ec);
    fs::create_directories(rootfs / scratch, ec);
  }
  fs::permissions(rootfs / "tmp", fs::perms(01777), ec);
  return {};
}

Result<WrittenLayer> write_layer_file(const fs::path& root, const fs::path& out, std::int64_t epoch,
                                      const oci::TreeLayerOptions& options) {
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) return fail(Error::internal("cannot write " + out.string()));
  const auto sink = [&file](std::string_view chunk) -> Result<void> {
    file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (!file) return fail(Error::internal("layer write failed"));
    return {};
  };
  auto info = oci::write_layer_from_dir(root, epoch, sink, options);
  if (!info) return fail(info.error());
  file.close();
  return WrittenLayer{out, *info};
}

}  // namespace orsa::builder
