#include "gateway/gateway.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
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
#include <boost/url/parse.hpp>
#include <cerrno>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "gateway/recorder.hpp"
#include "http/passthrough.hpp"
#include "http/server.hpp"

namespace orsa::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 32 * 1024;  // body bytes moved per read/write
constexpr std::string_view kRetryAfterSeconds = "5";
constexpr std::chrono::seconds kSweepEvery{1};
constexpr std::chrono::milliseconds kTrustIdleFor{500};
constexpr std::array<std::string_view, 2> kPrivateCookies = {"orsa_session", "orsa_csrf"};

// ---- the request target ----

/// /s/<owner>/<project><rest>: views into the request target.
struct Target {
  std::string_view owner;
  std::string_view project;
  std::string_view prefix;    // "/s/<owner>/<project>"
  std::string_view upstream;  // "<rest>?<query>" as sent upstream; rest starts with '/'
  bool needs_slash = false;   // "/s/<owner>/<project>" or "…?query": redirect
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

// ---- header rewriting ----

constexpr std::array kHopByHop = {bhttp::field::keep_alive,
                                  bhttp::field::proxy_authenticate,
                                  bhttp::field::proxy_authorization,
                                  bhttp::field::te,
                                  bhttp::field::trailer,
                                  bhttp::field::transfer_encoding,
                                  bhttp::field::upgrade,
                                  bhttp::field::proxy_connection,
                                  bhttp::field::connection};

/// Removes hop-by-hop fields, including those named in Connection (RFC 9110 §7.6.1).
void strip_hop_by_hop(bhttp::fields& fields) {
  // Collected first: erasing while walking the Connection range could remove
  // the element its end iterator points to. The views stay valid because
  // Connection fields themselves go last. Past 16 names a sender is abusive;
  // the rest are simply forwarded (nothing they could not have sent anyway).
  std::array<std::string_view, 16> named;
  std::size_t count = 0;
  for (auto [it, end] = fields.equal_range(bhttp::field::connection); it != end; ++it) {
    for (const auto token : bhttp::token_list{it->value()}) {
      if (count < named.size() && !beast::iequals(token, "connection")) named[count++] = token;
    }
  }
  for (std::size_t i = 0; i < count; ++i) fields.erase(named[i]);
  for (const auto name : kHopByHop) fields.erase(name);
}

bool is_private_cookie(std::string_view pair) {
  while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
  const std::string_view name = pair.substr(0, pair.find('='));
  return std::ranges::any_of(kPrivateCookies, [&](std::string_view c) { return c == name; });
}

/// The Cookie value without ORSA's own cookies ("" if none is left).
std::string without_private_cookies(std::string_view value) {
  std::string out;
  while (!value.empty()) {
    const std::size_t end = std::min(value.find(';'), value.size());
    std::string_view pair = value.substr(0, end);
    value.remove_prefix(std::min(end + 1, value.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.empty() || is_private_cookie(pair)) continue;
    if (!out.empty()) out += "; ";
    out += pair;
  }
  return out;
}

// The deployed service runs its owner's code: the caller's ORSA credentials
// must never reach it.
void strip_credentials(bhttp::fields& fields) {
  fields.erase(bhttp::field::authorization);
  bool has_private = false;
  for (auto [it, end] = fields.equal_range(bhttp::field::cookie); it != end; ++it) {
    has_private = has_private || it->value().find("orsa_") != std::string_view::npos;
  }
  if (!has_private) return;
  std::vector<std::string> kept;
  for (auto [it, end] = fields.equal_range(bhttp::field::cookie); it != end; ++it) {
    std::string value = without_private_cookies(it->value());
    if (!value.empty()) kept.push_back(std::move(value));
  }
  fields.erase(bhttp::field::cookie);
  for (const auto& value : kept) fields.insert(bhttp::field::cookie, value);
}

void set_forwarded(bhttp::fields& fields, std::string_view remote_ip, std::string_view prefix,
                   std::string_view request_id) {
  std::string chain;
  for (auto [it, end] = fields.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!chain.empty()) chain += ", ";
    chain += it->value();
  }
  if (!chain.empty()) chain += ", ";
  chain += remote_ip;
  fields.set("X-Forwarded-For", chain);
  fields.set("X-Forwarded-Proto", "http");
  fields.set("X-Forwarded-Host", fields[bhttp::field::host]);
  fields.set("X-Forwarded-Prefix", prefix);
  fields.set("X-Request-Id", request_id);
}

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

// ---- upstream connections ----

/// A keep-alive connection to an upstream with its read buffer and body chunk.
struct UpstreamConn {
  explicit UpstreamConn(asio::any_io_executor ex) : stream(std::move(ex)) {
    // Beast reads min(capacity, 64 KiB), but at least 512 bytes: without
    // capacity up front every read would be 512 bytes.
    buffer.reserve(kChunk);
  }
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::unique_ptr<char[]> chunk = std::make_unique<char[]>(kChunk);
  Clock::time_point idle_since;
};
using ConnPtr = std::unique_ptr<UpstreamConn>;

// A tcp_stream completes its timeouts on the executor it was built with, so a
// connection must only be used from that strand. One taken over by another
// client connection's strand gets its descriptor re-registered under the new
// strand (two epoll_ctl calls); the pool prefers connections already there.
ConnPtr rebind(ConnPtr conn, const asio::any_io_executor& ex) {
  beast::error_code ec;
  tcp::socket socket = conn->stream.release_socket();
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return nullptr;
  const int fd = socket.release(ec);
  if (ec) return nullptr;
  auto fresh = std::make_unique<UpstreamConn>(ex);
  fresh->buffer = std::move(conn->buffer);
  fresh->chunk = std::move(conn->chunk);
  fresh->stream.socket().assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return nullptr;
  }
  return fresh;
}

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

  /// A pooled connection that still looks open, bound to `ex`; null if none.
  /// `retryable`: the request may be resent if the connection turns out stale.
  ConnPtr acquire(const Upstream& upstream, const asio::any_io_executor& ex, bool retryable) {
    for (;;) {
      ConnPtr conn = take(upstream, ex);
      if (!conn) return nullptr;
      // Upstreams close idle connections after a keep-alive timeout (gunicorn:
      // 2 s), so for a request forward() may resend, a connection idle this
      // briefly is trusted without the extra syscall. One that cannot be
      // resent (a body, a non-idempotent method) is always checked.
      const bool recent = Clock::now() - conn->idle_since < kTrustIdleFor;
      if ((!recent || !retryable) && !looks_open(conn->stream.socket())) continue;
      if (conn->stream.get_executor() != ex) conn = rebind(std::move(conn), ex);
      if (conn) return conn;
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
  ConnPtr take(const Upstream& upstream, const asio::any_io_executor& ex) {
    std::vector<ConnPtr> doomed;
    std::lock_guard lock(mutex_);
    const auto it = idle_.find(upstream);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    expire(list, Clock::now(), doomed);
    if (list.empty()) return nullptr;
    auto pick = list.end() - 1;
    for (auto i = list.rbegin(); i != list.rend(); ++i) {
      if ((*i)->stream.get_executor() == ex) {
        pick = std::next(i).base();
        break;
      }
    }
    ConnPtr conn = std::move(*pick);
    list.erase(pick);
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
  }
  http::PassthroughExchange& ex;
  bhttp::request_parser<bhttp::buffer_body> parser;
  Clock::time_point start = Clock::now();
  Clock::time_point deadline;
  std::uint64_t bytes_in = 0;

  bhttp::request<bhttp::buffer_body>& req() { return parser.get(); }
  bool head() { return req().method() == bhttp::verb::head; }
  std::string_view target() { return {req().target().data(), req().target().size()}; }
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

/// What the blocking authorize hook sees: the request without its body.
http::Request auth_request(Call& call) {
  http::Request r;
  r.method = call.req().method_string();
  r.target = call.target();
  const auto url = boost::urls::parse_uri_reference(r.target);
  r.path = url ? std::string(url->path()) : r.target.substr(0, r.target.find('?'));
  for (const auto& field : call.req()) {
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

 private:
  using Found = RouteTable::Recorder::Found;

  asio::awaitable<http::PassthroughResult> serve_route(Call& call, const Target& t, Found found,
                                                       Recording& recording);
  asio::awaitable<bool> authorized(Call& call, const Route& route);
  asio::awaitable<Found> wait_for_wake(Call& call, const Target& t, Found found);
  asio::awaitable<http::PassthroughResult> forward(Call& call, const Target& t, Found found,
                                                   Recording& recording);
  asio::awaitable<beast::error_code> connect(UpstreamConn& conn, const Upstream& upstream,
                                             Clock::time_point deadline);
  asio::awaitable<Sent> send_request(Call& call, UpstreamConn& up, bool expect_continue,
                                     beast::error_code& ec);
  asio::awaitable<http::PassthroughResult> relay_response(
      Call& call, ConnPtr up, bhttp::response_parser<bhttp::buffer_body>& rp,
      const Upstream& upstream, Recording& recording);
  asio::awaitable<http::PassthroughResult> reply(Call& call, http::Response res);

  void prepare_request(Call& call, const Target& t, const Route& route);

  RouteTable& routes_;
  const Options options_;
  const Hooks hooks_;
  ConnectionPool pool_;
};

asio::awaitable<http::PassthroughResult> Gateway::Proxy::serve(http::PassthroughExchange ex) {
  Call call(ex, options_);
  const auto t = parse_target(call.target());
  if (!t) co_return co_await reply(call, not_found());
  if (t->needs_slash) co_return co_await reply(call, redirect(*t, call.target()));
  Found found = RouteTable::Recorder::lookup(routes_, t->owner, t->project);
  if (!found.route) co_return co_await reply(call, not_found());
  Recording recording(found.recorder, call);
  auto result = co_await serve_route(call, *t, std::move(found), recording);
  recording.status = result.status;
  recording.bytes_out = result.bytes;
  co_return result;
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::serve_route(Call& call, const Target& t,
                                                                     Found found,
                                                                     Recording& recording) {
  // An unauthorised caller gets the answer for a project that does not exist.
  if (found.route->visibility == Visibility::kPrivate && !co_await authorized(call, *found.route)) {
    co_return co_await reply(call, not_found());
  }
  if (const auto length = call.parser.content_length(); length && *length > options_.body_limit) {
    co_return co_await reply(call, too_large(options_.body_limit));
  }
  if (found.route->state == RouteState::kIdle) {
    found = co_await wait_for_wake(call, t, std::move(found));
    if (!found.route) co_return co_await reply(call, not_found());
  }
  if (found.route->state != RouteState::kServing) co_return co_await reply(call, unavailable());
  co_return co_await forward(call, t, std::move(found), recording);
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

void Gateway::Proxy::prepare_request(Call& call, const Target& t, const Route& route) {
  auto& req = call.req();
  const bool has_body = !call.parser.is_done();
  const auto length = call.parser.content_length();
  const bool chunked = call.parser.chunked();
  strip_hop_by_hop(req.base());
  strip_credentials(req.base());
  // 100-continue is answered to the client here; the upstream gets the body straight away.
  req.erase(bhttp::field::expect);
  set_forwarded(req.base(), call.ex.remote_ip, t.prefix, call.ex.request_id);
  req.set(bhttp::field::host, route.upstream.host + ":" + std::to_string(route.upstream.port));
  // Framing is rebuilt from what the parser saw, never from fields a Connection
  // header could have removed.
  if (length) {
    req.content_length(*length);
  } else if (chunked) {
    req.chunked(true);
  }
  req.version(11);
  req.keep_alive(true);
  req.body() = bhttp::buffer_body::value_type{nullptr, 0, has_body};
  // Last: `t` views the old target.
  req.target(t.upstream);
}

asio::awaitable<beast::error_code> Gateway::Proxy::connect(UpstreamConn& conn,
                                                           const Upstream& upstream,
                                                           Clock::time_point deadline) {
  beast::error_code ec;
  conn.stream.expires_at(std::min(deadline, Clock::now() + options_.connect_timeout));
  const auto address = asio::ip::make_address(upstream.host, ec);
  if (!ec) {
    auto [connect_ec] =
        co_await conn.stream.async_connect(tcp::endpoint(address, upstream.port), kTuple);
    ec = connect_ec;
  } else {
    tcp::resolver resolver(conn.stream.get_executor());
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(upstream.host, std::to_string(upstream.port), kTuple);
    if (resolve_ec) co_return resolve_ec;
    auto [connect_ec, endpoint] = co_await conn.stream.async_connect(endpoints, kTuple);
    ec = connect_ec;
  }
  if (!ec) conn.stream.socket().set_option(tcp::no_delay(true), ec);
  co_return ec;
}

asio::awaitable<Sent> Gateway::Proxy::send_request(Call& call, UpstreamConn& up,
                                                   bool expect_continue, beast::error_code& ec) {
  auto& req = call.req();
  bhttp::request_serializer<bhttp::buffer_body> sr{req};
  up.stream.expires_at(call.deadline);
  std::tie(ec, std::ignore) = co_await bhttp::async_write_header(up.stream, sr, kTuple);
  if (ec) co_return Sent::kHeaderFailed;
  if (call.parser.is_done()) co_return Sent::kOk;
  if (expect_continue) {
    // Asked only once the upstream took the header, so a client that waits
    // for it does not send a body we would have to drain.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    call.ex.stream.expires_at(call.deadline);
    auto [continue_ec, n] =
        co_await asio::async_write(call.ex.stream, asio::buffer(kContinue), kTuple);
    if (continue_ec) {
      ec = continue_ec;
      co_return Sent::kClientFailed;
    }
  }
  while (!sr.is_done()) {
    if (!call.parser.is_done()) {
      req.body() = {up.chunk.get(), kChunk, true};
      call.ex.stream.expires_at(call.deadline);
      auto [read_ec, n] =
          co_await bhttp::async_read_some(call.ex.stream, call.ex.buffer, call.parser, kTuple);
      if (read_ec == bhttp::error::body_limit) co_return Sent::kTooLarge;
      if (read_ec && read_ec != bhttp::error::need_buffer) {
        ec = read_ec;
        co_return Sent::kClientFailed;
      }
      const std::size_t got = kChunk - req.body().size;
      call.bytes_in += got;
      req.body() = {got == 0 ? nullptr : up.chunk.get(), got, !call.parser.is_done()};
      if (got == 0 && !call.parser.is_done()) continue;
    } else {
      req.body() = {nullptr, 0, false};
    }
    up.stream.expires_at(call.deadline);
    std::tie(ec, std::ignore) = co_await bhttp::async_write(up.stream, sr, kTuple);
    if (ec == bhttp::error::need_buffer) ec = {};
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
  prepare_request(call, t, route);
  const auto executor = call.ex.stream.get_executor();
  std::optional<bhttp::response_parser<bhttp::buffer_body>> rp;
  ConnPtr up;
  for (int attempt = 0;; ++attempt) {
    up = pool_.acquire(route.upstream, executor, retry_after_send);
    const bool pooled = up != nullptr;
    if (!pooled) {
      up = std::make_unique<UpstreamConn>(executor);
      if (auto ec = co_await connect(*up, route.upstream, call.deadline); ec) {
        spdlog::warn("request_id={} gateway: connecting to {}:{} failed: {}", call.ex.request_id,
                     route.upstream.host, route.upstream.port, ec.message());
        co_return co_await reply(call, upstream_failed(ec));
      }
    }
    beast::error_code ec;
    const Sent sent = co_await send_request(call, *up, expect_continue, ec);
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
      up->stream.expires_at(call.deadline);
      std::tie(ec, std::ignore) =
          co_await bhttp::async_read_header(up->stream, up->buffer, *rp, kTuple);
      if (ec) break;
      const unsigned status = rp->get().result_int();
      if (status < 100 || status >= 200 || status == 101) break;
    }
    const bool nothing_received = ec == bhttp::error::end_of_stream ||
                                  (ec == asio::error::connection_reset && up->buffer.size() == 0);
    if (ec && may_retry && retry_after_send && nothing_received) continue;
    if (!ec && rp->get().result_int() == 101) ec = bhttp::error::bad_version;
    if (ec) {
      spdlog::warn("request_id={} gateway: reading the response of {}:{} failed: {}",
                   call.ex.request_id, route.upstream.host, route.upstream.port, ec.message());
      co_return co_await reply(call, upstream_failed(ec));
    }
    break;
  }
  co_return co_await relay_response(call, std::move(up), *rp, route.upstream, recording);
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::relay_response(
    Call& call, ConnPtr up, bhttp::response_parser<bhttp::buffer_body>& rp,
    const Upstream& upstream, Recording& recording) {
  auto& res = rp.get();
  const int status = static_cast<int>(res.result_int());
  recording.status = status;
  const auto length = rp.content_length();
  const bool upstream_chunked = rp.chunked();
  const bool header_only = rp.is_done();  // HEAD, 204, 304, or an empty body
  strip_hop_by_hop(res.base());
  // A deployed service must not set cookies on ORSA's origin.
  res.erase(bhttp::field::set_cookie);
  res.set("X-Request-Id", call.ex.request_id);
  res.version(11);
  bool keep_alive = call.req().keep_alive() && call.req().version() == 11;
  if (length) {
    res.content_length(*length);
  } else if (upstream_chunked || (!header_only && keep_alive)) {
    res.chunked(true);
  } else if (!header_only) {
    keep_alive = false;  // a close-delimited body to an HTTP/1.0 client
  }
  res.keep_alive(keep_alive);
  res.body() = {nullptr, 0, !header_only};

  bhttp::response_serializer<bhttp::buffer_body> sr{res};
  beast::error_code ec;
  // When body bytes came with the header (small responses), header and body
  // leave in one write. Otherwise the header goes now, so a client of a slow
  // stream (server-sent events) sees the response start at once.
  if (header_only || up->buffer.size() == 0) {
    call.ex.stream.expires_at(call.deadline);
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(call.ex.stream, sr, kTuple);
    if (ec) co_return http::PassthroughResult{499, 0, http::PassthroughNext::kClose};
  }
  std::uint64_t bytes = 0;
  const auto aborted = [&] {
    return http::PassthroughResult{status, bytes, http::PassthroughNext::kClose};
  };
  while (!header_only && !sr.is_done()) {
    if (!rp.is_done()) {
      res.body() = {up->chunk.get(), kChunk, true};
      up->stream.expires_at(call.deadline);
      auto [read_ec, got_n] = co_await bhttp::async_read_some(up->stream, up->buffer, rp, kTuple);
      if (read_ec && read_ec != bhttp::error::need_buffer) {
        // Too late for an error status: the client sees the connection end early.
        spdlog::warn("request_id={} gateway: upstream {}:{} failed mid-body: {}",
                     call.ex.request_id, upstream.host, upstream.port, read_ec.message());
        co_return aborted();
      }
      const std::size_t got = kChunk - res.body().size;
      res.body() = {got == 0 ? nullptr : up->chunk.get(), got, !rp.is_done()};
      if (got == 0 && !rp.is_done()) continue;
      bytes += got;
    } else {
      res.body() = {nullptr, 0, false};
    }
    call.ex.stream.expires_at(call.deadline);
    std::tie(ec, std::ignore) = co_await bhttp::async_write(call.ex.stream, sr, kTuple);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return aborted();
  }
  // Reused only after a complete exchange with nothing read beyond it.
  if (rp.is_done() && rp.keep_alive() && up->buffer.size() == 0) {
    pool_.release(upstream, std::move(up));
  }
  co_return http::PassthroughResult{
      status, bytes,
      keep_alive ? http::PassthroughNext::kKeepAlive : http::PassthroughNext::kClose};
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::reply(Call& call, http::Response res) {
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
  call.ex.stream.expires_at(call.deadline);
  beast::error_code ec;
  if (head) {
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(call.ex.stream, sr, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await bhttp::async_write(call.ex.stream, sr, kTuple);
  }
  using Next = http::PassthroughNext;
  const Next next = ec            ? Next::kClose
                    : keep_alive  ? Next::kKeepAlive
                    : body_unread ? Next::kLingerClose
                                  : Next::kClose;
  co_return http::PassthroughResult{res.status, bytes, next};
}

// ---- Gateway ----

Gateway::Gateway(RouteTable& routes, Options options, Hooks hooks)
    : proxy_(std::make_shared<Proxy>(routes, std::move(options), std::move(hooks))) {}

Gateway::~Gateway() = default;

void Gateway::mount(http::Server& server) {
  server.set_passthrough(std::string(kPathPrefix), std::string(kRouteLabel), proxy_);
}

std::shared_ptr<http::PassthroughHandler> Gateway::handler() const {
  return proxy_;
}

}  // namespace orsa::gateway
