#include "exchange.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <string>
#include <tuple>

namespace orsa::gateway {
namespace {

constexpr std::string_view kRetryAfterSeconds = "5";
constexpr std::chrono::seconds kReplyGrace{2};

}  // namespace

Recording::~Recording() {
  recorder->finish(status, Clock::now() - call.start, call.bytes_in, bytes_out);
  if (!hooks.meter) return;
  try {
    hooks.meter({.route = *route,
                 .admission = admission,
                 .status = status,
                 .bytes_in = call.bytes_in,
                 .bytes_out = bytes_out,
                 .refused = refused});
  } catch (const std::exception& e) {
    spdlog::error("request_id={} gateway meter failed: {}", call.ex.request_id, e.what());
  }
}

http::Response refusal(const Admission& admission) {
  using Verdict = Admission::Verdict;
  switch (admission.verdict) {
    case Verdict::kUnauthorized:
      return http::error_response(Error::unauthenticated(admission.message));
    case Verdict::kTooMany: {
      Error error = Error::rate_limited(admission.message, admission.retry_after_s);
      if (admission.retry_after_s <= 0) error.retry_after_s.reset();  // a quota: no moment helps
      return http::error_response(error);
    }
    case Verdict::kAllow:
    case Verdict::kNotFound:
      break;
  }
  return not_found();
}

http::Response not_found() {
  return http::error_response(Error::not_found("no service at this address"));
}

http::Response unavailable() {
  http::Response res = http::error_response(Error::unavailable("the service is not available"));
  res.set_header("Retry-After", std::string(kRetryAfterSeconds));
  return res;
}

http::Response upstream_failed(const beast::error_code& ec, const Route* route,
                               Clock::duration elapsed) {
  if (route != nullptr && route->timeout_s > 0 &&
      (is_timeout(ec) || elapsed >= std::chrono::seconds(route->timeout_s))) {
    http::Response res = http::error_response(Error::unavailable(
        "the model did not answer within " + std::to_string(route->timeout_s) +
        " s (the service's timeout: [service] timeout in orsa.toml); submit a run for longer "
        "solves"));
    res.status = 504;
    return res;
  }
  const bool timeout = is_timeout(ec);
  http::Response res = http::error_response(Error::unavailable(
      timeout ? "the service did not answer in time" : "the service failed to answer"));
  res.status = timeout ? 504 : 502;
  return res;
}

http::Response too_large(std::size_t limit) {
  return http::error_response(
      Error::too_large("request body exceeds " + std::to_string(limit) + " bytes"));
}

http::Response too_large_for_service(std::int64_t limit) {
  return http::error_response(Error::too_large("request body exceeds the service's limit of " +
                                               std::to_string(limit) +
                                               " bytes ([service] max_body_bytes in orsa.toml)"));
}

http::Response redirect(const Target& t, std::string_view target) {
  http::Response res;
  res.status = 308;
  std::string location(t.prefix);
  location += '/';
  location += target.substr(t.prefix.size());  // the query, if any
  res.set_header("Location", std::move(location));
  res.set_header("Content-Type", "text/plain; charset=utf-8");
  return res;
}

/// A CORS preflight: OPTIONS asking whether a cross-origin request may follow.
bool is_preflight(const bhttp::request<bhttp::buffer_body>& req) {
  return req.method() == bhttp::verb::options &&
         req.find(bhttp::field::access_control_request_method) != req.end();
}

/// The app may send JSON with a bearer token; never credentials (no cookies).
http::Response preflight_answer() {
  http::Response res;
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
  res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.set_header("Access-Control-Max-Age", "600");
  return res;
}

/// What the gate sees: the request line and its credentials (Authorization,
/// X-Api-Key), never cookies (see Hooks::admit) nor the body.
http::Request auth_request(Call& call) {
  http::Request r;
  r.method = call.req().method_string();
  r.target = call.target();
  const auto url = boost::urls::parse_uri_reference(r.target);
  r.path = url ? std::string(url->path()) : r.target.substr(0, r.target.find('?'));
  for (const auto& field : call.req()) {
    const bool credential = field.name() == bhttp::field::authorization ||
                            (field.name() == bhttp::field::unknown &&
                             beast::iequals(field.name_string(), kApiKeyHeader));
    if (!credential) continue;
    auto [it, inserted] = r.headers.try_emplace(std::string(field.name_string()), field.value());
    if (!inserted) {  // a repeated credential is ambiguous: the gate refuses it whole
      it->second += ", ";
      it->second += field.value();
    }
  }
  r.remote_ip = call.ex.remote_ip;
  r.request_id = call.ex.request_id;
  return r;
}

/// Writes a response of the gateway's own; the request body, if any, stays unread.
asio::awaitable<http::PassthroughResult> send_reply(Call& call, http::Response res) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  out.set(bhttp::field::server, "orsa");
  out.set("X-Request-Id", call.ex.request_id);
  const bool body_unread = !call.parser.is_done();
  const bool keep_alive = !body_unread && call.req().keep_alive();
  out.keep_alive(keep_alive);
  const bool head = call.head();
  const std::uint64_t bytes = head ? 0 : res.body.size();
  out.body() = std::move(res.body);
  out.prepare_payload();
  bhttp::response_serializer<bhttp::string_body> sr{out};
  // An answer to an exchange that ran out of time (504) still gets a moment to leave.
  http::Deadline& deadline = call.ex.deadline;
  deadline.expires_at(std::max(call.deadline, Clock::now() + kReplyGrace));
  beast::error_code ec;
  if (head) {
    std::tie(ec, std::ignore) = co_await bhttp::async_write_header(call.socket(), sr, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await bhttp::async_write(call.socket(), sr, kTuple);
  }
  ec = deadline.check(ec);
  using Next = http::PassthroughNext;
  const Next next = ec            ? Next::kClose
                    : keep_alive  ? Next::kKeepAlive
                    : body_unread ? Next::kLingerClose
                                  : Next::kClose;
  co_return http::PassthroughResult{res.status, bytes, next};
}

}  // namespace orsa::gateway
