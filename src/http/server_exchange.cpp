#include <spdlog/spdlog.h>

#include "core/random.hpp"
#include "server_impl.hpp"

namespace orsa::http {

asio::awaitable<Next> Server::Impl::serve_one(Connection& conn, beast::flat_buffer& buffer,
                                              const std::string& remote_ip) {
  Exchange ex;
  ex.remote_ip = remote_ip;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(boost::none);  // the route's limit is applied once the route is known
  // Usually the whole header came with the first read: parsed without I/O.
  conn.deadline.expires_after(options.read_timeout);
  beast::error_code ec;
  if (!parse_buffered(buffer, parser, ec) || (!ec && !parser.is_header_done())) {
    ec = co_await async_parse_header(conn.stream.socket(), buffer, parser, conn.deadline);
  }
  // What follows outside a passthrough uses the stream's per-operation timeouts.
  const Clock::time_point read_deadline = conn.deadline.expiry();
  conn.deadline.expires_never();
  if (ec == bhttp::error::header_limit) {
    Response res = error_response(Error::too_large(
        "request headers exceed " + std::to_string(options.header_limit) + " bytes"));
    res.status = 431;
    ex.request_id = new_request_id();
    co_return co_await answer(conn, ex, std::move(res), Next::kLingerClose);
  }
  if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
      ec == bhttp::error::partial_message || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    co_return Next::kClose;
  }
  if (ec) {
    ex.request_id = new_request_id();
    co_return co_await answer(conn, ex,
                              error_response(Error::invalid_argument("malformed HTTP request")),
                              Next::kLingerClose);
  }

  auto& req = parser.get();
  ex.version = req.version();
  ex.method = req.method_string();
  ex.head = req.method() == bhttp::verb::head;
  const std::string_view target(req.target().data(), req.target().size());
  ex.raw_path = target.substr(0, target.find('?'));
  const auto given_id = req[std::string_view("X-Request-Id")];
  ex.request_id = valid_request_id(given_id) ? std::string(given_id) : new_request_id();
  // With a body still unread, answering early means the connection cannot be reused.
  const Next after_early_answer = !parser.is_done()  ? Next::kLingerClose
                                  : req.keep_alive() ? Next::kKeepAlive
                                                     : Next::kClose;

  if (passthrough && target.starts_with(passthrough_prefix)) {
    // Inline rather than a helper coroutine: each call allocates a frame.
    ex.route = passthrough_route;
    ex.series = passthrough_series;
    conn.deadline.expires_at(read_deadline);
    PassthroughResult result;
    try {
      result = co_await passthrough->serve(PassthroughExchange{parser, conn.stream, buffer,
                                                               conn.deadline, remote_ip,
                                                               ex.request_id, pool.get_executor()});
    } catch (const std::exception& e) {
      spdlog::error("request_id={} passthrough failed: {}", ex.request_id, e.what());
      result = PassthroughResult{};
    }
    conn.deadline.expires_never();
    record(ex, result.status, result.bytes);
    switch (result.next) {
      case PassthroughNext::kKeepAlive:
        co_return stopping.load() ? Next::kClose : Next::kKeepAlive;
      case PassthroughNext::kLingerClose:
        co_return Next::kLingerClose;
      case PassthroughNext::kClose:
        break;
    }
    co_return Next::kClose;
  }

  Request request;
  if (auto decoded = decode_target(target, request); !decoded) {
    co_return co_await answer(conn, ex, error_response(decoded.error()), after_early_answer);
  }
  Router::Match match = router.match(ex.method, request.path);
  if (match.handler == nullptr) {
    if (!match.method_not_allowed) {
      co_return co_await answer(conn, ex, error_response(Error::not_found("no route for path")),
                                after_early_answer);
    }
    Response res = error_response(Error::invalid_argument("method not allowed"));
    res.status = 405;
    res.set_header("Allow", match.allow);
    co_return co_await answer(conn, ex, std::move(res), after_early_answer);
  }
  ex.matched_route = std::move(match.pattern);
  ex.route = ex.matched_route;

  request.method = ex.method;
  request.target = target;
  copy_headers(req, request.headers);
  request.remote_ip =
      options.trusted_proxies.client_address(remote_ip, request.header("X-Forwarded-For"));
  request.request_id = ex.request_id;
  request.params = std::move(match.params);
  const bool keep_alive = req.keep_alive();
  const RouteOptions& route = *match.options;
  const Handler& handler = *match.handler;
  const Admission* admission = match.admit;
  SpoolFile spool;
  if (auto refusal = refuse_unknown_query(route, request)) {
    co_return co_await answer(conn, ex, std::move(*refusal), after_early_answer);
  }

  if (!parser.is_done()) {
    const auto refusal_of = [&route](const Error& e) {
      return route.error_body ? route.error_body(e) : error_response(e);
    };
    const std::size_t limit = route.body_limit;
    const Response too_large =
        refusal_of(Error::too_large("request body exceeds " + std::to_string(limit) + " bytes"));
    if (parser.content_length() && *parser.content_length() > limit) {
      co_return co_await answer(conn, ex, too_large, Next::kLingerClose);
    }
    if (admission != nullptr) {
      // Decided from the head alone: a refused caller never gets the body read.
      std::optional<Response> refusal = co_await run_on<std::optional<Response>>(
          pool, [&] { return admit(*admission, request); });
      if (refusal) co_return co_await answer(conn, ex, std::move(*refusal), Next::kLingerClose);
      admission = nullptr;
    }
    switch (co_await read_body(conn, buffer, parser, route, request, spool)) {
      case BodyRead::kDone:
        break;
      case BodyRead::kTooLarge:
        co_return co_await answer(conn, ex, too_large, Next::kLingerClose);
      case BodyRead::kGone:
        co_return Next::kClose;
      case BodyRead::kMalformed:
        co_return co_await answer(
            conn, ex, refusal_of(Error::invalid_argument("malformed HTTP request body")),
            Next::kLingerClose);
      case BodyRead::kSpoolFailed:
        co_return co_await answer(conn, ex,
                                  refusal_of(Error::unavailable("cannot store the request body")),
                                  Next::kLingerClose);
      case BodyRead::kDiskFull:
        co_return co_await answer(
            conn, ex,
            refusal_of(Error::insufficient_storage(
                "the server's disk is full: the request body was not stored")),
            Next::kLingerClose);
    }
  }

  // Handlers block (DB, git): run them on their lane's pool and resume on
  // this strand. Without a body to wait for, admission and handler share one
  // trip there. An inline route's handler cannot block: the two thread hops
  // would cost more than it does.
  if (route.lane == Lane::kInline && admission == nullptr) {
    Response response = invoke(handler, request);
    spool.remove();
    co_return co_await answer(conn, ex, std::move(response),
                              keep_alive ? Next::kKeepAlive : Next::kClose);
  }
  asio::thread_pool& lane_pool = route.lane == Lane::kCredential ? credential_pool : pool;
  Response response = co_await run_on<Response>(lane_pool, [&]() -> Response {
    if (admission != nullptr) {
      if (auto refusal = admit(*admission, request)) return std::move(*refusal);
    }
    return invoke(handler, request);
  });
  spool.remove();
  const Next next = keep_alive ? Next::kKeepAlive : Next::kClose;
  co_return co_await answer(conn, ex, std::move(response), next);
}

// Reads the body under the route's limit: into Request::body, or for a
// spooling route into a file as it arrives, so memory stays flat whatever
// the size.
asio::awaitable<BodyRead> Server::Impl::read_body(Connection& conn, beast::flat_buffer& buffer,
                                                  bhttp::request_parser<bhttp::string_body>& parser,
                                                  const RouteOptions& route, Request& request,
                                                  SpoolFile& spool) {
  auto& req = parser.get();
  if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, req.version()};
    conn.stream.expires_after(options.write_timeout);
    auto [write_ec, written] = co_await bhttp::async_write(conn.stream, cont, kTuple);
    if (write_ec) co_return BodyRead::kGone;
  }
  conn.stream.expires_after(options.read_timeout);
  if (!route.spool_body) {
    parser.body_limit(route.body_limit);
    auto [ec, n] = co_await bhttp::async_read(conn.stream, buffer, parser, kTuple);
    if (!ec) request.body = std::move(req.body());
    co_return body_read_outcome(ec);
  }
  // Nothing of the body has been parsed yet, so the parser can change body type.
  bhttp::request_parser<bhttp::file_body> file_parser{std::move(parser)};
  file_parser.body_limit(route.body_limit);
  spool.set(spool_root(options.spool_dir) / ("orsa-body-" + random_hex(12)));
  beast::error_code open_ec;
  file_parser.get().body().open(spool.path().c_str(), beast::file_mode::write_new, open_ec);
  if (open_ec) {
    spdlog::error("request_id={} cannot create a spool file: {}", request.request_id,
                  open_ec.message());
    spool.set({});
    co_return BodyRead::kSpoolFailed;
  }
  auto [ec, n] = co_await bhttp::async_read(conn.stream, buffer, file_parser, kTuple);
  file_parser.get().body().close();
  if (ec) {
    spool.remove();
  } else {
    request.body_file = spool.path();
  }
  co_return body_read_outcome(ec);
}

asio::awaitable<Next> Server::Impl::answer(Connection& conn, Exchange& ex, Response response,
                                           Next next) {
  if (response.stream && !ex.head && !has_no_body(response.status)) {
    co_return co_await stream_answer(conn, ex, std::move(response));
  }
  if (stopping.load() && next == Next::kKeepAlive) next = Next::kClose;
  BeastResponse res{static_cast<bhttp::status>(response.status), ex.version};
  for (const auto& [name, value] : response.headers) {
    if (safe_header(name, value)) {
      res.insert(name, value);
    } else {
      spdlog::warn("request_id={} dropped a response header with control characters",
                   ex.request_id);
    }
  }
  res.set(bhttp::field::server, "orsa");
  res.set(bhttp::field::date, http_date());
  res.set("X-Request-Id", ex.request_id);
  for (const auto& [name, value] : options.fixed_headers) res.set(name, value);
  std::size_t bytes = 0;
  if (!has_no_body(response.status)) {
    // A HEAD handler may declare the length of the body it does not send
    // (a registry blob's size) instead of building that body.
    if (!ex.head || !response.header("Content-Length")) res.content_length(response.body.size());
    if (!ex.head) {
      bytes = response.body.size();
      res.body() = std::move(response.body);
    }
  }
  res.keep_alive(next == Next::kKeepAlive);
  conn.stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(conn.stream, res, kTuple);
  record(ex, response.status, bytes);
  co_return ec ? Next::kClose : next;
}

void Server::Impl::record(const Exchange& ex, int status, std::size_t bytes) {
  const double seconds = std::chrono::duration<double>(Clock::now() - ex.start).count();
  if (ex.series != nullptr) {
    metrics.observe_request(*ex.series, ex.method, status, seconds);
  } else {
    metrics.observe_request(ex.method, ex.route, status, seconds);
  }
  spdlog::info(
      "http request_id={} remote_ip={} method={} path={} route={} status={} bytes={} "
      "duration_ms={:.3f}",
      ex.request_id, ex.remote_ip, ex.method, ex.raw_path, ex.route, status, bytes, seconds * 1000);
}

}  // namespace orsa::http
