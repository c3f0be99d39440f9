#pragma once

// What the server tests share: a fixture running an http::Server on a free port.

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
#include "http/server.hpp"
#include "testing/child_process.hpp"
#include "testing/eventually.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::http::server_testing {

using namespace std::chrono_literals;
using test_support::RawConn;
using SteadyClock = std::chrono::steady_clock;

inline std::string error_code_of(const std::string& body) {
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
    router_.add(
        "GET", "/items/{id}",
        [](Request& r) {
          Json j = {{"id", r.param("id")}, {"query", r.query}, {"path", r.path}};
          return json_text_response(200, j.dump());
        },
        RouteOptions{.query = {"q", "x", "flag"}});
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

}  // namespace orsa::http::server_testing
