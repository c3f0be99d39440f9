// HTTP request heads and bodies (chunked included) as the server reads them,
// without sockets: Beast's request_parser under the server's header limit and
// a route's body limit, fed in fragments of a size the input chooses (reads
// split anywhere), several pipelined requests per input; then ORSA's own
// handling of each head: target decoding, routing, request ids, header
// joining, cookies, and the registry's Range / Content-Range headers.
//
// The server keeps its head helpers file-local; the target includes the
// server's source to reach the very functions the server runs (this
// executable then takes the server's definitions from here, not from the
// library).
#include <cstring>

#include "../fuzz/check.hpp"
#include "http/server.cpp"  // NOLINT(bugprone-suspicious-include)
#include "oci/registry.hpp"

// In the server's own namespaces, where its file-local helpers are visible.
namespace orsa::http {
namespace {

constexpr int kMaxPipelined = 4;

/// Route shapes of the deployer's API and the registry (literals, parameters, tails).
const Router& router() {
  static const auto* r = [] {
    auto* out = new Router;
    const auto ok = [](Request&) { return Response{}; };
    out->add("GET", "/healthz", ok);
    out->add("POST", "/api/v1/auth/login", ok);
    out->add("GET", "/api/v1/projects/{owner}/{project}", ok);
    out->add("PUT", "/api/v1/projects/{owner}/{project}/files/{path...}", ok);
    out->add("GET", "/api/v1/builds/{id}", ok);
    out->add("GET", "/api/v1/builds/new", ok);
    out->add("PATCH", "/v2/{name...}", ok, RouteOptions{.body_limit = 64 * 1024});
    return out;
  }();
  return *r;
}

/// Hands the input to the buffer `fragment` bytes at a time, as socket reads would.
class Feed {
 public:
  Feed(std::string_view input, std::size_t fragment) : input_(input), fragment_(fragment) {}

  /// False once the input is used up.
  bool more(beast::flat_buffer& buffer) {
    if (pos_ >= input_.size()) return false;
    const std::size_t n = std::min(fragment_, input_.size() - pos_);
    auto out = buffer.prepare(n);
    std::memcpy(out.data(), input_.data() + pos_, n);
    buffer.commit(n);
    pos_ += n;
    return true;
  }

 private:
  std::string_view input_;
  std::size_t fragment_;
  std::size_t pos_ = 0;
};

/// Parses until `done()` holds; false on a parse error or the end of input first.
template <class Done>
bool parse_until(bhttp::request_parser<bhttp::string_body>& parser, beast::flat_buffer& buffer,
                 Feed& feed, Done done) {
  while (!done()) {
    beast::error_code ec;
    const std::size_t before = buffer.size();
    if (parse_buffered(buffer, parser, ec)) {
      if (ec) return false;
      if (buffer.size() != before) continue;
    }
    if (!feed.more(buffer)) {
      if (!parser.got_some()) return false;
      parser.put_eof(ec);
      return !ec && done();
    }
  }
  return true;
}

/// What the server does with a parsed head before and after reading the body.
void handle_head(bhttp::request_parser<bhttp::string_body>& parser) {
  auto& req = parser.get();
  const std::string_view target(req.target().data(), req.target().size());
  Request request;
  if (decode_target(target, request)) {
    ORSA_FUZZ_CHECK(!request.path.empty() && request.path.front() == '/');
    ORSA_FUZZ_CHECK(request.path.find('\0') == std::string::npos);
    const Router::Match match = router().match(req.method_string(), request.path);
    ORSA_FUZZ_CHECK(match.handler == nullptr || match.options != nullptr);
  }
  const auto given_id = req[std::string_view("X-Request-Id")];
  if (valid_request_id(given_id)) ORSA_FUZZ_CHECK(given_id.size() <= 64);
}

void handle_request(const bhttp::request<bhttp::string_body>& req) {
  Request request;
  copy_headers(req, request.headers);
  request.body = req.body();
  (void)request.cookie("orsa_session");
  (void)request.cookie("orsa_csrf");
  (void)request.header("Authorization");
  if (const auto range = request.header("Range")) {
    const std::int64_t size = static_cast<std::int64_t>(request.body.size());
    if (const auto r = orsa::oci::parse_range_header(*range, size)) {
      ORSA_FUZZ_CHECK(r->first >= 0 && r->first <= r->last && r->last < size);
    }
  }
  if (const auto content_range = request.header("Content-Range")) {
    if (const auto r = orsa::oci::parse_content_range(*content_range)) {
      ORSA_FUZZ_CHECK(r->first >= 0 && r->first <= r->last);
    }
  }
}

}  // namespace
}  // namespace orsa::http

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace orsa::http;  // NOLINT(google-build-using-namespace)
  const auto [control, input] = orsa::fuzz::split_control(data, size);
  Feed feed(input, 1 + control);
  beast::flat_buffer buffer;
  for (int i = 0; i < kMaxPipelined; ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ServerOptions{}.header_limit));
    parser.body_limit(boost::none);
    if (!parse_until(parser, buffer, feed, [&] { return parser.is_header_done(); })) break;
    handle_head(parser);
    // As bhttp::async_read after the route is known: its body limit, eager parsing.
    parser.body_limit(RouteOptions{}.body_limit);
    parser.eager(true);
    if (!parse_until(parser, buffer, feed, [&] { return parser.is_done(); })) break;
    ORSA_FUZZ_CHECK(parser.get().body().size() <= RouteOptions{}.body_limit);
    handle_request(parser.get());
    if (!parser.get().keep_alive()) break;
  }
  return 0;
}
