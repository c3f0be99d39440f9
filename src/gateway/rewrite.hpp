#pragma once

// Both directions of header rewriting (see rewrite.cpp) and the upstream's
// response parser whose views they read.

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "gateway/route_table.hpp"
#include "wire.hpp"

namespace orsa::gateway {

/// The upstream's response, parsed without a Beast fields container: the
/// fields stay views into the read buffer (valid until more is read into it),
/// and the body goes into the caller's buffer as with bhttp::buffer_body
/// (`data`/`size`: where the next body bytes go and how many fit).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  struct Field {
    bhttp::field name;
    std::string_view name_string;
    std::string_view value;
  };
  unsigned status = 0;
  std::string_view reason;
  boost::container::small_vector<Field, 24> fields;
  char* data = nullptr;
  std::size_t size = 0;

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       beast::error_code& ec) override {
    ec = bhttp::error::bad_method;  // not called for a response
  }
  void on_response_impl(int code, beast::string_view text, int, beast::error_code&) override {
    status = static_cast<unsigned>(code);
    reason = text;
    fields.clear();
  }
  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    fields.push_back({name, name_string, value});
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, beast::error_code&) override {}
  std::size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    if (data == nullptr) {
      ec = bhttp::error::need_buffer;
      return 0;
    }
    const std::size_t n = std::min(size, body.size());
    std::memcpy(data, body.data(), n);
    data += n;
    size -= n;
    if (n != body.size()) ec = bhttp::error::need_buffer;
    return n;
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code& ec) override {
    return on_body_impl(body, ec);
  }
  void on_finish_impl(beast::error_code&) override {}
};

/// The request header as sent upstream: without hop-by-hop fields, the
/// caller's ORSA credentials (the deployed service runs its owner's code:
/// Authorization, ORSA's cookies, X-CSRF-Token) and
/// Expect (100-continue is answered to the client here); with X-Forwarded-*,
/// X-Request-Id and the upstream's Host; framing rebuilt from what the parser
/// saw, never from fields a Connection header could have removed.
void write_request_head(std::string& out, const bhttp::request_header<>& req,
                        std::string_view target, std::string_view prefix, const Upstream& upstream,
                        std::string_view remote_ip, std::string_view request_id, Framing framing,
                        std::uint64_t length);

/// What the gateway adds to, and holds back from, a service's response.
struct ResponsePolicy {
  bool shared_origin = true;     // every service on one origin: sandbox, no cookies
  std::string_view cors_origin;  // the app's origin when it sent the request
};

/// The response header as sent to the client: without hop-by-hop fields and
/// what is_withheld() names, with X-Request-Id, the sandbox on a shared
/// origin, the app's CORS grant, and the framing chosen by relay_response().
void write_response_head(std::string& out, const ResponseParser& res, std::string_view request_id,
                         Framing framing, std::uint64_t length, bool keep_alive,
                         const ResponsePolicy& policy);

}  // namespace orsa::gateway
