#include <spdlog/spdlog.h>

#include "server_impl.hpp"

namespace orsa::http {

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
  std::array<char, 1024> scratch{};
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

}  // namespace orsa::http
