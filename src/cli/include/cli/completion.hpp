#pragma once

// Shell completion scripts, generated from the command tree itself so they
// never fall behind the commands.

#include <string>
#include <utility>
#include <vector>

namespace orsa::cli {

/// One command of the tree: its path ("" for the top, "tokens create") and
/// the words that may follow it (subcommand names and option flags).
struct CompletionNode {
  std::string path;
  std::vector<std::string> words;
};

/// A bash script completing `program` over `nodes` (file names for the rest).
std::string bash_completion(const std::string& program, const std::vector<CompletionNode>& nodes);

/// The same for zsh (through zsh's bash completion layer).
std::string zsh_completion(const std::string& program, const std::vector<CompletionNode>& nodes);

}  // namespace orsa::cli
