// Recursive-descent parser for the Jinja subset cookiecutter templates use.
// Precedence, loosest first: or, and, not, comparisons and `in`, `~`,
// unary minus, then postfix `.attr`, `[item]`, `(call)`, `|filter`, `is test`.

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "internal.hpp"

namespace orsa::templating::internal {
namespace {

constexpr std::array<std::string_view, 6> kComparisons = {"==", "!=", "<", ">", "<=", ">="};
constexpr std::array<std::string_view, 4> kTests = {"defined", "undefined", "none", "string"};

ExprPtr make(Expr::Kind kind, int line, std::string name = {}) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->line = line;
  e->name = std::move(name);
  return e;
}

// The tree depth bounds the evaluator's and the destructor's recursion, so a
// long chain such as `a ~ a ~ a ...` cannot exhaust the stack.
constexpr std::size_t kTreeDepthPerLevel = 16;

void adopt(Expr& parent, ExprPtr child, std::size_t max_tree_depth) {
  parent.depth = std::max(parent.depth, child->depth + 1);
  if (parent.depth > max_tree_depth) raise(parent.line, "expression nested too deeply");
  parent.args.push_back(std::move(child));
}

class ExprParser {
 public:
  ExprParser(std::string_view source, int line, std::size_t max_depth)
      : tokens_(tokenize(source, line)),
        line_(line),
        max_depth_(max_depth),
        max_tree_depth_(max_depth * kTreeDepthPerLevel) {}

  ExprPtr parse_all() {
    auto e = parse_expression();
    expect_end();
    return e;
  }

  /// Parses `a` or `a, b` loop targets followed by `in`.
  std::vector<std::string> parse_targets() {
    std::vector<std::string> names{expect_name("loop variable")};
    while (accept_op(",")) names.push_back(expect_name("loop variable"));
    if (!accept_name("in")) raise(line_, "expected 'in' in 'for' tag");
    return names;
  }

  ExprPtr parse_expression() {
    if (++depth_ > max_depth_) raise(line_, "expression nested too deeply");
    auto e = parse_or();
    --depth_;
    return e;
  }

  void expect_end() {
    if (peek().kind == TokenKind::kEnd) return;
    if (is_op("+") || is_op("-")) raise(line_, "unsupported operator '" + peek().text + "'");
    raise(line_, "unexpected '" + peek().text + "'");
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool is_op(std::string_view op, std::size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kOp && peek(ahead).text == op;
  }
  bool is_name(std::string_view name, std::size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kName && peek(ahead).text == name;
  }
  bool accept_op(std::string_view op) { return is_op(op) && (++pos_, true); }
  bool accept_name(std::string_view name) { return is_name(name) && (++pos_, true); }

  void expect_op(std::string_view op) {
    if (!accept_op(op)) {
      raise(line_, "expected '" + std::string(op) + "' but found '" + peek().text + "'");
    }
  }
  std::string expect_name(std::string_view what) {
    if (peek().kind != TokenKind::kName) raise(line_, "expected a " + std::string(what));
    return tokens_[pos_++].text;
  }

  ExprPtr parse_or() {
    auto lhs = parse_and();
    while (accept_name("or")) lhs = binary(Expr::Kind::kOr, std::move(lhs), parse_and());
    return lhs;
  }

  ExprPtr parse_and() {
    auto lhs = parse_not();
    while (accept_name("and")) lhs = binary(Expr::Kind::kAnd, std::move(lhs), parse_not());
    return lhs;
  }

  ExprPtr parse_not() {
    if (!accept_name("not")) return parse_compare();
    if (++depth_ > max_depth_) raise(line_, "expression nested too deeply");
    auto e = make(Expr::Kind::kNot, line_);
    adopt(*e, parse_not(), max_tree_depth_);
    --depth_;
    return e;
  }

  // The comparison operator at the cursor, consumed; "" when there is none.
  std::string take_comparison() {
    if (peek().kind == TokenKind::kOp &&
        std::ranges::find(kComparisons, peek().text) != kComparisons.end()) {
      return tokens_[pos_++].text;
    }
    if (accept_name("in")) return "in";
    if (is_name("not") && is_name("in", 1)) {
      pos_ += 2;
      return "notin";
    }
    return {};
  }

  ExprPtr parse_compare() {
    auto lhs = parse_concat();
    for (std::string op = take_comparison(); !op.empty(); op = take_comparison()) {
      lhs = binary(Expr::Kind::kCompare, std::move(lhs), parse_concat(), op);
    }
    return lhs;
  }

  ExprPtr parse_concat() {
    auto lhs = parse_unary();
    while (accept_op("~")) lhs = binary(Expr::Kind::kConcat, std::move(lhs), parse_unary());
    return lhs;
  }

  ExprPtr parse_unary() {
    if (!accept_op("-")) return parse_postfix(parse_primary());
    if (++depth_ > max_depth_) raise(line_, "expression nested too deeply");
    auto e = make(Expr::Kind::kNegate, line_);
    adopt(*e, parse_unary(), max_tree_depth_);
    --depth_;
    return e;
  }

  ExprPtr parse_primary() {
    const Token token = peek();
    ++pos_;
    switch (token.kind) {
      case TokenKind::kString:
        return literal(token.text);
      case TokenKind::kInt:
        return literal(parse_int(token.text));
      case TokenKind::kFloat:
        return literal(std::strtod(token.text.c_str(), nullptr));
      case TokenKind::kName:
        return name_or_constant(token.text);
      case TokenKind::kOp:
        if (token.text == "(") {
          auto e = parse_expression();
          expect_op(")");
          return e;
        }
        if (token.text == "[") return parse_list();
        break;
      case TokenKind::kEnd:
        raise(line_, "expected an expression");
    }
    raise(line_, "unexpected '" + token.text + "'");
  }

  std::int64_t parse_int(const std::string& text) const {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      raise(line_, "integer literal out of range: " + text);
    }
    return value;
  }

  ExprPtr literal(Value value) {
    auto e = make(Expr::Kind::kLiteral, line_);
    e->literal = std::move(value);
    return e;
  }

  ExprPtr name_or_constant(const std::string& name) {
    if (name == "true" || name == "True") return literal(true);
    if (name == "false" || name == "False") return literal(false);
    if (name == "none" || name == "None") return literal(nullptr);
    return make(Expr::Kind::kName, line_, name);
  }

  ExprPtr parse_list() {
    auto e = make(Expr::Kind::kList, line_);
    while (!accept_op("]")) {
      adopt(*e, parse_expression(), max_tree_depth_);
      if (!is_op("]")) expect_op(",");
    }
    return e;
  }

  ExprPtr binary(Expr::Kind kind, ExprPtr lhs, ExprPtr rhs, std::string name = {}) {
    auto e = make(kind, lhs->line, std::move(name));
    adopt(*e, std::move(lhs), max_tree_depth_);
    adopt(*e, std::move(rhs), max_tree_depth_);
    return e;
  }

  std::vector<ExprPtr> parse_call_args() {
    std::vector<ExprPtr> args;
    while (!accept_op(")")) {
      if (peek().kind == TokenKind::kName && is_op("=", 1)) {
        raise(line_, "keyword arguments are not supported");
      }
      args.push_back(parse_expression());
      if (!is_op(")")) expect_op(",");
    }
    return args;
  }

  ExprPtr with_subject(Expr::Kind kind, std::string name, ExprPtr subject) {
    auto e = make(kind, line_, std::move(name));
    adopt(*e, std::move(subject), max_tree_depth_);
    return e;
  }

  ExprPtr parse_postfix(ExprPtr subject) {
    for (;;) {
      if (accept_op(".")) {
        auto name = expect_name("attribute name");
        if (accept_op("(")) {
          subject = with_subject(Expr::Kind::kMethod, name, std::move(subject));
          for (auto& a : parse_call_args()) adopt(*subject, std::move(a), max_tree_depth_);
        } else {
          subject = with_subject(Expr::Kind::kAttr, name, std::move(subject));
        }
      } else if (accept_op("[")) {
        subject = binary(Expr::Kind::kItem, std::move(subject), parse_expression());
        expect_op("]");
      } else if (accept_op("|")) {
        subject = parse_filter(std::move(subject));
      } else if (accept_name("is")) {
        subject = parse_test(std::move(subject));
      } else if (is_op("(")) {
        raise(line_, "calling functions is not supported");
      } else {
        return subject;
      }
    }
  }

  ExprPtr parse_filter(ExprPtr subject) {
    auto name = expect_name("filter name");
    if (!is_known_filter(name)) raise(line_, "unknown filter '" + name + "'");
    subject = with_subject(Expr::Kind::kFilter, name, std::move(subject));
    if (accept_op("(")) {
      for (auto& a : parse_call_args()) adopt(*subject, std::move(a), max_tree_depth_);
    }
    return subject;
  }

  ExprPtr parse_test(ExprPtr subject) {
    const bool negated = accept_name("not");
    auto name = expect_name("test name");
    if (std::ranges::find(kTests, name) == kTests.end()) {
      raise(line_, "unknown test '" + name + "'");
    }
    subject = with_subject(Expr::Kind::kTest, name, std::move(subject));
    subject->negated = negated;
    return subject;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int line_;
  std::size_t max_depth_;
  std::size_t max_tree_depth_;
  std::size_t depth_ = 0;
};

// The first word of a tag and the rest of it.
std::pair<std::string, std::string> split_tag(std::string_view inner) {
  const auto start = inner.find_first_not_of(" \t\n\r\f\v");
  if (start == std::string_view::npos) return {};
  auto end = start;
  while (end < inner.size() &&
         (std::isalnum(static_cast<unsigned char>(inner[end])) || inner[end] == '_')) {
    ++end;
  }
  return {std::string(inner.substr(start, end - start)), std::string(inner.substr(end))};
}

class BlockParser {
 public:
  BlockParser(const std::vector<Segment>& segments, std::size_t max_depth)
      : segments_(segments), max_depth_(max_depth) {}

  std::vector<Node> parse() {
    auto nodes = parse_body({});
    if (pos_ < segments_.size()) {
      raise(segments_[pos_].line, "unexpected '" + split_tag(segments_[pos_].text).first + "'");
    }
    return nodes;
  }

 private:
  // Parses nodes until a tag named in `ends` (left unconsumed) or the end.
  std::vector<Node> parse_body(std::initializer_list<std::string_view> ends) {
    std::vector<Node> nodes;
    for (; pos_ < segments_.size(); ++pos_) {
      const auto& seg = segments_[pos_];
      if (seg.kind == SegmentKind::kText) {
        nodes.push_back(Node{Node::Kind::kText, seg.line, seg.text, {}, {}, {}, {}});
      } else if (seg.kind == SegmentKind::kOutput) {
        nodes.push_back(
            Node{Node::Kind::kOutput, seg.line, {}, expression(seg.text, seg.line), {}, {}, {}});
      } else {
        const auto [word, rest] = split_tag(seg.text);
        if (std::ranges::find(ends, word) != ends.end()) return nodes;
        nodes.push_back(parse_tag(word, rest, seg.line));
      }
    }
    return nodes;
  }

  ExprPtr expression(std::string_view source, int line) const {
    return ExprParser(source, line, max_depth_).parse_all();
  }

  Node parse_tag(const std::string& word, const std::string& rest, int line) {
    if (++depth_ > max_depth_) raise(line, "blocks nested too deeply");
    Node node;
    if (word == "if") {
      node = parse_if(rest, line);
    } else if (word == "for") {
      node = parse_for(rest, line);
    } else if (word == "elif" || word == "else" || word.starts_with("end")) {
      raise(line, "unexpected '" + word + "'");
    } else if (word.empty()) {
      raise(line, "empty tag '{% %}'");
    } else {
      raise(line, "unknown tag '" + word + "'");
    }
    --depth_;
    return node;
  }

  // Moves past the closing tag of a block opened at `line`, returning its word.
  std::string close_block(std::string_view block, int line, std::string_view rest_allowed) {
    if (pos_ >= segments_.size()) {
      raise(line, "'" + std::string(block) + "' block opened here is never closed");
    }
    const auto [word, rest] = split_tag(segments_[pos_].text);
    if (word != rest_allowed && rest.find_first_not_of(" \t\n\r\f\v") != std::string::npos) {
      raise(segments_[pos_].line, "unexpected '" + rest + "' after '" + word + "'");
    }
    return word;
  }

  Node parse_if(const std::string& condition, int line) {
    Node node{Node::Kind::kIf, line, {}, {}, {}, {}, {}};
    std::string word = "if";
    std::string cond = condition;
    int cond_line = line;
    while (word == "if" || word == "elif") {
      ++pos_;
      auto expr = expression(cond, cond_line);
      node.branches.push_back({std::move(expr), parse_body({"elif", "else", "endif"})});
      word = close_block("if", line, "elif");
      if (word == "elif") {
        cond = split_tag(segments_[pos_].text).second;
        cond_line = segments_[pos_].line;
      }
    }
    if (word == "else") {
      ++pos_;
      node.otherwise = parse_body({"endif"});
      close_block("if", line, "");
    }
    return node;
  }

  Node parse_for(const std::string& header, int line) {
    Node node{Node::Kind::kFor, line, {}, {}, {}, {}, {}};
    ExprParser parser(header, line, max_depth_);
    node.targets = parser.parse_targets();
    node.expr = parser.parse_expression();
    parser.expect_end();
    ++pos_;
    node.branches.push_back({nullptr, parse_body({"else", "endfor"})});
    if (close_block("for", line, "") == "else") {
      ++pos_;
      node.otherwise = parse_body({"endfor"});
      close_block("for", line, "");
    }
    return node;
  }

  const std::vector<Segment>& segments_;
  std::size_t pos_ = 0;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
};

}  // namespace

std::vector<Node> parse_template(const std::vector<Segment>& segments, std::size_t max_depth) {
  return BlockParser(segments, max_depth).parse();
}

}  // namespace orsa::templating::internal
