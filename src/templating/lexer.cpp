// Splits Jinja source into text and tags, the way Jinja2's lexer does with
// cookiecutter's settings: no trim_blocks, no lstrip_blocks, `-` strips all
// whitespace (newlines included) on its side, `+` is accepted and changes
// nothing (it only undoes trim/lstrip options we never enable).

#include <algorithm>
#include <cctype>
#include <string>

#include "internal.hpp"

namespace orsa::templating::internal {
namespace {

constexpr std::string_view kSpace = " \t\n\r\f\v";

void lstrip(std::string& s) {
  s.erase(0, std::min(s.size(), s.find_first_not_of(kSpace)));
}

void rstrip(std::string& s) {
  const auto last = s.find_last_not_of(kSpace);
  s.erase(last == std::string::npos ? 0 : last + 1);
}

bool is_space(char c) {
  return kSpace.find(c) != std::string_view::npos;
}

class Splitter {
 public:
  explicit Splitter(std::string_view source) : src_(source) {}

  std::vector<Segment> run() {
    while (pos_ < src_.size()) {
      const auto open = find_open(pos_);
      push_text(src_.substr(pos_, open - pos_), open < src_.size() && strips_before(open));
      if (open >= src_.size()) break;
      advance_to(open);
      if (src_[open + 1] == '#') {
        skip_comment(open);
      } else {
        read_tag(open);
      }
    }
    return std::move(out_);
  }

 private:
  std::size_t find_open(std::size_t from) const {
    for (auto i = src_.find('{', from); i != std::string_view::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return src_.size();
  }

  bool strips_before(std::size_t open) const {
    return open + 2 < src_.size() && src_[open + 2] == '-';
  }

  void advance_to(std::size_t pos) {
    line_ += static_cast<int>(std::count(src_.begin() + static_cast<long>(pos_),
                                         src_.begin() + static_cast<long>(pos), '\n'));
    pos_ = pos;
  }

  void push_text(std::string_view raw, bool strip_end) {
    std::string text(raw);
    if (strip_next_) lstrip(text);
    if (strip_end) rstrip(text);
    strip_next_ = false;
    if (!text.empty()) out_.push_back({SegmentKind::kText, std::move(text), line_});
  }

  void skip_comment(std::size_t open) {
    const auto close = src_.find("#}", open + 2);
    if (close == std::string_view::npos) raise(line_, "unterminated comment '{#'");
    strip_next_ = close > open + 2 && src_[close - 1] == '-';
    advance_to(close + 2);
  }

  // Finds the closing delimiter outside string literals, so "}}" inside a
  // quoted argument does not end the tag.
  std::size_t find_close(std::size_t from, std::string_view close) const {
    for (auto i = from; i + 1 < src_.size(); ++i) {
      const char c = src_[i];
      if (c == '"' || c == '\'') {
        for (++i; i < src_.size() && src_[i] != c; ++i) {
          if (src_[i] == '\\') ++i;
        }
        if (i >= src_.size()) break;
      } else if (src_.substr(i, 2) == close) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  void read_tag(std::size_t open) {
    const bool is_output = src_[open + 1] == '{';
    const std::string_view close = is_output ? "}}" : "%}";
    auto begin = open + 2;
    if (begin < src_.size() && (src_[begin] == '-' || src_[begin] == '+')) ++begin;
    const auto end = find_close(begin, close);
    if (end == std::string_view::npos) {
      raise(line_, is_output ? "unterminated '{{'" : "unterminated '{%'");
    }
    auto inner_end = end;
    const bool strip_after = end > begin && src_[end - 1] == '-';
    if (end > begin && (src_[end - 1] == '-' || src_[end - 1] == '+')) --inner_end;
    std::string inner(src_.substr(begin, inner_end - begin));
    const int tag_line = line_;
    advance_to(end + 2);
    strip_next_ = strip_after;
    if (!is_output && is_raw(inner)) return read_raw(strip_after);
    out_.push_back(
        {is_output ? SegmentKind::kOutput : SegmentKind::kTag, std::move(inner), tag_line});
  }

  static bool is_raw(std::string inner) {
    lstrip(inner);
    rstrip(inner);
    return inner == "raw";
  }

  // Matches `{%[-+]? endraw [-+]?%}` at `at`; returns the position after it.
  std::size_t match_endraw(std::size_t at, bool& strip_before, bool& strip_after) const {
    auto i = at + 2;
    strip_before = i < src_.size() && src_[i] == '-';
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    while (i < src_.size() && is_space(src_[i])) ++i;
    if (src_.substr(i, 6) != "endraw") return std::string_view::npos;
    i += 6;
    while (i < src_.size() && is_space(src_[i])) ++i;
    strip_after = i < src_.size() && src_[i] == '-';
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    return src_.substr(i, 2) == "%}" ? i + 2 : std::string_view::npos;
  }

  void read_raw(bool strip_start) {
    const int raw_line = line_;
    for (auto at = src_.find("{%", pos_); at != std::string_view::npos;
         at = src_.find("{%", at + 2)) {
      bool strip_before = false;
      bool strip_after = false;
      const auto after = match_endraw(at, strip_before, strip_after);
      if (after == std::string_view::npos) continue;
      strip_next_ = strip_start;
      push_text(src_.substr(pos_, at - pos_), strip_before);
      advance_to(after);
      strip_next_ = strip_after;
      return;
    }
    raise(raw_line, "'raw' block is never closed with 'endraw'");
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  int line_ = 1;
  bool strip_next_ = false;
  std::vector<Segment> out_;
};

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    default:
      return c;
  }
}

// Reads a quoted string starting at src[i]; leaves i after the closing quote.
std::string read_string(std::string_view src, std::size_t& i, int line) {
  const char quote = src[i++];
  std::string value;
  for (; i < src.size() && src[i] != quote; ++i) {
    if (src[i] == '\\' && i + 1 < src.size()) {
      value += unescape(src[++i]);
    } else {
      value += src[i];
    }
  }
  if (i >= src.size()) raise(line, "unterminated string literal");
  ++i;
  return value;
}

Token read_number(std::string_view src, std::size_t& i) {
  const auto start = i;
  while (i < src.size() && (is_digit(src[i]) || src[i] == '_')) ++i;
  bool is_float = false;
  if (i + 1 < src.size() && src[i] == '.' && is_digit(src[i + 1])) {
    is_float = true;
    for (++i; i < src.size() && is_digit(src[i]);) ++i;
  }
  std::string text(src.substr(start, i - start));
  std::erase(text, '_');
  return {is_float ? TokenKind::kFloat : TokenKind::kInt, text};
}

}  // namespace

void raise(int line, std::string message) {
  throw TemplateError{line, std::move(message), ErrorCode::kInvalidArgument};
}

void raise_limit(int line, std::string message) {
  throw TemplateError{line, std::move(message), ErrorCode::kTooLarge};
}

std::vector<Segment> split_segments(std::string_view source) {
  return Splitter(source).run();
}

std::vector<Token> tokenize(std::string_view src, int line) {
  static constexpr std::string_view kTwoChar[] = {"==", "!=", "<=", ">="};
  static constexpr std::string_view kOneChar = "()[],.|~:<>-+";
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < src.size();) {
    const char c = src[i];
    if (is_space(c)) {
      ++i;
    } else if (is_name_start(c)) {
      const auto start = i;
      while (i < src.size() && is_name_char(src[i])) ++i;
      tokens.push_back({TokenKind::kName, std::string(src.substr(start, i - start))});
    } else if (is_digit(c)) {
      tokens.push_back(read_number(src, i));
    } else if (c == '"' || c == '\'') {
      tokens.push_back({TokenKind::kString, read_string(src, i, line)});
    } else if (std::ranges::find(kTwoChar, src.substr(i, 2)) != std::end(kTwoChar)) {
      tokens.push_back({TokenKind::kOp, std::string(src.substr(i, 2))});
      i += 2;
    } else if (kOneChar.find(c) != std::string_view::npos) {
      tokens.push_back({TokenKind::kOp, std::string(1, c)});
      ++i;
    } else {
      raise(line, std::string("unexpected character '") + c + "'");
    }
  }
  tokens.push_back({TokenKind::kEnd, {}});
  return tokens;
}

}  // namespace orsa::templating::internal
