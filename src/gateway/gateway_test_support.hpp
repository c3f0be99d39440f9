#pragma once

// What the gateway tests share: a raw upstream that can misbehave and count
// connections, and a fixture with the gateway mounted on an http::Server.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "gateway/gateway.hpp"
#include "gateway/service_urls.hpp"
#include "http/client.hpp"
#include "http/raw_conn_testing.hpp"
#include "http/server.hpp"
#include "testing/child_process.hpp"
#include "testing/eventually.hpp"

namespace orsa::gateway::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
using http::test_support::RawConn;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

using orsa::testing::eventually;

/// How long a test waits for the gateway's bookkeeping to catch up.
inline constexpr auto kSettle = 5s;

// ---- a raw upstream for what http::Server cannot do (misbehave, count connections) ----

/// One request as the raw upstream sees it: the header has been read.
struct UpExchange {
  tcp::socket& socket;
  beast::flat_buffer& buffer;
  bhttp::request_parser<bhttp::string_body>& parser;

  bhttp::request<bhttp::string_body>& req() { return parser.get(); }
  bool read_body() {
    beast::error_code ec;
    if (!parser.is_done()) bhttp::read(socket, buffer, parser, ec);
    return !ec;
  }
  bool send(bhttp::response<bhttp::string_body> res) {
    res.prepare_payload();
    beast::error_code ec;
    bhttp::write(socket, res, ec);
    return !ec;
  }
  bool send_raw(std::string_view data) {
    beast::error_code ec;
    asio::write(socket, asio::buffer(data), ec);
    return !ec;
  }
};

/// Echoes the request as JSON: method, target, headers, body.
inline bool echo(UpExchange& ex) {
  if (!ex.read_body()) return false;
  Json headers = Json::object();
  for (const auto& f : ex.req()) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    if (headers.contains(name)) {
      headers[name] = headers[name].get<std::string>() + "|" + std::string(f.value());
    } else {
      headers[name] = std::string(f.value());
    }
  }
  Json j = {{"method", std::string(ex.req().method_string())},
            {"target", std::string(ex.req().target())},
            {"headers", headers},
            {"body", ex.req().body()}};
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = j.dump();
  return ex.send(std::move(res));
}

/// Whether the peer's TCP stack has acknowledged the FIN sent on `fd`, i.e.
/// the peer's socket has seen the close.
inline bool fin_acknowledged(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return true;
  return info.tcpi_state != TCP_FIN_WAIT1 && info.tcpi_state != TCP_LAST_ACK &&
         info.tcpi_state != TCP_CLOSING;
}

/// A blocking HTTP/1.1 server, a thread per connection, counting connections.
class RawUpstream {
 public:
  using Handler = std::function<bool(UpExchange&)>;  // returns keep-alive

  explicit RawUpstream(Handler handler = echo)
      : handler_(std::move(handler)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~RawUpstream() { stop(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  /// Connections this side has closed and whose close the peer has seen
  /// (the FIN acknowledged, or the wait for it timed out).
  int closed() const { return closed_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stopped_.load()) return;
      ++connections_;
      socket.set_option(tcp::no_delay(true), ec);
      std::lock_guard lock(mutex_);
      fds_.insert(socket.native_handle());
      threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
    }
  }

  void serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(1ull << 30);
      beast::error_code ec;
      bhttp::read_header(socket, buffer, parser, ec);
      if (ec) break;
      ++requests_;
      UpExchange ex{socket, buffer, parser};
      if (!handler_(ex)) break;
    }
    beast::error_code ec;
    {
      std::lock_guard lock(mutex_);
      fds_.erase(socket.native_handle());
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    // Bounded: a test that waits on closed() fails on its own if this times out.
    (void)eventually(2s, [&] { return fin_acknowledged(socket.native_handle()); });
    socket.close(ec);
    ++closed_;
  }

  Handler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> closed_{0};
  std::mutex mutex_;
  std::set<int> fds_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

inline std::string error_code_of(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "<not an error body: " + body + ">";
  return j["error"]["code"].get<std::string>();
}

/// A port nothing listens on.
inline std::uint16_t closed_port() {
  return testing::free_loopback_port();
}

inline Options test_options() {
  Options o;
  o.connect_timeout = 1s;
  o.request_timeout = 5s;
  o.wake_timeout = 2s;
  o.wake_poll = 5ms;
  o.body_limit = 1024 * 1024;
  return o;
}

class GatewayTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (front_) {
      front_->stop(0s);
      front_->wait();
    }
  }

  void start(Options options = test_options(), Hooks hooks = {}) {
    gateway_.emplace(table_, options, std::move(hooks));
    router_.add("GET", "/healthz", [](http::Request&) { return http::text_response(200, "ok"); });
    http::ServerOptions server_options;
    server_options.port = 0;
    server_options.worker_threads = 2;
    server_options.network_threads = 2;
    front_.emplace(server_options, router_, metrics_);
    gateway_->mount(*front_);
    auto port = front_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }

  Route route(std::uint16_t upstream_port, std::string deployment = "dep_1",
              RouteState state = RouteState::kServing,
              Visibility visibility = Visibility::kPublic) {
    Route r;
    r.owner = "alice";
    r.project = "shop";
    r.owner_id = "usr_alice";
    r.deployment_id = std::move(deployment);
    r.visibility = visibility;
    r.state = state;
    r.upstreams = {Upstream{"127.0.0.1", upstream_port}};
    return r;
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  Result<http::ClientResponse> get(std::string_view path,
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_.request("GET", url(path), headers);
  }

  RouteTable table_;
  std::optional<Gateway> gateway_;
  http::Router router_;
  http::Metrics metrics_;
  std::optional<http::Server> front_;
  std::uint16_t port_ = 0;
  http::Client client_{60s};
};

}  // namespace orsa::gateway::test_support
