#pragma once

// .orsaignore: which files of a project folder `orsa push` leaves out, in a
// subset of gitignore's syntax.

#include <string>
#include <string_view>
#include <vector>

namespace orsa::cli {

/// Ignored in every project folder, before the .orsaignore's own rules (which
/// may re-include them with `!`): caches, virtual environments, the link
/// folder and git's own.
inline constexpr std::string_view kDefaultIgnores = "__pycache__/\n.venv/\n.orsa/\n.git/\n";

/// Rules in gitignore syntax: one pattern a line; `#` comments and blank
/// lines; `!` re-includes; a trailing `/` matches directories only; a
/// pattern with a `/` before its end is anchored at the folder's root (a
/// leading `/` just anchors), one without matches a name at any depth; `*`,
/// `?`, `[abc]`/`[!a-z]` and `**` (any number of directories); `\` escapes.
/// As in git, nothing under an ignored directory can be re-included.
class IgnoreRules {
 public:
  /// The defaults followed by the rules of `file_text` (a .orsaignore).
  static IgnoreRules with_defaults(std::string_view file_text);
  /// Only the rules of `text`.
  static IgnoreRules parse(std::string_view text);

  /// Whether `path` (relative, `/`-separated) is left out.
  bool ignored(std::string_view path, bool is_dir) const;

 private:
  struct Rule {
    std::string pattern;
    bool negated = false;
    bool dir_only = false;
    bool anchored = false;
  };
  void add_line(std::string_view line);
  bool last_match_ignores(std::string_view path, bool is_dir) const;

  std::vector<Rule> rules_;
};

/// Whether `text` matches the glob `pattern` (`*` and `?` never match `/`,
/// `**` as a whole segment matches any number of them).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace orsa::cli
