#include "gateway/gateway.hpp"

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
#include "gateway/service_urls.hpp"
#include "http/client.hpp"
#include "http/raw_conn_testing.hpp"
#include "http/server.hpp"

namespace orsa::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using http::test_support::RawConn;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

/// Polls `condition` until it holds or `timeout` passes.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

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
bool echo(UpExchange& ex) {
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
bool fin_acknowledged(int fd) {
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
    (void)eventually([&] { return fin_acknowledged(socket.native_handle()); }, 2s);
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

std::string error_code_of(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "<not an error body: " + body + ">";
  return j["error"]["code"].get<std::string>();
}

/// A port nothing listens on.
std::uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

Options test_options() {
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
    r.upstream = Upstream{"127.0.0.1", upstream_port};
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

TEST_F(GatewayTest, ProxiesGetAndPostToAnHttpServerRewritingPathAndQuery) {
  http::Router up_router;
  up_router.add("GET", "/", [](http::Request&) { return http::text_response(200, "root"); });
  up_router.add("GET", "/items/{id}", [](http::Request& r) {
    Json j = {{"id", r.param("id")}, {"target", r.target}, {"query", r.query}};
    return http::json_text_response(200, j.dump());
  });
  up_router.add("POST", "/echo", [](http::Request& r) { return http::text_response(200, r.body); });
  http::Metrics up_metrics;
  http::ServerOptions up_options;
  up_options.port = 0;
  http::Server upstream(up_options, up_router, up_metrics);
  auto up_port = upstream.start();
  ASSERT_TRUE(up_port);
  start();
  table_.put(route(*up_port));

  auto item = get("/alice/shop/items/42?x=1&y=a%20b");
  ASSERT_TRUE(item) << item.error().message;
  ASSERT_EQ(item->status, 200) << item->body;
  const Json j = Json::parse(item->body);
  EXPECT_EQ(j["id"], "42");
  EXPECT_EQ(j["target"], "/items/42?x=1&y=a%20b");
  EXPECT_EQ(j["query"]["y"], "a b");

  auto root = get("/alice/shop/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, "root");

  auto posted = client_.request("POST", url("/alice/shop/echo"), {}, "payload bytes");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  EXPECT_EQ(posted->body, "payload bytes");

  // The listener is the gateway's alone: no route of ORSA's answers there.
  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 404);
  upstream.stop(0s);
  upstream.wait();
}

TEST_F(GatewayTest, SetsForwardedHeadersAndStripsCredentialsAndHopByHop) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    Json seen = Json::object();
    for (const auto& f : ex.req()) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      seen[name] = std::string(f.value());
    }
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::set_cookie, "orsa_session=evil; Path=/");
    res.insert(bhttp::field::set_cookie, "other=1");
    res.set(bhttp::field::connection, "X-Up-Hop");
    res.set("X-Up-Hop", "1");
    res.set("X-Up-Kept", "1");
    res.set(bhttp::field::keep_alive, "timeout=5");
    res.body() = seen.dump();
    return ex.send(std::move(res));
  });
  start();
  table_.put(route(upstream.port()));

  auto r = get("/alice/shop/x", {{"Authorization", "Bearer secret"},
                                 {"Cookie", "orsa_session=abc; theme=dark; orsa_csrf=xyz"},
                                 {"Connection", "X-Client-Hop"},
                                 {"X-Client-Hop", "1"},
                                 {"Proxy-Authorization", "Basic x"},
                                 {"X-Forwarded-For", "10.0.0.1"},
                                 {"X-Request-Id", "req-123"}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  const Json seen = Json::parse(r->body);
  EXPECT_FALSE(seen.contains("authorization"));
  EXPECT_FALSE(seen.contains("proxy-authorization"));
  EXPECT_FALSE(seen.contains("x-client-hop"));
  EXPECT_FALSE(seen.contains("connection"));
  EXPECT_EQ(seen["cookie"], "theme=dark");
  EXPECT_EQ(seen["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(seen["x-forwarded-proto"], "http");
  EXPECT_EQ(seen["x-forwarded-prefix"], "/alice/shop");
  EXPECT_EQ(seen["x-forwarded-host"], "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(seen["x-request-id"], "req-123");
  EXPECT_EQ(seen["host"], "127.0.0.1:" + std::to_string(upstream.port()));

  EXPECT_TRUE(r->set_cookies.empty());
  EXPECT_FALSE(r->headers.contains("set-cookie"));
  EXPECT_FALSE(r->headers.contains("x-up-hop"));
  EXPECT_FALSE(r->headers.contains("keep-alive"));
  EXPECT_EQ(r->headers["x-up-kept"], "1");
  EXPECT_EQ(r->headers["x-request-id"], "req-123");
}

TEST_F(GatewayTest, CookieHeaderWithOnlyOrsaCookiesIsDropped) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  auto r = get("/alice/shop/", {{"Cookie", "orsa_session=abc; orsa_csrf=xyz"}});
  ASSERT_TRUE(r);
  EXPECT_FALSE(Json::parse(r->body)["headers"].contains("cookie"));
}

TEST_F(GatewayTest, StreamsAChunkedRequestBodyBeforeItEnds) {
  std::promise<void> first_seen;
  auto first_seen_future = first_seen.get_future();
  RawUpstream upstream([&](UpExchange& ex) {
    const std::string te(ex.req()[bhttp::field::transfer_encoding]);
    // Read piecewise: the first chunk must arrive while the client holds the rest.
    while (ex.req().body().find("first;") == std::string::npos) {
      beast::error_code ec;
      bhttp::read_some(ex.socket, ex.buffer, ex.parser, ec);
      if (ec) return false;
    }
    first_seen.set_value();
    if (!ex.read_body()) return false;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.body() = te + ":" + ex.req().body();
    return ex.send(std::move(res));
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("POST /alice/shop/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "6\r\nfirst;\r\n"));
  ASSERT_EQ(first_seen_future.wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(c.send("6\r\nsecond\r\n0\r\n\r\n"));
  ASSERT_TRUE(c.read_until("first;second"));
  EXPECT_NE(c.received().find("chunked:first;second"), std::string::npos) << c.received();
  // Recorded after the response is written: poll.
  EXPECT_TRUE(eventually([&] { return table_.stats("dep_1").bytes_in == 12u; }))
      << table_.stats("dep_1").bytes_in;
}

TEST_F(GatewayTest, StreamsAChunkedResponseBeforeItEnds) {
  std::promise<void> release;
  auto released = release.get_future().share();
  RawUpstream upstream([released](UpExchange& ex) {
    ex.read_body();
    ex.send_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    if (released.wait_for(5s) != std::future_status::ready) return false;
    ex.send_raw("6\r\n world\r\n0\r\n\r\n");
    return true;
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /alice/shop/events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until("hello"));
  EXPECT_EQ(c.received().find("world"), std::string::npos);
  release.set_value();
  ASSERT_TRUE(c.read_until("\r\n0\r\n\r\n"));
  EXPECT_NE(c.received().find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(c.received().find("world"), std::string::npos);
}

TEST_F(GatewayTest, LargeChunkedResponseArrivesIntact) {
  constexpr std::size_t kTotal = 50 * 1024 * 1024;
  constexpr std::size_t kPiece = 1 << 20;
  RawUpstream upstream([](UpExchange& ex) {
    ex.read_body();
    if (!ex.send_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return false;
    std::string piece(kPiece, '\0');
    char hex[32];
    for (std::size_t sent = 0; sent < kTotal; sent += kPiece) {
      for (std::size_t i = 0; i < kPiece; ++i) piece[i] = static_cast<char>('a' + (sent + i) % 23);
      const int n = std::snprintf(hex, sizeof hex, "%zx\r\n", kPiece);
      if (!ex.send_raw(std::string_view(hex, static_cast<std::size_t>(n))) || !ex.send_raw(piece) ||
          !ex.send_raw("\r\n")) {
        return false;
      }
    }
    return ex.send_raw("0\r\n\r\n");
  });
  Options options = test_options();
  options.request_timeout = 60s;  // debug and sanitizer builds move 50 MB slowly
  start(options);
  table_.put(route(upstream.port()));
  const auto begin = SteadyClock::now();
  auto r = get("/alice/shop/big");
  std::printf("50 MB through the gateway in %.0f ms\n",
              std::chrono::duration<double, std::milli>(SteadyClock::now() - begin).count());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200);
  ASSERT_EQ(r->body.size(), kTotal);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < kTotal; ++i) {
    mismatches += r->body[i] != static_cast<char>('a' + i % 23);
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_TRUE(eventually([&] { return table_.stats("dep_1").bytes_out == kTotal; }));
}

TEST_F(GatewayTest, ReusesUpstreamConnections) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  for (int i = 0; i < 10; ++i) {
    // A new client connection each time: the pool spans client connections.
    auto r = get("/alice/shop/n" + std::to_string(i));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(upstream.requests(), 10);
  EXPECT_LT(upstream.connections(), 10);
  EXPECT_LE(upstream.connections(), 2);
}

TEST_F(GatewayTest, RecoversWhenTheUpstreamClosesPooledConnections) {
  // Says keep-alive, then closes: every pooled connection is stale.
  RawUpstream upstream([](UpExchange& ex) {
    echo(ex);
    return false;
  });
  start();
  table_.put(route(upstream.port()));
  for (int i = 0; i < 5; ++i) {
    auto r = get("/alice/shop/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i;
    // A POST cannot be resent, so the gateway must see the close before
    // sending (looks_open). The upstream closes just after answering; wait
    // until the gateway's side has acknowledged that close, or the gateway
    // can beat it and the race is not the one under test.
    ASSERT_TRUE(eventually([&] { return upstream.closed() == upstream.connections(); }));
    auto p = client_.request("POST", url("/alice/shop/"), {}, "body");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 200) << i;
  }
}

TEST_F(GatewayTest, UnknownProjectsAndBadPathsAre404) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  for (const char* path :
       {"/alice/nope/", "/bob/shop/x", "/alice", "/", "//shop/", "/s/alice/shop/"}) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(error_code_of(r->body), "not_found") << path;
  }
  EXPECT_EQ(upstream.requests(), 0);
}

TEST_F(GatewayTest, PrivateRouteAnswers404UnlessAuthorized) {
  RawUpstream upstream;
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::string seen_path, seen_method;
  Hooks hooks;
  hooks.authorize = [&](const Route& r, const http::Request& req) {
    ++calls;
    std::lock_guard lock(mutex);
    seen_path = req.path;
    seen_method = req.method;
    return r.owner == "alice" && req.header("Authorization") == "Bearer good";
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));

  auto denied = get("/alice/shop/p", {{"Authorization", "Bearer bad"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 404);
  EXPECT_EQ(error_code_of(denied->body), "not_found");
  auto missing = get("/alice/other/p");
  ASSERT_TRUE(missing);
  // The same answer as for a project that does not exist.
  EXPECT_EQ(denied->body, missing->body);
  EXPECT_EQ(upstream.requests(), 0);

  auto allowed = get("/alice/shop/p%20q", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(allowed);
  ASSERT_EQ(allowed->status, 200);
  // Authorised, yet the credential still stays with ORSA.
  EXPECT_FALSE(Json::parse(allowed->body)["headers"].contains("authorization"));
  EXPECT_EQ(calls.load(), 2);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen_path, "/alice/shop/p q");
  EXPECT_EQ(seen_method, "GET");
}

TEST_F(GatewayTest, PrivateRouteWithoutAuthorizeHookIs404) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(GatewayTest, UnavailableRouteIs503WithRetryAfter) {
  start();
  table_.put(route(closed_port(), "dep_1", RouteState::kUnavailable));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["retry-after"], "5");
  EXPECT_EQ(error_code_of(r->body), "unavailable");
  EXPECT_TRUE(eventually([&] { return table_.stats("dep_1").requests_by_class[4] == 1u; }));
}

TEST_F(GatewayTest, UpstreamDownIs502) {
  start();
  table_.put(route(closed_port()));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  // The client connection stays usable after a gateway error.
  auto again = get("/alice/shop/");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 502);
}

TEST_F(GatewayTest, SlowUpstreamIs504) {
  std::promise<void> release;
  auto released = release.get_future().share();
  RawUpstream upstream([released](UpExchange& ex) {
    released.wait_for(10s);
    return echo(ex);
  });
  Options options = test_options();
  options.request_timeout = 300ms;
  start(options);
  table_.put(route(upstream.port()));
  const auto begin = SteadyClock::now();
  auto r = get("/alice/shop/slow");
  release.set_value();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_LT(SteadyClock::now() - begin, 3s);
}

TEST_F(GatewayTest, UpstreamGarbageIs502) {
  RawUpstream upstream([](UpExchange& ex) {
    ex.read_body();
    ex.send_raw("this is not http\r\n\r\n");
    return false;
  });
  start();
  table_.put(route(upstream.port()));
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

TEST_F(GatewayTest, BodiesOverTheLimitAre413) {
  RawUpstream upstream;
  Options options = test_options();
  options.body_limit = 1024;
  start(options);
  table_.put(route(upstream.port()));
  auto declared = client_.request("POST", url("/alice/shop/"), {}, std::string(2048, 'x'));
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  EXPECT_EQ(upstream.requests(), 0);

  RawConn c(port_);
  ASSERT_TRUE(
      c.send("POST /alice/shop/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "400\r\n" +
             std::string(1024, 'y') + "\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  ASSERT_TRUE(c.read_until("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 413");

  auto fits = client_.request("POST", url("/alice/shop/"), {}, std::string(1000, 'z'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
}

TEST_F(GatewayTest, ProjectWithoutTrailingSlashRedirects308KeepingTheQuery) {
  start();
  table_.put(route(closed_port()));
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /alice/shop?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until("\r\n\r\n"));
  EXPECT_EQ(c.received().substr(0, 12), "HTTP/1.1 308");
  EXPECT_NE(c.received().find("Location: /alice/shop/?a=1&b=2\r\n"), std::string::npos)
      << c.received();
}

TEST_F(GatewayTest, IdleRouteIsWokenAndTheRequestHeldUntilServing) {
  RawUpstream upstream;
  std::atomic<int> wakes{0};
  std::vector<std::thread> wakers;
  std::mutex mutex;
  Hooks hooks;
  hooks.wake = [&](const Route& r) {
    ++wakes;
    std::lock_guard lock(mutex);
    wakers.emplace_back([&, r] {
      std::this_thread::sleep_for(100ms);  // the container "starts"
      Route serving = r;
      serving.state = RouteState::kServing;
      table_.put(serving);
    });
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kIdle));
  auto r = get("/alice/shop/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(wakes.load(), 1);
  std::lock_guard lock(mutex);
  for (auto& t : wakers) t.join();
}

TEST_F(GatewayTest, IdleRouteNeverWokenIs503AfterTheWakeTimeout) {
  std::atomic<int> wakes{0};
  Hooks hooks;
  hooks.wake = [&](const Route&) { ++wakes; };
  Options options = test_options();
  options.wake_timeout = 200ms;
  start(options, std::move(hooks));
  table_.put(route(closed_port(), "dep_1", RouteState::kIdle));
  const auto begin = SteadyClock::now();
  auto r = get("/alice/shop/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->headers["retry-after"], "5");
  EXPECT_GE(SteadyClock::now() - begin, 200ms);
  EXPECT_EQ(wakes.load(), 1);
}

TEST_F(GatewayTest, CountsMetricsPerDeploymentAndInTheServerLog) {
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port(), "dep_m"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(get("/alice/shop/"));
  ASSERT_TRUE(client_.request("POST", url("/alice/shop/"), {}, "12345"));
  // Recorded after the response is written: poll.
  ASSERT_TRUE(eventually([&] { return table_.stats("dep_m").requests_by_class[1] == 4; }));
  const StatsSnapshot s = table_.stats("dep_m");
  EXPECT_EQ(s.bytes_in, 5u);
  EXPECT_GT(s.bytes_out, 0u);
  std::uint64_t observed = 0;
  for (auto n : s.latency_buckets) observed += n;
  EXPECT_EQ(observed, 4u);
  EXPECT_TRUE(s.last_request_at);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_NE(table_.render_metrics().find(
                "orsa_gateway_requests_total{deployment=\"dep_m\",class=\"2xx\"} 4"),
            std::string::npos);
  // The server's own per-route metrics use the gateway's route label.
  EXPECT_TRUE(eventually(
      [&] { return metrics_.render().find("/{owner}/{project}/{path...}") != std::string::npos; }));
}

TEST_F(GatewayTest, HeadRequestGetsHeadersOnly) {
  RawUpstream upstream([](UpExchange& ex) {
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.content_length(1234);
    beast::error_code ec;
    bhttp::response_serializer<bhttp::string_body> sr{res};
    bhttp::write_header(ex.socket, sr, ec);
    return !ec;
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("HEAD /alice/shop/file HTTP/1.1\r\nHost: x\r\n\r\n"
             "HEAD /alice/shop/file HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until("Content-Length: 1234\r\n"));
  // The second answer on the same connection proves the first had no body.
  const auto first = c.received().find("HTTP/1.1 200");
  ASSERT_TRUE(eventually([&] {
    c.read_until("\x01", 20ms);  // reads whatever comes within 20 ms
    return c.received().find("HTTP/1.1 200", first + 1) != std::string::npos;
  }));
}

TEST_F(GatewayTest, BlueGreenSwitchFailsNoRequestAndDrainsTheOldUpstream) {
  std::promise<void> slow_started;
  std::promise<void> release_slow;
  auto released = release_slow.get_future().share();
  std::atomic<bool> slow_once{false};
  RawUpstream blue([&, released](UpExchange& ex) {
    if (ex.req().target() == "/slow" && !slow_once.exchange(true)) {
      slow_started.set_value();
      released.wait_for(5s);
    }
    return echo(ex);
  });
  RawUpstream green;
  start();
  table_.put(route(blue.port(), "dep_blue"));

  // A request still running on blue when the switch happens.
  auto slow = std::async(std::launch::async, [&] { return get("/alice/shop/slow"); });
  ASSERT_EQ(slow_started.get_future().wait_for(5s), std::future_status::ready);

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::thread loop([&] {
    while (!stop.load()) {
      auto r = get("/alice/shop/loop");
      (r && r->status == 200 ? ok : failed)++;
    }
  });
  ASSERT_TRUE(eventually([&] { return ok.load() >= 20; }));
  table_.put(route(green.port(), "dep_green"));
  ASSERT_TRUE(eventually([&] { return green.requests() >= 20; }));
  stop = true;
  loop.join();
  EXPECT_EQ(failed.load(), 0);

  EXPECT_EQ(table_.in_flight(Upstream{"127.0.0.1", blue.port()}), 1u);
  release_slow.set_value();
  auto slow_result = slow.get();
  ASSERT_TRUE(slow_result);
  EXPECT_EQ(slow_result->status, 200);
  EXPECT_TRUE(eventually([&] {
    return table_.in_flight(Upstream{"127.0.0.1", blue.port()}) == 0;
  }));
}

TEST_F(GatewayTest, StopClosesIdleConnectionsAndFinishesInFlightExchanges) {
  std::promise<void> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  RawUpstream upstream([&, released](UpExchange& ex) {
    if (ex.req().target() == "/slow") {
      started.set_value();
      released.wait_for(5s);
    }
    return echo(ex);
  });
  start();
  table_.put(route(upstream.port()));
  RawConn idle(port_);
  ASSERT_TRUE(idle.connected());
  auto slow = std::async(std::launch::async, [&] { return get("/alice/shop/slow"); });
  ASSERT_EQ(started.get_future().wait_for(5s), std::future_status::ready);
  front_->stop(5s);
  release.set_value();
  auto r = slow.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  front_->wait();
  front_.reset();
}

// ---- attacks from a service page on ORSA's credentials and origin ----

TEST_F(GatewayTest, OrsaCookiesCsrfHeaderAndAuthorizationNeverReachTheService) {
  // Every form below is one ORSA's own cookie parser reads (several Cookie
  // fields are joined with "; ", blanks around names are trimmed) or a
  // browser stores (__Host- under TLS, another letter case).
  http::Request as_orsa_reads;
  as_orsa_reads.headers["Cookie"] = "theme=dark; orsa_session=a; \torsa_csrf =b ;lang=en";
  ASSERT_EQ(as_orsa_reads.cookie("orsa_csrf"), "b");
  RawUpstream upstream;
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("GET /alice/shop/ HTTP/1.1\r\nHost: x\r\n"
             "Cookie: theme=dark; orsa_session=a\r\n"
             "cookie: \torsa_csrf =b ;lang=en\r\n"
             "COOKIE: ORSA_SESSION=c; __Host-orsa_session=d; __Secure-Orsa_Csrf=e\r\n"
             "X-CSRF-Token: t1\r\nx-csrf-token: t2\r\n"
             "Authorization: Bearer secret\r\nauthorization: Basic eDp5\r\n"
             "Connection: close\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const Json headers = Json::parse(reply->body)["headers"];
  EXPECT_EQ(headers["cookie"], "theme=dark|lang=en");
  EXPECT_FALSE(headers.contains("x-csrf-token"));
  EXPECT_FALSE(headers.contains("authorization"));
  EXPECT_EQ(reply->body.find("orsa_"), std::string::npos) << reply->body;
  EXPECT_EQ(reply->body.find("ORSA_"), std::string::npos) << reply->body;
}

TEST_F(GatewayTest, ServiceWorkerScopeAndOrsaCookiesNeverReachTheBrowserAndPagesAreSandboxed) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    return ex.send_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        "Service-Worker-Allowed: /\r\nservice-worker-allowed: /api/\r\n"
        "Set-Cookie: orsa_csrf=forged; Path=/\r\n"
        "Set-Cookie: __Host-orsa_session=forged; Path=/; Secure\r\n"
        "Set-Cookie: theme=dark\r\n"
        "Content-Security-Policy: default-src 'self'\r\n"
        "Content-Length: 2\r\n\r\nok");
  });
  start();
  table_.put(route(upstream.port()));
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /alice/shop/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "ok");
  std::string head = reply->head;
  for (auto& ch : head) ch = static_cast<char>(std::tolower(ch));
  EXPECT_EQ(head.find("service-worker-allowed"), std::string::npos) << reply->head;
  // On the shared origin no cookie at all: it would reach every service and ORSA's host.
  EXPECT_EQ(head.find("set-cookie"), std::string::npos) << reply->head;
  // The service's own policy stays; the sandbox is added.
  EXPECT_NE(reply->head.find("Content-Security-Policy: default-src 'self'\r\n"), std::string::npos);
  EXPECT_NE(reply->head.find("Content-Security-Policy: " + std::string(kSandboxPolicy) + "\r\n"),
            std::string::npos)
      << reply->head;
  EXPECT_EQ(std::string(kSandboxPolicy).find("allow-same-origin"), std::string::npos);

  // The gateway's own answers are sandboxed too.
  auto missing = get("/alice/none/");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->headers["content-security-policy"], kSandboxPolicy);
}

TEST_F(GatewayTest, DomainModeRoutesByHostWithAnOriginPerService) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    return ex.send_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        "Set-Cookie: orsa_session=forged; Domain=apps.test\r\n"
        "Set-Cookie: theme=dark\r\n"
        "X-Seen: " +
        std::string(ex.req().target()) + " prefix=" + std::string(ex.req()["X-Forwarded-Prefix"]) +
        "\r\nContent-Length: 2\r\n\r\nok");
  });
  Options options = test_options();
  options.services_domain = "apps.test";
  start(options);
  table_.put(route(upstream.port()));

  auto r = get("/items?q=1", {{"Host", "shop--alice.apps.test:8443"}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->headers["x-seen"], "/items?q=1 prefix=");
  // Its own origin: its own cookies, but never ORSA's names; no sandbox needed.
  ASSERT_EQ(r->set_cookies.size(), 1u);
  EXPECT_EQ(r->set_cookies[0], "theme=dark");
  EXPECT_FALSE(r->headers.contains("content-security-policy"));

  for (const char* host : {"apps.test", "shop.apps.test", "shop--alice.evil.test",
                           "shop--alice.apps.test.evil.test", "x.shop--alice.apps.test"}) {
    auto other = get("/items", {{"Host", host}});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404) << host;
  }
  auto by_path = get("/alice/shop/items", {{"Host", "apps.test"}});
  ASSERT_TRUE(by_path);
  EXPECT_EQ(by_path->status, 404);
  EXPECT_EQ(upstream.requests(), 1);
}

TEST_F(GatewayTest, PrivateServicesAuthorizeByBearerTokenNeverByCookie) {
  RawUpstream upstream;
  std::atomic<int> with_cookie{0};
  Hooks hooks;
  hooks.authorize = [&](const Route&, const http::Request& req) {
    if (req.header("Cookie")) ++with_cookie;
    return req.header("Authorization") == "Bearer good";
  };
  start(test_options(), std::move(hooks));
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));
  // The browser sends ORSA's cookies to the services port too (cookies ignore ports).
  auto by_cookie = get("/alice/shop/", {{"Cookie", "orsa_session=valid; orsa_csrf=x"}});
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->status, 404);
  auto by_token = get("/alice/shop/", {{"Authorization", "Bearer good"}, {"Cookie", "a=1"}});
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->status, 200);
  EXPECT_EQ(with_cookie.load(), 0);
  EXPECT_EQ(upstream.requests(), 1);
}

TEST_F(GatewayTest, OnlyTheAppOriginGetsACorsGrantAndNeverWithCredentials) {
  RawUpstream upstream([](UpExchange& ex) {
    if (!ex.read_body()) return false;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::access_control_allow_origin, "*");
    res.set(bhttp::field::access_control_allow_credentials, "true");
    res.body() = "ok";
    return ex.send(std::move(res));
  });
  Options options = test_options();
  options.app_origin = "http://app.test:8080";
  start(options);
  table_.put(route(upstream.port(), "dep_1", RouteState::kServing, Visibility::kPrivate));

  auto preflight = client_.request("OPTIONS", url("/alice/shop/solve"),
                                   {{"Origin", "http://app.test:8080"},
                                    {"Access-Control-Request-Method", "POST"},
                                    {"Access-Control-Request-Headers", "authorization"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  EXPECT_EQ(preflight->headers["access-control-allow-origin"], "http://app.test:8080");
  EXPECT_NE(preflight->headers["access-control-allow-headers"].find("Authorization"),
            std::string::npos);
  EXPECT_FALSE(preflight->headers.contains("access-control-allow-credentials"));
  EXPECT_EQ(upstream.requests(), 0);

  table_.put(route(upstream.port()));
  auto app = get("/alice/shop/", {{"Origin", "http://app.test:8080"}});
  ASSERT_TRUE(app);
  EXPECT_EQ(app->headers["access-control-allow-origin"], "http://app.test:8080");
  EXPECT_FALSE(app->headers.contains("access-control-allow-credentials"));
  auto evil =
      client_.request("OPTIONS", url("/alice/shop/"),
                      {{"Origin", "http://evil.test"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(evil);
  EXPECT_NE(evil->headers["access-control-allow-origin"], "http://evil.test");
}

TEST(LegacyRedirect, OldServicePathsOnOrsasOriginOnlyRedirectKeepingTheMethod) {
  http::Router router;
  router.add("GET", "/healthz", [](http::Request&) { return http::text_response(200, "ok"); });
  http::Metrics metrics;
  http::ServerOptions server_options;
  server_options.port = 0;
  http::Server server(server_options, router, metrics);
  const ServiceUrls urls{.origin = "http://127.0.0.1:9"};
  mount_legacy_redirect(server, [&](std::string_view owner, std::string_view project) {
    return urls.url(owner, project);
  });
  auto port = server.start();
  ASSERT_TRUE(port);
  http::Client client{10s};
  const auto at = [&](std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(*port) + std::string(path);
  };
  auto get = client.request("GET", at("/s/alice/shop/items/1?q=a%20b"), {});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 308);
  EXPECT_EQ(get->headers["location"], "http://127.0.0.1:9/alice/shop/items/1?q=a%20b");
  // A script's POST with the cookies attached is not served here either.
  auto post = client.request("POST", at("/s/alice/shop/solve"),
                             {{"Cookie", "orsa_session=s; orsa_csrf=c"}}, "{}");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 308);
  EXPECT_EQ(post->headers["location"], "http://127.0.0.1:9/alice/shop/solve");
  EXPECT_FALSE(post->headers.contains("set-cookie"));
  auto bare = client.request("GET", at("/s/alice/shop?x=1"), {});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->headers["location"], "http://127.0.0.1:9/alice/shop/?x=1");
  auto bad = client.request("GET", at("/s/alice"), {});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
  auto health = client.request("GET", at("/healthz"), {});
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "ok");
  server.stop(0s);
  server.wait();
}

}  // namespace
}  // namespace orsa::gateway
