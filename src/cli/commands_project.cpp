// init, clone, status, push, pull, log, open: a project as a local folder.

#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>

#include "cli/archive.hpp"
#include "cli/output.hpp"
#include "context.hpp"
#include "project_sync.hpp"

namespace orsa::cli {
namespace fs = std::filesystem;
namespace {

struct ProjectOptions {
  std::string name;
  std::string template_name = "python-flask";
  std::string example;  // empty: the template's starter
  std::string dir;
  std::string message = "Changes pushed with orsa";
  int limit = 20;
};

std::string short_sha(const std::string& sha) {
  return sha.substr(0, 7);
}

Result<void> check_empty_target(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return fail(Error::invalid_argument(dir.string() + " exists and is not empty"));
  return {};
}

// "downloading 3/12 files…" while files arrive.
std::function<void(std::size_t, std::size_t)> downloading(Progress& progress) {
  return [&progress](std::size_t done, std::size_t total) {
    progress.update("downloading " + std::to_string(done) + "/" + std::to_string(total) +
                    " files…");
  };
}

// Downloads the head into `dir` and links the folder to the project.
Result<int> clone_into(const Context& ctx, const ApiClient& client, const ProjectRef& project,
                       const fs::path& dir) {
  Progress progress(ctx.progress());
  auto head = fetch_head(client, project);
  if (!head) return fail(head.error());
  auto files = fetch_files(client, project, *head, downloading(progress));
  progress.done();
  if (!files) return fail(files.error());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Error::internal("cannot create " + dir.string() + ": " + ec.message()));
  if (auto ok = write_files(dir, *files); !ok) return fail(ok.error());
  const Link link{client.server(), project.owner, project.name, *head, hashes_of(*files)};
  if (auto ok = save_link(dir, link); !ok) return fail(ok.error());
  ctx.say(project.owner + "/" + project.name + " at " + short_sha(*head) + " → " + dir.string() +
          " (" + std::to_string(files->size()) + " files)");
  return 0;
}

Result<int> init(const Context& ctx, const ProjectOptions& opts) {
  const fs::path dir = opts.dir.empty() ? fs::path(opts.name) : fs::path(opts.dir);
  if (auto ok = check_empty_target(dir); !ok) return fail(ok.error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  Json body = {{"name", opts.name}};
  if (opts.example.empty()) {
    body["template"] = opts.template_name;
  } else {
    body["example"] = opts.example;  // the server refuses it with a non-default template
    if (opts.template_name != "python-flask") body["template"] = opts.template_name;
  }
  auto created = client->call("POST", "/api/v1/projects", body);
  if (!created) return fail(created.error());
  return clone_into(ctx, *client, {cell(*created, "owner"), opts.name, std::nullopt}, dir);
}

Result<int> examples(const Context& ctx) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  auto listed = client->call("GET", "/api/v1/examples");
  if (!listed) return fail(listed.error());
  if (ctx.json()) {
    ctx.print_json(*listed);
    return 0;
  }
  Table table{.headers = {"NAME", "TITLE", "SUMMARY"}};
  for (const auto& e : (*listed)["examples"])
    table.rows.push_back({cell(e, "name"), cell(e, "title"), cell(e, "summary")});
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> clone(const Context& ctx, const std::string& full_name, const std::string& dir_arg) {
  auto parts = split_project(full_name);
  if (!parts) return fail(parts.error());
  const fs::path dir = dir_arg.empty() ? fs::path(parts->second) : fs::path(dir_arg);
  if (auto ok = check_empty_target(dir); !ok) return fail(ok.error());
  auto client = ctx.client();
  if (!client) return fail(client.error());
  return clone_into(ctx, *client, {parts->first, parts->second, std::nullopt}, dir);
}

// The linked folder, its link, its files now and what changed since the base.
struct FolderState {
  ProjectRef project;
  fs::path root;
  Link link;
  FileHashes local;
  std::vector<Change> changes;
};

Result<FolderState> folder_state(const Context& ctx) {
  std::error_code ec;
  auto root = find_project_root(fs::current_path(ec));
  if (!root) return fail(root.error());
  auto link = load_link(*root);
  if (!link) return fail(link.error());
  auto rules = folder_rules(*root);
  if (!rules) return fail(rules.error());
  auto local = scan_folder(*root, *rules);
  if (!local) return fail(local.error());
  // As in git, ignore rules are for files the project does not have yet: a
  // file of the base stays in the project while it is on disk.
  if (auto tracked = add_tracked_files(*root, link->files, *local); !tracked)
    return fail(tracked.error());
  (void)ctx;
  FolderState state{{link->owner, link->name, *root}, *root, *link, *local, {}};
  state.changes = diff(state.link.files, state.local);
  return state;
}

Json changes_json(const std::vector<Change>& changes) {
  Json list = Json::array();
  for (const auto& c : changes)
    list.push_back({{"path", c.path}, {"status", std::string(change_word(c.kind))}});
  return list;
}

Result<int> status(const Context& ctx) {
  auto state = folder_state(ctx);
  if (!state) return fail(state.error());
  auto client = client_for(ctx, state->project);
  if (!client) return fail(client.error());
  auto head = fetch_head(*client, state->project);
  if (!head) return fail(head.error());
  if (ctx.json()) {
    ctx.print_json({{"project", state->link.owner + "/" + state->link.name},
                    {"base", state->link.base},
                    {"head", *head},
                    {"behind", *head != state->link.base},
                    {"changes", changes_json(state->changes)}});
    return 0;
  }
  ctx.say("Project " + state->link.owner + "/" + state->link.name + " on " + state->link.server);
  ctx.say("Based on " + short_sha(state->link.base) +
          (*head == state->link.base
               ? " (the server's head)"
               : "; the server is at " + short_sha(*head) + " (run `orsa pull`)"));
  if (state->changes.empty()) {
    ctx.say("No local changes");
    return 0;
  }
  ctx.say("Local changes:");
  for (const auto& c : state->changes) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-9s %s", (std::string(change_word(c.kind)) + ":").c_str(),
                  c.path.c_str());
    ctx.say(line);
  }
  return 0;
}

// Text changes travel as one JSON commit of just the changes.
Result<Json> push_commit(const ApiClient& client, const FolderState& state,
                         const std::string& message) {
  auto body = commit_body(state.root, state.changes, message);
  if (!body) return fail(body.error());
  return client.call("POST", state.project.path() + "/commits", *body,
                     {{"If-Match", state.link.base}});
}

// A binary file cannot be a JSON string: the whole folder goes as an archive,
// which replaces the project's files in one commit under the same If-Match.
Result<Json> push_archive(const ApiClient& client, const FolderState& state,
                          const std::string& message) {
  auto tgz = folder_tar_gz(state.root, state.local);
  if (!tgz) return fail(tgz.error());
  auto response = client.send(
      "POST", client.server() + state.project.path() + "/archive?message=" + escape_query(message),
      *tgz, {{"Content-Type", "application/gzip"}, {"If-Match", state.link.base}});
  if (!response) return fail(response.error());
  if (response->status != 201) return fail(error_from_response(*response));
  Json doc = Json::parse(response->body, nullptr, false);
  if (!doc.is_object()) return fail(Error::internal("the server's answer is not JSON"));
  return doc;
}

Result<int> push(const Context& ctx, const ProjectOptions& opts) {
  auto state = folder_state(ctx);
  if (!state) return fail(state.error());
  if (state->changes.empty()) {
    ctx.say("Nothing to push: no local changes since " + short_sha(state->link.base));
    return 0;
  }
  auto client = client_for(ctx, state->project);
  if (!client) return fail(client.error());
  auto binary = has_binary_change(state->root, state->changes);
  if (!binary) return fail(binary.error());
  auto result = *binary ? push_archive(*client, *state, opts.message)
                        : push_commit(*client, *state, opts.message);
  if (!result) {
    Error error = result.error();
    if (error.code == ErrorCode::kConflict && !error.current_head.empty()) {
      const auto detail = error.message.rfind(" (HTTP ");
      error.message = "the project changed on the server since this folder's base " +
                      short_sha(state->link.base) + " (it is now at " +
                      short_sha(error.current_head) +
                      "); nothing was pushed: run `orsa pull`, then push again" +
                      (detail == std::string::npos ? "" : error.message.substr(detail));
    }
    return fail(error);
  }
  const std::string sha = (*result)["commit"].value("sha", "");
  state->link.base = sha;
  state->link.files = state->local;
  if (auto ok = save_link(state->root, state->link); !ok) return fail(ok.error());
  if (ctx.json()) {
    ctx.print_json({{"commit", (*result)["commit"]}, {"changes", changes_json(state->changes)}});
  } else {
    ctx.say("Pushed " + std::to_string(state->changes.size()) + " change(s) as " + short_sha(sha));
  }
  return 0;
}

// Brings the server's new commits into the folder. Local changes stay; a
// file changed both locally and on the server is a conflict, and then
// nothing is written.
Result<int> pull(const Context& ctx) {
  auto state = folder_state(ctx);
  if (!state) return fail(state.error());
  auto client = client_for(ctx, state->project);
  if (!client) return fail(client.error());
  auto head = fetch_head(*client, state->project);
  if (!head) return fail(head.error());
  if (*head == state->link.base) {
    ctx.say("Already up to date at " + short_sha(*head));
    return 0;
  }
  Progress progress(ctx.progress());
  auto files = fetch_files(*client, state->project, *head, downloading(progress));
  progress.done();
  if (!files) return fail(files.error());
  const FileHashes remote = hashes_of(*files);
  const std::vector<Change> incoming = diff(state->link.files, remote);
  std::vector<std::string> clashes;
  for (const auto& change : incoming) {
    const auto mine = std::find_if(state->changes.begin(), state->changes.end(),
                                   [&](const Change& c) { return c.path == change.path; });
    if (mine == state->changes.end()) continue;
    const auto local = state->local.find(change.path);
    const auto theirs = remote.find(change.path);
    const bool same =
        (local == state->local.end() && theirs == remote.end()) ||
        (local != state->local.end() && theirs != remote.end() && local->second == theirs->second);
    if (!same) clashes.push_back(change.path);
  }
  if (!clashes.empty()) {
    std::string list;
    for (const auto& path : clashes) list += (list.empty() ? "" : ", ") + path;
    return fail(Error::conflict("changed both here and on the server: " + list +
                                "; nothing was written (keep a copy of your version, remove it, "
                                "pull, then apply your change again)"));
  }
  FileContents to_write;
  for (const auto& change : incoming) {
    if (change.kind == ChangeKind::kDeleted) {
      std::error_code ec;
      fs::remove(state->root / change.path, ec);
    } else {
      to_write.emplace(change.path, files->at(change.path));
    }
  }
  if (auto ok = write_files(state->root, to_write); !ok) return fail(ok.error());
  state->link.base = *head;
  state->link.files = remote;
  if (auto ok = save_link(state->root, state->link); !ok) return fail(ok.error());
  ctx.say("Pulled " + std::to_string(incoming.size()) + " change(s); now at " + short_sha(*head));
  return 0;
}

Result<int> log(const Context& ctx, int limit) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  auto history = client->call("GET", project->path() + "/commits?limit=" + std::to_string(limit));
  if (!history) return fail(history.error());
  if (ctx.json()) {
    ctx.print_json(*history);
    return 0;
  }
  Table table{.headers = {"COMMIT", "TIME", "AUTHOR", "MESSAGE"}};
  for (const auto& c : (*history)["commits"]) {
    std::string message = cell(c, "message");
    message = message.substr(0, message.find('\n'));
    const std::string author = c.contains("author") ? cell(c["author"], "name") : "";
    table.rows.push_back({short_sha(cell(c, "sha")), short_time(cell(c, "time")), author, message});
  }
  std::fputs(table.render(ctx.colour()).c_str(), stdout);
  return 0;
}

Result<int> open(const Context& ctx, bool browser) {
  auto project = ctx.project();
  if (!project) return fail(project.error());
  auto client = client_for(ctx, *project);
  if (!client) return fail(client.error());
  const std::string url = client->server() + "/projects/" + project->owner + "/" + project->name;
  ctx.say(url);
  if (!browser) return 0;
  // The desktop's own opener; the URL is one argument, never shell text.
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  pid_t pid = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's historical signature
  if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0)
    return fail(Error::unavailable("cannot start xdg-open to open " + url));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(Error::unavailable("xdg-open could not open " + url));
  return 0;
}

}  // namespace

void add_project_commands(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ProjectOptions>();
  auto* init_cmd = app.add_subcommand("init", "Create a project and write its files into DIR");
  init_cmd->add_option("name", opts->name, "The project's name (lower case, digits, '-')")
      ->required();
  init_cmd->add_option("dir", opts->dir, "The folder (default: NAME)");
  init_cmd->add_option("-t,--template", opts->template_name, "The starter template")
      ->capture_default_str();
  init_cmd->add_option("-e,--example", opts->example,
                       "Start from an example project instead (see `orsa examples`)");
  init_cmd->footer(
      "Examples:\n  orsa init knapsack\n  orsa init tsp --template python-flask work/tsp\n"
      "  orsa init beer --example transportation");
  init_cmd->callback([&ctx, opts] { ctx.outcome = init(ctx, *opts); });

  app.add_subcommand("examples", "List the example projects `orsa init --example` starts from")
      ->footer("Examples:\n  orsa examples\n  orsa examples --output json")
      ->callback([&ctx] { ctx.outcome = examples(ctx); });

  auto* clone_cmd = app.add_subcommand("clone", "Copy a project's files into a new folder");
  clone_cmd->add_option("project", opts->name, "OWNER/NAME")->required();
  clone_cmd->add_option("dir", opts->dir, "The folder (default: NAME)");
  clone_cmd->footer("Example:\n  orsa clone alice/knapsack");
  clone_cmd->callback([&ctx, opts] { ctx.outcome = clone(ctx, opts->name, opts->dir); });

  app.add_subcommand("status", "Show local changes and whether the server moved on")
      ->footer("Examples:\n  orsa status\n  orsa status --output json")
      ->callback([&ctx] { ctx.outcome = status(ctx); });

  auto* push_cmd = app.add_subcommand("push", "Send all local changes as one commit");
  push_cmd->add_option("-m,--message", opts->message, "The commit message");
  push_cmd->footer(
      "Changed, added and removed files (minus .orsaignore's) become one commit based on\n"
      "the folder's base: if the server moved on meanwhile, nothing is written and the\n"
      "exit code is 5.\n\nExample:\n  orsa push -m \"Report the item count\"");
  push_cmd->callback([&ctx, opts] { ctx.outcome = push(ctx, *opts); });

  app.add_subcommand("pull", "Bring the server's new commits into the folder")
      ->footer("Example:\n  orsa pull")
      ->callback([&ctx] { ctx.outcome = pull(ctx); });

  auto* log_cmd = app.add_subcommand("log", "Show the project's history, newest first");
  log_cmd->add_option("-n,--limit", opts->limit, "How many commits")->check(CLI::Range(1, 1000));
  add_project_option(*log_cmd, ctx);
  log_cmd->footer("Examples:\n  orsa log\n  orsa log -n 5 --project alice/knapsack");
  log_cmd->callback([&ctx, opts] { ctx.outcome = log(ctx, opts->limit); });

  auto* open_cmd = app.add_subcommand("open", "Print (or open) the project's page in the web app");
  auto browser = std::make_shared<bool>(false);
  open_cmd->add_flag("-b,--browser", *browser, "Also open it in the desktop's browser");
  add_project_option(*open_cmd, ctx);
  open_cmd->footer("Examples:\n  orsa open\n  orsa open --browser");
  open_cmd->callback([&ctx, browser] { ctx.outcome = open(ctx, *browser); });
}

}  // namespace orsa::cli
