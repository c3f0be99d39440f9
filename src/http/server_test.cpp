#include "http/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/json.hpp"
#include "core/random.hpp"
#include "http/client.hpp"
#include "http/raw_conn_testing.hpp"

namespace orsa::http {
namespace {

using namespace std::chrono_literals;
using test_support::RawConn;
using SteadyClock = std::chrono::steady_clock;

std::string error_code_of(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "<not an error body: " + body + ">";
  return j["error"]["code"].get<std::string>();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.port = 0;
    options_.worker_threads = 2;
    router_.add("GET", "/hello", [](Request&) { return text_response(200, "hello"); });
    router_.add("GET", "/items/{id}", [](Request& r) {
      Json j = {{"id", r.param("id")}, {"query", r.query}, {"path", r.path}};
      return json_text_response(200, j.dump());
    });
    router_.add(
        "POST", "/echo", [](Request& r) { return text_response(200, r.body); },
        RouteOptions{.body_limit = 1024});
    router_.add("GET", "/boom", [](Request&) -> Response {
      throw std::runtime_error("secret database password leaked");
    });
    router_.add("GET", "/request-id", [](Request& r) { return text_response(200, r.request_id); });
    router_.add("GET", "/cookies", [](Request& r) {
      Response res = text_response(200, std::string(r.cookie("a").value_or("none")));
      res.add_header("Set-Cookie", "x=1; HttpOnly");
      res.add_header("Set-Cookie", "y=2");
      return res;
    });
  }

  void TearDown() override {
    if (server_) {
      server_->stop(0s);
      server_->wait();
    }
  }

  void start() {
    server_.emplace(options_, router_, metrics_);
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  ServerOptions options_;
  Router router_;
  Metrics metrics_;
  std::optional<Server> server_;
  std::uint16_t port_ = 0;
  Client client_{5s};
};

TEST_F(ServerTest, AnswersAndAddsStandardHeaders) {
  start();
  auto r = client_.request("GET", url("/hello"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->headers["server"], "orsa");
  EXPECT_EQ(r->headers["content-length"], "5");
  EXPECT_FALSE(r->headers["date"].empty());
  EXPECT_FALSE(r->headers["x-request-id"].empty());
}

TEST_F(ServerTest, RunsHandlersOnTheWorkerPoolNotTheNetworkThread) {
  // With one network thread, two handlers can only overlap if they run on the pool.
  options_.network_threads = 1;
  options_.worker_threads = 2;
  std::promise<void> second_started;
  auto second_future = second_started.get_future().share();
  router_.add("GET", "/first", [second_future](Request&) {
    const bool overlapped = second_future.wait_for(5s) == std::future_status::ready;
    return text_response(200, overlapped ? "overlapped" : "serialised");
  });
  router_.add("GET", "/second", [&second_started](Request&) {
    second_started.set_value();
    return text_response(200, "ok");
  });
  start();
  auto first =
      std::async(std::launch::async, [&] { return client_.request("GET", url("/first")); });
  // Whichever handler starts first, both must be able to run at once.
  auto second = client_.request("GET", url("/second"));
  ASSERT_TRUE(second);
  auto first_result = first.get();
  ASSERT_TRUE(first_result);
  EXPECT_EQ(first_result->body, "overlapped");
}

TEST_F(ServerTest, DecodesPathParamsAndQuery) {
  start();
  auto r = client_.request("GET", url("/items/hello%20world?q=a%2Bb&x=1+2&flag"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const Json j = Json::parse(r->body);
  EXPECT_EQ(j["id"], "hello world");
  EXPECT_EQ(j["path"], "/items/hello world");
  EXPECT_EQ(j["query"]["q"], "a+b");
  EXPECT_EQ(j["query"]["x"], "1 2");
  EXPECT_EQ(j["query"]["flag"], "");
}

TEST_F(ServerTest, RejectsBadPathEncoding) {
  start();
  for (const char* path : {"/items/%zz", "/items/a%00b", "/items/%"}) {
    RawConn c(port_);
    ASSERT_TRUE(c.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto reply = c.read_reply();
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 400) << path;
    EXPECT_EQ(error_code_of(reply->body), "invalid_argument");
  }
}

TEST_F(ServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  start();
  auto missing = client_.request("GET", url("/nope"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers["content-type"], "application/json");
  EXPECT_EQ(error_code_of(missing->body), "not_found");

  auto wrong = client_.request("DELETE", url("/hello"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers["allow"], "GET, HEAD");
  EXPECT_EQ(error_code_of(wrong->body), "invalid_argument");
}

TEST_F(ServerTest, BodyWithinLimitIsDelivered) {
  start();
  auto r = client_.request("POST", url("/echo"), {}, std::string(1024, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1024u);
}

TEST_F(ServerTest, ContentLengthOverRouteLimitIs413) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  ASSERT_TRUE(c.send(std::string(5000, 'a')));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  const Json j = Json::parse(reply->body);
  EXPECT_EQ(j["error"]["code"], "too_large");
  EXPECT_EQ(j["error"]["message"], "request body exceeds 1024 bytes");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, ChunkedBodyGrowingPastLimitIs413) {
  start();
  RawConn c(port_);
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'b') + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(c.send(req));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(error_code_of(reply->body), "too_large");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, SmallChunkedBodyIsAccepted) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "abcde");
}

// A guarded route: the admission step sees the head only; "Authorization:
// yes" lets the request in and leaves a note for the handler.
GuardedHandler guarded_echo(std::atomic<int>& handled) {
  return {[](Request& r) -> std::optional<Response> {
            if (r.header("Authorization") != "yes") return text_response(401, "no");
            EXPECT_TRUE(r.body.empty());
            r.context = std::string("admitted");
            return std::nullopt;
          },
          [&handled](Request& r) {
            ++handled;
            const auto* note = std::any_cast<std::string>(&r.context);
            return text_response(200, (note ? *note : "?") + ":" + std::to_string(r.body.size()));
          }};
}

TEST_F(ServerTest, AdmissionRefusesFromTheHeadBeforeAnyBodyIsRead) {
  std::atomic<int> handled = 0;
  router_.add("PUT", "/guarded", guarded_echo(handled), RouteOptions{.body_limit = 1u << 30});
  start();
  RawConn c(port_);
  // A 1 GiB body is announced; only 4 KiB of it is ever sent.
  ASSERT_TRUE(c.send("PUT /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n"));
  ASSERT_TRUE(c.send(std::string(4096, 'a')));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply) << "the refusal waited for the body";
  EXPECT_EQ(reply->status, 401);
  EXPECT_EQ(reply->header("Connection"), "close");  // the unread body ends the connection
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(ServerTest, AdmissionRefusesChunkedBodiesAndExpectContinueGetsNo100) {
  std::atomic<int> handled = 0;
  router_.add("PUT", "/guarded", guarded_echo(handled));
  start();
  {
    RawConn c(port_);
    ASSERT_TRUE(
        c.send("PUT /guarded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "1000\r\n" +
               std::string(4096, 'b') + "\r\n"));
    auto reply = c.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 401);
  }
  RawConn c(port_);
  ASSERT_TRUE(c.send(
      "PUT /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 401);  // not 100: the client never sends the body
  EXPECT_EQ(handled.load(), 0);
}

TEST_F(ServerTest, AdmittedRequestsCarryTheContextAndKeepTheConnection) {
  std::atomic<int> handled = 0;
  router_.add("PUT", "/guarded", guarded_echo(handled));
  router_.add("GET", "/guarded", guarded_echo(handled));
  start();
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("PUT /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: yes\r\n"
             "Content-Length: 5\r\n\r\nhello"));
  auto put = c.read_reply();
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200);
  EXPECT_EQ(put->body, "admitted:5");
  // Without a body, admission and handler run in one trip; refusals keep the connection.
  ASSERT_TRUE(c.send("GET /guarded HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto refused = c.read_reply();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  ASSERT_TRUE(c.send("GET /guarded HTTP/1.1\r\nHost: x\r\nAuthorization: yes\r\n\r\n"));
  auto get = c.read_reply();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "admitted:0");
  EXPECT_EQ(handled.load(), 2);
}

TEST_F(ServerTest, SpoolingRoutesGetTheBodyInAFileRemovedAfterwards) {
  const auto spool = std::filesystem::temp_directory_path() / ("orsa-spool-test-" + random_hex(6));
  std::filesystem::create_directories(spool);
  options_.spool_dir = spool;
  std::filesystem::path seen;
  router_.add(
      "PUT", "/spooled",
      [&seen](Request& r) {
        seen = r.body_file;
        std::error_code ec;
        const auto size = std::filesystem::file_size(r.body_file, ec);
        return text_response(200, r.body.empty() && !ec ? std::to_string(size) : "in memory");
      },
      RouteOptions{.body_limit = 3 * 1024 * 1024, .spool_body = true});
  start();
  RawConn c(port_);
  std::string req = "PUT /spooled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) req += "100000\r\n" + std::string(1 << 20, 'c') + "\r\n";
  ASSERT_TRUE(c.send(req + "0\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, std::to_string(2 << 20));
  EXPECT_EQ(seen.parent_path(), spool);
  EXPECT_FALSE(std::filesystem::exists(seen));
  // Past the limit as it arrives: 413, and no file left behind.
  RawConn big(port_);
  std::string over = "PUT /spooled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) over += "100000\r\n" + std::string(1 << 20, 'd') + "\r\n";
  big.send(over);
  auto too_large = big.read_reply();
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_TRUE(std::filesystem::is_empty(spool));
  std::filesystem::remove_all(spool);
}

TEST_F(ServerTest, ExpectContinueGets100ThenTheAnswer) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c.read_reply(/*no_body=*/true);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send("xyz"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "xyz");
}

TEST_F(ServerTest, ExpectContinueOverLimitIs413WithoutContinue) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\nExpect: 100-continue\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST_F(ServerTest, HeaderOverLimitIs431) {
  options_.header_limit = 1024;
  start();
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') + "\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431);
  EXPECT_EQ(error_code_of(reply->body), "too_large");
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("GARBAGE\x01 / HTTP/1.1\r\n\r\n"));
  auto reply = c.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(error_code_of(reply->body), "invalid_argument");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read_reply();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  ASSERT_TRUE(c.send("GET /items/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto second = c.read_reply();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->header("Connection"), "close");
  EXPECT_TRUE(c.closed_within(5s));
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(
      c.send("GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read_reply();
  auto second = c.read_reply();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(Json::parse(first->body)["id"], "1");
  EXPECT_EQ(Json::parse(second->body)["id"], "2");
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  options_.idle_timeout = 1s;
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_reply());
  const auto begin = SteadyClock::now();
  EXPECT_TRUE(c.closed_within(10s));
  EXPECT_GE(SteadyClock::now() - begin, 900ms);
}

TEST_F(ServerTest, HandlerExceptionIs500WithRequestIdAndNoDetail) {
  start();
  auto r = client_.request("GET", url("/boom"), {{"X-Request-Id", "req-boom-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(error_code_of(r->body), "internal");
  EXPECT_NE(r->body.find("req-boom-1"), std::string::npos);
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
  // The connection and the server survive.
  auto after = client_.request("GET", url("/hello"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, EchoesValidRequestIdAndGeneratesOtherwise) {
  start();
  auto given = client_.request("GET", url("/request-id"), {{"X-Request-Id", "abc.DEF_123-x"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->body, "abc.DEF_123-x");
  EXPECT_EQ(given->headers["x-request-id"], "abc.DEF_123-x");

  for (const std::string& bad :
       {std::string("has space"), std::string(65, 'a'), std::string("a/b")}) {
    auto r = client_.request("GET", url("/request-id"), {{"X-Request-Id", bad}});
    ASSERT_TRUE(r);
    EXPECT_NE(r->body, bad);
    EXPECT_FALSE(r->body.empty());
    EXPECT_EQ(r->headers["x-request-id"], r->body);
  }
  auto a = client_.request("GET", url("/request-id"));
  auto b = client_.request("GET", url("/request-id"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->body, b->body);
}

TEST_F(ServerTest, ConnectionsBeyondMaxGet503) {
  options_.max_connections = 1;
  start();
  RawConn first(port_);
  ASSERT_TRUE(first.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(first.read_reply());  // accepted and still open (keep-alive)
  RawConn second(port_);
  ASSERT_TRUE(second.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto reply = second.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(error_code_of(reply->body), "unavailable");
  EXPECT_TRUE(second.closed_within(5s));
  EXPECT_NE(metrics_.render().find("orsa_http_open_connections 1"), std::string::npos);
}

TEST_F(ServerTest, StopLetsAnInFlightRequestFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  router_.add("GET", "/slow", [&entered, release_future](Request&) {
    entered.set_value();
    release_future.wait_for(10s);
    return text_response(200, "done");
  });
  start();
  RawConn idle(port_);  // an idle keep-alive connection must be closed promptly
  ASSERT_TRUE(idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_reply());
  auto slow = std::async(std::launch::async, [&] { return client_.request("GET", url("/slow")); });
  ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);
  server_->stop(10s);
  EXPECT_TRUE(idle.closed_within(5s));
  release.set_value();
  auto r = slow.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->headers["connection"], "close");
  server_->wait();
  server_->stop();  // idempotent
  auto refused = client_.request("GET", url("/hello"));
  EXPECT_FALSE(refused);
}

TEST_F(ServerTest, StopPastGraceAbandonsTheBusyConnection) {
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  router_.add("GET", "/stuck", [&entered, release_future](Request&) {
    entered.set_value();
    release_future.wait_for(10s);
    return text_response(200, "late");
  });
  start();
  auto stuck =
      std::async(std::launch::async, [&] { return client_.request("GET", url("/stuck")); });
  ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);
  server_->stop(0s);
  // The connection is dropped while the handler is still busy: the client
  // sees it closed, and only then is the handler released (no race).
  ASSERT_EQ(stuck.wait_for(5s), std::future_status::ready);
  auto r = stuck.get();
  EXPECT_FALSE(r && r->status == 200 && r->body == "late");
  release.set_value();
  // wait() can only return once the handler thread is free again.
  server_->wait();
}

TEST_F(ServerTest, StopWithoutTrafficReturnsPromptly) {
  start();
  const auto begin = SteadyClock::now();
  std::thread stopper([this] { server_->stop(30s); });
  server_->wait();
  stopper.join();
  EXPECT_LT(SteadyClock::now() - begin, 5s);
}

/// A producer the test drives: it writes "first", then waits for `release`
/// (or the stream closing) and writes "second" when released. The shared
/// part outlives the test body, since the server may close the stream later.
struct DrivenStream {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    bool woken = false;
    std::promise<void> started;
    std::promise<bool> ended;  // the result of the last write
  };
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::future<bool> ended = shared->ended.get_future();

  StreamProducer producer() {
    return [s = shared](BodyWriter& out) {
      out.on_close([s] {
        std::lock_guard lock(s->mu);
        s->woken = true;
        s->cv.notify_all();
      });
      out.write("first\n");
      s->started.set_value();
      {
        std::unique_lock lock(s->mu);
        s->cv.wait(lock, [&] { return s->released || s->woken; });
      }
      s->ended.set_value(out.write("second\n"));
    };
  }
  void release() {
    std::lock_guard lock(shared->mu);
    shared->released = true;
    shared->cv.notify_all();
  }
};

TEST_F(ServerTest, StreamedChunksArriveIncrementally) {
  DrivenStream driven;
  router_.add("GET", "/stream", [&driven](Request&) {
    Response res = text_response(200, "ignored", "text/event-stream");
    res.stream = driven.producer();
    return res;
  });
  start();
  RawConn conn(port_);
  ASSERT_TRUE(conn.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  // The first chunk arrives while the producer is still blocked.
  ASSERT_TRUE(conn.read_until("first\n")) << conn.received();
  EXPECT_NE(conn.received().find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(conn.received().find("text/event-stream"), std::string::npos);
  EXPECT_EQ(conn.received().find("second"), std::string::npos);
  EXPECT_EQ(conn.received().find("ignored"), std::string::npos);
  driven.release();
  ASSERT_TRUE(conn.read_until("7\r\nsecond\n\r\n0\r\n\r\n")) << conn.received();
  EXPECT_TRUE(conn.closed_within(5s));
  auto& ended = driven.ended;
  ASSERT_EQ(ended.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(ended.get());
  // Recorded once the stream ended.
  const std::string line =
      "orsa_http_requests_total{method=\"GET\",route=\"/stream\",status=\"200\"} 1";
  const auto deadline = SteadyClock::now() + 5s;
  while (metrics_.render().find(line) == std::string::npos && SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_NE(metrics_.render().find(line), std::string::npos);
}

TEST_F(ServerTest, ClientDisconnectEndsTheProducer) {
  DrivenStream driven;
  router_.add("GET", "/stream", [&driven](Request&) {
    Response res;
    res.stream = driven.producer();
    return res;
  });
  start();
  RawConn conn(port_);
  ASSERT_TRUE(conn.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(conn.read_until("first\n"));
  auto& ended = driven.ended;
  conn.close();
  // Never released: only the disconnect can wake the producer.
  ASSERT_EQ(ended.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(ended.get());
}

TEST_F(ServerTest, StopEndsOpenStreams) {
  DrivenStream driven;
  router_.add("GET", "/stream", [&driven](Request&) {
    Response res;
    res.stream = driven.producer();
    return res;
  });
  start();
  RawConn conn(port_);
  ASSERT_TRUE(conn.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(conn.read_until("first\n"));
  const auto begin = SteadyClock::now();
  server_->stop(30s);
  server_->wait();
  EXPECT_LT(SteadyClock::now() - begin, 5s);
  auto& ended = driven.ended;
  ASSERT_EQ(ended.wait_for(0s), std::future_status::ready);
  EXPECT_FALSE(ended.get());
  EXPECT_TRUE(conn.closed_within(5s));
}

TEST_F(ServerTest, StreamsBeyondTheLimitGet503) {
  options_.max_streams = 1;
  DrivenStream driven;
  router_.add("GET", "/stream", [&driven](Request&) {
    Response res;
    res.stream = driven.producer();
    return res;
  });
  start();
  RawConn first(port_);
  ASSERT_TRUE(first.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(first.read_until("first\n"));
  RawConn second(port_);
  ASSERT_TRUE(second.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto reply = second.read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 503);
  driven.release();
  // `driven` must outlive its producer thread.
  EXPECT_EQ(driven.ended.wait_for(5s), std::future_status::ready);
}

TEST_F(ServerTest, HeadIsServedByGetWithoutBody) {
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.read_reply(/*no_body=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "5");
  // The next response on the same connection must start right away (no stray body).
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto get = c.read_reply();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "hello");

  auto viaclient = client_.request("HEAD", url("/hello"));
  ASSERT_TRUE(viaclient);
  EXPECT_EQ(viaclient->status, 200);
  EXPECT_TRUE(viaclient->body.empty());
}

TEST_F(ServerTest, HeadHandlerMayDeclareTheLengthItDoesNotSend) {
  router_.add("HEAD", "/big", [](Request&) {
    Response res = text_response(200, "");
    res.set_header("Content-Length", "123456");
    return res;
  });
  router_.add("GET", "/declared", [](Request&) {
    Response res = text_response(200, "abc");
    res.set_header("Content-Length", "999");  // ignored: a GET sends its real body
    return res;
  });
  start();
  RawConn c(port_);
  ASSERT_TRUE(c.send("HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.read_reply(/*no_body=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "123456");
  ASSERT_TRUE(c.send("GET /declared HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto get = c.read_reply();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->header("Content-Length"), "3");
  EXPECT_EQ(get->body, "abc");
}

TEST_F(ServerTest, RecordsMetricsByRoutePattern) {
  start();
  ASSERT_TRUE(client_.request("GET", url("/items/42")));
  ASSERT_TRUE(client_.request("GET", url("/missing/thing")));
  // The server records after the write completes, so the client can be faster.
  const std::string ok =
      "orsa_http_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 1";
  const std::string missing =
      "orsa_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1";
  const auto deadline = SteadyClock::now() + 5s;
  std::string text = metrics_.render();
  while (text.find(missing) == std::string::npos && SteadyClock::now() < deadline) {
    std::this_thread::yield();
    text = metrics_.render();
  }
  EXPECT_NE(text.find(ok), std::string::npos) << text;
  EXPECT_NE(text.find(missing), std::string::npos) << text;
  EXPECT_EQ(text.find("/items/42"), std::string::npos);
}

TEST_F(ServerTest, ClientCollectsCookiesAndSendsHeaders) {
  start();
  auto r = client_.request("GET", url("/cookies"), {{"Cookie", "a=42; b=1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "42");
  ASSERT_EQ(r->set_cookies.size(), 2u);
  EXPECT_EQ(r->set_cookies[0], "x=1; HttpOnly");
  EXPECT_EQ(r->set_cookies[1], "y=2");
  EXPECT_EQ(r->headers["SET-COOKIE"], "y=2");
}

TEST_F(ServerTest, BindFailureIsAnError) {
  start();
  ServerOptions taken = options_;
  taken.port = port_;
  Server other(taken, router_, metrics_);
  auto r = other.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);

  ServerOptions bad = options_;
  bad.address = "not-an-ip";
  Server third(bad, router_, metrics_);
  EXPECT_EQ(third.start().error().code, ErrorCode::kInvalidArgument);
}

TEST(Client, TransportFailureIsUnavailable) {
  // Find a port nobody listens on by binding and closing a socket.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  Client client(2s);
  auto r = client.request("GET", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("GET request failed"), std::string::npos);
}

}  // namespace
}  // namespace orsa::http
