#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include "server_impl.hpp"

namespace orsa::http {

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
                 [](const std::exception_ptr& e) { log_error_handler(e, "accept loop"); });
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
                     [](const std::exception_ptr& e) { log_error_handler(e, "reject"); });
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
    asio::co_spawn(conn->stream.get_executor(), session(conn),
                   [this, conn](const std::exception_ptr& e) {
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

void Server::Impl::stop(std::chrono::seconds grace) {
  if (!started.load() || stopping.exchange(true)) return;
  asio::co_spawn(control, drain(grace),
                 [](const std::exception_ptr& e) { log_error_handler(e, "stop"); });
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
