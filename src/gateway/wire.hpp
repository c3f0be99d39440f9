#pragma once

// What every part of the gateway's proxy shares: the Asio/Beast names, the
// chunk size, body framing and the gathered writes of one exchange.

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>

#include "http/passthrough.hpp"

namespace orsa::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
inline constexpr std::size_t kChunk = 32 * 1024;  // body bytes moved per read/write

/// How a message body is framed on the wire.
enum class Framing { kNone, kLength, kChunked, kClose };

/// The size line of a chunk ("1a\r\n") into `buf`; its length.
inline std::size_t chunk_size_line(char (&buf)[24], std::size_t size) {
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 2, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<std::size_t>(end + 2 - buf);
}

/// Up to five buffers: [header] [chunk size line] [data] [chunk CRLF] [last chunk].
struct Gather {
  std::array<asio::const_buffer, 5> parts;
  std::size_t count = 0;
  char size_line[24] = {};

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

inline bool idempotent(bhttp::verb method) {
  using bhttp::verb;
  return method == verb::get || method == verb::head || method == verb::put ||
         method == verb::delete_ || method == verb::options || method == verb::trace;
}

inline bool is_timeout(const beast::error_code& ec) {
  return ec == beast::error::timeout;
}

/// Whether the write of `parts` is not to start: nothing to write (`ec` clear)
/// or the deadline passed (`ec` timeout).
inline bool skip_write(const Gather& parts, const http::Deadline& deadline, beast::error_code& ec) {
  ec = {};
  if (parts.count == 0) return true;
  if (!deadline.expired()) return false;
  ec = beast::error::timeout;
  return true;
}

/// The write of `parts`, for co_await. Not a coroutine itself: a helper
/// coroutine would allocate a frame per write.
inline auto write_parts(tcp::socket& socket, const Gather& parts) {
  return asio::async_write(socket, parts.buffers(), kTuple);
}

}  // namespace orsa::gateway
