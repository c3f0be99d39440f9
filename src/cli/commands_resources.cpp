// images ls|rm, deployments ls|stop|start|rm.

#include <cstdio>

#include "cli/output.hpp"
#include "context.hpp"

namespace orsa::cli {
namespace {

// A listing's scope: the project of --project or of the folder, else all of
// the caller's.
std::optional<ProjectRef> optional_project(const Context& ctx) {
  auto project = ctx.project();
  if (project) return *project;
  return std::nullopt;
}

Result<int> images_ls(const Context& ctx) {
  if (!ctx.project_flag.empty() && !ctx.project()) return fail(ctx.project().error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  const auto project = optional_project(ctx);
  auto images = fetch_all_pages([&](const std::string& path) { return client->call("GET", path); },
                                project ? project->path() + "/images" : "/api/v1/images", "images");
  if (!images) return fail(images.error());
  if (ctx.json()) {
    ctx.print_json(Json{{"images", *images}});
    return 0;
  }
  Table table{.headers = {"ID", "REFERENCE", "DIGEST", "SIZE", "CREATED", "DEPLOYED"}};
  for (const auto& image : *images) {
    table.rows.push_back({cell(image, "id"), cell(image, "reference"),
                          cell(image, "digest").substr(0, 19),
                          human_bytes(image.value("size", std::uint64_t{0})),
                          short_time(cell(image, "created_at")), cell(image, "deployed")});
  }
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> simple_action(const Context& ctx, std::string_view method, const std::string& path,
                          const std::string& done) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto answer = client->call(method, path);
  if (!answer) return fail(answer.error());
  if (ctx.json() && !answer->is_null()) {
    ctx.print_json(*answer);
  } else {
    ctx.say(done);
  }
  return 0;
}

// One resource: its JSON, or the `fields` as a two-column table.
Result<int> show(const Context& ctx, const std::string& path,
                 const std::vector<std::string>& fields) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto doc = client->call("GET", path);
  if (!doc) return fail(doc.error());
  if (ctx.json()) {
    ctx.print_json(*doc);
    return 0;
  }
  Table table{.headers = {"FIELD", "VALUE"}};
  for (const auto& field : fields) table.rows.push_back({field, cell(*doc, field)});
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> deployments_ls(const Context& ctx) {
  if (!ctx.project_flag.empty() && !ctx.project()) return fail(ctx.project().error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  const auto project = optional_project(ctx);
  std::string path = "/api/v1/deployments";
  if (project) path += "?project=" + escape_query(project->owner + "/" + project->name);
  auto list = client->call("GET", path);
  if (!list) return fail(list.error());
  if (ctx.json()) {
    ctx.print_json(*list);
    return 0;
  }
  Table table{.headers = {"ID", "PROJECT", "TAG", "STATUS", "LIVE", "VISIBILITY", "URL"},
              .status_columns = {3}};
  for (const auto& d : (*list)["deployments"]) {
    table.rows.push_back({cell(d, "id"), cell(d, "owner") + "/" + cell(d, "project"),
                          cell(d, "image_tag"), cell(d, "status"), cell(d, "live"),
                          cell(d, "visibility"), cell(d, "url")});
  }
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

}  // namespace

void add_resource_commands(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* images = app.add_subcommand("images", "List and delete images");
  images->require_subcommand(1);
  images->footer(
      "Examples:\n  orsa images ls\n  orsa images ls --output json | jq -r '.images[0].id'\n"
      "  orsa images show img_3kq9x1\n  orsa images rm img_3kq9x1");
  auto* images_ls_cmd = images->add_subcommand("ls", "The project's images (else all of yours)");
  add_project_option(*images_ls_cmd, ctx);
  images_ls_cmd->callback([&ctx] { ctx.outcome = images_ls(ctx); });
  auto* images_show = images->add_subcommand("show", "One image");
  images_show->add_option("id", *id, "The image id")->required();
  images_show->callback([&ctx, id] {
    ctx.outcome = show(ctx, "/api/v1/images/" + escape_path(*id),
                       {"id", "reference", "digest", "size", "commit", "build_id", "created_at",
                        "deployments", "deployed"});
  });
  auto* images_rm = images->add_subcommand("rm", "Delete an image no deployment uses");
  images_rm->add_option("id", *id, "The image id")->required();
  images_rm->callback([&ctx, id] {
    ctx.outcome = simple_action(ctx, "DELETE", "/api/v1/images/" + escape_path(*id),
                                "image " + *id + " deleted");
  });

  auto* deployments = app.add_subcommand("deployments", "List, stop, start and remove deployments");
  deployments->require_subcommand(1);
  deployments->footer(
      "Examples:\n  orsa deployments ls\n  orsa deployments show dep_3kq9x1 -o json\n"
      "  orsa deployments stop dep_3kq9x1\n"
      "  orsa deployments rm dep_3kq9x1");
  auto* ls = deployments->add_subcommand("ls", "The project's deployments (else all of yours)");
  add_project_option(*ls, ctx);
  ls->callback([&ctx] { ctx.outcome = deployments_ls(ctx); });
  auto* show_cmd = deployments->add_subcommand("show", "One deployment");
  show_cmd->add_option("id", *id, "The deployment id")->required();
  show_cmd->callback([&ctx, id] {
    ctx.outcome =
        show(ctx, "/api/v1/deployments/" + escape_path(*id),
             {"id", "owner", "project", "image_id", "image_tag", "status", "status_reason",
              "desired", "live", "visibility", "memory_mb", "cpus", "replicas", "url", "restarts",
              "created_at", "started_at", "last_request_at"});
  });
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> actions = {
      {"stop", "POST", "/stop", "Stop the container (kept for a fast start)"},
      {"start", "POST", "/start", "Start a stopped or failed deployment again"},
      {"rm", "DELETE", "", "Remove the deployment and its container"}};
  for (const auto& [name, method, suffix, help] : actions) {
    auto* action = deployments->add_subcommand(name, help);
    action->add_option("id", *id, "The deployment id")->required();
    action->callback([&ctx, id, name, method, suffix] {
      ctx.outcome = simple_action(ctx, method, "/api/v1/deployments/" + escape_path(*id) + suffix,
                                  "deployment " + *id + ": " + name + " done");
    });
  }
}

}  // namespace orsa::cli
