#include "api_client.hpp"

#include <curl/curl.h>

#include <fstream>
#include <sstream>

#include "core/json.hpp"
#include "core/strings.hpp"
#include "libcurl/easy.hpp"

namespace orsa::runtime::kubernetes {
namespace {

struct Body {
  std::string text;
  bool overflowed = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<Body*>(user);
  if (size * count > ApiClient::kMaxBody - out->text.size()) {
    out->overflowed = true;
    return 0;  // aborts the transfer
  }
  out->text.append(data, size * count);
  return size * count;
}

// A watch's chunks cut into lines, each handed on as it completes.
struct WatchSink {
  const std::function<bool(std::string_view)>* on_event = nullptr;
  const std::function<bool()>* keep_going = nullptr;
  std::string pending;
  std::string status_body;  // a non-2xx answer is a Status document, not events
  bool failed_status = false;
  bool stopped = false;
  bool overflowed = false;
};

std::size_t on_watch(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<WatchSink*>(user);
  const std::string_view chunk(data, size * count);
  if (sink->failed_status) {
    if (sink->status_body.size() < 64 * 1024) sink->status_body.append(chunk);
    return chunk.size();
  }
  sink->pending.append(chunk);
  std::size_t start = 0;
  for (auto nl = sink->pending.find('\n'); nl != std::string::npos;
       nl = sink->pending.find('\n', start)) {
    const std::string_view line = std::string_view(sink->pending).substr(start, nl - start);
    start = nl + 1;
    if (trim(line).empty()) continue;
    if (!(*sink->on_event)(line)) {
      sink->stopped = true;
      return 0;
    }
  }
  sink->pending.erase(0, start);
  if (sink->pending.size() > ApiClient::kMaxWatchLine) {
    sink->overflowed = true;
    return 0;
  }
  return chunk.size();
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* sink = static_cast<WatchSink*>(user);
  if (*sink->keep_going && !(*sink->keep_going)()) {
    sink->stopped = true;
    return 1;  // aborts the transfer
  }
  return 0;
}

std::size_t on_watch_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<WatchSink*>(user);
  const std::string_view line(data, size * count);
  // "HTTP/1.1 200 OK": anything but 2xx carries a Status, not events.
  if (line.starts_with("HTTP/")) {
    const auto space = line.find(' ');
    sink->failed_status = space == std::string_view::npos || line.substr(space + 1, 1) != "2";
  }
  return size * count;
}

struct curl_blob pem_blob(const std::string& pem) {
  // curl copies the blob (CURL_BLOB_COPY): the string need not outlive the call.
  return {const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::unavailable("cannot read " + path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string status_message(std::string_view body) {
  auto doc = Json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    return doc["message"].get<std::string>();
  }
  return std::string(body.substr(0, 200));
}

Error status_error(int status, std::string_view body, const std::string& what) {
  std::string message = what + ": " + status_message(body);
  switch (status) {
    case 401:
      return Error::unauthenticated(std::move(message));
    case 403:
      return Error::permission_denied(std::move(message));
    case 404:
      return Error::not_found(std::move(message));
    case 409:
    case 410:
      return Error::conflict(std::move(message));
    case 422:
      return Error::unprocessable(std::move(message));
    default:
      return Error::unavailable(std::move(message) + " (HTTP " + std::to_string(status) + ")");
  }
}

ApiClient::ApiClient(ClusterAccess access, std::chrono::milliseconds call_timeout)
    : access_(std::move(access)), call_timeout_(call_timeout) {}

Result<std::string> ApiClient::bearer_token() const {
  if (access_.token_file.empty()) return access_.token;
  auto token = read_file(access_.token_file);
  if (!token) return fail(token.error());
  return std::string(trim(*token));
}

namespace {

// What every call shares: the URL, the server's CA, who we are.
Result<void> prepare(CURL* h, const ClusterAccess& access, const std::string& url,
                     const std::string& token, libcurl::HeaderList& headers, char* error_buffer) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (!access.ca_pem.empty()) {
    struct curl_blob ca = pem_blob(access.ca_pem);
    if (curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) {
      return fail(Error::internal("libcurl cannot take the cluster's CA"));
    }
  }
  if (!access.client_cert_pem.empty()) {
    struct curl_blob cert = pem_blob(access.client_cert_pem);
    struct curl_blob key = pem_blob(access.client_key_pem);
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }
  // The token goes only where the server is: never to a redirect's target.
  if (!token.empty()) headers.append("Authorization: Bearer " + token);
  headers.append("Accept: application/json");
  headers.append("Expect:");
  return {};
}

Error transport_error(const std::string& what, CURLcode rc, const char* error_buffer) {
  const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
  return Error::unavailable(what + ": " + detail);
}

}  // namespace

Result<ApiReply> ApiClient::request(std::string_view method, const std::string& path,
                                    std::string_view body, std::string_view content_type) const {
  auto token = bearer_token();
  if (!token) return fail(token.error());
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  libcurl::HeaderList headers;
  if (auto ok = prepare(h, access_, access_.server + path, *token, headers, error_buffer); !ok) {
    return fail(ok.error());
  }
  const std::string method_text(method);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(call_timeout_.count()));
  if (method != "GET") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    libcurl::set_request_body(h, body);
    headers.append("Content-Type: " + std::string(content_type));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  Body answer;
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  const CURLcode rc = curl_easy_perform(h);
  if (answer.overflowed) {
    return fail(Error::too_large(method_text + " " + path + ": answer larger than " +
                                 std::to_string(kMaxBody) + " bytes"));
  }
  if (rc != CURLE_OK) return fail(transport_error(method_text + " " + path, rc, error_buffer));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return ApiReply{static_cast<int>(status), std::move(answer.text)};
}

Result<void> ApiClient::watch(const std::string& path,
                              const std::function<bool(std::string_view)>& on_event,
                              const std::function<bool()>& keep_going) const {
  auto token = bearer_token();
  if (!token) return fail(token.error());
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  libcurl::HeaderList headers;
  if (auto ok = prepare(h, access_, access_.server + path, *token, headers, error_buffer); !ok) {
    return fail(ok.error());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  // No overall timeout: the server ends a watch (timeoutSeconds); a dead
  // connection is noticed by TCP keepalive and the low-speed limit.
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call_timeout_.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  WatchSink sink{.on_event = &on_event, .keep_going = &keep_going};
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_watch);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_watch_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &sink);
  const CURLcode rc = curl_easy_perform(h);
  if (sink.stopped) return {};
  if (sink.overflowed) {
    return fail(Error::too_large("watch " + path + ": an event larger than " +
                                 std::to_string(kMaxWatchLine) + " bytes"));
  }
  if (rc != CURLE_OK) return fail(transport_error("watch " + path, rc, error_buffer));
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    return fail(status_error(static_cast<int>(status), sink.status_body, "watch " + path));
  }
  return {};
}

}  // namespace orsa::runtime::kubernetes
