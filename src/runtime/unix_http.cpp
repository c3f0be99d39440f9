#include "unix_http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <thread>

#include "libcurl/easy.hpp"

namespace orsa::runtime::detail {
namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;

struct Transfer {
  CURL* easy = nullptr;
  const StreamHandlers* handlers = nullptr;
  StreamEnd end;
  bool delivered = false;  // body bytes went to a handler: never repeat the call
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (t->end.status == 0) {
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    t->end.status = static_cast<int>(code);
  }
  if (t->end.status >= 300) {
    const std::size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->end.error_body.size());
    t->end.error_body.append(data, std::min(room, bytes));
    return bytes;
  }
  t->delivered = true;
  if (t->handlers->on_data && !t->handlers->on_data(std::string_view(data, bytes))) {
    t->end.stopped = true;
    return 0;  // anything but `bytes` makes libcurl abort the transfer
  }
  return bytes;
}

}  // namespace

UnixHttp::UnixHttp(std::string socket_path, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds reconnect_window)
    : socket_path_(std::move(socket_path)),
      connect_timeout_(connect_timeout),
      reconnect_window_(reconnect_window) {}

Result<HttpReply> UnixHttp::request(std::string_view method, const std::string& target,
                                    std::string_view body, const std::vector<std::string>& headers,
                                    std::chrono::milliseconds timeout, std::size_t max_body) const {
  HttpReply reply;
  bool too_large = false;
  StreamHandlers handlers;
  handlers.on_data = [&](std::string_view chunk) {
    if (reply.body.size() + chunk.size() > max_body) {
      too_large = true;
      return false;
    }
    reply.body.append(chunk);
    return true;
  };
  auto end = stream(method, target, body, headers, timeout, handlers);
  if (!end) return fail(end.error());
  if (too_large) {
    return fail(Error::too_large("container runtime response to " + target + " exceeds " +
                                 std::to_string(max_body) + " bytes"));
  }
  reply.status = end->status;
  if (reply.status >= 300) reply.body = std::move(end->error_body);
  return reply;
}

Result<StreamEnd> UnixHttp::stream(std::string_view method, const std::string& target,
                                   std::string_view body, const std::vector<std::string>& headers,
                                   std::chrono::milliseconds timeout,
                                   const StreamHandlers& handlers, Retry retry) const {
  static constexpr auto kFirstPause = std::chrono::milliseconds(50);
  static constexpr auto kLongestPause = std::chrono::milliseconds(1000);
  const bool repeatable = retry == Retry::kIfNoAnswer || method == "GET" || method == "HEAD";
  const auto give_up_at = std::chrono::steady_clock::now() + reconnect_window_;
  auto pause = kFirstPause;
  while (true) {
    bool refused = false, unanswered = false;
    auto end = stream_once(method, target, body, headers, timeout, handlers, refused, unanswered);
    const bool again = refused || (unanswered && repeatable);
    if (end || !again || std::chrono::steady_clock::now() + pause > give_up_at) return end;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, kLongestPause);
  }
}

Result<StreamEnd> UnixHttp::stream_once(std::string_view method, const std::string& target,
                                        std::string_view body,
                                        const std::vector<std::string>& headers,
                                        std::chrono::milliseconds timeout,
                                        const StreamHandlers& handlers, bool& refused,
                                        bool& unanswered) const {
  auto easy = libcurl::EasyHandle::create();
  if (!easy) return fail(easy.error());
  auto multi = libcurl::MultiHandle::create();
  if (!multi) return fail(multi.error());
  CURL* h = easy->get();
  Transfer transfer;
  transfer.easy = h;
  transfer.handlers = &handlers;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);
  // The host part is ignored on a unix socket; Docker only wants a valid URL.
  const std::string url = "http://localhost" + target;

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_.count()));
  if (timeout.count() > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  if (method == "POST" || method == "PUT" || !body.empty()) {
    libcurl::set_request_body(h, body);
  }
  libcurl::HeaderList list;
  for (const auto& header : headers) list.append(header);
  // curl's 100-continue handshake only adds a round trip on a local socket.
  list.append("Expect:");
  if (!body.empty()) list.append("Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());

  curl_multi_add_handle(multi->get(), h);
  auto last_tick = std::chrono::steady_clock::now();
  int running = 1;
  CURLMcode mc = CURLM_OK;
  while (running > 0 && !transfer.end.stopped) {
    mc = curl_multi_perform(multi->get(), &running);
    if (mc != CURLM_OK || running == 0 || transfer.end.stopped) break;
    const auto now = std::chrono::steady_clock::now();
    if (handlers.on_tick && now - last_tick >= kTickInterval) {
      last_tick = now;
      if (!handlers.on_tick()) {
        transfer.end.stopped = true;
        break;
      }
    }
    // Wakes on socket activity, else after 100 ms so ticks stay on time.
    mc = curl_multi_poll(multi->get(), nullptr, 0, 100, nullptr);
    if (mc != CURLM_OK) break;
  }
  CURLcode rc = CURLE_OK;
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi->get(), &pending)) {
    if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
  }
  curl_multi_remove_handle(multi->get(), h);
  if (transfer.end.stopped) return std::move(transfer.end);
  if (mc != CURLM_OK) {
    return fail(Error::unavailable(std::string("container runtime request failed: ") +
                                   curl_multi_strerror(mc)));
  }
  if (rc != CURLE_OK) {
    // No socket, or nobody listening on it: the request never left.
    refused = rc == CURLE_COULDNT_CONNECT;
    // Dropped before a status line or a byte of the body reached us.
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    unanswered = code == 0 && !transfer.delivered &&
                 (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING);
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return fail(Error::unavailable("container runtime at " + socket_path_ + ": " + method_text +
                                   " " + target.substr(0, target.find('?')) +
                                   " failed: " + detail));
  }
  if (transfer.end.status == 0) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    transfer.end.status = static_cast<int>(code);
  }
  return std::move(transfer.end);
}

}  // namespace orsa::runtime::detail
