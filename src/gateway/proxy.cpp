#include "proxy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

namespace orsa::gateway {
namespace {

// Past the service's own timeout, gunicorn replaces the worker; the gateway
// waits a little longer so that it sees that end rather than racing it.
constexpr auto kServiceTimeoutGrace = std::chrono::seconds(5);

// The service's limits, where they are tighter than the gateway's own.
void apply_service_limits(Call& call, const Route& route, std::size_t gateway_body_limit) {
  if (route.max_body_bytes > 0) {
    call.parser.body_limit(std::min<std::uint64_t>(
        gateway_body_limit, static_cast<std::uint64_t>(route.max_body_bytes)));
  }
  if (route.timeout_s > 0) {
    call.deadline = call.start + std::chrono::seconds(route.timeout_s) + kServiceTimeoutGrace;
    call.ex.deadline.expires_at(call.deadline);
  }
}

// A bearer token or a consumer key: the gate looks at them on public routes
// too (a key's limits hold wherever it is used).
bool carries_credentials(const bhttp::request<bhttp::buffer_body>& req) {
  return req.count(bhttp::field::authorization) != 0 || req.count(kApiKeyHeader) != 0;
}

}  // namespace

asio::awaitable<http::PassthroughResult> Gateway::Proxy::serve(http::PassthroughExchange ex) {
  Call call(ex, options_);
  if (is_preflight(call.req()) && !cors_origin(call).empty()) {
    co_return co_await reply(call, preflight_answer());
  }
  const auto t = target_of(call);
  if (!t) co_return co_await reply(call, not_found());
  if (t->needs_slash) co_return co_await reply(call, redirect(*t, call.target()));
  Found found = RouteTable::Recorder::lookup(routes_, t->owner, t->project);
  if (!found.route) co_return co_await reply(call, not_found());
  Recording recording(found, call, hooks_);
  http::PassthroughResult result;
  const auto length = call.parser.content_length();
  // (One coroutine rather than a helper per step: each call allocates a frame.)
  if (found.route->visibility == Visibility::kPrivate || carries_credentials(call.req())) {
    recording.admission = co_await admit(call, *found.route);
  }
  if (recording.admission.verdict != Admission::Verdict::kAllow) {
    // Refused for the project's sake (not its caller's) is counted as such.
    recording.refused = recording.admission.verdict != Admission::Verdict::kNotFound;
    result = co_await reply(call, refusal(recording.admission));
  } else if (length && *length > options_.body_limit) {
    result = co_await reply(call, too_large(options_.body_limit));
  } else if (const auto service_limit = found.route->max_body_bytes;
             length && service_limit > 0 && *length > static_cast<std::uint64_t>(service_limit)) {
    result = co_await reply(call, too_large_for_service(service_limit));
  } else {
    apply_service_limits(call, *found.route, options_.body_limit);
    if (found.route->state == RouteState::kIdle) {
      found = co_await wait_for_wake(call, *t, std::move(found));
    }
    if (!found.route) {
      result = co_await reply(call, not_found());
    } else if (found.route->state != RouteState::kServing) {
      result = co_await reply(call, unavailable());
    } else {
      result = co_await forward(call, *t, std::move(found), recording);
    }
  }
  recording.status = result.status;
  recording.bytes_out = result.bytes;
  co_return result;
}

std::optional<Target> Gateway::Proxy::target_of(Call& call) const {
  if (options_.services_domain.empty()) return parse_target(call.target());
  const auto host = call.req()[bhttp::field::host];
  return parse_host_target(call.target(), {host.data(), host.size()}, options_.services_domain);
}

std::string_view Gateway::Proxy::cors_origin(Call& call) const {
  const auto origin = call.req()[bhttp::field::origin];
  if (options_.app_origin.empty() || origin != options_.app_origin) return {};
  return options_.app_origin;
}

asio::awaitable<Admission> Gateway::Proxy::admit(Call& call, const Route& route) {
  if (!hooks_.admit) {
    co_return route.visibility == Visibility::kPublic ? Admission::allow() : Admission{};
  }
  const http::Request request = auth_request(call);
  if (hooks_.try_admit) {
    try {
      if (auto quick = hooks_.try_admit(route, request)) co_return std::move(*quick);
    } catch (const std::exception& e) {
      spdlog::error("request_id={} gateway try_admit failed: {}", request.request_id, e.what());
    }
  }
  // The hook reads the database: run it on the worker pool, resume on this strand.
  co_return co_await asio::co_spawn(
      call.ex.workers,
      [&]() -> asio::awaitable<Admission> {
        try {
          co_return hooks_.admit(route, request);
        } catch (const std::exception& e) {
          spdlog::error("request_id={} gateway admit failed: {}", request.request_id, e.what());
        }
        co_return Admission{};
      },
      asio::use_awaitable);
}

asio::awaitable<RouteTable::Recorder::Found> Gateway::Proxy::wait_for_wake(Call& call,
                                                                           const Target& t,
                                                                           Found found) {
  if (hooks_.wake) {
    try {
      hooks_.wake(*found.route);
    } catch (const std::exception& e) {
      spdlog::error("request_id={} gateway wake failed: {}", call.ex.request_id, e.what());
    }
  }
  // `t` views the request target, which is not rewritten before forward().
  asio::steady_timer timer(call.ex.stream.get_executor());
  const auto until = Clock::now() + options_.wake_timeout;
  for (auto now = Clock::now(); now < until; now = Clock::now()) {
    timer.expires_after(std::min<Clock::duration>(options_.wake_poll, until - now));
    co_await timer.async_wait(kTuple);
    Found next = RouteTable::Recorder::lookup(routes_, t.owner, t.project);
    if (!next.route || next.route->state == RouteState::kServing) co_return next;
  }
  co_return found;
}

asio::awaitable<beast::error_code> Gateway::Proxy::connect(Call& call, UpstreamConn& conn,
                                                           const Upstream& upstream) {
  http::Deadline& deadline = call.ex.deadline;
  deadline.expires_at(std::min(call.deadline, Clock::now() + options_.connect_timeout));
  beast::error_code ec;
  const auto address = asio::ip::make_address(upstream.host, ec);
  if (!ec) {
    auto [connect_ec] =
        co_await conn.socket.async_connect(tcp::endpoint(address, upstream.port), kTuple);
    ec = deadline.check(connect_ec);
  } else {
    tcp::resolver resolver(conn.socket.get_executor());
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(upstream.host, std::to_string(upstream.port), kTuple);
    if (resolve_ec) co_return resolve_ec;
    if (deadline.expired()) co_return beast::error::timeout;
    auto [connect_ec, endpoint] = co_await asio::async_connect(conn.socket, endpoints, kTuple);
    ec = deadline.check(connect_ec);
  }
  deadline.expires_at(call.deadline);
  if (!ec) conn.socket.set_option(tcp::no_delay(true), ec);
  co_return ec;
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::reply(Call& call, http::Response res) {
  if (options_.services_domain.empty()) {
    res.set_header("Content-Security-Policy", std::string(kSandboxPolicy));
  }
  if (const auto origin = cors_origin(call); !origin.empty()) {
    res.set_header("Access-Control-Allow-Origin", std::string(origin));
    res.set_header("Vary", "Origin");
  }
  co_return co_await send_reply(call, std::move(res));
}

}  // namespace orsa::gateway
