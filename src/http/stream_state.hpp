#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "http/message.hpp"

namespace orsa::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

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
inline std::string chunk_size_line(std::size_t size) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, size, 16);
  return std::string(buf, end) + "\r\n";
}

}  // namespace orsa::http
