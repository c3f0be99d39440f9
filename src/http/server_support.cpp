#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "server_impl.hpp"

namespace orsa::http {

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Formatting the date once per second per thread keeps it off the hot path.
const std::string& http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second || cached.empty()) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

bool has_no_body(int status) {
  return status < 200 || status == 204 || status == 304;
}

bool safe_header(std::string_view name, std::string_view value) {
  const auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  return !name.empty() && std::ranges::none_of(name, bad) && std::ranges::none_of(value, bad);
}

/// Fills path and query from the request target; fails on bad encoding.
Result<void> decode_target(std::string_view target, Request& request) {
  const auto parsed = boost::urls::parse_uri_reference(target);
  if (!parsed) return fail(Error::invalid_argument("request target is not a valid URI"));
  const boost::urls::url_view& url = *parsed;
  request.path = url.path();
  if (request.path.empty()) request.path = "/";
  if (request.path.front() != '/') {
    return fail(Error::invalid_argument("request path must start with '/'"));
  }
  if (request.path.find('\0') != std::string::npos) {
    return fail(Error::invalid_argument("request path contains an encoded NUL"));
  }
  for (const auto& param : url.params(boost::urls::encoding_opts(true, false, false))) {
    request.query.insert_or_assign(param.key, param.value);
  }
  return {};
}

/// Copies headers; repeated fields are joined as RFC 9110 allows.
void copy_headers(const bhttp::fields& in, Headers& out) {
  for (const auto& field : in) {
    const std::string_view name = field.name_string();
    const std::string_view value = field.value();
    auto [it, inserted] = out.try_emplace(std::string(name), value);
    if (!inserted) {
      // Cookie pairs are separated by ';', every other list by ','.
      it->second += beast::iequals(name, "cookie") ? "; " : ", ";
      it->second += value;
    }
  }
}

Response invoke(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} handler failed: {}", request.request_id, e.what());
  } catch (...) {
    spdlog::error("request_id={} handler failed with a non-standard exception", request.request_id);
  }
  return error_response(
      Error::internal("internal server error (request id " + request.request_id + ")"));
}

/// Runs a route's admission step; a throw refuses the request.
std::optional<Response> admit(const Admission& admission, Request& request) {
  try {
    return admission(request);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} admission failed: {}", request.request_id, e.what());
  } catch (...) {
    spdlog::error("request_id={} admission failed with a non-standard exception",
                  request.request_id);
  }
  return error_response(
      Error::internal("internal server error (request id " + request.request_id + ")"));
}

std::filesystem::path spool_root(const std::filesystem::path& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  return std::filesystem::temp_directory_path(ec);
}

BodyRead body_read_outcome(const beast::error_code& ec) {
  if (!ec) return BodyRead::kDone;
  if (ec == bhttp::error::body_limit) return BodyRead::kTooLarge;
  // Spooling a body to a full disk is the server's failure, not the client's.
  if (ec.category() == beast::system_category() && is_disk_full(ec.value())) {
    return BodyRead::kDiskFull;
  }
  if (ec == beast::error::timeout || ec == bhttp::error::partial_message ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
    return BodyRead::kGone;
  }
  return BodyRead::kMalformed;
}

void log_error_handler(const std::exception_ptr& e, std::string_view what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http server: {} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("http server: {} failed", what);
  }
}

asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  // Reading what the client still sends before closing avoids a TCP reset
  // that could destroy the error response we just wrote.
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTimeout);
  std::array<char, kReadChunk> scratch{};
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kTuple);
    if (read_ec) break;
    total += n;
  }
  stream.socket().close(ec);
}

}  // namespace orsa::http
