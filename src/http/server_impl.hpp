#pragma once

// Private to http::Server: the pieces its sources share (server.cpp: the
// lifecycle, server_exchange.cpp: one request and its answer,
// server_stream.cpp: streamed responses, server_support.cpp: helpers).

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

#include "http/passthrough.hpp"
#include "http/server.hpp"
#include "stream_state.hpp"

namespace orsa::http {

inline constexpr std::size_t kReadChunk = 8 * 1024;
inline constexpr std::size_t kLingerMaxBytes = 8 * 1024 * 1024;
inline constexpr std::chrono::seconds kLingerTimeout{1};
inline constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
inline constexpr std::string_view kUnmatched = "unmatched";
inline constexpr std::string_view kOpenConnectionsGauge = "orsa_http_open_connections";

using BeastResponse = bhttp::response<bhttp::string_body>;

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

/// Whether a client's X-Request-Id may be kept (else a new id is made).
bool valid_request_id(std::string_view id);

/// The Date header value, formatted once per second per thread (off the hot path).
const std::string& http_date();

/// Statuses whose responses never carry a body.
bool has_no_body(int status);

/// A header a handler set that can be written without splitting the response.
bool safe_header(std::string_view name, std::string_view value);

/// Fills path and query from the request target; fails on bad encoding.
Result<void> decode_target(std::string_view target, Request& request);

/// Copies headers; repeated fields are joined as RFC 9110 allows.
void copy_headers(const bhttp::fields& in, Headers& out);

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

/// Runs a handler; a throw becomes a 500 naming the request id.
Response invoke(const Handler& handler, Request& request);

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
std::optional<Response> admit(const Admission& admission, Request& request);

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

/// Where spooled bodies go: the configured folder, else the system temp folder.
std::filesystem::path spool_root(const std::filesystem::path& configured);

/// How reading a request body ended.
enum class BodyRead { kDone, kTooLarge, kGone, kMalformed, kSpoolFailed, kDiskFull };

/// The outcome a body read's error code means.
BodyRead body_read_outcome(const beast::error_code& ec);

/// Logs the exception a co_spawn'd coroutine ended with, if any.
void log_error_handler(const std::exception_ptr& e, std::string_view what);

/// Reads what the client still sends (bounded), then closes.
asio::awaitable<void> linger_close(beast::tcp_stream& stream);

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

}  // namespace orsa::http
