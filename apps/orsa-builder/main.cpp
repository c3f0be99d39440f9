// orsa-builder: wiring only. Each subcommand parses its flags and calls one
// library function. `build` and `base build` print progress lines and, last,
// one JSON line: {"status":"succeeded",…} or {"status":"failed","error":…}.
// `image build` writes an archive of one of ORSA's own images (make images).
// Exit status: 0 success, 1 the work failed (message on stderr), 2 usage.

#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "builder/base_image.hpp"
#include "builder/job.hpp"
#include "builder/pipeline.hpp"
#include "builder/platform_image.hpp"
#include "core/files.hpp"
#include "core/json.hpp"
#include "oci/registry_client.hpp"
#include "templating/render.hpp"

namespace {

constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct RenderArgs {
  std::filesystem::path template_dir;
  std::filesystem::path context_file;
  std::filesystem::path out_dir;
};

int report(const orsa::Error& error) {
  std::fprintf(stderr, "orsa-builder: %s\n", error.message.c_str());
  return kFailed;
}

orsa::Result<orsa::Json> read_context(const std::filesystem::path& file) {
  auto text = orsa::read_file(file);
  if (!text) return orsa::fail(text.error());
  auto json = orsa::Json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return orsa::fail(orsa::Error::invalid_argument(file.string() + ": must be a JSON object"));
  }
  return json;
}

int run_render(const RenderArgs& args) {
  auto context = read_context(args.context_file);
  if (!context) return report(context.error());
  auto project = orsa::templating::render_template(args.template_dir, *context, args.out_dir);
  if (!project) return report(project.error());
  std::printf("%s\n", project->c_str());
  return 0;
}

struct BuildArgs {
  std::filesystem::path job_file;
};

struct BaseArgs {
  std::string name;
  std::filesystem::path bases_dir = "templates/bases";
  std::string registry;
  std::string mirror;
  std::filesystem::path work_dir = std::filesystem::temp_directory_path();
  std::filesystem::path apt_cache;
};

struct ImageArgs {
  std::filesystem::path recipe;
  std::filesystem::path files_dir;
  std::string tag;
  std::vector<std::string> labels;  // KEY=VALUE
  std::string mirror;
  std::int64_t epoch = 0;
  std::filesystem::path work_dir = std::filesystem::temp_directory_path();
  std::filesystem::path out;
  std::filesystem::path apt_cache;
};

void print_line(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int finish(const orsa::Result<orsa::Json>& outcome) {
  if (!outcome) {
    print_line(orsa::Json{{"status", "failed"}, {"error", outcome.error().message}}.dump());
    return report(outcome.error());
  }
  orsa::Json line = *outcome;
  line["status"] = "succeeded";
  print_line(line.dump());
  return 0;
}

// A build runs no user code, but it parses user input: bound what a
// malicious archive or template could make it consume.
void apply_limits(std::int64_t timeout_s) {
  const auto limit = [](int resource, rlim_t value) {
    rlimit r{value, value};
    setrlimit(resource, &r);
  };
  limit(RLIMIT_CPU, static_cast<rlim_t>(timeout_s + 30));
#ifndef __SANITIZE_ADDRESS__  // ASan reserves terabytes of address space for its shadow
  limit(RLIMIT_AS, rlim_t{4} << 30);
#endif
  limit(RLIMIT_FSIZE, rlim_t{1} << 30);
  limit(RLIMIT_NOFILE, 256);
  // Wall-clock bound: SIGALRM's default action ends the process.
  alarm(static_cast<unsigned>(timeout_s));
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

int run_build(const BuildArgs& args) {
  auto text = orsa::read_file(args.job_file);
  if (!text) return finish(orsa::fail(text.error()));
  auto job = orsa::builder::parse_job(*text);
  if (!job) return finish(orsa::fail(job.error()));
  apply_limits(job->timeout_s);
  const std::string token = env_or_empty("ORSA_PUSH_TOKEN");
  if (token.empty()) {
    return finish(orsa::fail(orsa::Error::invalid_argument("ORSA_PUSH_TOKEN is not set")));
  }
  auto result = orsa::builder::run_build(*job, token, print_line);
  if (!result) return finish(orsa::fail(result.error()));
  return finish(orsa::builder::to_json(*result));
}

orsa::Result<orsa::oci::RegistryClient> registry_client(const std::string& url) {
  orsa::oci::RegistryClientOptions options;
  options.base_url = url;
  if (auto token = env_or_empty("ORSA_REGISTRY_TOKEN"); !token.empty()) {
    options.credentials = orsa::oci::RegistryCredentials::bearer(token);
  } else {
    options.credentials = orsa::oci::RegistryCredentials::basic(
        env_or_empty("ORSA_REGISTRY_USERNAME"), env_or_empty("ORSA_REGISTRY_PASSWORD"));
  }
  return orsa::oci::RegistryClient::create(std::move(options));
}

int run_base_build(const BaseArgs& args) {
  auto recipe = orsa::builder::load_base_recipe(args.bases_dir, args.name);
  if (!recipe) return finish(orsa::fail(recipe.error()));
  auto client = registry_client(args.registry);
  if (!client) return finish(orsa::fail(client.error()));
  const orsa::builder::BaseBuildOptions options{
      .mirror = args.mirror, .work_dir = args.work_dir, .apt_cache = args.apt_cache};
  auto built = orsa::builder::build_base_image(*recipe, options, *client, print_line);
  if (!built) return finish(orsa::fail(built.error()));
  return finish(orsa::Json{{"repository", built->repository},
                           {"tag", built->tag},
                           {"digest", built->digest},
                           {"layer_bytes", built->layer_bytes}});
}

orsa::Result<std::map<std::string, std::string>> parse_labels(
    const std::vector<std::string>& args) {
  std::map<std::string, std::string> labels;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return orsa::fail(
          orsa::Error::invalid_argument("--label wants KEY=VALUE, not '" + arg + "'"));
    }
    labels[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  return labels;
}

int run_image_build(const ImageArgs& args) {
  auto recipe = orsa::builder::load_platform_recipe(args.recipe);
  if (!recipe) return finish(orsa::fail(recipe.error()));
  auto labels = parse_labels(args.labels);
  if (!labels) return finish(orsa::fail(labels.error()));
  const orsa::builder::PlatformBuildOptions options{.files_dir = args.files_dir,
                                                    .tag = args.tag,
                                                    .labels = *labels,
                                                    .mirror = args.mirror,
                                                    .epoch = args.epoch,
                                                    .work_dir = args.work_dir,
                                                    .out = args.out,
                                                    .apt_cache = args.apt_cache};
  auto built = orsa::builder::build_platform_image(*recipe, options, print_line);
  if (!built) return finish(orsa::fail(built.error()));
  return finish(orsa::Json{{"reference", built->reference},
                           {"digest", built->manifest_digest},
                           {"archive", args.out.string()},
                           {"archive_bytes", built->archive_bytes}});
}

void add_image(CLI::App& app, ImageArgs& args) {
  auto* image = app.add_subcommand("image", "Images of ORSA itself and its companion services");
  image->require_subcommand(1);
  auto* build = image->add_subcommand(
      "build", "Build an image archive (podman load / docker load) from deploy/images/<name>.toml");
  build->add_option("recipe", args.recipe, "The image recipe (TOML)")->required();
  build->add_option("--files", args.files_dir, "Staged tree laid over / as the second layer");
  build->add_option("--tag", args.tag, "Image tag (the version)")->required();
  build->add_option("--label", args.labels, "KEY=VALUE image label (repeatable)");
  build->add_option("--mirror", args.mirror, "Debian mirror (default: the machine's apt source)");
  build->add_option("--epoch", args.epoch, "Timestamp of every file and of the image")
      ->envname("SOURCE_DATE_EPOCH")
      ->required();
  build->add_option("--work-dir", args.work_dir, "Scratch directory for the root filesystem");
  build->add_option("--out", args.out, "The archive to write")->required();
  build->add_option("--apt-cache", args.apt_cache, "Keep downloaded .debs here between builds")
      ->envname("ORSA_APT_CACHE");
}

void add_build(CLI::App& app, BuildArgs& args) {
  auto* build = app.add_subcommand("build", "Build and push a project image from a job file");
  build->add_option("--job", args.job_file, "job.json written by orsa-deployer")->required();
}

void add_base(CLI::App& app, BaseArgs& args) {
  auto* base = app.add_subcommand("base", "Base images");
  base->require_subcommand(1);
  auto* build = base->add_subcommand("build", "Build a base image from templates/bases/<name>");
  build->add_option("name", args.name, "Recipe name, e.g. python-or")->required();
  build->add_option("--bases-dir", args.bases_dir, "Directory of base recipes");
  build->add_option("--registry", args.registry, "Registry base URL")
      ->required()
      ->envname("ORSA_REGISTRY");
  build->add_option("--mirror", args.mirror, "Debian mirror (default: the machine's apt source)");
  build->add_option("--work-dir", args.work_dir, "Scratch directory for the root filesystem");
  build->add_option("--apt-cache", args.apt_cache, "Keep downloaded .debs here between builds")
      ->envname("ORSA_APT_CACHE");
}

void add_render(CLI::App& app, RenderArgs& args) {
  auto* render = app.add_subcommand("render", "Render a cookiecutter template directory");
  render->add_option("--template", args.template_dir, "Template directory (has cookiecutter.json)")
      ->required();
  render->add_option("--context", args.context_file, "JSON object overriding cookiecutter.json")
      ->required();
  render->add_option("--out", args.out_dir, "Directory to create the project in")->required();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orsa-builder: renders and builds ORSA service images"};
  app.require_subcommand(1);
  RenderArgs render_args;
  BuildArgs build_args;
  BaseArgs base_args;
  ImageArgs image_args;
  add_render(app, render_args);
  add_image(app, image_args);
  add_build(app, build_args);
  add_base(app, base_args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsage;
  }
  if (app.got_subcommand("render")) return run_render(render_args);
  if (app.got_subcommand("build")) return run_build(build_args);
  if (app.got_subcommand("base")) return run_base_build(base_args);
  if (app.got_subcommand("image")) return run_image_build(image_args);
  return kUsage;
}
