#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/strings.hpp"
#include "oci/registry_client.hpp"

namespace orsa::oci {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// ---- WWW-Authenticate (RFC 7235): challenge = scheme [ token68 / #auth-param ]

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : s_(text) {}

  Result<std::vector<AuthChallenge>> parse() {
    std::vector<AuthChallenge> out;
    skip_separators();
    while (i_ < s_.size()) {
      const std::string scheme = read_token();
      if (scheme.empty()) return bad("expected an auth scheme");
      out.push_back({ascii_lower(scheme), {}});
      if (auto r = parse_params(out.back()); !r) return fail(r.error());
      skip_separators();
    }
    return out;
  }

 private:
  // Reads `name=value` pairs until the next scheme (a token not followed by '=').
  Result<void> parse_params(AuthChallenge& challenge) {
    while (true) {
      skip_separators();
      const std::size_t start = i_;
      const std::string name = read_token();
      if (name.empty()) return {};
      skip_spaces();
      if (i_ >= s_.size() || s_[i_] != '=') {
        i_ = start;  // a new challenge begins here
        return {};
      }
      ++i_;
      skip_spaces();
      auto value = read_value();
      if (!value) return fail(value.error());
      challenge.params[ascii_lower(name)] = std::move(*value);
    }
  }

  Result<std::string> read_value() {
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      std::string value;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        value += s_[i_++];
      }
      if (i_ >= s_.size()) return bad("unterminated quoted string");
      ++i_;
      return value;
    }
    return read_token();
  }

  std::string read_token() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  void skip_spaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_separators() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::unexpected<Error> bad(std::string_view why) const {
    return fail(Error::invalid_argument("WWW-Authenticate: " + std::string(why) + " at offset " +
                                        std::to_string(i_)));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  return ChallengeParser(header).parse();
}

}  // namespace orsa::oci
