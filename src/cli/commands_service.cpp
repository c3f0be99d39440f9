// build, deploy, call, logs: from a commit to a live service.

#include <cstdio>
#include <iostream>

#include "cli/output.hpp"
#include "context.hpp"
#include "core/files.hpp"
#include "core/strings.hpp"
#include "project_sync.hpp"

namespace orsa::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ServiceOptions {
  std::string ref;
  bool follow = false;
  std::string image;
  int tag = 0;
  int memory_mb = 0;
  double cpus = 0;
  int replicas = 0;
  bool is_public = false;
  bool wait = false;
  std::string wait_timeout = "10m";
  std::string build_timeout = "1h";
  std::string input;
  std::string route = "solve";
  std::string call_timeout = "10m";
  std::string deployment;
  int tail = 200;
};

Result<int> build_outcome(const Context& ctx, const Json& build) {
  const std::string status = cell(build, "status");
  const std::string label = "build #" + cell(build, "number") + " (" + cell(build, "id") + ")";
  if (ctx.json()) ctx.print_json(build);
  if (status == "succeeded") {
    if (!ctx.json())
      ctx.say(label + " " + colour_status("succeeded", ctx.colour()) + ": image " +
              cell(build, "image_id"));
    return 0;
  }
  return fail(Error::unprocessable(
      label + " " + status + (cell(build, "error").empty() ? "" : ": " + cell(build, "error"))));
}

Result<int> build(const Context& ctx, const ServiceOptions& opts) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  Json body = Json::object();
  if (!opts.ref.empty()) body["ref"] = opts.ref;
  auto timeout = parse_duration_s(opts.build_timeout);
  if (!timeout) return fail(timeout.error());
  auto queued = client->call("POST", project->path() + "/builds", body);
  if (!queued) return fail(queued.error());
  const std::string id = cell(*queued, "id");
  if (!opts.follow) {
    if (ctx.json())
      ctx.print_json(*queued);
    else
      ctx.say("build #" + cell(*queued, "number") + " (" + id + ") queued");
    return 0;
  }
  if (!ctx.json()) ctx.note("build #" + cell(*queued, "number") + " (" + id + ") queued");
  Json final_build;
  auto streamed = client->stream(
      "/api/v1/builds/" + escape_path(id) + "/logs",
      [&](const SseEvent& event) {
        if (event.event == "end") {
          final_build = Json::parse(event.data, nullptr, false);
          return false;
        }
        std::cerr << event.data << "\n" << std::flush;
        return true;
      },
      std::chrono::seconds(*timeout));
  if (!streamed) return fail(streamed.error());
  if (!final_build.is_object()) {
    // The stream ended without its last event: ask for the build itself.
    auto now = client->call("GET", "/api/v1/builds/" + escape_path(id));
    if (!now) return fail(now.error());
    final_build = *now;
  }
  return build_outcome(ctx, final_build);
}

Result<std::string> pick_image(const ApiClient& client, const ProjectRef& project,
                               const ServiceOptions& opts) {
  if (!opts.image.empty()) return opts.image;
  auto images = client.call("GET", project.path() + "/images");
  if (!images) return fail(images.error());
  for (const auto& image : (*images)["images"]) {
    if (opts.tag == 0 || cell(image, "tag") == std::to_string(opts.tag)) return cell(image, "id");
  }
  if (opts.tag != 0)
    return fail(Error::not_found("no image tagged " + std::to_string(opts.tag) + " in " +
                                 project.owner + "/" + project.name));
  return fail(Error::not_found("no image of " + project.owner + "/" + project.name +
                               " yet: run `orsa build --follow` first"));
}

Result<int> deploy(const Context& ctx, const ServiceOptions& opts) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  auto timeout = parse_duration_s(opts.wait_timeout);
  if (!timeout) return fail(timeout.error());
  auto image = pick_image(*client, *project, opts);
  if (!image) return fail(image.error());
  Json body = {{"image_id", *image}};
  if (opts.memory_mb > 0) body["memory_mb"] = opts.memory_mb;
  if (opts.cpus > 0) body["cpus"] = opts.cpus;
  if (opts.replicas > 0) body["replicas"] = opts.replicas;
  if (opts.is_public) body["visibility"] = "public";
  auto created = client->call("POST", "/api/v1/deployments", body);
  if (!created) return fail(created.error());
  Json deployment = *created;
  const std::string id = cell(deployment, "id");
  if (opts.wait) {
    Progress progress(ctx.progress());
    const auto deadline = Clock::now() + std::chrono::seconds(*timeout);
    for (;;) {
      const std::string status = cell(deployment, "status");
      if (status == "healthy" || status == "failed" || status == "crashloop" || status == "stopped")
        break;
      if (Clock::now() > deadline)
        return fail(Error::unavailable(
            concat({"deployment ", id, " is still ", status, " after ", opts.wait_timeout})));
      progress.update(concat({"deployment ", id, ": ", status, "…"}));
      poll_pause();
      auto now = client->call("GET", "/api/v1/deployments/" + escape_path(id));
      if (!now) return fail(now.error());
      deployment = *now;
    }
  }
  if (ctx.json()) ctx.print_json(deployment);
  const std::string status = cell(deployment, "status");
  if (!opts.wait) {
    if (!ctx.json()) ctx.say("deployment " + id + " " + status + " (wait for it with --wait)");
    return 0;
  }
  if (status != "healthy")
    return fail(Error::unprocessable("deployment " + id + " " + status + ": " +
                                     cell(deployment, "status_reason")));
  if (!ctx.json()) {
    ctx.note("deployment " + id + " " + colour_status("healthy", use_colour(2)));
    ctx.say(cell(deployment, "url"));
  }
  return 0;
}

Result<int> call(const Context& ctx, const ServiceOptions& opts) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  auto timeout = parse_duration_s(opts.call_timeout);
  if (!timeout) return fail(timeout.error());
  std::string input;
  if (opts.input == "-") {
    input.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    auto bytes = read_file(opts.input);
    if (!bytes) return fail(bytes.error());
    input = std::move(*bytes);
  }
  if (Json::parse(input, nullptr, false).is_discarded())
    return fail(Error::invalid_argument(opts.input + " is not valid JSON"));
  auto live = live_deployment(*client, *project);
  if (!live) return fail(live.error());
  const std::string url = cell(*live, "url");
  if (url.empty()) return fail(Error::not_found("the live deployment has no URL"));
  const ApiClient service(url, client->token(), std::chrono::seconds(*timeout));
  auto answer =
      service.send("POST", url + opts.route, input, {{"Content-Type", "application/json"}});
  if (!answer) return fail(answer.error());
  if (answer->status < 200 || answer->status > 299) return fail(error_from_response(*answer));
  std::cout << answer->body << (answer->body.ends_with('\n') ? "" : "\n") << std::flush;
  return 0;
}

Result<int> logs(const Context& ctx, const ServiceOptions& opts) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  std::string id = opts.deployment;
  if (id.empty()) {
    auto live = live_deployment(*client, *project);
    if (!live) return fail(live.error());
    id = cell(*live, "id");
  }
  const std::string path =
      "/api/v1/deployments/" + escape_path(id) + "/logs?tail=" + std::to_string(opts.tail);
  if (opts.follow) {
    auto streamed = client->stream(path, [](const SseEvent& event) {
      if (event.event == "end") return false;
      std::cout << event.data << "\n" << std::flush;
      return true;
    });
    if (!streamed) return fail(streamed.error());
    return 0;
  }
  auto text = client->send("GET", client->server() + path);
  if (!text) return fail(text.error());
  if (text->status != 200) return fail(error_from_response(*text));
  std::cout << text->body << std::flush;
  return 0;
}

}  // namespace

void add_service_commands(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ServiceOptions>();
  auto* build_cmd = app.add_subcommand("build", "Build an image of the head (or a commit)");
  build_cmd->add_option("--ref", opts->ref, "A commit to build instead of the head");
  build_cmd->add_flag("-f,--follow", opts->follow,
                      "Stream the log until the build ends; exit 1 if it failed");
  build_cmd->add_option("--wait-timeout", opts->build_timeout, "How long to follow")
      ->capture_default_str();
  add_project_option(*build_cmd, ctx);
  build_cmd->footer(
      "Examples:\n  orsa build --follow\n  orsa build --ref 3f2a9c1 --project alice/knapsack");
  build_cmd->callback([&ctx, opts] { ctx.outcome = build(ctx, *opts); });

  auto* deploy_cmd = app.add_subcommand("deploy", "Deploy an image (default: the newest)");
  deploy_cmd->add_option("--image", opts->image, "The image id (img_…)");
  deploy_cmd->add_option("--tag", opts->tag, "The image tag (the build number)")
      ->check(CLI::PositiveNumber);
  deploy_cmd->add_option("--memory", opts->memory_mb, "Memory in MB")
      ->check(CLI::Range(64, 1 << 20));
  deploy_cmd->add_option("--cpus", opts->cpus, "CPUs")->check(CLI::Range(0.1, 1024.0));
  deploy_cmd
      ->add_option("--replicas", opts->replicas,
                   "Copies serving calls, on an installation whose runtime runs several")
      ->check(CLI::Range(1, 1024));
  deploy_cmd->add_flag("--public", opts->is_public, "Anyone may call the service");
  deploy_cmd->add_flag("-w,--wait", opts->wait,
                       "Wait until healthy and print the URL; exit 1 if it failed");
  deploy_cmd->add_option("--wait-timeout", opts->wait_timeout, "How long to wait")
      ->capture_default_str();
  add_project_option(*deploy_cmd, ctx);
  deploy_cmd->footer(
      "Examples:\n  orsa deploy --wait\n  orsa deploy --tag 3 --memory 1024 --cpus 2 --public "
      "--wait");
  deploy_cmd->callback([&ctx, opts] { ctx.outcome = deploy(ctx, *opts); });

  auto* call_cmd = app.add_subcommand("call", "POST a JSON input to the live service's /solve");
  call_cmd->add_option("input", opts->input, "The input file ('-': stdin)")->required();
  call_cmd->add_option("--route", opts->route, "The service's route")->capture_default_str();
  call_cmd->add_option("--timeout", opts->call_timeout, "How long the call may take")
      ->capture_default_str();
  add_project_option(*call_cmd, ctx);
  call_cmd->footer("Examples:\n  orsa call input.json\n  orsa call - < input.json | jq .objective");
  call_cmd->callback([&ctx, opts] { ctx.outcome = call(ctx, *opts); });

  auto* logs_cmd = app.add_subcommand("logs", "Show the live deployment's log");
  logs_cmd->add_flag("-f,--follow", opts->follow, "Keep printing new lines");
  logs_cmd->add_option("--tail", opts->tail, "Lines from the end")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  logs_cmd->add_option("--deployment", opts->deployment, "Another deployment than the live one");
  add_project_option(*logs_cmd, ctx);
  logs_cmd->footer("Examples:\n  orsa logs\n  orsa logs -f --tail 20");
  logs_cmd->callback([&ctx, opts] { ctx.outcome = logs(ctx, *opts); });
}

}  // namespace orsa::cli
