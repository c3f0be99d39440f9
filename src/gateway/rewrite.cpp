#include "rewrite.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>

#include "gateway/gateway.hpp"

namespace orsa::gateway {
namespace {

using namespace std::string_view_literals;

// ORSA's cookies are orsa_session and orsa_csrf, "__Host-"-prefixed under
// TLS: every name in ORSA's namespace is held back, in any letter case.
constexpr std::string_view kPrivateCookiePrefix = "orsa_";
constexpr std::array<std::string_view, 2> kCookieNamePrefixes = {"__Host-", "__Secure-"};

//
// Both directions are serialized by hand into a buffer reused across the
// exchanges of an upstream connection: Beast's fields container (a node and
// an allocation per field set) and its serializer (layered buffer-sequence
// views) cost more than the rest of the proxy together.

constexpr std::array kHopByHop = {bhttp::field::keep_alive,
                                  bhttp::field::proxy_authenticate,
                                  bhttp::field::proxy_authorization,
                                  bhttp::field::te,
                                  bhttp::field::trailer,
                                  bhttp::field::transfer_encoding,
                                  bhttp::field::upgrade,
                                  bhttp::field::proxy_connection,
                                  bhttp::field::connection};

/// Hop-by-hop fields: the fixed ones and those named in Connection (RFC 9110 §7.6.1).
class HopByHop {
 public:
  explicit HopByHop(const bhttp::fields& fields) {
    // Past 16 names a sender is abusive; the rest are simply forwarded
    // (nothing they could not have sent anyway).
    for (auto [it, end] = fields.equal_range(bhttp::field::connection); it != end; ++it) {
      for (const auto token : bhttp::token_list{it->value()}) {
        if (count_ < named_.size() && !beast::iequals(token, "connection"))
          named_[count_++] = token;
      }
    }
  }
  template <class Fields>
  explicit HopByHop(const Fields& fields, bool /*parsed*/) {
    for (const auto& f : fields) {
      if (f.name != bhttp::field::connection) continue;
      for (const auto token : bhttp::token_list{f.value}) {
        if (count_ < named_.size() && !beast::iequals(token, "connection"))
          named_[count_++] = token;
      }
    }
  }
  bool contains(bhttp::field name, std::string_view name_string) const {
    if (std::ranges::find(kHopByHop, name) != kHopByHop.end()) return true;
    for (std::size_t i = 0; i < count_; ++i) {
      if (beast::iequals(named_[i], name_string)) return true;
    }
    return false;
  }
  bool contains(std::string_view name) const {
    return contains(bhttp::string_to_field(name), name);
  }

 private:
  std::array<std::string_view, 16> named_;
  std::size_t count_ = 0;
};

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

bool icontains(std::string_view s, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (beast::iequals(s.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

/// A cookie name in ORSA's namespace, as ORSA's own parser could read it
/// (blanks around it) or a browser could store it (a prefix, another case).
bool is_private_cookie_name(std::string_view name) {
  name = trim_blanks(name);
  for (const auto prefix : kCookieNamePrefixes) {
    if (istarts_with(name, prefix)) name.remove_prefix(prefix.size());
  }
  return istarts_with(name, kPrivateCookiePrefix);
}

bool is_private_cookie(std::string_view pair) {
  return is_private_cookie_name(pair.substr(0, pair.find('=')));
}

/// Appends the Cookie value without ORSA's own cookies; false if none is left.
bool append_without_private_cookies(std::string& out, std::string_view value) {
  bool any = false;
  while (!value.empty()) {
    const std::size_t end = std::min(value.find(';'), value.size());
    std::string_view pair = trim_blanks(value.substr(0, end));
    value.remove_prefix(std::min(end + 1, value.size()));
    if (pair.empty() || is_private_cookie(pair)) continue;
    if (any) out += "; "sv;
    out += pair;
    any = true;
  }
  return any;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": "sv).append(value).append("\r\n"sv);
}

void append_number(std::string& out, std::uint64_t n, int base = 10) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, base);
  out.append(buf, end);
}

/// One of the fields the gateway sets itself (any letter case).
bool is_unknown_named(const bhttp::fields::value_type& f, std::string_view name) {
  return f.name() == bhttp::field::unknown && beast::iequals(f.name_string(), name);
}

/// A Set-Cookie the browser must not get: ORSA's names always, and any
/// cookie on a shared origin (it would reach every service and, since
/// cookies ignore ports, ORSA's own origin on the same host).
bool is_blocked_set_cookie(std::string_view value, const ResponsePolicy& policy) {
  return policy.shared_origin || is_private_cookie(value.substr(0, value.find(';')));
}

/// A response field the gateway sets itself or never passes on.
bool is_withheld(const ResponseParser::Field& f, const ResponsePolicy& policy) {
  switch (f.name) {
    case bhttp::field::set_cookie:
      return is_blocked_set_cookie(f.value, policy);
    case bhttp::field::content_length:
      return true;
    case bhttp::field::access_control_allow_origin:
    case bhttp::field::access_control_allow_credentials:
      return !policy.cors_origin.empty();
    default:
      break;
  }
  // Service-Worker-Allowed would let a worker control paths beyond its script's directory.
  return f.name == bhttp::field::unknown &&
         (beast::iequals(f.name_string, "X-Request-Id") ||
          beast::iequals(f.name_string, "Service-Worker-Allowed"));
}

}  // namespace

/// The request header as sent upstream: without hop-by-hop fields, the
/// caller's ORSA credentials (the deployed service runs its owner's code:
/// Authorization, X-Api-Key, ORSA's cookies, X-CSRF-Token) and
/// Expect (100-continue is answered to the client here); with X-Forwarded-*,
/// X-Request-Id and the upstream's Host; framing rebuilt from what the parser
/// saw, never from fields a Connection header could have removed.
void write_request_head(std::string& out, const bhttp::request_header<>& req,
                        std::string_view target, std::string_view prefix, const Upstream& upstream,
                        std::string_view remote_ip, std::string_view request_id, Framing framing,
                        std::uint64_t length) {
  const HopByHop hop(req);
  bool has_private_cookie = false;
  if (!hop.contains(bhttp::field::cookie, "Cookie")) {
    for (auto [it, end] = req.equal_range(bhttp::field::cookie); it != end; ++it) {
      has_private_cookie = has_private_cookie || icontains(it->value(), kPrivateCookiePrefix);
    }
  }
  out.clear();
  out.append(req.method_string()).append(" "sv).append(target).append(" HTTP/1.1\r\n"sv);
  std::string_view host;
  std::size_t forwarded_for = 0;  // X-Forwarded-For fields, joined at the end
  for (const auto& f : req) {
    const bhttp::field name = f.name();
    if (hop.contains(name, f.name_string())) continue;
    switch (name) {
      case bhttp::field::authorization:
      case bhttp::field::expect:
      case bhttp::field::content_length:
        continue;
      case bhttp::field::host:
        host = f.value();
        continue;
      case bhttp::field::cookie:
        if (has_private_cookie) {
          const std::size_t mark = out.size();
          out.append(f.name_string()).append(": "sv);
          if (append_without_private_cookies(out, f.value())) {
            out += "\r\n"sv;
          } else {
            out.resize(mark);  // nothing left: no Cookie field at all
          }
          continue;
        }
        break;
      case bhttp::field::unknown:
        if (is_unknown_named(f, "X-Forwarded-For")) {
          ++forwarded_for;
          continue;
        }
        if (is_unknown_named(f, "X-Forwarded-Proto") || is_unknown_named(f, "X-Forwarded-Host") ||
            is_unknown_named(f, "X-Forwarded-Prefix") || is_unknown_named(f, "X-Request-Id") ||
            is_unknown_named(f, "X-CSRF-Token") || is_unknown_named(f, kApiKeyHeader)) {
          continue;
        }
        break;
      default:
        break;
    }
    append_field(out, f.name_string(), f.value());
  }
  out += "X-Forwarded-For: "sv;
  if (forwarded_for != 0) {
    for (const auto& f : req) {
      if (f.name() == bhttp::field::unknown && is_unknown_named(f, "X-Forwarded-For")) {
        out.append(f.value()).append(", "sv);
      }
    }
  }
  out.append(remote_ip).append("\r\n"sv);
  out += "X-Forwarded-Proto: http\r\n"sv;
  append_field(out, "X-Forwarded-Host", host);
  if (!prefix.empty()) append_field(out, "X-Forwarded-Prefix", prefix);
  append_field(out, "X-Request-Id", request_id);
  out.append("Host: "sv).append(upstream.host).append(":"sv);
  append_number(out, upstream.port);
  out += "\r\n"sv;
  if (framing == Framing::kLength) {
    out += "Content-Length: "sv;
    append_number(out, length);
    out += "\r\n"sv;
  } else if (framing == Framing::kChunked) {
    out += "Transfer-Encoding: chunked\r\n"sv;
  }
  out += "\r\n"sv;
}

/// The response header as sent to the client: without hop-by-hop fields and
/// what is_withheld() names, with X-Request-Id, the sandbox on a shared
/// origin, the app's CORS grant, and the framing chosen by relay_response().
void write_response_head(std::string& out, const ResponseParser& res, std::string_view request_id,
                         Framing framing, std::uint64_t length, bool keep_alive,
                         const ResponsePolicy& policy) {
  const HopByHop hop(res.fields, true);
  out.clear();
  out += "HTTP/1.1 "sv;
  append_number(out, res.status);
  out += ' ';
  out.append(res.reason.empty()
                 ? std::string_view(bhttp::obsolete_reason(static_cast<bhttp::status>(res.status)))
                 : res.reason);
  out += "\r\n"sv;
  for (const auto& f : res.fields) {
    if (hop.contains(f.name, f.name_string) || is_withheld(f, policy)) continue;
    append_field(out, f.name_string, f.value);
  }
  append_field(out, "X-Request-Id", request_id);
  if (policy.shared_origin) append_field(out, "Content-Security-Policy", kSandboxPolicy);
  if (!policy.cors_origin.empty()) {
    append_field(out, "Access-Control-Allow-Origin", policy.cors_origin);
    append_field(out, "Vary", "Origin");
  }
  if (framing == Framing::kLength) {
    out += "Content-Length: "sv;
    append_number(out, length);
    out += "\r\n"sv;
  } else if (framing == Framing::kChunked) {
    out += "Transfer-Encoding: chunked\r\n"sv;
  }
  if (!keep_alive) out += "Connection: close\r\n"sv;
  out += "\r\n"sv;
}

}  // namespace orsa::gateway
