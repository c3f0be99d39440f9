#pragma once

// Idle keep-alive connections to upstreams, shared by every client connection.

#include <sys/socket.h>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/route_table.hpp"
#include "wire.hpp"

namespace orsa::gateway {

inline constexpr std::chrono::seconds kSweepEvery{1};
inline constexpr std::chrono::milliseconds kTrustIdleFor{500};

/// Whether an idle pooled socket is still usable: no EOF and no stray bytes.
inline bool looks_open(tcp::socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

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

}  // namespace orsa::gateway
