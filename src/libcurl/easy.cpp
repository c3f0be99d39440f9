#include "libcurl/easy.hpp"

#include <mutex>

namespace orsa::libcurl {

void ensure_global_init() {
  // curl_global_init is not thread-safe and must run once before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void set_request_body(CURL* handle, std::string_view body) {
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): the size is set just above
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
}

Result<EasyHandle> EasyHandle::create() {
  ensure_global_init();
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return fail(Error::internal("could not create a libcurl handle"));
  return EasyHandle(handle);
}

Result<MultiHandle> MultiHandle::create() {
  ensure_global_init();
  CURLM* handle = curl_multi_init();
  if (handle == nullptr) return fail(Error::internal("could not create a libcurl multi handle"));
  return MultiHandle(handle);
}

void HeaderList::append(const std::string& line) {
  // curl_slist_append returns the unchanged head of a non-empty list, the new
  // node of an empty one, or null on allocation failure (the list intact).
  curl_slist* head = curl_slist_append(list_.get(), line.c_str());
  if (list_ == nullptr) list_.reset(head);
}

}  // namespace orsa::libcurl
