#include "gateway/gateway.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "gateway/service_urls.hpp"
#include "http/passthrough.hpp"
#include "http/server.hpp"
#include "recorder.hpp"

namespace orsa::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::string_view_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 32 * 1024;  // body bytes moved per read/write
constexpr std::string_view kRetryAfterSeconds = "5";
constexpr std::chrono::seconds kSweepEvery{1};
constexpr std::chrono::milliseconds kTrustIdleFor{500};
constexpr std::chrono::seconds kReplyGrace{2};
// ORSA's cookies are orsa_session and orsa_csrf, "__Host-"-prefixed under
// TLS: every name in ORSA's namespace is held back, in any letter case.
constexpr std::string_view kPrivateCookiePrefix = "orsa_";
constexpr std::array<std::string_view, 2> kCookieNamePrefixes = {"__Host-", "__Secure-"};

// ---- the request target ----

/// /<owner>/<project><rest>, or <rest> on <project>--<owner>.<domain>:
/// views into the request.
struct Target {
  std::string_view owner;
  std::string_view project;
  std::string_view prefix;    // "/<owner>/<project>"; empty in domain mode
  std::string_view upstream;  // "<rest>?<query>" as sent upstream; rest starts with '/'
  bool needs_slash = false;   // "/<owner>/<project>" or "…?query": redirect
};

std::optional<Target> parse_target(std::string_view target) {
  if (!target.starts_with(kPathPrefix)) return std::nullopt;
  const std::size_t path_end = std::min(target.find('?'), target.size());
  const std::string_view path = target.substr(0, path_end);
  Target t;
  const std::size_t owner_end = path.find('/', kPathPrefix.size());
  if (owner_end == std::string_view::npos) return std::nullopt;
  t.owner = path.substr(kPathPrefix.size(), owner_end - kPathPrefix.size());
  const std::size_t project_end = std::min(path.find('/', owner_end + 1), path.size());
  t.project = path.substr(owner_end + 1, project_end - owner_end - 1);
  if (t.owner.empty() || t.project.empty()) return std::nullopt;
  t.prefix = target.substr(0, project_end);
  t.needs_slash = project_end == path.size();
  t.upstream = target.substr(project_end);
  return t;
}

/// Domain mode: the Host names the service, the whole target goes upstream.
std::optional<Target> parse_host_target(std::string_view target, std::string_view host,
                                        std::string_view domain) {
  if (!target.starts_with('/')) return std::nullopt;
  const auto name = parse_service_host(host, domain);
  if (!name) return std::nullopt;
  return Target{.owner = name->owner, .project = name->project, .upstream = target};
}

// ---- header rewriting ----
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

/// The upstream's response, parsed without a Beast fields container: the
/// fields stay views into the read buffer (valid until more is read into it),
/// and the body goes into the caller's buffer as with bhttp::buffer_body
/// (`data`/`size`: where the next body bytes go and how many fit).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  struct Field {
    bhttp::field name;
    std::string_view name_string;
    std::string_view value;
  };
  unsigned status = 0;
  std::string_view reason;
  boost::container::small_vector<Field, 24> fields;
  char* data = nullptr;
  std::size_t size = 0;

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       beast::error_code& ec) override {
    ec = bhttp::error::bad_method;  // not called for a response
  }
  void on_response_impl(int code, beast::string_view text, int, beast::error_code&) override {
    status = static_cast<unsigned>(code);
    reason = text;
    fields.clear();
  }
  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    fields.push_back({name, name_string, value});
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    if (data == nullptr) {
      ec = bhttp::error::need_buffer;
      return 0;
    }
    const std::size_t n = std::min(size, body.size());
    std::memcpy(data, body.data(), n);
    data += n;
    size -= n;
    if (n != body.size()) ec = bhttp::error::need_buffer;
    return n;
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(beast::error_code&) override {}
};

/// How a message body is framed on the wire.
enum class Framing { kNone, kLength, kChunked, kClose };

/// The request header as sent upstream: without hop-by-hop fields, the
/// caller's ORSA credentials (the deployed service runs its owner's code:
/// Authorization, ORSA's cookies, X-CSRF-Token) and
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
            is_unknown_named(f, "X-CSRF-Token")) {
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

/// What the gateway adds to, and holds back from, a service's response.
struct ResponsePolicy {
  bool shared_origin = true;     // every service on one origin: sandbox, no cookies
  std::string_view cors_origin;  // the app's origin when it sent the request
};

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

/// The size line of a chunk ("1a\r\n") into `buf`; its length.
std::size_t chunk_size_line(char (&buf)[24], std::size_t size) {
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 2, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<std::size_t>(end + 2 - buf);
}

/// Up to five buffers: [header] [chunk size line] [data] [chunk CRLF] [last chunk].
struct Gather {
  std::array<asio::const_buffer, 5> parts;
  std::size_t count = 0;
  char size_line[24];

  void add(asio::const_buffer b) {
    if (b.size() != 0) parts[count++] = b;
  }
  /// Body bytes in `framing`; `last`: the body ends with them.
  void body(Framing framing, const char* data, std::size_t n, bool last) {
    if (framing == Framing::kChunked) {
      if (n != 0) {
        add(asio::buffer(size_line, chunk_size_line(size_line, n)));
        add(asio::buffer(data, n));
        add(asio::buffer("\r\n", 2));
      }
      if (last) add(asio::buffer("0\r\n\r\n", 5));
    } else {
      add(asio::buffer(data, n));
    }
  }
  std::span<const asio::const_buffer> buffers() const { return {parts.data(), count}; }
};

bool idempotent(bhttp::verb method) {
  using bhttp::verb;
  return method == verb::get || method == verb::head || method == verb::put ||
         method == verb::delete_ || method == verb::options || method == verb::trace;
}

bool is_timeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

/// Whether an idle pooled socket is still usable: no EOF and no stray bytes.
bool looks_open(tcp::socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/// Whether the write of `parts` is not to start: nothing to write (`ec` clear)
/// or the deadline passed (`ec` timeout).
bool skip_write(const Gather& parts, const http::Deadline& deadline, beast::error_code& ec) {
  ec = {};
  if (parts.count == 0) return true;
  if (!deadline.expired()) return false;
  ec = beast::error::timeout;
  return true;
}

/// The write of `parts`, for co_await. Not a coroutine itself: a helper
/// coroutine would allocate a frame per write.
auto write_parts(tcp::socket& socket, const Gather& parts) {
  return asio::async_write(socket, parts.buffers(), kTuple);
}

// ---- upstream connections ----

/// A keep-alive connection to an upstream with its read buffer, body chunk
/// and header buffer. Its operations are bounded by the client connection's
/// Deadline (watch()), and complete on the client connection's strand (the
/// coroutine's executor), whichever executor the socket was opened with.
struct UpstreamConn {
  explicit UpstreamConn(const asio::any_io_executor& ex) : socket(ex) {
    // Reads take min(capacity, 64 KiB), but at least 512 bytes: without
    // capacity up front every read would be 512 bytes.
    buffer.reserve(kChunk);
  }
  tcp::socket socket;
  beast::flat_buffer buffer;
  std::unique_ptr<char[]> chunk{new char[kChunk]};  // body bytes in transit
  std::string head;                                 // the header being sent, either way
  Clock::time_point idle_since;
};
using ConnPtr = std::unique_ptr<UpstreamConn>;

struct UpstreamHash {
  std::size_t operator()(const Upstream& u) const {
    return std::hash<std::string_view>()(u.host) * 31 ^ u.port;
  }
};

/// Idle keep-alive connections per upstream, newest last. Thread-safe.
class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle, std::chrono::milliseconds idle_timeout)
      : max_idle_(max_idle), idle_timeout_(idle_timeout) {}

  /// A pooled connection that still looks open; null if none.
  /// `retryable`: the request may be resent if the connection turns out stale.
  ConnPtr acquire(const Upstream& upstream, bool retryable) {
    for (;;) {
      ConnPtr conn = take(upstream);
      if (!conn) return nullptr;
      // Upstreams close idle connections after a keep-alive timeout (gunicorn:
      // 2 s), so for a request forward() may resend, a connection idle this
      // briefly is trusted without the extra syscall. One that cannot be
      // resent (a body, a non-idempotent method) is always checked.
      const bool recent = Clock::now() - conn->idle_since < kTrustIdleFor;
      if ((!recent || !retryable) && !looks_open(conn->socket)) continue;
      return conn;
    }
  }

  /// Keeps a connection whose last exchange ended cleanly.
  void release(const Upstream& upstream, ConnPtr conn) {
    const auto now = Clock::now();
    conn->idle_since = now;
    std::vector<ConnPtr> doomed;  // closed outside the lock
    std::lock_guard lock(mutex_);
    auto& list = idle_[upstream];
    list.push_back(std::move(conn));
    if (list.size() > max_idle_) {
      doomed.push_back(std::move(list.front()));
      list.erase(list.begin());
    }
    if (now - last_sweep_ >= kSweepEvery) sweep(now, doomed);
  }

  /// Closes every idle connection.
  void clear() {
    std::lock_guard lock(mutex_);
    idle_.clear();
  }

 private:
  ConnPtr take(const Upstream& upstream) {
    std::vector<ConnPtr> doomed;
    std::lock_guard lock(mutex_);
    const auto it = idle_.find(upstream);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    // The oldest goes first when expired; the list is ordered by idle_since.
    if (!list.empty() && list.front()->idle_since < Clock::now() - idle_timeout_) {
      expire(list, Clock::now(), doomed);
    }
    if (list.empty()) return nullptr;
    ConnPtr conn = std::move(list.back());
    list.pop_back();
    return conn;
  }

  void expire(std::vector<ConnPtr>& list, Clock::time_point now, std::vector<ConnPtr>& doomed) {
    const auto cutoff = now - idle_timeout_;
    const auto live =
        std::ranges::find_if(list, [&](const ConnPtr& c) { return c->idle_since >= cutoff; });
    std::move(list.begin(), live, std::back_inserter(doomed));
    list.erase(list.begin(), live);
  }

  // Upstreams that get no more traffic (replaced deployments) close too.
  void sweep(Clock::time_point now, std::vector<ConnPtr>& doomed) {
    last_sweep_ = now;
    for (auto it = idle_.begin(); it != idle_.end();) {
      expire(it->second, now, doomed);
      it = it->second.empty() ? idle_.erase(it) : std::next(it);
    }
  }

  const std::size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  std::mutex mutex_;
  std::unordered_map<Upstream, std::vector<ConnPtr>, UpstreamHash> idle_;
  Clock::time_point last_sweep_ = Clock::now();
};

// ---- one exchange ----

/// The client side of one exchange.
struct Call {
  Call(http::PassthroughExchange& e, const Options& options)
      : ex(e), parser(std::move(e.parser)), deadline(start + options.request_timeout) {
    parser.body_limit(options.body_limit);
    ex.deadline.expires_at(deadline);
  }
  http::PassthroughExchange& ex;
  bhttp::request_parser<bhttp::buffer_body> parser;
  Clock::time_point start = Clock::now();
  Clock::time_point deadline;
  std::uint64_t bytes_in = 0;

  bhttp::request<bhttp::buffer_body>& req() { return parser.get(); }
  bool head() { return req().method() == bhttp::verb::head; }
  std::string_view target() { return {req().target().data(), req().target().size()}; }
  tcp::socket& socket() { return ex.stream.socket(); }
};

/// The upstream socket of an exchange is bounded by the client's deadline while this lives.
struct Watch {
  Watch(http::Deadline& d, tcp::socket& socket) : deadline(d) { deadline.watch(&socket); }
  ~Watch() { deadline.watch(nullptr); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  http::Deadline& deadline;
};

/// Counts a request in flight to an upstream while alive.
struct InFlight {
  explicit InFlight(UpstreamGauge& g) : gauge(g) { gauge.in_flight.fetch_add(1); }
  ~InFlight() { gauge.in_flight.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  UpstreamGauge& gauge;
};

/// Records the exchange into its deployment's counters when it ends, however it ends.
struct Recording {
  Recording(std::shared_ptr<RouteTable::Recorder> r, Call& c) : recorder(std::move(r)), call(c) {
    recorder->begin();
  }
  ~Recording() { recorder->finish(status, Clock::now() - call.start, call.bytes_in, bytes_out); }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  std::shared_ptr<RouteTable::Recorder> recorder;
  Call& call;
  int status = 499;  // destroyed mid-exchange: the server went away
  std::uint64_t bytes_out = 0;
};

http::Response not_found() {
  return http::error_response(Error::not_found("no service at this address"));
}

http::Response unavailable() {
  http::Response res = http::error_response(Error::unavailable("the service is not available"));
  res.set_header("Retry-After", std::string(kRetryAfterSeconds));
  return res;
}

http::Response upstream_failed(const beast::error_code& ec) {
  const bool timeout = is_timeout(ec);
  http::Response res = http::error_response(Error::unavailable(
      timeout ? "the service did not answer in time" : "the service failed to answer"));
  res.status = timeout ? 504 : 502;
  return res;
}

http::Response too_large(std::size_t limit) {
  return http::error_response(
      Error::too_large("request body exceeds " + std::to_string(limit) + " bytes"));
}

http::Response redirect(const Target& t, std::string_view target) {
  http::Response res;
  res.status = 308;
  std::string location(t.prefix);
  location += '/';
  location += target.substr(t.prefix.size());  // the query, if any
  res.set_header("Location", std::move(location));
  res.set_header("Content-Type", "text/plain; charset=utf-8");
  return res;
}

/// A CORS preflight: OPTIONS asking whether a cross-origin request may follow.
bool is_preflight(const bhttp::request<bhttp::buffer_body>& req) {
  return req.method() == bhttp::verb::options &&
         req.find(bhttp::field::access_control_request_method) != req.end();
}

/// The app may send JSON with a bearer token; never credentials (no cookies).
http::Response preflight_answer() {
  http::Response res;
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
  res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.set_header("Access-Control-Max-Age", "600");
  return res;
}

/// What the blocking authorize hook sees: the request without its body.
http::Request auth_request(Call& call) {
  http::Request r;
  r.method = call.req().method_string();
  r.target = call.target();
  const auto url = boost::urls::parse_uri_reference(r.target);
  r.path = url ? std::string(url->path()) : r.target.substr(0, r.target.find('?'));
  for (const auto& field : call.req()) {
    // Services take bearer tokens only: see Hooks::authorize.
    if (field.name() == bhttp::field::cookie) continue;
    auto [it, inserted] = r.headers.try_emplace(std::string(field.name_string()), field.value());
    if (!inserted) {
      it->second += beast::iequals(field.name_string(), "cookie") ? "; " : ", ";
      it->second += field.value();
    }
  }
  r.remote_ip = call.ex.remote_ip;
  r.request_id = call.ex.request_id;
  return r;
}

/// Writes a response of the gateway's own; the request body, if any, stays unread.
asio::awaitable<http::PassthroughResult> send_reply(Call& call, http::Response res) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  out.set(bhttp::field::server, "orsa");
  out.set("X-Request-Id", call.ex.request_id);
  const bool body_unread = !call.parser.is_done();
  const bool keep_alive = !body_unread && call.req().keep_alive();
  out.keep_alive(keep_alive);
  const bool head = call.head();
  const std::uint64_t bytes = head ? 0 : res.body.size();
  out.body() = std::move(res.body);
  out.prepare_payload();
  bhttp::response_serializer<bhttp::string_body> sr{out};
  // An answer to an exchange that ran out of time (504) still gets a moment to leave.
  http::Deadline& deadline = call.ex.deadline;
  deadline.expires_at(std::max(call.deadline, Clock::now() + kReplyGrace));
  beast::error_code ec;
  if (head) {
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(call.socket(), sr, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await bhttp::async_write(call.socket(), sr, kTuple);
  }
  ec = deadline.check(ec);
  using Next = http::PassthroughNext;
  const Next next = ec            ? Next::kClose
                    : keep_alive  ? Next::kKeepAlive
                    : body_unread ? Next::kLingerClose
                                  : Next::kClose;
  co_return http::PassthroughResult{res.status, bytes, next};
}

/// How sending the request upstream ended.
enum class Sent { kOk, kHeaderFailed, kBodyFailed, kClientFailed, kTooLarge };

}  // namespace

// ---- the proxy ----

class Gateway::Proxy final : public http::PassthroughHandler {
 public:
  Proxy(RouteTable& routes, Options options, Hooks hooks)
      : routes_(routes),
        options_(std::move(options)),
        hooks_(std::move(hooks)),
        pool_(options_.max_idle_per_upstream, options_.idle_timeout) {}

  asio::awaitable<http::PassthroughResult> serve(http::PassthroughExchange ex) override;
  void on_server_stopped() override { pool_.clear(); }
  bool domain_mode() const { return !options_.services_domain.empty(); }

 private:
  using Found = RouteTable::Recorder::Found;

  std::optional<Target> target_of(Call& call) const;
  std::string_view cors_origin(Call& call) const;
  ResponsePolicy response_policy(Call& call) const {
    return {.shared_origin = options_.services_domain.empty(), .cors_origin = cors_origin(call)};
  }
  asio::awaitable<bool> authorized(Call& call, const Route& route);
  asio::awaitable<Found> wait_for_wake(Call& call, const Target& t, Found found);
  asio::awaitable<http::PassthroughResult> forward(Call& call, const Target& t, Found found,
                                                   Recording& recording);
  asio::awaitable<beast::error_code> connect(Call& call, UpstreamConn& conn,
                                             const Upstream& upstream);
  asio::awaitable<Sent> send_request(Call& call, UpstreamConn& up, bool expect_continue,
                                     beast::error_code& ec);
  asio::awaitable<http::PassthroughResult> relay_response(Call& call, UpstreamConn& up,
                                                          ResponseParser& rp,
                                                          const Upstream& upstream,
                                                          Recording& recording, bool& reusable);
  asio::awaitable<http::PassthroughResult> reply(Call& call, http::Response res);

  RouteTable& routes_;
  const Options options_;
  const Hooks hooks_;
  ConnectionPool pool_;
};

asio::awaitable<http::PassthroughResult> Gateway::Proxy::serve(http::PassthroughExchange ex) {
  Call call(ex, options_);
  if (is_preflight(call.req()) && !cors_origin(call).empty()) {
    co_return co_await reply(call, preflight_answer());
  }
  const auto t = target_of(call);
  if (!t) co_return co_await reply(call, not_found());
  if (t->needs_slash) co_return co_await reply(call, redirect(*t, call.target()));
  Found found = RouteTable::Recorder::lookup(routes_, t->owner, t->project);
  if (!found.route) co_return co_await reply(call, not_found());
  Recording recording(found.recorder, call);
  http::PassthroughResult result;
  const auto length = call.parser.content_length();
  // (One coroutine rather than a helper per step: each call allocates a frame.)
  if (found.route->visibility == Visibility::kPrivate && !co_await authorized(call, *found.route)) {
    // An unauthorised caller gets the answer for a project that does not exist.
    result = co_await reply(call, not_found());
  } else if (length && *length > options_.body_limit) {
    result = co_await reply(call, too_large(options_.body_limit));
  } else {
    if (found.route->state == RouteState::kIdle) {
      found = co_await wait_for_wake(call, *t, std::move(found));
    }
    if (!found.route) {
      result = co_await reply(call, not_found());
    } else if (found.route->state != RouteState::kServing) {
      result = co_await reply(call, unavailable());
    } else {
      result = co_await forward(call, *t, std::move(found), recording);
    }
  }
  recording.status = result.status;
  recording.bytes_out = result.bytes;
  co_return result;
}

std::optional<Target> Gateway::Proxy::target_of(Call& call) const {
  if (options_.services_domain.empty()) return parse_target(call.target());
  const auto host = call.req()[bhttp::field::host];
  return parse_host_target(call.target(), {host.data(), host.size()}, options_.services_domain);
}

std::string_view Gateway::Proxy::cors_origin(Call& call) const {
  const auto origin = call.req()[bhttp::field::origin];
  if (options_.app_origin.empty() || origin != options_.app_origin) return {};
  return options_.app_origin;
}

asio::awaitable<bool> Gateway::Proxy::authorized(Call& call, const Route& route) {
  if (!hooks_.authorize) co_return false;
  const http::Request request = auth_request(call);
  // The hook reads the database: run it on the worker pool, resume on this strand.
  co_return co_await asio::co_spawn(
      call.ex.workers,
      [&]() -> asio::awaitable<bool> {
        try {
          co_return hooks_.authorize(route, request);
        } catch (const std::exception& e) {
          spdlog::error("request_id={} gateway authorize failed: {}", request.request_id, e.what());
        }
        co_return false;
      },
      asio::use_awaitable);
}

asio::awaitable<RouteTable::Recorder::Found> Gateway::Proxy::wait_for_wake(Call& call,
                                                                           const Target& t,
                                                                           Found found) {
  if (hooks_.wake) {
    try {
      hooks_.wake(*found.route);
    } catch (const std::exception& e) {
      spdlog::error("request_id={} gateway wake failed: {}", call.ex.request_id, e.what());
    }
  }
  // `t` views the request target, which is not rewritten before forward().
  asio::steady_timer timer(call.ex.stream.get_executor());
  const auto until = Clock::now() + options_.wake_timeout;
  for (auto now = Clock::now(); now < until; now = Clock::now()) {
    timer.expires_after(std::min<Clock::duration>(options_.wake_poll, until - now));
    co_await timer.async_wait(kTuple);
    Found next = RouteTable::Recorder::lookup(routes_, t.owner, t.project);
    if (!next.route || next.route->state == RouteState::kServing) co_return next;
  }
  co_return found;
}

asio::awaitable<beast::error_code> Gateway::Proxy::connect(Call& call, UpstreamConn& conn,
                                                           const Upstream& upstream) {
  http::Deadline& deadline = call.ex.deadline;
  deadline.expires_at(std::min(call.deadline, Clock::now() + options_.connect_timeout));
  beast::error_code ec;
  const auto address = asio::ip::make_address(upstream.host, ec);
  if (!ec) {
    auto [connect_ec] =
        co_await conn.socket.async_connect(tcp::endpoint(address, upstream.port), kTuple);
    ec = deadline.check(connect_ec);
  } else {
    tcp::resolver resolver(conn.socket.get_executor());
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(upstream.host, std::to_string(upstream.port), kTuple);
    if (resolve_ec) co_return resolve_ec;
    if (deadline.expired()) co_return beast::error::timeout;
    auto [connect_ec, endpoint] = co_await asio::async_connect(conn.socket, endpoints, kTuple);
    ec = deadline.check(connect_ec);
  }
  deadline.expires_at(call.deadline);
  if (!ec) conn.socket.set_option(tcp::no_delay(true), ec);
  co_return ec;
}

asio::awaitable<Sent> Gateway::Proxy::send_request(Call& call, UpstreamConn& up,
                                                   bool expect_continue, beast::error_code& ec) {
  const http::Deadline& deadline = call.ex.deadline;
  auto& req = call.req();
  const bool chunked = call.parser.chunked();
  {
    Gather out;
    out.add(asio::buffer(up.head));
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(up.socket, out)));
    }
    if (ec) co_return Sent::kHeaderFailed;
  }
  if (call.parser.is_done()) co_return Sent::kOk;
  if (expect_continue) {
    // Asked only once the upstream took the header, so a client that waits
    // for it does not send a body we would have to drain.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    Gather out;
    out.add(asio::buffer(kContinue));
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return Sent::kClientFailed;
  }
  for (bool done = false; !done;) {
    req.body() = {up.chunk.get(), kChunk, true};
    beast::error_code read_ec;
    if (!http::parse_buffered(call.ex.buffer, call.parser, read_ec)) {
      read_ec =
          co_await http::async_parse_some(call.socket(), call.ex.buffer, call.parser, deadline);
    }
    if (read_ec == bhttp::error::body_limit) co_return Sent::kTooLarge;
    if (read_ec && read_ec != bhttp::error::need_buffer) {
      ec = read_ec;
      co_return Sent::kClientFailed;
    }
    const std::size_t got = kChunk - req.body().size;
    call.bytes_in += got;
    done = call.parser.is_done();
    if (got == 0 && !done) continue;
    Gather out;
    out.body(chunked ? Framing::kChunked : Framing::kLength, up.chunk.get(), got, done);
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(up.socket, out)));
    }
    if (ec) co_return Sent::kBodyFailed;
  }
  co_return Sent::kOk;
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::forward(Call& call, const Target& t,
                                                                 Found found,
                                                                 Recording& recording) {
  const Route& route = *found.route;
  InFlight in_flight(*found.upstream);
  const bool has_body = !call.parser.is_done();
  const bool retry_after_send = idempotent(call.req().method()) && !has_body;
  const bool head = call.head();
  const bool expect_continue =
      has_body && beast::iequals(call.req()[bhttp::field::expect], "100-continue");
  const auto length = call.parser.content_length();
  const Framing framing = length                  ? Framing::kLength
                          : call.parser.chunked() ? Framing::kChunked
                                                  : Framing::kNone;
  const auto executor = call.ex.stream.get_executor();
  std::optional<ResponseParser> rp;
  ConnPtr up;
  std::optional<Watch> watch;
  std::string head_bytes;  // the request header, kept for a retry on another connection
  for (int attempt = 0;; ++attempt) {
    watch.reset();
    if (up) head_bytes = std::move(up->head);
    up = pool_.acquire(route.upstream, retry_after_send);
    const bool pooled = up != nullptr;
    if (!pooled) up = std::make_unique<UpstreamConn>(executor);
    watch.emplace(call.ex.deadline, up->socket);
    if (attempt == 0) {
      // `t` views the request target, which stays as the client sent it.
      write_request_head(up->head, call.req(), t.upstream, t.prefix, route.upstream,
                         call.ex.remote_ip, call.ex.request_id, framing, length.value_or(0));
    } else {
      up->head = std::move(head_bytes);
    }
    if (!pooled) {
      if (auto ec = co_await connect(call, *up, route.upstream); ec) {
        spdlog::warn("request_id={} gateway: connecting to {}:{} failed: {}", call.ex.request_id,
                     route.upstream.host, route.upstream.port, ec.message());
        co_return co_await reply(call, upstream_failed(ec));
      }
    }
    beast::error_code ec;
    Sent sent = Sent::kOk;
    if (has_body) {
      sent = co_await send_request(call, *up, expect_continue, ec);
    } else {
      Gather out;
      out.add(asio::buffer(up->head));
      if (!skip_write(out, call.ex.deadline, ec)) {
        ec = call.ex.deadline.check(std::get<0>(co_await write_parts(up->socket, out)));
      }
      if (ec) sent = Sent::kHeaderFailed;
    }
    // One retry on a pooled connection the upstream may have closed while it
    // sat idle (the race every keep-alive client has):
    // - the header write failed: nothing of the request can have been acted
    //   on and nothing of the client's body has been consumed yet, so any
    //   method is safe to resend;
    // - the write went out but the connection then ended before any byte of
    //   a response: the upstream may or may not have processed it, so only
    //   idempotent methods without a body (which we could not replay) are
    //   resent (RFC 9110 §9.2.2).
    // A fresh connection's failure is the upstream's answer: never retried.
    const bool may_retry = pooled && attempt == 0 && !is_timeout(ec);
    if (sent == Sent::kHeaderFailed && may_retry) continue;
    if (sent == Sent::kTooLarge) co_return co_await reply(call, too_large(options_.body_limit));
    if (sent == Sent::kClientFailed) {
      co_return http::PassthroughResult{499, 0, http::PassthroughNext::kClose};
    }
    if (sent != Sent::kOk) co_return co_await reply(call, upstream_failed(ec));

    // Interim 1xx answers are dropped (100-continue was answered to the client already).
    for (;;) {
      rp.emplace();
      rp->header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // The response body streams through a fixed chunk: no limit needed.
      rp->body_limit(boost::none);
      if (head) rp->skip(true);
      ec = {};
      if (!http::parse_buffered(up->buffer, *rp, ec) || (!ec && !rp->is_header_done())) {
        ec = co_await http::async_parse_header(up->socket, up->buffer, *rp, call.ex.deadline);
      }
      if (ec) break;
      const unsigned status = rp->status;
      if (status < 100 || status >= 200 || status == 101) break;
    }
    const bool nothing_received = ec == bhttp::error::end_of_stream ||
                                  (ec == asio::error::connection_reset && up->buffer.size() == 0);
    if (ec && may_retry && retry_after_send && nothing_received) continue;
    if (!ec && rp->status == 101) ec = bhttp::error::bad_version;
    if (ec) {
      spdlog::warn("request_id={} gateway: reading the response of {}:{} failed: {}",
                   call.ex.request_id, route.upstream.host, route.upstream.port, ec.message());
      co_return co_await reply(call, upstream_failed(ec));
    }
    break;
  }
  bool reusable = false;
  auto result = co_await relay_response(call, *up, *rp, route.upstream, recording, reusable);
  watch.reset();
  if (reusable) pool_.release(route.upstream, std::move(up));
  co_return result;
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::relay_response(
    Call& call, UpstreamConn& up, ResponseParser& rp, const Upstream& upstream,
    Recording& recording, bool& reusable) {
  const http::Deadline& deadline = call.ex.deadline;
  const int status = static_cast<int>(rp.status);
  recording.status = status;
  const auto length = rp.content_length();
  const bool upstream_chunked = rp.chunked();
  const bool header_only = rp.is_done();  // HEAD, 204, 304, or an empty body
  bool keep_alive = call.req().keep_alive() && call.req().version() == 11;
  Framing framing = Framing::kNone;
  if (length) {
    framing = Framing::kLength;
  } else if (upstream_chunked || (!header_only && keep_alive)) {
    framing = Framing::kChunked;
  } else if (!header_only) {
    framing = Framing::kClose;
    keep_alive = false;  // a close-delimited body to an HTTP/1.0 client
  }
  // Body bytes of a length-delimited or close-delimited response are sent as
  // they come; those of a chunked one are framed anew.
  const Framing body_framing = framing == Framing::kChunked ? Framing::kChunked : Framing::kLength;
  // Before anything more is read into up.buffer, which the parsed fields view.
  write_response_head(up.head, rp, call.ex.request_id, framing, length.value_or(0), keep_alive,
                      response_policy(call));

  std::uint64_t bytes = 0;
  const auto aborted = [&] {
    return http::PassthroughResult{status, bytes, http::PassthroughNext::kClose};
  };
  // When body bytes came with the header (small responses), header and body
  // leave in one write. Otherwise the header goes now, so a client of a slow
  // stream (server-sent events) sees the response start at once.
  bool head_sent = false;
  if (header_only || up.buffer.size() == 0) {
    Gather out;
    out.add(asio::buffer(up.head));
    beast::error_code ec;
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return http::PassthroughResult{499, 0, http::PassthroughNext::kClose};
    head_sent = true;
  }
  for (bool done = header_only; !done;) {
    rp.data = up.chunk.get();
    rp.size = kChunk;
    beast::error_code read_ec;
    if (!http::parse_buffered(up.buffer, rp, read_ec)) {
      read_ec = co_await http::async_parse_some(up.socket, up.buffer, rp, deadline);
    }
    if (read_ec && read_ec != bhttp::error::need_buffer) {
      // Too late for an error status: the client sees the connection end early.
      spdlog::warn("request_id={} gateway: upstream {}:{} failed mid-body: {}", call.ex.request_id,
                   upstream.host, upstream.port, read_ec.message());
      co_return aborted();
    }
    const std::size_t got = kChunk - rp.size;
    done = rp.is_done();
    if (got == 0 && !done) continue;
    bytes += got;
    Gather out;
    if (!head_sent) out.add(asio::buffer(up.head));
    out.body(body_framing, up.chunk.get(), got, done);
    beast::error_code ec;
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return aborted();
    head_sent = true;
  }
  // Reused only after a complete exchange with nothing read beyond it.
  reusable = rp.is_done() && rp.keep_alive() && up.buffer.size() == 0;
  co_return http::PassthroughResult{
      status, bytes,
      keep_alive ? http::PassthroughNext::kKeepAlive : http::PassthroughNext::kClose};
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::reply(Call& call, http::Response res) {
  if (options_.services_domain.empty()) {
    res.set_header("Content-Security-Policy", std::string(kSandboxPolicy));
  }
  if (const auto origin = cors_origin(call); !origin.empty()) {
    res.set_header("Access-Control-Allow-Origin", std::string(origin));
    res.set_header("Vary", "Origin");
  }
  co_return co_await send_reply(call, std::move(res));
}

// ---- Gateway ----

Gateway::Gateway(RouteTable& routes, Options options, Hooks hooks)
    : proxy_(std::make_shared<Proxy>(routes, std::move(options), std::move(hooks))) {}

Gateway::~Gateway() = default;

void Gateway::mount(http::Server& server) {
  const auto label = proxy_->domain_mode() ? kDomainRouteLabel : kRouteLabel;
  server.set_passthrough(std::string(kPathPrefix), std::string(label), proxy_);
}

std::shared_ptr<http::PassthroughHandler> Gateway::handler() const {
  return proxy_;
}

namespace {

/// The old /s/ paths on ORSA's origin: a redirect to the service, whether or
/// not it exists (the answer must not tell), and nothing else.
class LegacyRedirect final : public http::PassthroughHandler {
 public:
  explicit LegacyRedirect(ServiceUrlOf service_url) : service_url_(std::move(service_url)) {}

  asio::awaitable<http::PassthroughResult> serve(http::PassthroughExchange ex) override {
    Call call(ex, options_);
    co_return co_await send_reply(call, answer(call.target()));
  }

 private:
  http::Response answer(std::string_view target) const {
    // "/s/<owner>/<project><rest>" parsed as the services listener parses "/<owner>/…".
    const auto t = parse_target(target.substr(kLegacyPrefix.size() - 1));
    if (!t) return not_found();
    auto location = service_url_(t->owner, t->project);
    if (!location) return not_found();
    std::string_view rest = t->upstream;  // "", "?query", "/path…"
    if (rest.starts_with('/')) rest.remove_prefix(1);
    location->append(rest);
    http::Response res;
    res.status = 308;  // unlike 301/302, keeps the method and the body
    res.set_header("Location", std::move(*location));
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    return res;
  }

  const Options options_;
  const ServiceUrlOf service_url_;
};

}  // namespace

void mount_legacy_redirect(http::Server& server, ServiceUrlOf service_url) {
  server.set_passthrough(std::string(kLegacyPrefix), std::string(kLegacyRouteLabel),
                         std::make_shared<LegacyRedirect>(std::move(service_url)));
}

}  // namespace orsa::gateway
