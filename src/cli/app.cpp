#include "cli/app.hpp"

#include <cstdio>

#include "cli/completion.hpp"
#include "cli/output.hpp"
#include "context.hpp"

namespace orsa::cli {
namespace {

void collect(const CLI::App& command, const std::string& path, std::vector<CompletionNode>& out) {
  CompletionNode node{path, {}};
  for (const CLI::App* sub : command.get_subcommands({})) node.words.push_back(sub->get_name());
  for (const CLI::Option* opt : command.get_options()) {
    for (const auto& name : opt->get_lnames()) node.words.push_back("--" + name);
    for (const auto& name : opt->get_snames()) node.words.push_back("-" + name);
  }
  out.push_back(node);
  for (const CLI::App* sub : command.get_subcommands({}))
    collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

void add_global_options(CLI::App& app, Context& ctx) {
  app.add_option("--profile", ctx.options.profile, "The configuration profile (a server)")
      ->envname("ORSA_PROFILE");
  app.add_option("--server", ctx.options.server, "The server's URL, over the profile's")
      ->envname("ORSA_SERVER");
  app.add_option("-o,--output", ctx.options.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", ctx.options.timeout_s, "Seconds a request may take")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

void add_completion_command(CLI::App& app, Context& ctx) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      "Examples:\n  source <(orsa completion bash)\n"
      "  orsa completion zsh > \"${fpath[1]}/_orsa\"");
  completion->callback([&app, &ctx, shell] {
    std::vector<CompletionNode> nodes;
    collect(app, "", nodes);
    ctx.say(*shell == "bash" ? bash_completion("orsa", nodes) : zsh_completion("orsa", nodes));
    ctx.outcome = 0;
  });
}

}  // namespace

int run(int argc, char** argv) {
  Context ctx;
  CLI::App app{"orsa: the ORSA command-line client (a client of the REST API)", "orsa"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string(ORSA_CLI_VERSION));
  add_global_options(app, ctx);
  add_account_commands(app, ctx);
  add_project_commands(app, ctx);
  add_service_commands(app, ctx);
  add_run_commands(app, ctx);
  add_resource_commands(app, ctx);
  add_completion_command(app, ctx);
  app.footer(
      "From login to a deployed model:\n"
      "  orsa login --server http://127.0.0.1:8080\n"
      "  orsa init knapsack && cd knapsack\n"
      "  orsa push -m \"My model\"\n"
      "  orsa build --follow\n"
      "  orsa deploy --wait\n"
      "  orsa run input.json --wait\n\n"
      "Exit codes: 0 ok, 1 failure, 2 usage, 3 auth, 4 not found, 5 conflict.\n"
      "Every command has --help with examples.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(Exit::kUsage);
  } catch (const std::exception& e) {
    // A server answer of an unexpected shape (JSON of the wrong type) ends
    // here rather than in std::terminate.
    std::fprintf(stderr, "orsa: unexpected answer or failure: %s\n", e.what());
    return static_cast<int>(Exit::kFailure);
  }
  if (!ctx.outcome) {
    std::fprintf(stderr, "orsa: %s\n", ctx.outcome.error().message.c_str());
    return static_cast<int>(exit_for(ctx.outcome.error()));
  }
  return *ctx.outcome;
}

}  // namespace orsa::cli
