#pragma once

// The server's hook for handlers that own the connection for one exchange
// (the gateway's reverse proxy). Includes Beast, so only server.cpp and such
// handlers include it; server.hpp stays free of Asio and Beast.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string_view>

namespace orsa::http {

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
