#include "server_test_support.hpp"

namespace orsa::http {
namespace {

using namespace server_testing;

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

// An inline route is answered on the network thread itself: with the only
// worker held by a slow handler, it still answers at once.
TEST_F(ServerTest, AnInlineRouteIsAnsweredWhileEveryWorkerIsBusy) {
  options_.network_threads = 1;
  options_.worker_threads = 1;
  std::promise<void> release, started;
  auto released = release.get_future().share();
  router_.add("GET", "/slow", [released, &started](Request&) {
    started.set_value();
    released.wait_for(10s);
    return text_response(200, "slow");
  });
  router_.add("GET", "/live", [](Request&) { return text_response(200, "live"); },
              {.lane = Lane::kInline});
  start();
  auto slow = std::async(std::launch::async, [&] { return client_.request("GET", url("/slow")); });
  ASSERT_EQ(started.get_future().wait_for(5s), std::future_status::ready);
  const auto t0 = std::chrono::steady_clock::now();
  auto live = client_.request("GET", url("/live"));
  const auto waited = std::chrono::steady_clock::now() - t0;
  release.set_value();
  ASSERT_TRUE(live) << live.error().message;
  EXPECT_EQ(live->body, "live");
  EXPECT_LT(waited, 5s) << "the inline route waited for the worker";
  ASSERT_TRUE(slow.get());
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

TEST_F(ServerTest, AQueryParameterTheRouteDoesNotReadIs400NamingIt) {
  bool called = false;
  router_.add("POST", "/act", [&called](Request&) {
    called = true;
    return text_response(200, "done");
  });
  start();
  auto r = client_.request("POST", url("/act?dry_run=true"), {}, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("unknown query parameter 'dry_run'; this route takes none"),
            std::string::npos)
      << r->body;
  auto misspelt = client_.request("GET", url("/items/1?q=1&qq=2"));
  ASSERT_TRUE(misspelt);
  EXPECT_EQ(misspelt->status, 400);
  EXPECT_NE(misspelt->body.find("'qq'; this route accepts: q, x, flag"), std::string::npos)
      << misspelt->body;
  EXPECT_FALSE(called);  // refused before the handler
  auto plain = client_.request("POST", url("/act"), {}, "{}");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
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

TEST_F(ServerTest, ClientRefusesAResponseOverItsBodyLimit) {
  start();
  const Client bounded(5s, 1000);
  auto small = bounded.request("POST", url("/echo"), {}, std::string(1000, 'a'));
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->body.size(), 1000u);
  auto big = bounded.request("POST", url("/echo"), {}, std::string(1001, 'a'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
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

// The OCI registry answers in the distribution spec's error format, so its
// routes word the server's own refusals too (an oversized manifest's 413).
TEST_F(ServerTest, ARouteWordsTheServersRefusalsInItsOwnFormat) {
  RouteOptions options{.body_limit = 16};
  options.error_body = [](const Error& e) {
    return text_response(status_for(e.code), "refused: " + e.message);
  };
  router_.add(
      "PUT", "/formatted", [](Request&) { return text_response(201, "stored"); }, options);
  start();
  const std::string head = "PUT /formatted HTTP/1.1\r\nHost: x\r\n";
  for (const std::string& request : {head + "Content-Length: 17\r\n\r\n" + std::string(17, 'a'),
                                     head + "Transfer-Encoding: chunked\r\n\r\n11\r\n" +
                                         std::string(17, 'b') + "\r\n0\r\n\r\n"}) {
    RawConn c(port_);
    ASSERT_TRUE(c.send(request));
    auto reply = c.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);
    EXPECT_EQ(reply->body, "refused: request body exceeds 16 bytes");
  }
  auto fits = client_.request("PUT", url("/formatted"), {}, std::string(16, 'c'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 201);
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
  ASSERT_TRUE(testing::eventually(
      5s, [&] { return metrics_.render().find(missing) != std::string::npos; }, "the 404 counted",
      [&] { return metrics_.render(); }));
  const std::string text = metrics_.render();
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
  const auto closed = testing::free_loopback_port();
  Client client(2s);
  auto r = client.request("GET", "http://127.0.0.1:" + std::to_string(closed) + "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("GET request failed"), std::string::npos);
}

}  // namespace
}  // namespace orsa::http
