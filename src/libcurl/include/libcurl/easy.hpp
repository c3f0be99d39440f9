#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

// The one wrapper of libcurl every HTTP client of the project builds on: the
// process-wide initialisation happens once, and handles free themselves.
namespace orsa::libcurl {

/// Runs curl_global_init once per process (thread-safe). EasyHandle::create
/// calls it; call it directly only before other libcurl entry points.
void ensure_global_init();

/// Sends `body` as the request body: curl reads exactly its size (no
/// terminator needed) without copying, so it must outlive the transfer.
void set_request_body(CURL* handle, std::string_view body);

/// An owned libcurl easy handle (curl_easy_cleanup on destruction).
class EasyHandle {
 public:
  /// A fresh handle, after the process-wide initialisation.
  [[nodiscard]] static Result<EasyHandle> create();

  CURL* get() const { return handle_.get(); }

 private:
  struct Cleanup {
    void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
  };
  explicit EasyHandle(CURL* handle) : handle_(handle) {}

  std::unique_ptr<CURL, Cleanup> handle_;
};

/// An owned libcurl multi handle (curl_multi_cleanup on destruction).
class MultiHandle {
 public:
  [[nodiscard]] static Result<MultiHandle> create();

  CURLM* get() const { return handle_.get(); }

 private:
  struct Cleanup {
    void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
  };
  explicit MultiHandle(CURLM* handle) : handle_(handle) {}

  std::unique_ptr<CURLM, Cleanup> handle_;
};

/// An owned request header list for CURLOPT_HTTPHEADER.
class HeaderList {
 public:
  /// Appends one "Name: value" line ("Name:" alone suppresses curl's own).
  void append(const std::string& line);

  curl_slist* get() const { return list_.get(); }

 private:
  struct Cleanup {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  std::unique_ptr<curl_slist, Cleanup> list_;
};

}  // namespace orsa::libcurl
