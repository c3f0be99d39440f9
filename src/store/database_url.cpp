#include "database_url.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace orsa::store {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kPostgresPrefixes[] = {"postgresql://", "postgres://"};
constexpr std::string_view kMask = "***";

struct Span {
  std::size_t pos = std::string_view::npos;
  std::size_t len = 0;
};

// The password in `scheme://user:PASSWORD@host/…`, if any.
Span userinfo_password(std::string_view url, std::size_t authority_start) {
  const auto authority_end = url.find_first_of("/?", authority_start);
  const auto authority = url.substr(authority_start, authority_end - authority_start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return {};
  return {authority_start + colon + 1, at - colon - 1};
}

// The value of a `password=` query parameter, if any.
Span query_password(std::string_view url) {
  const auto query = url.find('?');
  if (query == std::string_view::npos) return {};
  for (auto pos = query + 1; pos < url.size();) {
    const auto end = std::min(url.find('&', pos), url.size());
    constexpr std::string_view kKey = "password=";
    if (url.substr(pos, end - pos).starts_with(kKey)) {
      return {pos + kKey.size(), end - pos - kKey.size()};
    }
    pos = end + 1;
  }
  return {};
}

// libpq decodes %XX escapes, so its messages may hold the decoded form.
std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const auto hex = std::string(in.substr(i + 1, 2));
      char* end = nullptr;
      const auto value = std::strtol(hex.c_str(), &end, 16);
      if (end == hex.c_str() + 2) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

// SOCI 4.0.3 does not hand a URI to libpq intact: it keeps only the
// whitespace-separated key=value chunks of the connection string. So libpq
// parses the URI here and we pass SOCI the equivalent keyword string, with
// values quoted. A value containing whitespace cannot survive that split.
Result<std::string> conninfo_from_uri(const std::string& uri,
                                      const std::vector<std::string>& secrets) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parse_error);
  if (options == nullptr) {
    const std::string reason = parse_error ? scrub(parse_error, secrets) : "out of memory";
    PQfreemem(parse_error);
    return fail(
        Error::invalid_argument("invalid PostgreSQL URL: " + reason.substr(0, reason.find('\n'))));
  }
  std::string conninfo;
  bool has_space = false;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view value = option->val;
    has_space = has_space ||
                std::ranges::any_of(value, [](unsigned char ch) { return std::isspace(ch) != 0; });
    if (!conninfo.empty()) conninfo.push_back(' ');
    conninfo.append(option->keyword).append("='");
    for (const char ch : value) {
      if (ch == '\\' || ch == '\'') conninfo.push_back('\\');
      conninfo.push_back(ch);
    }
    conninfo.push_back('\'');
  }
  PQconninfoFree(options);
  if (has_space) {
    return fail(Error::invalid_argument("PostgreSQL URL values must not contain whitespace"));
  }
  return conninfo;
}

Result<DatabaseUrl> parse_postgres(std::string_view url, std::size_t authority_start) {
  DatabaseUrl out{Backend::kPostgres, {}, std::string(url), {}};
  // Mask the later span first so the earlier offsets stay valid.
  for (const Span span : {query_password(url), userinfo_password(url, authority_start)}) {
    if (span.pos == std::string_view::npos || span.len == 0) continue;
    const auto secret = url.substr(span.pos, span.len);
    out.secrets.emplace_back(secret);
    if (secret.find('%') != std::string_view::npos) out.secrets.push_back(percent_decode(secret));
    out.redacted.replace(span.pos, span.len, kMask);
  }
  auto conninfo = conninfo_from_uri(std::string(url), out.secrets);
  if (!conninfo) return fail(conninfo.error());
  out.target = std::move(*conninfo);
  return out;
}

}  // namespace

Result<DatabaseUrl> parse_database_url(std::string_view url) {
  if (url.starts_with(kSqlitePrefix)) {
    const auto path = url.substr(kSqlitePrefix.size());
    if (path.empty()) return fail(Error::invalid_argument("database URL sqlite:PATH needs a path"));
    if (path == ":memory:") {
      // Each pooled connection would get its own empty database.
      return fail(Error::invalid_argument("sqlite::memory: is not supported: use a file path"));
    }
    if (path.find('"') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
      return fail(Error::invalid_argument("the SQLite database path contains a quote or NUL"));
    }
    return DatabaseUrl{Backend::kSqlite, std::string(path), std::string(url), {}};
  }
  for (const auto prefix : kPostgresPrefixes) {
    if (url.starts_with(prefix)) return parse_postgres(url, prefix.size());
  }
  // Never echo the URL: it may hold a password.
  return fail(Error::invalid_argument(
      "unsupported database URL: expected sqlite:PATH, postgresql://… or postgres://…"));
}

std::string scrub(std::string_view message, const std::vector<std::string>& secrets) {
  std::string out(message);
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

}  // namespace orsa::store
