#pragma once

// One exchange on the gateway's listener: the client side of it, what it
// records, and the answers the gateway gives itself.

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "gateway/gateway.hpp"
#include "http/message.hpp"
#include "recorder.hpp"
#include "target.hpp"
#include "wire.hpp"

namespace orsa::gateway {

/// The client side of one exchange.
struct Call {
  Call(http::PassthroughExchange& e, const Options& options)
      : ex(e), parser(std::move(e.parser)), deadline(start + options.request_timeout) {
    parser.body_limit(options.body_limit);
    ex.deadline.expires_at(deadline);
  }
  http::PassthroughExchange& ex;
  bhttp::request_parser<bhttp::buffer_body> parser;
  Clock::time_point start = Clock::now();
  Clock::time_point deadline;
  std::uint64_t bytes_in = 0;

  bhttp::request<bhttp::buffer_body>& req() { return parser.get(); }
  bool head() { return req().method() == bhttp::verb::head; }
  std::string_view target() { return {req().target().data(), req().target().size()}; }
  tcp::socket& socket() { return ex.stream.socket(); }
};

/// The upstream socket of an exchange is bounded by the client's deadline while this lives.
struct Watch {
  Watch(http::Deadline& d, tcp::socket& socket) : deadline(d) { deadline.watch(&socket); }
  ~Watch() { deadline.watch(nullptr); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  http::Deadline& deadline;
};

/// Counts a request in flight to an upstream while alive.
struct InFlight {
  explicit InFlight(UpstreamGauge& g) : gauge(g) { gauge.in_flight.fetch_add(1); }
  ~InFlight() { gauge.in_flight.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  UpstreamGauge& gauge;
};

/// Records the exchange into its deployment's counters, and hands it to the
/// usage meter, when it ends, however it ends.
struct Recording {
  Recording(RouteTable::Recorder::Found& found, Call& c, const Hooks& h)
      : recorder(found.recorder), route(found.route), call(c), hooks(h) {
    recorder->begin();
  }
  ~Recording();
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  std::shared_ptr<RouteTable::Recorder> recorder;
  std::shared_ptr<const Route> route;
  Call& call;
  const Hooks& hooks;
  Admission admission = Admission::allow();
  bool refused = false;  // the gate turned the call away
  int status = 499;      // destroyed mid-exchange: the server went away
  std::uint64_t bytes_out = 0;
};

/// 401 or 429 for a call the gate refused (404 for kNotFound).
http::Response refusal(const Admission& admission);
/// 404: no service here (also what an unauthorised caller of a private one gets).
http::Response not_found();
/// 503 with Retry-After: the service exists but is not serving.
http::Response unavailable();
/// 504 on a timeout, else 502.
/// 502 or 504 when the service failed; one that ran past its own timeout
/// (gunicorn replaces such a worker) gets the message saying which setting.
http::Response upstream_failed(const beast::error_code& ec, const Route* route = nullptr,
                               Clock::duration elapsed = {});
/// 413 naming the limit.
http::Response too_large(std::size_t limit);
/// 413 for a body over the service's own [service] max_body_bytes.
http::Response too_large_for_service(std::int64_t limit);
/// 308 to the project's path with a trailing slash, keeping the query.
http::Response redirect(const Target& t, std::string_view target);
/// A CORS preflight: OPTIONS asking whether a cross-origin request may follow.
bool is_preflight(const bhttp::request<bhttp::buffer_body>& req);
/// The app may send JSON with a bearer token; never credentials (no cookies).
http::Response preflight_answer();
/// What the gate (Hooks::admit, try_admit) sees: the request line and its credentials.
http::Request auth_request(Call& call);
/// Writes a response of the gateway's own; the request body, if any, stays unread.
asio::awaitable<http::PassthroughResult> send_reply(Call& call, http::Response res);

/// How sending the request upstream ended.
enum class Sent { kOk, kHeaderFailed, kBodyFailed, kClientFailed, kTooLarge };

}  // namespace orsa::gateway
