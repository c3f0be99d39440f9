#pragma once

// The server's hook for handlers that own the connection for one exchange
// (the gateway's reverse proxy). Includes Beast, so only server.cpp and such
// handlers include it; server.hpp stays free of Asio and Beast.

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace orsa::http {

/// The deadline of a connection's socket operations, with one timer per
/// connection instead of one per operation (Beast's tcp_stream arms, and on
/// completion cancels, a timer for every read and write).
///
/// The timer is re-armed lazily: it waits at most kTick at a time and, when
/// it fires before the deadline, waits again; moving the deadline later costs
/// nothing, moving it earlier than the pending wait re-arms. On expiry it
/// cancels the operations of the connection's socket and of a watched one
/// (the gateway's upstream connection); operations started after expiry fail
/// at once (`expired()`), so every operation is bounded. Use on the
/// connection's strand only: the timer completes there.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kTick{1};

  Deadline(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket)
      : state_(std::make_shared<State>(ex, socket)) {}
  ~Deadline() {
    // A pending wait completes later (aborted) and finds the owner gone.
    state_->socket = nullptr;
    state_->watched = nullptr;
    state_->timer.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  /// Operations from now on must end by `t`.
  void expires_at(Clock::time_point t) {
    State& s = *state_;
    s.deadline = t;
    s.fired = false;
    if (!s.waiting || s.armed > t) arm(state_, Clock::now());
  }
  void expires_after(Clock::duration d) { expires_at(Clock::now() + d); }
  /// No deadline (for operations bounded otherwise, e.g. by a tcp_stream timeout).
  void expires_never() {
    state_->deadline = Clock::time_point::max();
    state_->fired = false;
  }
  Clock::time_point expiry() const { return state_->deadline; }
  /// The deadline has passed: the next operation must not start.
  bool expired() const { return state_->fired || Clock::now() >= state_->deadline; }
  /// Also cancels `socket`'s operations on expiry (null: none); clear it before
  /// the socket goes away.
  void watch(boost::asio::ip::tcp::socket* socket) { state_->watched = socket; }
  /// An operation's error, as beast::error::timeout if the deadline ended it.
  boost::beast::error_code check(const boost::beast::error_code& ec) const {
    if (ec && state_->fired) return boost::beast::error::timeout;
    return ec;
  }

 private:
  struct State {
    State(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& s)
        : timer(ex), socket(&s) {}
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::socket* socket;
    boost::asio::ip::tcp::socket* watched = nullptr;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point armed = Clock::time_point::max();  // when the pending wait ends
    std::uint64_t generation = 0;                        // of the pending wait
    bool waiting = false;
    bool fired = false;
  };

  static void arm(const std::shared_ptr<State>& state, Clock::time_point now) {
    State& s = *state;
    s.armed = std::min(s.deadline, now + kTick);
    s.timer.expires_at(s.armed);  // a pending wait completes aborted, with a stale generation
    s.waiting = true;
    s.timer.async_wait([state, generation = ++s.generation](const boost::beast::error_code&) {
      on_timer(state, generation);
    });
  }

  static void on_timer(const std::shared_ptr<State>& state, std::uint64_t generation) {
    State& s = *state;
    if (generation != s.generation) return;
    s.waiting = false;
    if (s.socket == nullptr || s.deadline == Clock::time_point::max()) return;
    const auto now = Clock::now();
    if (now < s.deadline) {
      arm(state, now);
      return;
    }
    s.fired = true;
    boost::beast::error_code ignored;
    s.socket->cancel(ignored);
    if (s.watched != nullptr) s.watched->cancel(ignored);
  }

  std::shared_ptr<State> state_;
};

/// Beast's http::read_some without I/O: feeds what `buffer` holds to
/// `parser`. False when it needs more bytes; otherwise `ec` is the outcome.
template <bool isRequest>
bool parse_buffered(boost::beast::flat_buffer& buffer,
                    boost::beast::http::basic_parser<isRequest>& parser,
                    boost::beast::error_code& ec) {
  if (buffer.size() == 0) return false;
  ec = {};
  buffer.consume(parser.put(buffer.data(), ec));
  if (ec != boost::beast::http::error::need_more) return true;
  ec = {};
  return false;
}

namespace detail {

/// Reads more bytes into `buffer`; then as Beast's read_some loop does on EOF.
/// True when the parse is over (`ec` says how), false to parse again.
template <bool isRequest>
bool after_read(const boost::beast::error_code& read_ec, std::size_t n,
                boost::beast::flat_buffer& buffer,
                boost::beast::http::basic_parser<isRequest>& parser, const Deadline& deadline,
                boost::beast::error_code& ec) {
  buffer.commit(n);
  if (read_ec == boost::asio::error::eof) {
    if (!parser.got_some()) {
      ec = boost::beast::http::error::end_of_stream;
      return true;
    }
    ec = {};
    parser.put_eof(ec);
    return true;
  }
  ec = deadline.check(read_ec);
  return static_cast<bool>(ec);
}

/// How much to read: as Beast's read_size(buffer, 64 KiB).
inline std::size_t read_size(const boost::beast::flat_buffer& buffer) {
  return std::min(std::max<std::size_t>(512, buffer.capacity() - buffer.size()),
                  std::min<std::size_t>(65536, buffer.max_size() - buffer.size()));
}

}  // namespace detail

/// Beast's http::async_read_some on a plain socket under `deadline`: parses
/// what `buffer` holds, reading more until the parser makes progress.
template <bool isRequest>
boost::asio::awaitable<boost::beast::error_code> async_parse_some(
    boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
    boost::beast::http::basic_parser<isRequest>& parser, const Deadline& deadline) {
  boost::beast::error_code ec;
  if (parse_buffered(buffer, parser, ec)) co_return ec;
  for (;;) {
    if (deadline.expired()) co_return boost::beast::error::timeout;
    const std::size_t size = detail::read_size(buffer);
    if (size == 0) co_return boost::beast::http::error::buffer_overflow;
    auto [read_ec, n] = co_await socket.async_read_some(
        buffer.prepare(size), boost::asio::as_tuple(boost::asio::use_awaitable));
    if (detail::after_read(read_ec, n, buffer, parser, deadline, ec)) co_return ec;
    if (parse_buffered(buffer, parser, ec)) co_return ec;
  }
}

/// Beast's http::async_read_header on a plain socket under `deadline`.
template <bool isRequest>
boost::asio::awaitable<boost::beast::error_code> async_parse_header(
    boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
    boost::beast::http::basic_parser<isRequest>& parser, const Deadline& deadline) {
  boost::beast::error_code ec;
  for (;;) {
    if (parse_buffered(buffer, parser, ec)) {
      if (ec || parser.is_header_done()) co_return ec;
      continue;
    }
    if (deadline.expired()) co_return boost::beast::error::timeout;
    const std::size_t size = detail::read_size(buffer);
    if (size == 0) co_return boost::beast::http::error::buffer_overflow;
    auto [read_ec, n] = co_await socket.async_read_some(
        buffer.prepare(size), boost::asio::as_tuple(boost::asio::use_awaitable));
    if (detail::after_read(read_ec, n, buffer, parser, deadline, ec)) {
      if (!ec && !parser.is_header_done()) ec = boost::beast::http::error::partial_message;
      co_return ec;
    }
  }
}

/// What the server does with the connection after a passthrough exchange.
enum class PassthroughNext {
  kKeepAlive,    // the exchange ended cleanly: read the next request
  kClose,        // close now
  kLingerClose,  // a request body may be unread: drain it briefly, then close
};

/// One request handed to a passthrough handler. The header has been read
/// (under the server's header limit and read timeout); the body, if any, is
/// still on the stream and in `buffer`. The handler may move `parser` into a
/// parser with another body type (nothing of the body has been parsed yet).
struct PassthroughExchange {
  boost::beast::http::request_parser<boost::beast::http::string_body>& parser;
  boost::beast::tcp_stream& stream;   // the client connection; its executor is the strand
  boost::beast::flat_buffer& buffer;  // bytes read past the header
  /// The client connection's deadline: a handler bounds its operations on
  /// stream.socket() (and on its own sockets, by watch()) with it rather than
  /// with the tcp_stream's per-operation timeout; it is the server's read
  /// deadline on entry. Operations through `stream` itself must set the
  /// stream's expiry and call deadline.expires_never() first.
  Deadline& deadline;
  std::string_view remote_ip;
  std::string_view request_id;           // X-Request-Id, given or generated
  boost::asio::any_io_executor workers;  // the server's worker pool, for blocking calls
};

/// The outcome the server logs and counts.
struct PassthroughResult {
  int status = 500;         // the status the client got (499: the client went away first)
  std::uint64_t bytes = 0;  // response body bytes sent
  PassthroughNext next = PassthroughNext::kClose;
};

/// Serves requests under a path prefix on the connection's strand, with the
/// connection itself, so bodies can stream both ways.
class PassthroughHandler {
 public:
  virtual ~PassthroughHandler() = default;
  /// Serves one exchange; runs on the connection's strand and must not block.
  virtual boost::asio::awaitable<PassthroughResult> serve(PassthroughExchange exchange) = 0;
  /// The server has stopped and joined its threads: release everything bound
  /// to its I/O context (e.g. pooled upstream connections).
  virtual void on_server_stopped() {}
};

}  // namespace orsa::http
