// run, runs ls|show|cancel: asynchronous jobs of a project's image.

#include <cstdio>
#include <iostream>

#include "cli/output.hpp"
#include "context.hpp"
#include "core/files.hpp"

namespace orsa::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct RunOptions {
  std::string input;
  std::string time_limit;
  std::vector<std::string> options;
  std::string image;
  int priority = 0;
  bool wait = false;
  bool follow = false;
  std::string wait_timeout = "1h";
  std::string status;
  int limit = 50;
  std::string id;
};

bool ended(const std::string& status) {
  return status != "queued" && status != "running" && !status.empty();
}

// --option k=v: the value as JSON when it parses (numbers, booleans), else text.
Result<Json> parse_options(const std::vector<std::string>& pairs) {
  Json out = Json::object();
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0)
      return fail(Error::invalid_argument("--option wants KEY=VALUE, got '" + pair + "'"));
    const std::string value = pair.substr(eq + 1);
    Json parsed = Json::parse(value, nullptr, false);
    out[pair.substr(0, eq)] = parsed.is_discarded() ? Json(value) : parsed;
  }
  return out;
}

Result<Json> read_input(const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    auto bytes = read_file(file);
    if (!bytes) return fail(bytes.error());
    text = std::move(*bytes);
  }
  Json input = Json::parse(text, nullptr, false);
  if (input.is_discarded()) return fail(Error::invalid_argument(file + " is not valid JSON"));
  return input;
}

// The ended run: its result on stdout, or its reason as the error.
Result<int> run_outcome(const Context& ctx, const ApiClient& client, const Json& run) {
  const std::string id = cell(run, "id");
  const std::string status = cell(run, "status");
  if (status != "succeeded")
    return fail(
        Error::unprocessable("run " + id + " " + status +
                             (cell(run, "reason").empty() ? "" : ": " + cell(run, "reason"))));
  auto result = client.send("GET", client.server() + "/api/v1/runs/" + escape_path(id) + "/result");
  if (!result) return fail(result.error());
  if (result->status != 200) return fail(error_from_response(*result));
  if (ctx.json()) {
    Json doc = run;
    doc["result_json"] = Json::parse(result->body, nullptr, false);
    ctx.print_json(doc);
  } else {
    std::cout << result->body << (result->body.ends_with('\n') ? "" : "\n") << std::flush;
  }
  return 0;
}

Result<Json> wait_for_run(const Context& ctx, const ApiClient& client, Json run,
                          std::int64_t timeout_s) {
  Progress progress(ctx.progress());
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  const std::string id = cell(run, "id");
  while (!ended(cell(run, "status"))) {
    if (Clock::now() > deadline)
      return fail(Error::unavailable("run " + id + " is still " + cell(run, "status") + " after " +
                                     std::to_string(timeout_s) + " s"));
    const std::string position = cell(run, "queue_position");
    progress.update("run " + id + ": " + cell(run, "status") +
                    (position.empty() ? "" : " (position " + position + ")") + "…");
    poll_pause();
    auto now = client.call("GET", "/api/v1/runs/" + escape_path(id));
    if (!now) return fail(now.error());
    run = *now;
  }
  return run;
}

Result<Json> follow_run(const ApiClient& client, const Json& run, std::int64_t timeout_s) {
  const std::string id = cell(run, "id");
  Json final_run;
  auto streamed = client.stream(
      "/api/v1/runs/" + escape_path(id) + "/log",
      [&](const SseEvent& e) {
        if (e.event == "end") {
          final_run = Json::parse(e.data, nullptr, false);
          return false;
        }
        std::cerr << e.data << "\n" << std::flush;
        return true;
      },
      std::chrono::seconds(timeout_s));
  if (!streamed) return fail(streamed.error());
  if (final_run.is_object()) return final_run;
  return client.call("GET", "/api/v1/runs/" + escape_path(id));
}

Result<int> run(const Context& ctx, const RunOptions& opts) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto input = read_input(opts.input);
  if (!input) return fail(input.error());
  auto options = parse_options(opts.options);
  if (!options) return fail(options.error());
  auto wait_timeout = parse_duration_s(opts.wait_timeout);
  if (!wait_timeout) return fail(wait_timeout.error());
  Json body = {{"input", std::move(*input)}};
  if (!options->empty()) body["options"] = *options;
  if (!opts.time_limit.empty()) {
    auto limit = parse_duration_s(opts.time_limit);
    if (!limit) return fail(limit.error());
    body["time_limit_s"] = *limit;
  }
  if (!opts.image.empty()) body["image_id"] = opts.image;
  if (opts.priority != 0) body["priority"] = opts.priority;
  auto submitted = client->call("POST", project->path() + "/runs", body);
  if (!submitted) return fail(submitted.error());
  if (!opts.wait && !opts.follow) {
    if (ctx.json())
      ctx.print_json(*submitted);
    else
      ctx.say("run " + cell(*submitted, "id") + " " + cell(*submitted, "status"));
    return 0;
  }
  ctx.note("run " + cell(*submitted, "id") + " submitted");
  auto final_run = opts.follow ? follow_run(*client, *submitted, *wait_timeout)
                               : wait_for_run(ctx, *client, *submitted, *wait_timeout);
  if (!final_run && opts.follow && final_run.error().code == ErrorCode::kNotFound) {
    // A server without the live log route (an older one): wait without the log.
    ctx.note("no live log from this server (" + final_run.error().message + "); waiting");
    final_run = wait_for_run(ctx, *client, *submitted, *wait_timeout);
  }
  if (!final_run) return fail(final_run.error());
  // A stream that ended before the run did (a restart): wait for the rest.
  if (!ended(cell(*final_run, "status"))) {
    final_run = wait_for_run(ctx, *client, *final_run, *wait_timeout);
    if (!final_run) return fail(final_run.error());
  }
  return run_outcome(ctx, *client, *final_run);
}

Result<int> runs_ls(const Context& ctx, const RunOptions& opts) {
  if (!ctx.project_flag.empty() && !ctx.project()) return fail(ctx.project().error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto project = ctx.project();
  std::string path = project ? project->path() + "/runs" : "/api/v1/runs";
  path += "?limit=" + std::to_string(opts.limit);
  if (!opts.status.empty()) path += "&status=" + escape_query(opts.status);
  auto page = client->call("GET", path);
  if (!page) return fail(page.error());
  if (ctx.json()) {
    ctx.print_json(*page);
    return 0;
  }
  Table table{.headers = {"ID", "PROJECT", "STATUS", "SUBMITTER", "CREATED", "DURATION"},
              .status_columns = {2}};
  for (const auto& r : (*page)["runs"]) {
    const std::string duration = cell(r, "duration_s");
    table.rows.push_back({cell(r, "id"), cell(r, "project"), cell(r, "status"),
                          cell(r, "submitter"), short_time(cell(r, "created_at")),
                          duration.empty() ? "" : duration + " s"});
  }
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> runs_show(const Context& ctx, const std::string& id) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto run = client->call("GET", "/api/v1/runs/" + escape_path(id));
  if (!run) return fail(run.error());
  if (ctx.json()) {
    ctx.print_json(*run);
    return 0;
  }
  Table table{.headers = {"FIELD", "VALUE"}};
  for (const char* key : {"id", "project", "status", "submitter", "queue_position", "created_at",
                          "started_at", "finished_at", "duration_s", "exit_code", "reason"}) {
    table.rows.push_back({key, cell(*run, key)});
  }
  if (run->contains("limits")) table.rows.push_back({"limits", (*run)["limits"].dump()});
  if (run->contains("statistics"))
    table.rows.push_back({"statistics", (*run)["statistics"].dump()});
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> runs_cancel(const Context& ctx, const std::string& id) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto run = client->call("POST", "/api/v1/runs/" + escape_path(id) + "/cancel");
  if (!run) return fail(run.error());
  if (ctx.json())
    ctx.print_json(*run);
  else
    ctx.say("run " + id + ": " + cell(*run, "status") +
            ((*run).value("cancel_requested", false) ? " (cancel requested)" : ""));
  return 0;
}

}  // namespace

void add_run_commands(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RunOptions>();
  auto* run_cmd = app.add_subcommand("run", "Submit a run of the project's image on an input");
  run_cmd->add_option("input", opts->input, "The input JSON file ('-': stdin)")->required();
  run_cmd->add_option("--time-limit", opts->time_limit, "e.g. 60s, 5m");
  run_cmd->add_option("--option", opts->options, "KEY=VALUE handed to the model (repeatable)");
  run_cmd->add_option("--image", opts->image, "An image id (default: the live one, else newest)");
  run_cmd->add_option("--priority", opts->priority, "-10..10 among your own runs")
      ->check(CLI::Range(-10, 10));
  run_cmd->add_flag("-w,--wait", opts->wait, "Wait and print the result JSON on stdout");
  run_cmd->add_flag("-f,--follow", opts->follow,
                    "Stream the solver log on stderr, then print the result on stdout");
  run_cmd->add_option("--wait-timeout", opts->wait_timeout, "How long to wait")
      ->capture_default_str();
  add_project_option(*run_cmd, ctx);
  run_cmd->footer(
      "Without --wait or --follow, prints the run's id and returns at once.\n\nExamples:\n"
      "  orsa run input.json --wait\n"
      "  orsa run input.json --time-limit 60s --option seed=1 --follow > result.json");
  run_cmd->callback([&ctx, opts] { ctx.outcome = run(ctx, *opts); });

  auto* runs = app.add_subcommand("runs", "List, show and cancel runs");
  runs->require_subcommand(1);
  runs->footer(
      "Examples:\n  orsa runs ls --status queued\n  orsa runs show run_3kq9x1\n"
      "  orsa runs cancel run_3kq9x1");
  auto* ls = runs->add_subcommand("ls", "The project's runs (else yours), newest first");
  ls->add_option("--status", opts->status, "Only runs in this state")
      ->check(CLI::IsMember(
          {"queued", "running", "succeeded", "failed", "invalid_input", "timed_out", "canceled"}));
  ls->add_option("-n,--limit", opts->limit, "How many")->check(CLI::Range(1, 200));
  add_project_option(*ls, ctx);
  ls->callback([&ctx, opts] { ctx.outcome = runs_ls(ctx, *opts); });
  auto* show = runs->add_subcommand("show", "One run");
  show->add_option("id", opts->id, "The run id")->required();
  show->callback([&ctx, opts] { ctx.outcome = runs_show(ctx, opts->id); });
  auto* cancel = runs->add_subcommand("cancel", "Cancel a queued or running run");
  cancel->add_option("id", opts->id, "The run id")->required();
  cancel->callback([&ctx, opts] { ctx.outcome = runs_cancel(ctx, opts->id); });
}

}  // namespace orsa::cli
