#pragma once

// Test-only: a raw TCP client for what http::Client cannot express (bad
// framing, pipelining, keep-alive, half-closed connections). Shared by the
// server's and the gateway's tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orsa::http::test_support {

class RawConn {
 public:
  using SteadyClock = std::chrono::steady_clock;

  explicit RawConn(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConn() { ::close(fd_); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads more bytes into the buffer; false on EOF, error or deadline.
  bool fill(SteadyClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  struct Reply {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;
    std::string header(std::string_view name) const {
      std::string lower_head;
      for (char c : head) lower_head += static_cast<char>(std::tolower(c));
      std::string key = "\r\n";
      for (char c : name) key += static_cast<char>(std::tolower(c));
      key += ": ";
      const auto at = lower_head.find(key);
      if (at == std::string::npos) return {};
      const auto start = at + key.size();
      return head.substr(start, head.find("\r\n", start) - start);
    }
  };

  /// Reads one response; `no_body` for HEAD and 100 Continue.
  std::optional<Reply> read_reply(bool no_body = false,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = SteadyClock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    Reply reply;
    reply.head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    reply.status = std::stoi(reply.head.substr(9, 3));
    const std::string length = reply.header("Content-Length");
    const std::size_t n = (no_body || length.empty()) ? 0 : std::stoul(length);
    while (buffer_.size() < n) {
      if (!fill(deadline)) return std::nullopt;
    }
    reply.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return reply;
  }

  /// Reads until `needle` has arrived; false on EOF or deadline.
  bool read_until(std::string_view needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = SteadyClock::now() + timeout;
    while (buffer_.find(needle) == std::string::npos) {
      if (!fill(deadline)) return false;
    }
    return true;
  }
  const std::string& received() const { return buffer_; }
  /// Closes the client side now (the destructor would too, later).
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

  /// True once the peer closed the connection, polled up to `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      fill(deadline);
      if (eof_) return true;
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

}  // namespace orsa::http::test_support
