// Stopping the server and streamed (chunked) responses.

#include "server_test_support.hpp"

namespace orsa::http {
namespace {

using namespace server_testing;

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
  EXPECT_TRUE(testing::eventually(
      5s, [&] { return metrics_.render().find(line) != std::string::npos; },
      "the stream's request counted", [&] { return metrics_.render(); }));
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

}  // namespace
}  // namespace orsa::http
