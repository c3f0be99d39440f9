#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "core/random.hpp"
#include "http/passthrough.hpp"

namespace orsa::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 8 * 1024;
constexpr std::size_t kLingerMaxBytes = 8 * 1024 * 1024;
constexpr std::chrono::seconds kLingerTimeout{1};
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
constexpr std::string_view kUnmatched = "unmatched";
constexpr std::string_view kOpenConnectionsGauge = "orsa_http_open_connections";

using BeastResponse = bhttp::response<bhttp::string_body>;

/// A streamed response body between its producer thread (write) and the
/// connection's strand (take, written). Closed by the client going away, a
/// failed write, or server stop; closing wakes everyone waiting.
class StreamState final : public BodyWriter, public std::enable_shared_from_this<StreamState> {
 public:
  explicit StreamState(asio::any_io_executor strand) : strand_(std::move(strand)) {}

  bool write(std::string_view chunk) override {
    std::unique_lock lock(mu_);
    if (closed_) return false;
    if (chunk.empty()) return true;
    pending_.emplace_back(chunk);
    const std::uint64_t ticket = ++queued_;
    kick(lock);
    // Waiting for the socket write gives the producer back-pressure.
    cv_.wait(lock, [&] { return closed_ || written_ >= ticket; });
    return written_ >= ticket;
  }

  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }

  void on_close(std::function<void()> wake) override {
    {
      std::lock_guard lock(mu_);
      if (!closed_) {
        wake_ = std::move(wake);
        return;
      }
    }
    wake();
  }

  void close() {
    std::function<void()> wake;
    {
      std::unique_lock lock(mu_);
      if (closed_) return;
      closed_ = true;
      wake = std::move(wake_);
      kick(lock);
    }
    cv_.notify_all();
    if (wake) wake();
  }

  /// The producer returned.
  void finish() {
    std::function<void()> stale;
    std::unique_lock lock(mu_);
    done_ = true;
    // Nobody is left to wake, and what the callback refers to may be gone.
    stale = std::move(wake_);
    wake_ = nullptr;
    kick(lock);
  }

  struct Batch {
    std::deque<std::string> chunks;
    bool done = false;
    bool closed = false;
  };
  /// On the strand: what to send now; `signal` is the timer to cancel on news.
  Batch take(asio::steady_timer* signal) {
    std::lock_guard lock(mu_);
    signal_ = signal;
    Batch batch{std::move(pending_), done_, closed_};
    pending_.clear();
    return batch;
  }
  /// On the strand: `n` more chunks reached the socket.
  void written(std::size_t n) {
    {
      std::lock_guard lock(mu_);
      written_ += n;
    }
    cv_.notify_all();
  }
  /// On the strand, before the coroutine's timer goes away.
  void detach_signal() {
    std::lock_guard lock(mu_);
    signal_ = nullptr;
  }

 private:
  // Wakes the sending coroutine: the timer lives in its frame and is only
  // touched on the strand, so the cancel is posted there.
  void kick(std::unique_lock<std::mutex>&) {
    if (signal_ == nullptr) return;
    asio::post(strand_, [self = shared_from_this()] {
      std::lock_guard lock(self->mu_);
      // An expiry in the past also wakes a wait that has not started yet.
      if (self->signal_ != nullptr)
        self->signal_->expires_at(asio::steady_timer::time_point::min());
    });
  }

  asio::any_io_executor strand_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pending_;
  std::uint64_t queued_ = 0;
  std::uint64_t written_ = 0;
  bool closed_ = false;
  bool done_ = false;
  std::function<void()> wake_;
  asio::steady_timer* signal_ = nullptr;
};

/// "1a\r\n": the size line of a chunk.
std::string chunk_size_line(std::size_t size) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, size, 16);
  return std::string(buf, end) + "\r\n";
}

/// One TCP connection; touched only on its own strand.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  // Bounds the hot path's reads and writes on stream.socket(): the idle wait,
  // the request header, passthrough exchanges. The other paths use the
  // stream's own per-operation timeout with this deadline off.
  Deadline deadline{stream.get_executor(), stream.socket()};
  bool idle = true;  // waiting for the first byte of the next request
};

/// What the session does after one exchange.
enum class Next { kKeepAlive, kClose, kLingerClose };

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Formatting the date once per second per thread keeps it off the hot path.
const std::string& http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second || cached.empty()) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

bool has_no_body(int status) {
  return status < 200 || status == 204 || status == 304;
}

bool safe_header(std::string_view name, std::string_view value) {
  const auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && std::ranges::none_of(name, bad) && std::ranges::none_of(value, bad);
}

/// Fills path and query from the request target; fails on bad encoding.
Result<void> decode_target(std::string_view target, Request& request) {
  const auto parsed = boost::urls::parse_uri_reference(target);
  if (!parsed) return fail(Error::invalid_argument("request target is not a valid URI"));
  const boost::urls::url_view& url = *parsed;
  request.path = url.path();
  if (request.path.empty()) request.path = "/";
  if (request.path.front() != '/') {
    return fail(Error::invalid_argument("request path must start with '/'"));
  }
  if (request.path.find('\0') != std::string::npos) {
    return fail(Error::invalid_argument("request path contains an encoded NUL"));
  }
  for (const auto& param : url.params(boost::urls::encoding_opts(true, false, false))) {
    request.query.insert_or_assign(param.key, param.value);
  }
  return {};
}

/// Copies headers; repeated fields are joined as RFC 9110 allows.
void copy_headers(const bhttp::fields& in, Headers& out) {
  for (const auto& field : in) {
    const std::string_view name = field.name_string();
    const std::string_view value = field.value();
    auto [it, inserted] = out.try_emplace(std::string(name), value);
    if (!inserted) {
      // Cookie pairs are separated by ';', every other list by ','.
      it->second += beast::iequals(name, "cookie") ? "; " : ", ";
      it->second += value;
    }
  }
}

/// Per-exchange facts for the log line and metrics.
struct Exchange {
  Clock::time_point start = Clock::now();
  std::string method;
  std::string raw_path;  // still percent-encoded, so logs cannot be forged with CR/LF
  std::string_view route = kUnmatched;  // views the router's pattern or the passthrough label
  const Metrics::RouteSeries* series = nullptr;  // route's pre-resolved series, if any
  std::string matched_route;
  std::string request_id;
  std::string_view remote_ip;
  unsigned version = 11;
  bool head = false;
};

Response invoke(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} handler failed: {}", request.request_id, e.what());
  } catch (...) {
    spdlog::error("request_id={} handler failed with a non-standard exception", request.request_id);
  }
  return error_response(
      Error::internal("internal server error (request id " + request.request_id + ")"));
}

// Runs `job` on `pool` and resumes the caller on its own executor as soon as
// the job returns. co_spawn would first post its completion back onto the
// pool, behind every job queued there, so under a queue of logins each
// answer would wait for the whole queue to drain.
template <class T, class Job>
asio::awaitable<T> run_on(asio::thread_pool& pool, Job job) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&pool, &job](auto completion) {
        asio::post(pool, [&job, completion = std::move(completion)]() mutable {
          T result = job();
          const auto executor = asio::get_associated_executor(completion);
          asio::dispatch(
              executor, [completion = std::move(completion), result = std::move(result)]() mutable {
                std::move(completion)(std::move(result));
              });
        });
      },
      asio::use_awaitable);
}

/// Runs a route's admission step; a throw refuses the request.
std::optional<Response> admit(const Admission& admission, Request& request) {
  try {
    return admission(request);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} admission failed: {}", request.request_id, e.what());
  } catch (...) {
    spdlog::error("request_id={} admission failed with a non-standard exception",
                  request.request_id);
  }
  return error_response(
      Error::internal("internal server error (request id " + request.request_id + ")"));
}

/// A spooled request body's file, removed when the exchange ends (unless the
/// handler moved it away).
class SpoolFile {
 public:
  SpoolFile() = default;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile() { remove(); }
  void set(std::filesystem::path path) { path_ = std::move(path); }
  /// Removes the file now, so it is gone before the client hears back.
  void remove() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    path_.clear();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path spool_root(const std::filesystem::path& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  return std::filesystem::temp_directory_path(ec);
}

/// How reading a request body ended.
enum class BodyRead { kDone, kTooLarge, kGone, kMalformed, kSpoolFailed };

BodyRead body_read_outcome(const beast::error_code& ec) {
  if (!ec) return BodyRead::kDone;
  if (ec == bhttp::error::body_limit) return BodyRead::kTooLarge;
  if (ec == beast::error::timeout || ec == bhttp::error::partial_message ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return BodyRead::kGone;
  }
  return BodyRead::kMalformed;
}

void log_error_handler(std::exception_ptr e, std::string_view what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http server: {} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("http server: {} failed", what);
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, const Router& r, Metrics& m)
      : options(std::move(opts)),
        router(r),
        metrics(m),
        ioc(std::max(1, options.network_threads)),
        pool(static_cast<std::size_t>(std::max(1, options.worker_threads))),
        credential_pool(static_cast<std::size_t>(std::max(1, options.credential_threads))),
        control(asio::make_strand(ioc)),
        acceptor(control),
        drain_timer(control) {}

  ServerOptions options;
  // Declared before the io_context so that it outlives the coroutine frames
  // the io_context destroys.
  std::string passthrough_prefix;
  std::string passthrough_route;
  std::shared_ptr<PassthroughHandler> passthrough;
  const Metrics::RouteSeries* passthrough_series = nullptr;
  const Router& router;
  Metrics& metrics;
  asio::io_context ioc;
  asio::thread_pool pool;
  asio::thread_pool credential_pool;
  asio::strand<asio::io_context::executor_type> control;  // acceptor and shutdown
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
  std::mutex gauge_mutex;
  std::mutex connections_mutex;
  std::unordered_set<std::shared_ptr<Connection>> connections;
  std::mutex wait_mutex;
  bool joined = false;
  // Streamed responses whose producer thread is still running.
  std::mutex streams_mutex;
  std::condition_variable streams_cv;
  std::unordered_set<std::shared_ptr<StreamState>> streams;

  void publish_open_connections() {
    // Reading the counter under the lock makes the last publisher write the latest value.
    std::lock_guard lock(gauge_mutex);
    metrics.set_gauge(kOpenConnectionsGauge, "Open HTTP connections.",
                      static_cast<double>(open.load()));
  }

  Result<std::uint16_t> start();
  void stop(std::chrono::seconds grace);
  void wait();

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> reject(tcp::socket socket);
  asio::awaitable<void> session(std::shared_ptr<Connection> conn);
  asio::awaitable<Next> serve_one(Connection& conn, beast::flat_buffer& buffer,
                                  const std::string& remote_ip);
  asio::awaitable<Next> answer(Connection& conn, Exchange& ex, Response response, Next next);
  asio::awaitable<BodyRead> read_body(Connection& conn, beast::flat_buffer& buffer,
                                      bhttp::request_parser<bhttp::string_body>& parser,
                                      const RouteOptions& route, Request& request,
                                      SpoolFile& spool);
  asio::awaitable<Next> stream_answer(Connection& conn, Exchange& ex, Response response);
  asio::awaitable<std::size_t> send_chunks(Connection& conn, StreamState& state);
  bool reserve_stream(const std::shared_ptr<StreamState>& state);
  void release_stream(const std::shared_ptr<StreamState>& state);
  void close_streams();
  asio::awaitable<void> drain(std::chrono::seconds grace);
  void connection_closed(const std::shared_ptr<Connection>& conn);
  void record(const Exchange& ex, int status, std::size_t bytes);
};

Result<std::uint16_t> Server::Impl::start() {
  if (started.exchange(true)) return fail(Error::internal("server already started"));
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    started = false;
    return fail(Error::invalid_argument("invalid listen address '" + options.address + "'"));
  }
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    started = false;
    return fail(Error::unavailable("cannot listen on " + options.address + ":" +
                                   std::to_string(options.port) + ": " + ec.message()));
  }
  const std::uint16_t port = acceptor.local_endpoint().port();
  publish_open_connections();
  work.emplace(ioc.get_executor());
  asio::co_spawn(control, accept_loop(),
                 [](std::exception_ptr e) { log_error_handler(e, "accept loop"); });
  for (int i = 0; i < std::max(1, options.network_threads); ++i) {
    threads.emplace_back([this] {
      // A throwing completion handler must not take the I/O thread down.
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http server: I/O thread caught: {}", e.what());
        }
      }
    });
  }
  return port;
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    // A connection's handlers must not run concurrently. With one network
    // thread the io_context already runs them one at a time (other threads
    // only post to it), so the strand would only add its dispatch cost.
    const asio::any_io_executor conn_executor = options.network_threads <= 1
                                                    ? asio::any_io_executor(ioc.get_executor())
                                                    : asio::any_io_executor(asio::make_strand(ioc));
    auto [ec, socket] = co_await acceptor.async_accept(conn_executor, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      spdlog::warn("http server: accept failed: {}", ec.message());
      // Back off so a full file table does not turn this loop into a spin.
      asio::steady_timer delay(control, kAcceptRetryDelay);
      co_await delay.async_wait(kTuple);
      continue;
    }
    if (open.load() >= options.max_connections) {
      auto executor = socket.get_executor();
      asio::co_spawn(executor, reject(std::move(socket)),
                     [](std::exception_ptr e) { log_error_handler(e, "reject"); });
      continue;
    }
    ++open;
    publish_open_connections();
    // Streamed and proxied responses leave in several writes; Nagle would
    // hold each one back for the client's delayed ACK (40 ms).
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(connections_mutex);
      connections.insert(conn);
    }
    asio::co_spawn(conn->stream.get_executor(), session(conn), [this, conn](std::exception_ptr e) {
      log_error_handler(e, "session");
      connection_closed(conn);
    });
  }
}

void Server::Impl::connection_closed(const std::shared_ptr<Connection>& conn) {
  {
    std::lock_guard lock(connections_mutex);
    connections.erase(conn);
  }
  // Decrement before reading `stopping` so drain() cannot miss the last close.
  const std::size_t left = --open;
  publish_open_connections();
  if (left == 0 && stopping.load()) {
    asio::post(control, [this] { drain_timer.cancel(); });
  }
}

namespace {

asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  // Reading what the client still sends before closing avoids a TCP reset
  // that could destroy the error response we just wrote.
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTimeout);
  std::array<char, kReadChunk> scratch;
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (read_ec) break;
    total += n;
  }
  stream.socket().close(ec);
}

}  // namespace

asio::awaitable<void> Server::Impl::reject(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  const Response error = error_response(Error::unavailable("server is at its connection limit"));
  BeastResponse res{bhttp::status::service_unavailable, 11};
  for (const auto& [name, value] : error.headers) res.insert(name, value);
  res.set(bhttp::field::server, "orsa");
  res.set(bhttp::field::date, http_date());
  res.keep_alive(false);
  res.body() = error.body;
  res.prepare_payload();
  stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, kTuple);
  spdlog::debug("http server: rejected a connection at the limit of {}", options.max_connections);
  if (!ec) co_await linger_close(stream);
}

asio::awaitable<void> Server::Impl::session(std::shared_ptr<Connection> conn) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  const auto peer = conn->stream.socket().remote_endpoint(ec);
  const std::string remote_ip = ec ? std::string() : peer.address().to_string();
  Next next = Next::kClose;
  for (;;) {
    conn->idle = true;
    if (stopping.load()) break;
    if (buffer.size() == 0) {
      conn->deadline.expires_after(options.idle_timeout);
      auto [read_ec, n] =
          co_await conn->stream.socket().async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (read_ec) break;
      buffer.commit(n);
    }
    conn->idle = false;
    next = co_await serve_one(*conn, buffer, remote_ip);
    if (next != Next::kKeepAlive) break;
  }
  conn->deadline.expires_never();  // linger_close has its own timeout
  if (next == Next::kLingerClose) {
    co_await linger_close(conn->stream);
  } else {
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn->stream.socket().close(ec);
  }
}

asio::awaitable<Next> Server::Impl::serve_one(Connection& conn, beast::flat_buffer& buffer,
                                              const std::string& remote_ip) {
  Exchange ex;
  ex.remote_ip = remote_ip;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(boost::none);  // the route's limit is applied once the route is known
  // Usually the whole header came with the first read: parsed without I/O.
  conn.deadline.expires_after(options.read_timeout);
  beast::error_code ec;
  if (!parse_buffered(buffer, parser, ec) || (!ec && !parser.is_header_done())) {
    ec = co_await async_parse_header(conn.stream.socket(), buffer, parser, conn.deadline);
  }
  // What follows outside a passthrough uses the stream's per-operation timeouts.
  const Clock::time_point read_deadline = conn.deadline.expiry();
  conn.deadline.expires_never();
  if (ec == bhttp::error::header_limit) {
    Response res = error_response(Error::too_large(
        "request headers exceed " + std::to_string(options.header_limit) + " bytes"));
    res.status = 431;
    ex.request_id = new_request_id();
    co_return co_await answer(conn, ex, std::move(res), Next::kLingerClose);
  }
  if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
      ec == bhttp::error::partial_message || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    co_return Next::kClose;
  }
  if (ec) {
    ex.request_id = new_request_id();
    co_return co_await answer(conn, ex,
                              error_response(Error::invalid_argument("malformed HTTP request")),
                              Next::kLingerClose);
  }

  auto& req = parser.get();
  ex.version = req.version();
  ex.method = req.method_string();
  ex.head = req.method() == bhttp::verb::head;
  const std::string_view target(req.target().data(), req.target().size());
  ex.raw_path = target.substr(0, target.find('?'));
  const auto given_id = req[std::string_view("X-Request-Id")];
  ex.request_id = valid_request_id(given_id) ? std::string(given_id) : new_request_id();
  // With a body still unread, answering early means the connection cannot be reused.
  const Next after_early_answer = !parser.is_done()  ? Next::kLingerClose
                                  : req.keep_alive() ? Next::kKeepAlive
                                                     : Next::kClose;

  if (passthrough && target.starts_with(passthrough_prefix)) {
    // Inline rather than a helper coroutine: each call allocates a frame.
    ex.route = passthrough_route;
    ex.series = passthrough_series;
    conn.deadline.expires_at(read_deadline);
    PassthroughResult result;
    try {
      result = co_await passthrough->serve(PassthroughExchange{parser, conn.stream, buffer,
                                                               conn.deadline, remote_ip,
                                                               ex.request_id, pool.get_executor()});
    } catch (const std::exception& e) {
      spdlog::error("request_id={} passthrough failed: {}", ex.request_id, e.what());
      result = PassthroughResult{};
    }
    conn.deadline.expires_never();
    record(ex, result.status, result.bytes);
    switch (result.next) {
      case PassthroughNext::kKeepAlive:
        co_return stopping.load() ? Next::kClose : Next::kKeepAlive;
      case PassthroughNext::kLingerClose:
        co_return Next::kLingerClose;
      case PassthroughNext::kClose:
        break;
    }
    co_return Next::kClose;
  }

  Request request;
  if (auto decoded = decode_target(target, request); !decoded) {
    co_return co_await answer(conn, ex, error_response(decoded.error()), after_early_answer);
  }
  Router::Match match = router.match(ex.method, request.path);
  if (match.handler == nullptr) {
    if (!match.method_not_allowed) {
      co_return co_await answer(conn, ex, error_response(Error::not_found("no route for path")),
                                after_early_answer);
    }
    Response res = error_response(Error::invalid_argument("method not allowed"));
    res.status = 405;
    res.set_header("Allow", match.allow);
    co_return co_await answer(conn, ex, std::move(res), after_early_answer);
  }
  ex.matched_route = std::move(match.pattern);
  ex.route = ex.matched_route;

  request.method = ex.method;
  request.target = target;
  copy_headers(req, request.headers);
  request.remote_ip =
      options.trusted_proxies.client_address(remote_ip, request.header("X-Forwarded-For"));
  request.request_id = ex.request_id;
  request.params = std::move(match.params);
  const bool keep_alive = req.keep_alive();
  const RouteOptions& route = *match.options;
  const Handler& handler = *match.handler;
  const Admission* admission = match.admit;
  SpoolFile spool;

  if (!parser.is_done()) {
    const std::size_t limit = route.body_limit;
    const Response too_large = error_response(
        Error::too_large("request body exceeds " + std::to_string(limit) + " bytes"));
    if (parser.content_length() && *parser.content_length() > limit) {
      co_return co_await answer(conn, ex, too_large, Next::kLingerClose);
    }
    if (admission != nullptr) {
      // Decided from the head alone: a refused caller never gets the body read.
      std::optional<Response> refusal = co_await run_on<std::optional<Response>>(
          pool, [&] { return admit(*admission, request); });
      if (refusal) co_return co_await answer(conn, ex, std::move(*refusal), Next::kLingerClose);
      admission = nullptr;
    }
    switch (co_await read_body(conn, buffer, parser, route, request, spool)) {
      case BodyRead::kDone:
        break;
      case BodyRead::kTooLarge:
        co_return co_await answer(conn, ex, too_large, Next::kLingerClose);
      case BodyRead::kGone:
        co_return Next::kClose;
      case BodyRead::kMalformed:
        co_return co_await answer(
            conn, ex, error_response(Error::invalid_argument("malformed HTTP request body")),
            Next::kLingerClose);
      case BodyRead::kSpoolFailed:
        co_return co_await answer(
            conn, ex, error_response(Error::unavailable("cannot store the request body")),
            Next::kLingerClose);
    }
  }

  // Handlers block (DB, git): run them on their lane's pool and resume on
  // this strand. Without a body to wait for, admission and handler share one
  // trip there.
  asio::thread_pool& lane_pool = route.lane == Lane::kCredential ? credential_pool : pool;
  Response response = co_await run_on<Response>(lane_pool, [&]() -> Response {
    if (admission != nullptr) {
      if (auto refusal = admit(*admission, request)) return std::move(*refusal);
    }
    return invoke(handler, request);
  });
  spool.remove();
  const Next next = keep_alive ? Next::kKeepAlive : Next::kClose;
  co_return co_await answer(conn, ex, std::move(response), next);
}

// Reads the body under the route's limit: into Request::body, or for a
// spooling route into a file as it arrives, so memory stays flat whatever
// the size.
asio::awaitable<BodyRead> Server::Impl::read_body(Connection& conn, beast::flat_buffer& buffer,
                                                  bhttp::request_parser<bhttp::string_body>& parser,
                                                  const RouteOptions& route, Request& request,
                                                  SpoolFile& spool) {
  auto& req = parser.get();
  if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, req.version()};
    conn.stream.expires_after(options.write_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(conn.stream, cont, kTuple);
    if (write_ec) co_return BodyRead::kGone;
  }
  conn.stream.expires_after(options.read_timeout);
  if (!route.spool_body) {
    parser.body_limit(route.body_limit);
    auto [ec, n] = co_await bhttp::async_read(conn.stream, buffer, parser, kTuple);
    if (!ec) request.body = std::move(req.body());
    co_return body_read_outcome(ec);
  }
  // Nothing of the body has been parsed yet, so the parser can change body type.
  bhttp::request_parser<bhttp::file_body> file_parser{std::move(parser)};
  file_parser.body_limit(route.body_limit);
  spool.set(spool_root(options.spool_dir) / ("orsa-body-" + random_hex(12)));
  beast::error_code open_ec;
  file_parser.get().body().open(spool.path().c_str(), beast::file_mode::write_new, open_ec);
  if (open_ec) {
    spdlog::error("request_id={} cannot create a spool file: {}", request.request_id,
                  open_ec.message());
    spool.set({});
    co_return BodyRead::kSpoolFailed;
  }
  auto [ec, n] = co_await bhttp::async_read(conn.stream, buffer, file_parser, kTuple);
  file_parser.get().body().close();
  if (ec) {
    spool.remove();
  } else {
    request.body_file = spool.path();
  }
  co_return body_read_outcome(ec);
}

asio::awaitable<Next> Server::Impl::answer(Connection& conn, Exchange& ex, Response response,
                                           Next next) {
  if (response.stream && !ex.head && !has_no_body(response.status)) {
    co_return co_await stream_answer(conn, ex, std::move(response));
  }
  if (stopping.load() && next == Next::kKeepAlive) next = Next::kClose;
  BeastResponse res{static_cast<bhttp::status>(response.status), ex.version};
  for (const auto& [name, value] : response.headers) {
    if (safe_header(name, value)) {
      res.insert(name, value);
    } else {
      spdlog::warn("request_id={} dropped a response header with control characters",
                   ex.request_id);
    }
  }
  res.set(bhttp::field::server, "orsa");
  res.set(bhttp::field::date, http_date());
  res.set("X-Request-Id", ex.request_id);
  for (const auto& [name, value] : options.fixed_headers) res.set(name, value);
  std::size_t bytes = 0;
  if (!has_no_body(response.status)) {
    // A HEAD handler may declare the length of the body it does not send
    // (a registry blob's size) instead of building that body.
    if (!ex.head || !response.header("Content-Length")) res.content_length(response.body.size());
    if (!ex.head) {
      bytes = response.body.size();
      res.body() = std::move(response.body);
    }
  }
  res.keep_alive(next == Next::kKeepAlive);
  conn.stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(conn.stream, res, kTuple);
  record(ex, response.status, bytes);
  co_return ec ? Next::kClose : next;
}

bool Server::Impl::reserve_stream(const std::shared_ptr<StreamState>& state) {
  std::lock_guard lock(streams_mutex);
  if (stopping.load() || streams.size() >= options.max_streams) return false;
  streams.insert(state);
  return true;
}

void Server::Impl::release_stream(const std::shared_ptr<StreamState>& state) {
  std::lock_guard lock(streams_mutex);
  streams.erase(state);
  // Notified under the lock so wait() cannot return (and destroy the
  // condition variable) before this thread is done with it.
  streams_cv.notify_all();
}

void Server::Impl::close_streams() {
  std::vector<std::shared_ptr<StreamState>> open_streams;
  {
    std::lock_guard lock(streams_mutex);
    open_streams.assign(streams.begin(), streams.end());
  }
  for (const auto& state : open_streams) state->close();
}

asio::awaitable<Next> Server::Impl::stream_answer(Connection& conn, Exchange& ex,
                                                  Response response) {
  auto state = std::make_shared<StreamState>(conn.stream.get_executor());
  if (!reserve_stream(state)) {
    co_return co_await answer(conn, ex, error_response(Error::unavailable("too many open streams")),
                              Next::kClose);
  }
  bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(response.status), ex.version};
  for (const auto& [name, value] : response.headers) {
    if (safe_header(name, value)) res.insert(name, value);
  }
  res.set(bhttp::field::server, "orsa");
  res.set(bhttp::field::date, http_date());
  res.set("X-Request-Id", ex.request_id);
  for (const auto& [name, value] : options.fixed_headers) res.set(name, value);
  res.chunked(true);
  res.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> serializer{res};
  conn.stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(conn.stream, serializer, kTuple);
  if (ec) {
    release_stream(state);
    record(ex, response.status, 0);
    co_return Next::kClose;
  }
  std::thread([this, state, producer = std::move(response.stream)] {
    try {
      producer(*state);
    } catch (const std::exception& e) {
      spdlog::error("http server: stream producer failed: {}", e.what());
    }
    state->finish();
    release_stream(state);
  }).detach();
  const std::size_t bytes = co_await send_chunks(conn, *state);
  record(ex, response.status, bytes);
  co_return Next::kClose;
}

// Sends what the producer writes until it returns or the stream closes,
// watching the socket meanwhile so a client that leaves is noticed even
// while the producer has nothing to say.
asio::awaitable<std::size_t> Server::Impl::send_chunks(Connection& conn, StreamState& state) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer signal(conn.stream.get_executor());
  std::array<char, 1024> scratch;
  std::size_t bytes = 0;
  bool clean_end = false;
  for (;;) {
    signal.expires_at(asio::steady_timer::time_point::max());
    auto batch = state.take(&signal);
    for (const auto& chunk : batch.chunks) {
      const std::string size_line = chunk_size_line(chunk.size());
      const std::array<asio::const_buffer, 3> buffers{asio::buffer(size_line), asio::buffer(chunk),
                                                      asio::buffer("\r\n", 2)};
      conn.stream.expires_after(options.write_timeout);
      auto [ec, n] = co_await asio::async_write(conn.stream, buffers, kTuple);
      if (ec) {
        state.close();
        break;
      }
      bytes += chunk.size();
      state.written(1);
    }
    if (state.closed()) break;
    if (batch.done) {
      clean_end = true;
      break;
    }
    // More may have been written while these went out.
    if (!batch.chunks.empty()) continue;
    auto woke = co_await (signal.async_wait(kTuple) ||
                          conn.stream.socket().async_read_some(asio::buffer(scratch), kTuple));
    if (woke.index() == 1) {
      // Bytes after the request (none expected) are ignored; EOF or an error means gone.
      const auto& [read_ec, n] = std::get<1>(woke);
      if (read_ec) state.close();
    }
  }
  state.detach_signal();
  if (clean_end) {
    conn.stream.expires_after(options.write_timeout);
    co_await asio::async_write(conn.stream, asio::buffer("0\r\n\r\n", 5), kTuple);
  }
  co_return bytes;
}

void Server::Impl::record(const Exchange& ex, int status, std::size_t bytes) {
  const double seconds = std::chrono::duration<double>(Clock::now() - ex.start).count();
  if (ex.series != nullptr) {
    metrics.observe_request(*ex.series, ex.method, status, seconds);
  } else {
    metrics.observe_request(ex.method, ex.route, status, seconds);
  }
  spdlog::info(
      "http request_id={} remote_ip={} method={} path={} route={} status={} bytes={} "
      "duration_ms={:.3f}",
      ex.request_id, ex.remote_ip, ex.method, ex.raw_path, ex.route, status, bytes, seconds * 1000);
}

void Server::Impl::stop(std::chrono::seconds grace) {
  if (!started.load() || stopping.exchange(true)) return;
  asio::co_spawn(control, drain(grace), [](std::exception_ptr e) { log_error_handler(e, "stop"); });
}

asio::awaitable<void> Server::Impl::drain(std::chrono::seconds grace) {
  beast::error_code ec;
  acceptor.close(ec);
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(connections_mutex);
    snapshot.assign(connections.begin(), connections.end());
  }
  // Streams end now (their producers may wait for data indefinitely); idle
  // keep-alive connections close now; busy ones finish their exchange.
  close_streams();
  for (const auto& conn : snapshot) {
    asio::post(conn->stream.get_executor(), [conn] {
      if (conn->idle) conn->stream.cancel();
    });
  }
  if (open.load() > 0) {
    drain_timer.expires_after(grace);
    co_await drain_timer.async_wait(kTuple);
  }
  {
    std::lock_guard lock(connections_mutex);
    snapshot.assign(connections.begin(), connections.end());
  }
  if (!snapshot.empty()) {
    spdlog::warn("http server: closing {} connections still open after the grace period",
                 snapshot.size());
  }
  for (const auto& conn : snapshot) {
    // shutdown(2) on the descriptor is safe while the session is suspended
    // awaiting its handler; the peer sees the close at once instead of when
    // the server object is finally destroyed.
    conn->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
  work.reset();
  ioc.stop();
}

void Server::Impl::wait() {
  std::lock_guard lock(wait_mutex);
  if (joined) return;
  for (auto& t : threads) t.join();
  close_streams();
  {
    std::unique_lock streams_lock(streams_mutex);
    streams_cv.wait(streams_lock, [this] { return streams.empty(); });
  }
  // Running handlers still reference their sessions' frames: let them finish
  // before the io_context (and those frames) can be destroyed.
  pool.stop();
  pool.join();
  credential_pool.stop();
  credential_pool.join();
  // Pooled upstream connections belong to this io_context: drop them while it exists.
  if (passthrough) passthrough->on_server_stopped();
  joined = true;
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() {
  if (impl_->started.load()) {
    impl_->stop(std::chrono::seconds(0));
    impl_->wait();
  }
  std::lock_guard lock(impl_->connections_mutex);
  impl_->connections.clear();
}

Result<std::uint16_t> Server::start() {
  return impl_->start();
}
void Server::wait() {
  impl_->wait();
}
void Server::stop(std::chrono::seconds grace) {
  impl_->stop(grace);
}
void Server::set_passthrough(std::string prefix, std::string route_label,
                             std::shared_ptr<PassthroughHandler> handler) {
  impl_->passthrough_prefix = std::move(prefix);
  impl_->passthrough_route = std::move(route_label);
  impl_->passthrough_series = &impl_->metrics.route_series(impl_->passthrough_route);
  impl_->passthrough = std::move(handler);
}

}  // namespace orsa::http
