#include "http/client.hpp"

#include <curl/curl.h>

#include "core/strings.hpp"
#include "libcurl/easy.hpp"

namespace orsa::http {
namespace {

struct BoundedBody {
  std::string* body = nullptr;
  std::size_t max_bytes = 0;
  bool overflowed = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<BoundedBody*>(user);
  if (size * count > out->max_bytes - out->body->size()) {
    out->overflowed = true;
    return 0;  // aborts the transfer
  }
  out->body->append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<ClientResponse*>(user);
  const std::string_view line(data, size * count);
  // A new status line (after 100 Continue) starts a new header block.
  if (line.starts_with("HTTP/")) {
    out->headers.clear();
    out->set_cookies.clear();
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  const std::string_view name = trim(line.substr(0, colon));
  const std::string value(trim(line.substr(colon + 1)));
  if (iequals(name, "Set-Cookie")) out->set_cookies.push_back(value);
  out->headers.insert_or_assign(std::string(name), value);
  return size * count;
}

}  // namespace

Client::Client(std::chrono::milliseconds timeout, std::size_t max_body_bytes)
    : timeout_(timeout), max_body_bytes_(max_body_bytes) {}

Result<ClientResponse> Client::request(
    std::string_view method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) const {
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  ClientResponse response;
  BoundedBody sink{&response.body, max_body_bytes_};
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string method_text(method);

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method != "GET" || !body.empty()) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    libcurl::set_request_body(h, body);
  }

  libcurl::HeaderList list;
  bool has_expect = false;
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    has_expect = has_expect || iequals(name, "Expect");
    has_content_type = has_content_type || iequals(name, "Content-Type");
    list.append(concat({name, ": ", value}));
  }
  // curl's own 100-continue handshake adds a round trip; callers opt in.
  if (!has_expect) list.append("Expect:");
  // Otherwise curl labels every body as a form post.
  if (!has_content_type) list.append("Content-Type:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());

  const CURLcode rc = curl_easy_perform(h);
  if (sink.overflowed)
    return fail(Error::too_large(method_text + " response larger than " +
                                 std::to_string(max_body_bytes_) + " bytes"));
  if (rc != CURLE_OK) {
    const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return fail(Error::unavailable(method_text + " request failed: " + detail));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace orsa::http
