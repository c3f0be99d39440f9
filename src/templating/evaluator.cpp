// Walks the parsed template and produces text, with StrictUndefined
// semantics: using a missing variable for anything but `default` or
// `is defined` is an error that names it.

#include <algorithm>
#include <ranges>
#include <string>

#include "internal.hpp"
#include "templating/render.hpp"

namespace orsa::templating {
namespace internal {
namespace {

// A value, or the name of the variable that was not found.
struct Operand {
  Value value;
  std::string undefined;
};

std::string describe(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kName:
      return e.name;
    case Expr::Kind::kAttr:
      return describe(*e.args[0]) + "." + e.name;
    case Expr::Kind::kItem:
      return describe(*e.args[0]) + "[" +
             (e.args[1]->kind == Expr::Kind::kLiteral ? e.args[1]->literal.dump() : "...") + "]";
    default:
      return "expression";
  }
}

// Splits a UTF-8 string into characters, as Python iterates a str.
Value characters(const std::string& s) {
  Value out = Value::array();
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = 1;
    while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

class Evaluator {
 public:
  Evaluator(const Value& context, const Limits& limits) : context_(context), limits_(limits) {}

  void render(const std::vector<Node>& nodes, std::string& out) {
    for (const auto& node : nodes) render_node(node, out);
  }

 private:
  void render_node(const Node& node, std::string& out) {
    switch (node.kind) {
      case Node::Kind::kText:
        out += node.text;
        break;
      case Node::Kind::kOutput:
        out += python_str(defined(*node.expr));
        break;
      case Node::Kind::kIf:
        render_if(node, out);
        break;
      case Node::Kind::kFor:
        render_for(node, out);
        break;
    }
    if (out.size() > limits_.max_output_bytes) {
      raise_limit(node.line,
                  "output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
  }

  void render_if(const Node& node, std::string& out) {
    for (const auto& branch : node.branches) {
      if (truthy(defined(*branch.condition))) return render(branch.body, out);
    }
    render(node.otherwise, out);
  }

  Value iteration_items(const Node& node) {
    Value iterable = defined(*node.expr);
    if (iterable.is_array()) return iterable;
    if (iterable.is_string()) return characters(iterable.get<std::string>());
    if (iterable.is_object()) {
      Value keys = Value::array();
      for (auto it = iterable.begin(); it != iterable.end(); ++it) keys.push_back(it.key());
      return keys;
    }
    raise(node.line, "'" + describe(*node.expr) + "' is not iterable: " + python_str(iterable));
  }

  Value loop_scope(const Node& node, const Value& item, std::size_t index, std::size_t length) {
    Value scope = Value::object();
    if (node.targets.size() == 1) {
      scope[node.targets[0]] = item;
    } else if (!item.is_array() || item.size() != node.targets.size()) {
      raise(node.line, "cannot unpack " + python_str(item) + " into " +
                           std::to_string(node.targets.size()) + " loop variables");
    } else {
      for (std::size_t i = 0; i < node.targets.size(); ++i) scope[node.targets[i]] = item[i];
    }
    scope["loop"] = {{"index", index + 1},
                     {"index0", index},
                     {"revindex", length - index},
                     {"revindex0", length - index - 1},
                     {"first", index == 0},
                     {"last", index + 1 == length},
                     {"length", length}};
    return scope;
  }

  void render_for(const Node& node, std::string& out) {
    const Value items = iteration_items(node);
    if (items.empty()) return render(node.otherwise, out);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (++iterations_ > limits_.max_loop_iterations) {
        raise_limit(node.line, "more than " + std::to_string(limits_.max_loop_iterations) +
                                   " loop iterations");
      }
      scopes_.push_back(loop_scope(node, items[i], i, items.size()));
      render(node.branches[0].body, out);
      scopes_.pop_back();
    }
  }

  Value defined(const Expr& e) {
    auto op = eval(e);
    if (!op.undefined.empty()) raise(e.line, "'" + op.undefined + "' is undefined");
    return std::move(op.value);
  }

  Operand lookup(const Expr& e) {
    for (auto& scope : std::views::reverse(scopes_)) {  // the innermost scope first
      if (scope.contains(e.name)) return {scope[e.name], {}};
    }
    if (context_.contains(e.name)) return {context_[e.name], {}};
    return {nullptr, e.name};
  }

  Operand attribute(const Expr& e) {
    const Value subject = defined(*e.args[0]);
    // Jinja's `d.items` is the dict method, not the key; say so instead of
    // printing a method object.
    static constexpr std::string_view kDictMethods[] = {"items", "keys",   "values", "get",
                                                        "pop",   "update", "copy"};
    if (subject.is_object() && std::ranges::find(kDictMethods, e.name) != std::end(kDictMethods)) {
      raise(e.line, "'" + describe(e) + "' is a dict method in Jinja; write " +
                        describe(*e.args[0]) + "['" + e.name + "']");
    }
    if (subject.is_object() && subject.contains(e.name)) return {subject[e.name], {}};
    return {nullptr, describe(e)};
  }

  Operand item(const Expr& e) {
    const Value subject = defined(*e.args[0]);
    const Value key = defined(*e.args[1]);
    if (subject.is_object() && key.is_string() && subject.contains(key.get<std::string>())) {
      return {subject[key.get<std::string>()], {}};
    }
    if (subject.is_array() && key.is_number_integer()) {
      const auto size = static_cast<long long>(subject.size());
      auto index = key.get<long long>();
      if (index < 0) index += size;
      if (index >= 0 && index < size) return {subject[static_cast<std::size_t>(index)], {}};
    }
    return {nullptr, describe(*e.args[0]) + "[" + python_str(key) + "]"};
  }

  std::vector<Value> arguments(const Expr& e) {
    std::vector<Value> args;
    for (std::size_t i = 1; i < e.args.size(); ++i) args.push_back(defined(*e.args[i]));
    return args;
  }

  Value filter(const Expr& e) {
    if (e.name != "default" && e.name != "d") {
      const Value subject = defined(*e.args[0]);
      return apply_filter(e.name, subject, arguments(e), e.line);
    }
    auto subject = eval(*e.args[0]);
    auto args = arguments(e);
    if (args.size() > 2) raise(e.line, "filter 'default' takes at most 2 arguments");
    const bool boolean = args.size() > 1 && truthy(args[1]);
    if (subject.undefined.empty() && !(boolean && !truthy(subject.value))) return subject.value;
    return args.empty() ? Value("") : args[0];
  }

  bool test(const Expr& e) {
    if (e.name == "defined" || e.name == "undefined") {
      const bool is_defined = eval(*e.args[0]).undefined.empty();
      return is_defined == (e.name == "defined");
    }
    const Value subject = defined(*e.args[0]);
    return e.name == "none" ? subject.is_null() : subject.is_string();
  }

  bool contains(const Value& needle, const Value& haystack, int line) {
    if (haystack.is_string()) {
      if (!needle.is_string()) raise(line, "'in <string>' requires a string on the left");
      return haystack.get<std::string>().find(needle.get<std::string>()) != std::string::npos;
    }
    if (haystack.is_array()) {
      return std::ranges::any_of(haystack, [&](const Value& v) { return python_equal(v, needle); });
    }
    if (haystack.is_object()) return needle.is_string() && haystack.contains(needle);
    raise(line, "'in' needs a string, list or dict on the right, not " + python_str(haystack));
  }

  bool compare(const Expr& e) {
    const Value a = defined(*e.args[0]);
    const Value b = defined(*e.args[1]);
    const auto& op = e.name;
    if (op == "==") return python_equal(a, b);
    if (op == "!=") return !python_equal(a, b);
    if (op == "in") return contains(a, b, e.line);
    if (op == "notin") return !contains(a, b, e.line);
    const bool comparable = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
    if (!comparable) {
      raise(e.line, "cannot compare " + python_str(a) + " " + op + " " + python_str(b));
    }
    if (op == "<") return a < b;
    if (op == ">") return b < a;
    if (op == "<=") return !(b < a);
    return !(a < b);
  }

  Value negate(const Expr& e) {
    const Value v = defined(*e.args[0]);
    if (v.is_number_integer()) return -v.get<long long>();
    if (v.is_number()) return -v.get<double>();
    raise(e.line, "cannot negate " + python_str(v));
  }

  Operand eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return {e.literal, {}};
      case Expr::Kind::kName:
        return lookup(e);
      case Expr::Kind::kAttr:
        return attribute(e);
      case Expr::Kind::kItem:
        return item(e);
      case Expr::Kind::kFilter:
        return {filter(e), {}};
      case Expr::Kind::kMethod:
        return {call_method(e.name, defined(*e.args[0]), arguments(e), e.line), {}};
      case Expr::Kind::kTest:
        return {test(e) != e.negated, {}};
      case Expr::Kind::kNot:
        return {!truthy(defined(*e.args[0])), {}};
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr: {
        // Python returns the deciding operand, not a bool.
        Value lhs = defined(*e.args[0]);
        if (truthy(lhs) == (e.kind == Expr::Kind::kOr)) return {lhs, {}};
        return {defined(*e.args[1]), {}};
      }
      case Expr::Kind::kCompare:
        return {compare(e), {}};
      case Expr::Kind::kConcat:
        return {python_str(defined(*e.args[0])) + python_str(defined(*e.args[1])), {}};
      case Expr::Kind::kNegate:
        return {negate(e), {}};
      case Expr::Kind::kList: {
        Value list = Value::array();
        for (const auto& arg : e.args) list.push_back(defined(*arg));
        return {list, {}};
      }
    }
    raise(e.line, "unsupported expression");
  }

  const Value& context_;
  const Limits& limits_;
  std::vector<Value> scopes_;
  std::size_t iterations_ = 0;
};

// Jinja turns "\r\n" and "\r" into "\n" and, unless keep_trailing_newline,
// drops one final newline.
std::string normalize_newlines(std::string_view text, bool keep_trailing_newline) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
      continue;
    }
    out += '\n';
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  if (!keep_trailing_newline && out.ends_with('\n')) out.pop_back();
  return out;
}

}  // namespace

Result<std::string> render_source(std::string_view text, const Value& context,
                                  std::string_view source_name, const Limits& limits,
                                  bool keep_trailing_newline) {
  if (text.size() > limits.max_file_bytes) {
    return fail(Error::too_large(std::string(source_name) + ": template is larger than " +
                                 std::to_string(limits.max_file_bytes) + " bytes"));
  }
  try {
    const auto source = normalize_newlines(text, keep_trailing_newline);
    const auto nodes = parse_template(split_segments(source), limits.max_depth);
    std::string out;
    Evaluator(context, limits).render(nodes, out);
    return out;
  } catch (const TemplateError& e) {
    return fail(Error{
        e.code, std::string(source_name) + ":" + std::to_string(e.line) + ": " + e.message, {}});
  }
}

}  // namespace internal

Result<std::string> render_string(std::string_view text, const OrderedJson& context,
                                  std::string_view source_name, const Limits& limits) {
  return internal::render_source(text, context, source_name, limits, true);
}

}  // namespace orsa::templating
