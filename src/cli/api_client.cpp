#include "cli/api_client.hpp"

#include <curl/curl.h>

#include "core/strings.hpp"
#include "libcurl/easy.hpp"

#ifndef ORSA_CLI_VERSION
#define ORSA_CLI_VERSION "0.0.0"
#endif

namespace orsa::cli {
namespace {

constexpr long kConnectTimeoutMs = 10'000;
constexpr std::size_t kMaxErrorBody = 64 * 1024;     // an error answer to a stream request
constexpr std::size_t kMaxBody = 256 * 1024 * 1024;  // any other answer
constexpr std::size_t kMaxEventBytes = 16 * 1024 * 1024;

// What one transfer collects; shared by whole-body requests and streams.
struct Transfer {
  CURL* handle = nullptr;
  ApiResponse response;
  std::function<bool(std::string_view)> on_data;  // streams: false stops the transfer
  bool stopped = false;
  bool too_large = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view name = trim(line.substr(0, colon));
    const std::string value(trim(line.substr(colon + 1)));
    if (iequals(name, "X-Request-Id")) t->response.request_id = value;
    if (iequals(name, "Content-Type")) t->response.content_type = value;
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view bytes(data, size * count);
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  // A stream hands on only a 200's body; an error's body is read whole.
  if (t->on_data && status == 200) {
    if (!t->on_data(bytes)) {
      t->stopped = true;
      return 0;  // ends the transfer (CURLE_WRITE_ERROR, which is ours)
    }
    return bytes.size();
  }
  const std::size_t limit = t->on_data ? kMaxErrorBody : kMaxBody;
  if (t->response.body.size() + bytes.size() > limit) {
    t->too_large = true;
    return 0;
  }
  t->response.body.append(bytes);
  return bytes.size();
}

ErrorCode code_of(std::string_view name, int status) {
  if (name == "unauthenticated" || status == 401) return ErrorCode::kUnauthenticated;
  if (name == "permission_denied" || status == 403) return ErrorCode::kPermissionDenied;
  if (name == "not_found" || status == 404) return ErrorCode::kNotFound;
  if (name == "conflict" || status == 409) return ErrorCode::kConflict;
  if (name == "too_large" || status == 413) return ErrorCode::kTooLarge;
  if (name == "rate_limited" || status == 429) return ErrorCode::kRateLimited;
  if (status == 503) return ErrorCode::kUnavailable;
  if (status >= 500) return ErrorCode::kInternal;
  return ErrorCode::kUnprocessable;
}

std::string escape(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string escape_path(std::string_view path) {
  return escape(path, true);
}
std::string escape_query(std::string_view value) {
  return escape(value, false);
}

Result<Json> fetch_all_pages(const PageGetter& get, const std::string& path, std::string_view key,
                             std::size_t max_items) {
  constexpr std::string_view kPage = "?limit=500";  // the server's largest page
  Json all = Json::array();
  std::string next = path + std::string(kPage);
  while (true) {
    auto page = get(next);
    if (!page) return fail(page.error());
    const auto items = page->find(key);
    if (!page->is_object() || items == page->end() || !items->is_array()) {
      return fail(Error::internal("the server's list has no " + std::string(key)));
    }
    if (all.size() + items->size() > max_items) {
      return fail(Error::too_large("more than " + std::to_string(max_items) + " " +
                                   std::string(key) + "; narrow the list"));
    }
    for (auto& item : *items) all.push_back(std::move(item));
    const auto cursor = page->find("next_cursor");
    if (cursor == page->end() || !cursor->is_string()) return all;
    next = path + std::string(kPage) + "&cursor=" + escape_query(cursor->get<std::string>());
  }
}

Error error_from_response(const ApiResponse& response) {
  std::string code_name;
  std::string message;
  std::string current_head;
  const Json doc = Json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const Json& e = doc["error"];
    if (e.contains("code") && e["code"].is_string()) code_name = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      message = e["message"].get<std::string>();
    if (e.contains("current_head") && e["current_head"].is_string())
      current_head = e["current_head"].get<std::string>();
  }
  if (message.empty()) {
    std::string text(trim(response.body.substr(0, 200)));
    for (char& c : text)
      if (c == '\n' || c == '\r') c = ' ';
    message = text.empty() ? "the server answered " + std::to_string(response.status) : text;
  }
  std::string detail = " (HTTP " + std::to_string(response.status);
  if (!response.request_id.empty()) detail += ", request id " + response.request_id;
  Error error{code_of(code_name, response.status), message + detail + ")", {}};
  error.current_head = current_head;
  return error;
}

ApiClient::ApiClient(std::string server, std::string token, std::chrono::milliseconds timeout)
    : server_(std::move(server)), token_(std::move(token)), timeout_(timeout) {
  while (server_.ends_with('/')) server_.pop_back();
}

HeaderPairs ApiClient::auth_headers(HeaderPairs headers) const {
  if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
  return headers;
}

namespace {

Result<ApiResponse> perform(std::string_view method, const std::string& url, std::string_view body,
                            const HeaderPairs& headers, Transfer& t,
                            std::chrono::milliseconds total_timeout,
                            std::chrono::milliseconds stall_timeout) {
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  t.handle = h;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "orsa-cli/" ORSA_CLI_VERSION);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  if (total_timeout.count() > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total_timeout.count()));
  // Less than a byte a second for the stall timeout: the peer is gone.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<std::int64_t>(1, stall_timeout.count() / 1000)));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (method != "GET") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    libcurl::set_request_body(h, body);
  libcurl::HeaderList list;
  for (const auto& [name, value] : headers) list.append(concat({name, ": ", value}));
  list.append("Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());

  const CURLcode rc = curl_easy_perform(h);
  if (t.too_large)
    return fail(Error::too_large("the answer from " + url + " is larger than the client takes"));
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.stopped)) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    std::string what = "cannot reach " + url;
    if (rc == CURLE_OPERATION_TIMEDOUT) what = "no answer in time from " + url;
    if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING)
      what = "the connection to the server was lost (" + url + ")";
    return fail(Error::unavailable(what + ": " + detail));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  t.response.status = static_cast<int>(status);
  return t.response;
}

}  // namespace

Result<ApiResponse> ApiClient::send(std::string_view method, const std::string& url,
                                    std::string_view body, const HeaderPairs& headers) const {
  Transfer t;
  return perform(method, url, body, auth_headers(headers), t, timeout_, timeout_);
}

Result<Json> ApiClient::call(std::string_view method, const std::string& path, const Json& body,
                             const HeaderPairs& headers) const {
  HeaderPairs all = headers;
  all.emplace_back("Accept", "application/json");
  std::string text;
  if (!body.is_null()) {
    text = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    all.emplace_back("Content-Type", "application/json");
  }
  auto response = send(method, server_ + path, text, all);
  if (!response) return fail(response.error());
  if (response->status < 200 || response->status > 299) return fail(error_from_response(*response));
  if (response->body.empty()) return Json(nullptr);
  Json doc = Json::parse(response->body, nullptr, false);
  if (doc.is_discarded())
    return fail(Error::internal("the server's answer to " + path + " is not JSON"));
  return doc;
}

Result<void> ApiClient::stream(const std::string& path,
                               const std::function<bool(const SseEvent&)>& on_event,
                               std::chrono::milliseconds total,
                               std::chrono::milliseconds stall_timeout) const {
  bool keep_going = true;
  SseParser parser([&](const SseEvent& event) {
    if (keep_going) keep_going = on_event(event);
  });
  Transfer t;
  t.on_data = [&](std::string_view bytes) {
    parser.feed(bytes);
    return keep_going && parser.pending_bytes() <= kMaxEventBytes;
  };
  const auto started = std::chrono::steady_clock::now();
  auto response = perform("GET", server_ + path, {},
                          auth_headers({{"Accept", "text/event-stream"}}), t, total, stall_timeout);
  if (!response && total.count() > 0 && std::chrono::steady_clock::now() - started >= total)
    return fail(Error::unavailable("the stream at " + path + " did not end within " +
                                   std::to_string(total.count() / 1000) + " s"));
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(error_from_response(*response));
  if (t.stopped && keep_going)
    return fail(Error::too_large("an event of the stream at " + path + " is too large"));
  return {};
}

}  // namespace orsa::cli
