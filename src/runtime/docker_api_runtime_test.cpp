#include "runtime/docker_api_runtime.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/temp_dir.hpp"
#include "testing/eventually.hpp"

namespace orsa::runtime {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct FakeResponse {
  int status = 200;
  std::vector<std::string> pieces;  // each piece is one chunk, written separately
  bool hold_open = false;           // a stream that never ends (events, follow)
  bool drop = false;                // close the connection without an answer (a dying engine)
};

struct FakeRequest {
  std::string line;  // "GET /v1.41/... HTTP/1.1"
  std::string headers;
  std::string body;
};

// A Docker API stand-in on a unix socket: one thread, one connection at a time.
class FakeDocker {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  FakeDocker(const std::string& path, Handler handler) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDocker() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  std::vector<FakeRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  bool wait_readable(int fd) {
    pollfd pfd{fd, POLLIN, 0};
    while (!stop_) {
      if (::poll(&pfd, 1, 20) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (wait_readable(listener_)) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handle(fd);
      ::close(fd);
    }
  }

  void handle(int fd) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while (header_end == std::string::npos && wait_readable(fd)) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return;
      data.append(buffer, static_cast<std::size_t>(n));
      header_end = data.find("\r\n\r\n");
    }
    if (header_end == std::string::npos) return;
    FakeRequest request;
    request.line = data.substr(0, data.find("\r\n"));
    request.headers = data.substr(0, header_end);
    std::size_t length = 0;
    if (const auto at = request.headers.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(request.headers.substr(at + 16));
    }
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length && wait_readable(fd)) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) return;
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    const FakeResponse response = handler_(request);
    if (response.drop) return;  // the caller closes the connection
    send(fd, "HTTP/1.1 " + std::to_string(response.status) +
                 " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (const auto& piece : response.pieces) {
      if (piece.empty()) continue;
      std::ostringstream chunk;
      chunk << std::hex << piece.size() << "\r\n" << piece << "\r\n";
      send(fd, chunk.str());
    }
    if (response.hold_open) {
      // Until the client hangs up (or the test ends).
      while (wait_readable(fd) && ::read(fd, buffer, sizeof buffer) > 0) {
      }
      return;
    }
    send(fd, "0\r\n\r\n");
  }

  static void send(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  Handler handler_;
  int listener_ = -1;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<FakeRequest> requests_;
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ORSA_RUNTIME_TESTDATA) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string frame(int stream, std::string_view payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  const auto size = static_cast<std::uint32_t>(payload.size());
  out[6] = static_cast<char>(size >> 8);
  out[7] = static_cast<char>(size);
  return out + std::string(payload);
}

struct Harness {
  TempDir dir{"orsa-rt-unit"};
  std::string socket = (dir.path() / "d.sock").string();
  std::unique_ptr<FakeDocker> fake;
  std::unique_ptr<DockerApiRuntime> runtime;

  explicit Harness(FakeDocker::Handler handler, std::string attach_container = {},
                   std::vector<std::string> insecure_registries = {}) {
    fake = std::make_unique<FakeDocker>(socket, std::move(handler));
    runtime = std::make_unique<DockerApiRuntime>(
        DockerApiOptions{.socket_path = socket,
                         .call_timeout = 5s,
                         .attach_container = attach_container,
                         .insecure_registries = std::move(insecure_registries)});
  }
};

TEST(DockerApiRuntime, UnreachableSocketIsUnavailableOnceTheReconnectWindowIsOver) {
  TempDir dir("orsa-rt-unit");
  DockerApiRuntime runtime(
      {.socket_path = (dir.path() / "missing.sock").string(), .reconnect_window = 300ms});
  const auto began = std::chrono::steady_clock::now();
  const auto info = runtime.inspect("abc");
  const auto waited = std::chrono::steady_clock::now() - began;
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_GE(waited, 150ms);  // retried (50 + 100 ms of pauses at least)…
  EXPECT_LT(waited, 2s);     // …and gave up near the window
  DockerApiRuntime impatient(
      {.socket_path = (dir.path() / "missing.sock").string(), .reconnect_window = 0ms});
  EXPECT_EQ(impatient.version().error().code, ErrorCode::kUnavailable);
}

// An engine restarting under its supervisor: the socket appears a moment
// after the call began, and the call (a POST) is answered, not failed.
TEST(DockerApiRuntime, ACallWaitsForAnEngineThatIsComingBack) {
  TempDir dir("orsa-rt-unit");
  const std::string socket = (dir.path() / "d.sock").string();
  DockerApiRuntime runtime({.socket_path = socket, .reconnect_window = 10s});
  std::unique_ptr<FakeDocker> fake;
  std::thread restart([&] {
    std::this_thread::sleep_for(400ms);
    fake = std::make_unique<FakeDocker>(
        socket, [](const FakeRequest&) { return FakeResponse{.status = 204}; });
  });
  const auto stopped = runtime.stop("abc", std::chrono::seconds(1));
  restart.join();
  EXPECT_TRUE(stopped.has_value()) << stopped.error().message;
  ASSERT_EQ(fake->requests().size(), 1U);  // sent once, when someone listened
  EXPECT_THAT(fake->requests()[0].line, HasSubstr("POST /v1.41/containers/abc/stop"));
}

// The engine killed while a call was in flight: the connection drops with no
// answer. What may be repeated (a GET, a pull) is asked again; a POST that
// may have acted is not.
TEST(DockerApiRuntime, ACallCutByADyingEngineIsRepeatedOnlyWhereThatIsHarmless) {
  std::atomic<int> calls{0};
  Harness h([&](const FakeRequest& r) {
    const bool first_of_pair = calls++ % 2 == 0;
    if (first_of_pair) return FakeResponse{.drop = true};
    if (r.line.find("/images/create") != std::string::npos) {
      return FakeResponse{200, {"{\"status\":\"Download complete\"}\n"}};
    }
    return FakeResponse{200, {R"({"Version":"5.0.3"})"}};
  });
  const auto version = h.runtime->version();
  ASSERT_TRUE(version.has_value()) << version.error().message;
  EXPECT_EQ(*version, "5.0.3");
  EXPECT_TRUE(h.runtime->pull("127.0.0.1:5000/a/b:1", {}).has_value());
  EXPECT_EQ(calls.load(), 4);
  const auto stopped = h.runtime->stop("abc", 1s);  // dropped once: not repeated
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(calls.load(), 5);
}

TEST(DockerApiRuntime, MapsErrorStatuses) {
  Harness h([](const FakeRequest& r) -> FakeResponse {
    if (r.line.starts_with("GET /v1.41/containers/gone/json")) {
      return {404, {fixture("error_not_found.json")}};
    }
    if (r.line.starts_with("POST /v1.41/containers/create")) {
      return {500,
              {R"({"message":"the container name \"web\" is already in use","response":500})"}};
    }
    if (r.line.starts_with("POST /v1.41/containers/abc/stop?t=3")) return {304, {}};
    if (r.line.starts_with("DELETE")) return {404, {R"({"message":"no such"})"}};
    return {500, {R"({"message":"boom"})"}};
  });
  EXPECT_EQ(h.runtime->inspect("gone").error().code, ErrorCode::kNotFound);
  ContainerSpec spec;
  spec.name = "web";
  spec.image = "img";
  EXPECT_EQ(h.runtime->run(spec).error().code, ErrorCode::kConflict);
  EXPECT_TRUE(h.runtime->stop("abc", 3s).has_value());
  EXPECT_TRUE(h.runtime->remove("abc").has_value());
  EXPECT_TRUE(h.runtime->remove_image("127.0.0.1:5000/a/b@sha256:00").has_value());
  const auto other = h.runtime->start("abc");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(other.error().message, HasSubstr("boom"));
  const auto requests = h.fake->requests();
  EXPECT_THAT(requests.back().line, HasSubstr("/containers/abc/start"));
  EXPECT_THAT(requests[3].line, HasSubstr("DELETE /v1.41/containers/abc?force=1&v=1 "));
  EXPECT_THAT(requests[4].line, HasSubstr("DELETE /v1.41/images/127.0.0.1:5000/a/b@sha256:00 "));
}

// Podman refuses to remove a container caught mid-exit ("container state
// improper") for a moment; the removal is repeated, a lasting refusal is not.
TEST(DockerApiRuntime, RemoveRepeatsARefusalThatPassesAndReportsOneThatLasts) {
  std::atomic<int> deletes{0};
  Harness h([&](const FakeRequest& r) -> FakeResponse {
    if (r.line.find("/containers/mid-exit") != std::string::npos && deletes++ < 2) {
      return {500, {R"({"message":"container state improper: stopped","response":500})"}};
    }
    if (r.line.find("/containers/stuck") != std::string::npos) {
      return {409, {R"({"message":"removal already in progress"})"}};
    }
    if (r.line.find("/containers/bad") != std::string::npos) return {400, {R"({"message":"no"})"}};
    return {204, {}};
  });
  ASSERT_TRUE(h.runtime->remove("mid-exit").has_value());
  EXPECT_EQ(deletes.load(), 3);
  const auto stuck = h.runtime->remove("stuck");
  ASSERT_FALSE(stuck.has_value());
  EXPECT_THAT(stuck.error().message, HasSubstr("removal already in progress"));
  const std::size_t before_bad = h.fake->requests().size();
  EXPECT_FALSE(h.runtime->remove("bad").has_value());
  EXPECT_EQ(h.fake->requests().size(), before_bad + 1) << "a plain refusal is not repeated";
  EXPECT_EQ(before_bad, 3U + 6U) << "the lasting refusal was asked a bounded number of times";
}

// Podman refuses to stop a frozen container: it is thawed and stopped. A
// refusal for any other reason is reported as it is, with no thaw.
TEST(DockerApiRuntime, AFrozenContainerIsThawedToBeStoppedAndOtherRefusalsStand) {
  std::atomic<int> stops{0};
  Harness h([&](const FakeRequest& r) -> FakeResponse {
    const bool frozen = r.line.find("/containers/frozen") != std::string::npos;
    if (r.line.find("/stop") != std::string::npos) {
      if (frozen && stops++ > 0) return {204, {}};
      return {500, {R"({"message":"container state improper","response":500})"}};
    }
    if (r.line.find("/unpause") != std::string::npos) return {204, {}};
    if (r.line.starts_with("GET ")) {
      return {200,
              {frozen ? R"({"Id":"frozen","State":{"Status":"paused"}})"
                      : R"({"Id":"busy","State":{"Status":"running"}})"}};
    }
    return {404, {R"({"message":"no such container"})"}};
  });
  ASSERT_TRUE(h.runtime->stop("frozen", 1s).has_value());
  std::vector<std::string> lines;
  for (const auto& request : h.fake->requests()) lines.push_back(request.line);
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_THAT(lines[0], HasSubstr("POST /v1.41/containers/frozen/stop"));
  EXPECT_THAT(lines[1], HasSubstr("GET /v1.41/containers/frozen/json"));
  EXPECT_THAT(lines[2], HasSubstr("POST /v1.41/containers/frozen/unpause"));
  EXPECT_THAT(lines[3], HasSubstr("POST /v1.41/containers/frozen/stop"));

  const auto refused = h.runtime->stop("busy", 1s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("container state improper"));
  for (const auto& request : h.fake->requests())
    EXPECT_THAT(request.line, ::testing::Not(HasSubstr("busy/unpause")));
}

TEST(DockerApiRuntime, RejectsIdsThatCouldEscapeThePath) {
  Harness h([](const FakeRequest&) { return FakeResponse{}; });
  EXPECT_EQ(h.runtime->inspect("../images/x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(h.runtime->remove("a?b").error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(h.fake->requests().empty());
}

TEST(DockerApiRuntime, PullSendsCredentialsAndFailsOnAStreamError) {
  Harness h([](const FakeRequest&) {
    return FakeResponse{200,
                        {"{\"status\":\"Trying to pull\"}\n{\"errorDetail\":{\"message\":\"una",
                         "uthorized: authentication required\"},\"error\":\"unauthorized: "
                         "authentication required\"}\n"}};
  });
  const auto pulled = h.runtime->pull("127.0.0.1:5000/alice/knap@sha256:0a",
                                      {"127.0.0.1:5000", "alice", "s3cret-pass"});
  ASSERT_FALSE(pulled.has_value());
  EXPECT_EQ(pulled.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(pulled.error().message.find("s3cret"), std::string::npos);
  const auto request = h.fake->requests().at(0);
  EXPECT_THAT(request.line, HasSubstr("POST /v1.41/images/create?fromImage=127.0.0.1%3A5000%2Falice"
                                      "%2Fknap%40sha256%3A0a "));
  EXPECT_THAT(request.headers, HasSubstr("X-Registry-Auth: eyJ"));
}

TEST(DockerApiRuntime, PullWithoutTagAsksForLatestAndWithoutCredentialsSendsNoAuth) {
  Harness h([](const FakeRequest&) {
    return FakeResponse{200, {"{\"status\":\"Download complete\"}\n{\"id\":\"x\"}"}};
  });
  ASSERT_TRUE(h.runtime->pull("127.0.0.1:5000/a/b", {}).has_value());
  const auto request = h.fake->requests().at(0);
  EXPECT_THAT(request.line, HasSubstr("fromImage=127.0.0.1%3A5000%2Fa%2Fb%3Alatest "));
  EXPECT_THAT(request.headers, ::testing::Not(HasSubstr("X-Registry-Auth")));
}

// ORSA's own registry speaks plain HTTP: podman is asked through its libpod
// endpoint with tlsVerify=false; an engine without it (404) gets the
// compatible pull; other registries always get the compatible pull.
TEST(DockerApiRuntime, PullFromAnInsecureRegistryAsksPodmanNotToVerifyTls) {
  std::atomic<bool> podman{true};
  Harness h(
      [&](const FakeRequest& r) -> FakeResponse {
        if (r.line.starts_with("POST /v4.0.0/libpod/images/pull")) {
          if (!podman) return {404, {R"({"message":"page not found"})"}};
          return {200, {"{\"stream\":\"Copying blob\"}\n", "{\"id\":\"abc\"}\n"}};
        }
        return {200, {"{\"status\":\"Pull complete\"}\n"}};
      },
      {}, {"127.0.0.1:8080"});
  ASSERT_TRUE(h.runtime->pull("127.0.0.1:8080/alice/knap@sha256:abc", {}).has_value());
  podman = false;
  ASSERT_TRUE(h.runtime->pull("127.0.0.1:8080/alice/knap:1", {}).has_value());
  ASSERT_TRUE(h.runtime->pull("registry.example.org/x/y:1", {}).has_value());
  std::vector<std::string> lines;
  for (const auto& r : h.fake->requests()) lines.push_back(r.line.substr(0, r.line.find(" HTTP")));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "POST /v4.0.0/libpod/images/pull?tlsVerify=false&reference=127.0.0.1%3A8080%2Falice"
            "%2Fknap%40sha256%3Aabc");
  EXPECT_THAT(lines[1], HasSubstr("/libpod/images/pull"));
  EXPECT_THAT(lines[2], HasSubstr("POST /v1.41/images/create?fromImage=127.0.0.1%3A8080"));
  EXPECT_THAT(lines[3], HasSubstr("POST /v1.41/images/create?fromImage=registry.example.org"));
}

TEST(DockerApiRuntime, AnInsecurePullThatFailsInPodmanIsNotRepeated) {
  Harness h(
      [](const FakeRequest&) -> FakeResponse {
        return {200, {"{\"error\":\"manifest unknown\"}\n"}};
      },
      {}, {"127.0.0.1:8080"});
  const auto pulled = h.runtime->pull("127.0.0.1:8080/alice/knap:1", {});
  ASSERT_FALSE(pulled.has_value());
  EXPECT_THAT(pulled.error().message, HasSubstr("manifest unknown"));
  EXPECT_EQ(h.fake->requests().size(), 1u);
}

TEST(DockerApiRuntime, RunCreatesStartsAndRemovesWhenStartFails) {
  Harness h([](const FakeRequest& r) -> FakeResponse {
    if (r.line.starts_with("POST /v1.41/containers/create?name=web-1 ")) {
      return {201, {R"({"Id":"c0ffee","Warnings":[]})"}};
    }
    if (r.line.starts_with("POST /v1.41/containers/c0ffee/start")) {
      return {500, {R"({"message":"executable file not found"})"}};
    }
    return {204, {}};
  });
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "img:1";
  const auto id = h.runtime->run(spec);
  ASSERT_FALSE(id.has_value());
  EXPECT_THAT(id.error().message, HasSubstr("executable file not found"));
  const auto requests = h.fake->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(requests[0].body, HasSubstr("\"ReadonlyRootfs\":true"));
  EXPECT_THAT(requests[2].line, HasSubstr("DELETE /v1.41/containers/c0ffee?force=1&v=1"));
}

// ORSA in a container (compose): no host address on the bridge; its own
// container joins the deployment's network, once, and leaves it before the
// network is removed.
TEST(DockerApiRuntime, InAContainerItJoinsEachNetworkOnceAndLeavesBeforeRemovingIt) {
  std::atomic<int> connects{0};
  Harness h(
      [&](const FakeRequest& r) -> FakeResponse {
        if (r.line.starts_with("POST /v1.41/containers/create")) {
          return {201, {R"({"Id":"c0ffee","Warnings":[]})"}};
        }
        if (r.line.starts_with("POST /v1.41/networks/tenant-net/connect")) {
          // The second process start finds the connection of the first.
          if (connects++ == 0) return {200, {"OK"}};
          return {500, {R"({"message":"container is already connected to network"})"}};
        }
        if (r.line.starts_with("POST /v1.41/networks/other-net/connect")) {
          return {404, {R"({"message":"network not found"})"}};
        }
        return {204, {}};
      },
      "orsa-self");
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "img:1";
  spec.network = "tenant-net";
  ASSERT_TRUE(h.runtime->run(spec).has_value());
  spec.name = "web-2";
  ASSERT_TRUE(h.runtime->run(spec).has_value());
  ASSERT_TRUE(h.runtime->remove_network("tenant-net").has_value());
  spec.name = "web-3";
  ASSERT_TRUE(h.runtime->run(spec).has_value());  // a new network of that name: joined again
  spec.network = "other-net";
  spec.name = "web-4";
  const auto refused = h.runtime->run(spec);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("network not found"));

  std::vector<std::string> network_calls;
  for (const auto& r : h.fake->requests()) {
    if (r.line.find("/networks/") == std::string::npos) continue;
    network_calls.push_back(r.line.substr(0, r.line.find(" HTTP")) + " " + r.body);
  }
  ASSERT_EQ(network_calls.size(), 5u);
  EXPECT_EQ(network_calls[0],
            R"(POST /v1.41/networks/tenant-net/connect {"Container":"orsa-self"})");
  EXPECT_EQ(network_calls[1],
            R"(POST /v1.41/networks/tenant-net/disconnect {"Container":"orsa-self","Force":true})");
  EXPECT_EQ(network_calls[2], "DELETE /v1.41/networks/tenant-net ");
  EXPECT_EQ(network_calls[3],
            R"(POST /v1.41/networks/tenant-net/connect {"Container":"orsa-self"})");
  EXPECT_THAT(network_calls[4], HasSubstr("other-net/connect"));
}

TEST(DockerApiRuntime, InAContainerARunIsRefusedWithItsReasonBeforeAnythingStarts) {
  Harness h([](const FakeRequest&) { return FakeResponse{204, {}}; }, "orsa-self");
  JobSpec spec;
  spec.name = "run-1";
  spec.image = "img:1";
  spec.labels = {{"orsa.run", "run_1"}};
  spec.command = {"python3", "-m", "orsa_service.run"};
  spec.input_file = (h.dir.path() / "input.json").string();
  spec.work_dir = (h.dir.path() / "work").string();
  const auto started = h.runtime->start_job(spec);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(started.error().message, HasSubstr("runs are not available"));
  EXPECT_TRUE(h.fake->requests().empty());
  EXPECT_FALSE(std::filesystem::exists(spec.work_dir));
}

TEST(DockerApiRuntime, LogsDecodeFramesSplitAcrossChunks) {
  const std::string stream = frame(1, "2026-11-27T20:18:50.5Z hello\n") +
                             frame(2, "2026-11-27T20:18:51Z oops\n") +
                             frame(1, "2026-11-27T20:18:52Z no newline");
  Harness h([&](const FakeRequest&) {
    return FakeResponse{200, {stream.substr(0, 3), stream.substr(3, 30), stream.substr(33)}};
  });
  std::vector<LogLine> lines;
  LogOptions options;
  options.tail = 5;
  options.since = 100;
  const auto r = h.runtime->logs("abc", options, [&](const LogLine& l) {
    lines.push_back(l);
    return true;
  });
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "hello");
  EXPECT_EQ(lines[0].at_ns, 1795810730LL * 1'000'000'000 + 500'000'000);
  EXPECT_EQ(lines[1].stream, LogLine::Stream::kStderr);
  EXPECT_EQ(lines[2].text, "no newline");
  EXPECT_THAT(h.fake->requests().at(0).line,
              HasSubstr("/containers/abc/logs?stdout=1&stderr=1&timestamps=1&follow=0&tail=5"
                        "&since=100 "));
}

TEST(DockerApiRuntime, FollowStopsWhenKeepGoingSaysSo) {
  Harness h([](const FakeRequest&) {
    return FakeResponse{200, {frame(1, "2026-11-27T20:18:50Z first\n")}, true};
  });
  std::vector<LogLine> lines;
  LogOptions options;
  options.follow = true;
  const testing::Deadline stop_at(600ms);
  options.keep_going = [&] { return !stop_at.expired(); };
  const auto started = std::chrono::steady_clock::now();
  const auto r = h.runtime->logs("abc", options, [&](const LogLine& l) {
    lines.push_back(l);
    return true;
  });
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_THAT(h.fake->requests().at(0).line, HasSubstr("follow=1&tail=all"));
}

TEST(DockerApiRuntime, EventsTickWhileQuietAndStopWhenTheSinkSaysSo) {
  const std::string die =
      R"({"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"orsa.deployment":"d1","image":"x"}}})";
  const std::string other =
      R"({"Type":"container","Action":"die","Actor":{"ID":"c2","Attributes":{"orsa.deployment":"d2"}}})";
  Harness h([&](const FakeRequest&) {
    return FakeResponse{200, {die.substr(0, 20), die.substr(20) + "\n" + other + "\n"}, true};
  });
  std::vector<Event> events;
  int ticks = 0;
  const auto started = std::chrono::steady_clock::now();
  const auto r = h.runtime->events({{"orsa.deployment", "d1"}}, [&](const Event* e) {
    if (e != nullptr) {
      events.push_back(*e);
    } else {
      ++ticks;
    }
    return ticks < 3;
  });
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(events.size(), 1u);  // the d2 event fails the client-side label check
  EXPECT_EQ(events[0].container_id, "c1");
  EXPECT_EQ(events[0].labels.count("image"), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_THAT(h.fake->requests().at(0).line,
              HasSubstr("/events?filters=%7B%22label%22%3A%5B%22orsa.deployment%3Dd1%22%5D%2C%22"
                        "type%22%3A%5B%22container%22%5D%7D "));
}

TEST(DockerApiRuntime, EventStreamEndingIsUnavailable) {
  Harness h([](const FakeRequest&) { return FakeResponse{200, {"{}\n"}}; });
  const auto r = h.runtime->events({}, [](const Event*) { return true; });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(DockerApiRuntime, ListInspectsEachAndSkipsVanishedContainers) {
  Harness h([](const FakeRequest& r) -> FakeResponse {
    if (r.line.starts_with("GET /v1.41/containers/json?all=1&filters=")) {
      return {200, {R"([{"Id":"b8f5c06f6ef3","Labels":{"k":"v"}},{"Id":"gone","Labels":{"k":"v"}},
                        {"Id":"racing","Labels":{"k":"v"}},{"Id":"other","Labels":{"k":"x"}}])"}};
    }
    if (r.line.starts_with("GET /v1.41/containers/b8f5c06f6ef3/json")) {
      return {200, {fixture("inspect_exited.json")}};
    }
    if (r.line.starts_with("GET /v1.41/containers/racing/json")) {
      // What podman answers for a container removed between the list and this.
      return {500,
              {R"({"cause":"no such container","message":"inspect container racing: )"
               R"(container racing does not exist in database: no such container",)"
               R"("response":500})"}};
    }
    return {404, {fixture("error_not_found.json")}};
  });
  const auto list = h.runtime->list({{"k", "v"}});
  ASSERT_TRUE(list.has_value()) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().exit_code, 137);
  EXPECT_EQ(h.fake->requests().size(), 4u);  // "other" is not inspected
}

TEST(ValidateSpec, AcceptsDefaultsAndRejectsBadValues) {
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "img:1";
  EXPECT_TRUE(validate_spec(spec).has_value());
  auto bad = [&](auto change) {
    ContainerSpec s = spec;
    change(s);
    return !validate_spec(s).has_value();
  };
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.name = ""; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.name = "-web"; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.name = "a/b"; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.image = ""; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.env["A=B"] = "c"; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.memory_bytes = 1024; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.cpus = 0; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.pids_limit = 0; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.host_ip = ""; }));
  EXPECT_TRUE(bad([](ContainerSpec& s) { s.restart_policy = "sometimes"; }));
}

}  // namespace
}  // namespace orsa::runtime
