// Admission from the request head, before any body is read, and spooled bodies.

#include "server_test_support.hpp"

namespace orsa::http {
namespace {

using namespace server_testing;

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
  const testing::TempDir spool_dir("orsa-spool-test");
  const auto& spool = spool_dir.path();
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
}

}  // namespace
}  // namespace orsa::http
