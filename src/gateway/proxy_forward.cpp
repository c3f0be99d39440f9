#include <spdlog/spdlog.h>

#include <boost/beast/http/error.hpp>
#include <optional>
#include <string>

#include "proxy.hpp"

namespace orsa::gateway {

asio::awaitable<Sent> Gateway::Proxy::send_request(Call& call, UpstreamConn& up,
                                                   bool expect_continue, beast::error_code& ec) {
  const http::Deadline& deadline = call.ex.deadline;
  auto& req = call.req();
  const bool chunked = call.parser.chunked();
  {
    Gather out;
    out.add(asio::buffer(up.head));
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(up.socket, out)));
    }
    if (ec) co_return Sent::kHeaderFailed;
  }
  if (call.parser.is_done()) co_return Sent::kOk;
  if (expect_continue) {
    // Asked only once the upstream took the header, so a client that waits
    // for it does not send a body we would have to drain.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    Gather out;
    out.add(asio::buffer(kContinue));
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return Sent::kClientFailed;
  }
  for (bool done = false; !done;) {
    req.body() = {up.chunk.get(), kChunk, true};
    beast::error_code read_ec;
    if (!http::parse_buffered(call.ex.buffer, call.parser, read_ec)) {
      read_ec =
          co_await http::async_parse_some(call.socket(), call.ex.buffer, call.parser, deadline);
    }
    if (read_ec == bhttp::error::body_limit) co_return Sent::kTooLarge;
    if (read_ec && read_ec != bhttp::error::need_buffer) {
      ec = read_ec;
      co_return Sent::kClientFailed;
    }
    const std::size_t got = kChunk - req.body().size;
    call.bytes_in += got;
    done = call.parser.is_done();
    if (got == 0 && !done) continue;
    Gather out;
    out.body(chunked ? Framing::kChunked : Framing::kLength, up.chunk.get(), got, done);
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(up.socket, out)));
    }
    if (ec) co_return Sent::kBodyFailed;
  }
  co_return Sent::kOk;
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::forward(Call& call, const Target& t,
                                                                 Found found,
                                                                 Recording& recording) {
  const Route& route = *found.route;
  const ReplicaGauges& gauges = *found.replicas;
  TriedSet tried = 0;
  auto replica = next_replica(gauges, tried);
  if (!replica) co_return co_await reply(call, unavailable());
  std::optional<InFlight> in_flight(std::in_place, *gauges[*replica]);
  const bool has_body = !call.parser.is_done();
  const bool retry_after_send = idempotent(call.req().method()) && !has_body;
  const bool head = call.head();
  const bool expect_continue =
      has_body && beast::iequals(call.req()[bhttp::field::expect], "100-continue");
  const auto length = call.parser.content_length();
  const Framing framing = length                  ? Framing::kLength
                          : call.parser.chunked() ? Framing::kChunked
                                                  : Framing::kNone;
  const auto executor = call.ex.stream.get_executor();
  std::optional<ResponseParser> rp;
  ConnPtr up;
  std::optional<Watch> watch;
  // Marks the current replica tried and moves the call to the next one;
  // false when none is left or the call's time is up.
  const auto move_to_another_replica = [&] {
    tried |= TriedSet{1} << *replica;
    const auto other = next_replica(gauges, tried);
    if (!other || call.ex.deadline.expired()) return false;
    replica = other;
    in_flight.emplace(*gauges[*replica]);
    return true;
  };
  // `attempt` counts the tries on one replica; a replica that refused the
  // connection hands the call, not yet sent, to the next one (attempt 0 again).
  for (int attempt = 0;; ++attempt) {
    const Upstream& upstream = route.upstreams[*replica];
    UpstreamGauge& gauge = *gauges[*replica];
    watch.reset();
    // A retry sends the request header the failed connection sent.
    std::string head_bytes = up && attempt > 0 ? std::move(up->head) : std::string();
    up = pool_.acquire(upstream, retry_after_send);
    const bool pooled = up != nullptr;
    if (!pooled) up = std::make_unique<UpstreamConn>(executor);
    watch.emplace(call.ex.deadline, up->socket);
    if (attempt == 0) {
      // `t` views the request target, which stays as the client sent it.
      write_request_head(up->head, call.req(), t.upstream, t.prefix, upstream, call.ex.remote_ip,
                         call.ex.request_id, framing, length.value_or(0));
    } else {
      up->head = std::move(head_bytes);
    }
    if (!pooled) {
      if (auto ec = co_await connect(call, *up, upstream); ec) {
        spdlog::warn("request_id={} gateway: connecting to {}:{} failed: {}", call.ex.request_id,
                     upstream.host, upstream.port, ec.message());
        note_failure(gauge, upstream);
        // Nothing was sent: any call may go to another replica.
        if (move_to_another_replica()) {
          attempt = -1;
          continue;
        }
        co_return co_await reply(call, upstream_failed(ec));
      }
    }
    beast::error_code ec;
    Sent sent = Sent::kOk;
    if (has_body) {
      sent = co_await send_request(call, *up, expect_continue, ec);
    } else {
      Gather out;
      out.add(asio::buffer(up->head));
      if (!skip_write(out, call.ex.deadline, ec)) {
        ec = call.ex.deadline.check(std::get<0>(co_await write_parts(up->socket, out)));
      }
      if (ec) sent = Sent::kHeaderFailed;
    }
    // One retry on a pooled connection the upstream may have closed while it
    // sat idle (the race every keep-alive client has):
    // - the header write failed: nothing of the request can have been acted
    //   on and nothing of the client's body has been consumed yet, so any
    //   method is safe to resend;
    // - the write went out but the connection then ended before any byte of
    //   a response: the upstream may or may not have processed it, so only
    //   idempotent methods without a body (which we could not replay) are
    //   resent (RFC 9110 §9.2.2).
    // A fresh connection's failure is the upstream's answer: never retried.
    const bool may_retry = pooled && attempt == 0 && !is_timeout(ec);
    if (sent == Sent::kHeaderFailed && may_retry) continue;
    if (sent == Sent::kTooLarge) {
      // Built before co_await: GCC 12 destroys a conditional's temporary
      // twice inside a co_await expression.
      const auto service_limit = route.max_body_bytes;
      http::Response answer = too_large(options_.body_limit);
      if (service_limit > 0 && static_cast<std::uint64_t>(service_limit) < options_.body_limit) {
        answer = too_large_for_service(service_limit);
      }
      co_return co_await reply(call, std::move(answer));
    }
    if (sent == Sent::kClientFailed) {
      co_return http::PassthroughResult{499, 0, http::PassthroughNext::kClose};
    }
    if (sent != Sent::kOk) {
      if (!is_timeout(ec)) note_failure(gauge, upstream);
      co_return co_await reply(call, upstream_failed(ec, &route, Clock::now() - call.start));
    }

    // Interim 1xx answers are dropped (100-continue was answered to the client already).
    for (;;) {
      rp.emplace();
      rp->header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // The response body streams through a fixed chunk: no limit needed.
      rp->body_limit(boost::none);
      if (head) rp->skip(true);
      ec = {};
      if (!http::parse_buffered(up->buffer, *rp, ec) || (!ec && !rp->is_header_done())) {
        ec = co_await http::async_parse_header(up->socket, up->buffer, *rp, call.ex.deadline);
      }
      if (ec) break;
      const unsigned status = rp->status;
      if (status < 100 || status >= 200 || status == 101) break;
    }
    const bool nothing_received = ec == bhttp::error::end_of_stream ||
                                  (ec == asio::error::connection_reset && up->buffer.size() == 0);
    if (ec && may_retry && retry_after_send && nothing_received) continue;
    if (!ec && rp->status == 101) ec = bhttp::error::bad_version;
    if (ec) {
      spdlog::warn("request_id={} gateway: reading the response of {}:{} failed: {}",
                   call.ex.request_id, upstream.host, upstream.port, ec.message());
      if (nothing_received) note_failure(gauge, upstream);
      // A replica going away (drained, stopped) resets what it had not
      // answered yet: an idempotent call without a body goes to another
      // replica; any other may have been acted on and is not resent.
      if (nothing_received && retry_after_send && move_to_another_replica()) {
        attempt = -1;
        continue;
      }
      co_return co_await reply(call, upstream_failed(ec, &route, Clock::now() - call.start));
    }
    record_success(gauge);
    break;
  }
  const Upstream& upstream = route.upstreams[*replica];
  bool reusable = false;
  auto result = co_await relay_response(call, *up, *rp, upstream, recording, reusable);
  watch.reset();
  if (reusable) pool_.release(upstream, std::move(up));
  co_return result;
}

std::optional<std::size_t> Gateway::Proxy::next_replica(const ReplicaGauges& gauges,
                                                        TriedSet tried) {
  // Per thread: equal replicas take turns without a shared counter.
  thread_local std::uint64_t rotation = 0;
  return pick_replica(gauges, tried, std::chrono::steady_clock::now(), rotation++);
}

void Gateway::Proxy::note_failure(UpstreamGauge& gauge, const Upstream& upstream) {
  if (record_failure(gauge, std::chrono::steady_clock::now(), balancer_)) {
    spdlog::warn("gateway: {}:{} failed {} times in a row; no calls for {} ms", upstream.host,
                 upstream.port, gauge.consecutive_failures.load(), balancer_.ejection.count());
  }
}

asio::awaitable<http::PassthroughResult> Gateway::Proxy::relay_response(
    Call& call, UpstreamConn& up, ResponseParser& rp, const Upstream& upstream,
    Recording& recording, bool& reusable) {
  const http::Deadline& deadline = call.ex.deadline;
  const int status = static_cast<int>(rp.status);
  recording.status = status;
  const auto length = rp.content_length();
  const bool upstream_chunked = rp.chunked();
  const bool header_only = rp.is_done();  // HEAD, 204, 304, or an empty body
  bool keep_alive = call.req().keep_alive() && call.req().version() == 11;
  Framing framing = Framing::kNone;
  if (length) {
    framing = Framing::kLength;
  } else if (upstream_chunked || (!header_only && keep_alive)) {
    framing = Framing::kChunked;
  } else if (!header_only) {
    framing = Framing::kClose;
    keep_alive = false;  // a close-delimited body to an HTTP/1.0 client
  }
  // Body bytes of a length-delimited or close-delimited response are sent as
  // they come; those of a chunked one are framed anew.
  const Framing body_framing = framing == Framing::kChunked ? Framing::kChunked : Framing::kLength;
  // Before anything more is read into up.buffer, which the parsed fields view.
  write_response_head(up.head, rp, call.ex.request_id, framing, length.value_or(0), keep_alive,
                      response_policy(call));

  std::uint64_t bytes = 0;
  const auto aborted = [&] {
    return http::PassthroughResult{status, bytes, http::PassthroughNext::kClose};
  };
  // When body bytes came with the header (small responses), header and body
  // leave in one write. Otherwise the header goes now, so a client of a slow
  // stream (server-sent events) sees the response start at once.
  bool head_sent = false;
  if (header_only || up.buffer.size() == 0) {
    Gather out;
    out.add(asio::buffer(up.head));
    beast::error_code ec;
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return http::PassthroughResult{499, 0, http::PassthroughNext::kClose};
    head_sent = true;
  }
  for (bool done = header_only; !done;) {
    rp.data = up.chunk.get();
    rp.size = kChunk;
    beast::error_code read_ec;
    if (!http::parse_buffered(up.buffer, rp, read_ec)) {
      read_ec = co_await http::async_parse_some(up.socket, up.buffer, rp, deadline);
    }
    if (read_ec && read_ec != bhttp::error::need_buffer) {
      // Too late for an error status: the client sees the connection end early.
      spdlog::warn("request_id={} gateway: upstream {}:{} failed mid-body: {}", call.ex.request_id,
                   upstream.host, upstream.port, read_ec.message());
      co_return aborted();
    }
    const std::size_t got = kChunk - rp.size;
    done = rp.is_done();
    if (got == 0 && !done) continue;
    bytes += got;
    Gather out;
    if (!head_sent) out.add(asio::buffer(up.head));
    out.body(body_framing, up.chunk.get(), got, done);
    beast::error_code ec;
    if (!skip_write(out, deadline, ec)) {
      ec = deadline.check(std::get<0>(co_await write_parts(call.socket(), out)));
    }
    if (ec) co_return aborted();
    head_sent = true;
  }
  // Reused only after a complete exchange with nothing read beyond it.
  reusable = rp.is_done() && rp.keep_alive() && up.buffer.size() == 0;
  co_return http::PassthroughResult{
      status, bytes,
      keep_alive ? http::PassthroughNext::kKeepAlive : http::PassthroughNext::kClose};
}

}  // namespace orsa::gateway
