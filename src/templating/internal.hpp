#pragma once

// Pieces shared by the templating module's .cpp files; not part of its API.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "templating/render.hpp"

namespace orsa::templating::internal {

using Value = nlohmann::ordered_json;

/// A template failure at a line. Thrown only inside the engine and turned
/// into an Error at render_string's boundary.
// The parser and evaluator are recursive with dozens of failure points;
// unwinding to one boundary keeps each of them a few lines long.
struct TemplateError {
  int line = 0;
  std::string message;
  ErrorCode code = ErrorCode::kInvalidArgument;
};

[[noreturn]] void raise(int line, std::string message);
/// Raises a TemplateError that reports a limit (ErrorCode::kTooLarge).
[[noreturn]] void raise_limit(int line, std::string message);

/// render_string with Jinja's keep_trailing_newline option: cookiecutter
/// keeps the final newline of files but renders cookiecutter.json values
/// with Jinja's default, which drops it.
Result<std::string> render_source(std::string_view text, const Value& context,
                                  std::string_view source_name, const Limits& limits,
                                  bool keep_trailing_newline);

// ---- lexing -------------------------------------------------------------

enum class SegmentKind { kText, kOutput, kTag };

/// A piece of template source: literal text, the inside of `{{ }}`, or the
/// inside of `{% %}` (delimiters and whitespace-control marks removed).
struct Segment {
  SegmentKind kind = SegmentKind::kText;
  std::string text;
  int line = 1;
};

/// Splits source into segments, applying `-` whitespace control, dropping
/// comments and turning `{% raw %}` blocks into text.
std::vector<Segment> split_segments(std::string_view source);

enum class TokenKind { kName, kString, kInt, kFloat, kOp, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
};

/// Tokenizes an expression (the inside of a tag); always ends with kEnd.
std::vector<Token> tokenize(std::string_view source, int line);

// ---- syntax tree ------------------------------------------------------------

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,  // literal
    kName,     // name
    kAttr,     // args[0].name
    kItem,     // args[0][args[1]]
    kFilter,   // args[0] | name(args[1..])
    kMethod,   // args[0].name(args[1..])
    kTest,     // args[0] is [not] name
    kNot,
    kAnd,
    kOr,
    kCompare,  // args[0] name args[1], name in == != < > <= >= in notin
    kConcat,   // args[0] ~ args[1]
    kNegate,
    kList,
  };
  Kind kind = Kind::kLiteral;
  int line = 1;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  bool negated = false;   // `is not`
  std::size_t depth = 1;  // of the subtree rooted here
};

struct Node;

struct Branch {
  ExprPtr condition;  // null for else
  std::vector<Node> body;
};

struct Node {
  enum class Kind { kText, kOutput, kIf, kFor };
  Kind kind = Kind::kText;
  int line = 1;
  std::string text;                  // kText
  ExprPtr expr;                      // kOutput; kFor: the iterable
  std::vector<std::string> targets;  // kFor loop variables
  std::vector<Branch> branches;      // kIf: if/elif...; kFor: the body
  std::vector<Node> otherwise;       // else
};

/// Parses segments into a tree; `max_depth` bounds block and expression nesting.
std::vector<Node> parse_template(const std::vector<Segment>& segments, std::size_t max_depth);

// ---- values -------------------------------------------------------------------

/// Python's str() of a value, as Jinja prints it.
std::string python_str(const Value& value);
/// Python's truthiness.
bool truthy(const Value& value);
/// Whether `name` is a filter the engine implements.
bool is_known_filter(std::string_view name);
/// Applies a filter to a defined value.
Value apply_filter(std::string_view name, const Value& subject, const std::vector<Value>& args,
                   int line);
/// Calls a str or dict method such as `name.lower()` or `d.items()`.
Value call_method(std::string_view name, const Value& subject, const std::vector<Value>& args,
                  int line);
/// Python's ==.
bool python_equal(const Value& a, const Value& b);

// ---- files -------------------------------------------------------------------

/// Python's fnmatch.fnmatchcase: `*` (also across '/'), `?`, `[seq]`, `[!seq]`.
bool fnmatch(std::string_view name, std::string_view pattern);
/// Whether a template file is copied untouched: a ".pyc", NUL or 0xFF bytes in
/// the first KiB (binaryornot's last resort), or not valid UTF-8 (which
/// cookiecutter could not render either).
bool is_binary(std::string_view path, std::string_view bytes);
/// Whether `bytes` is well-formed UTF-8.
bool is_valid_utf8(std::string_view bytes);

}  // namespace orsa::templating::internal
