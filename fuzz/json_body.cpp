// JSON request bodies: the JsonObjectReader every route reads its body with,
// asked for the fields the routes ask for, in each of the readers' types; the
// errors rendered as the API renders them (names from the body echoed back);
// and the build job document the builder reads (builder::parse_job).

#include <initializer_list>
#include <string_view>

#include "../fuzz/check.hpp"
#include "builder/job.hpp"
#include "core/json.hpp"
#include "http/message.hpp"

namespace {

// Field names the routes read (accounts, tokens, projects, builds, deployments, admin).
constexpr std::string_view kFields[] = {
    "username",   "email",           "password",  "role",        "login",
    "name",       "expires_in_days", "disabled",  "description", "template",
    "ref",        "image_id",        "memory_mb", "cpus",        "env",
    "visibility", "message",         "files",     "path",        "content",
    "commit",     "egress",          "",          "\xff",        "a\0b"};

/// Renders an error as a route would answer it: must never throw.
void render(const orsa::Error& error) {
  const auto response = orsa::http::error_response(error);
  ORSA_FUZZ_CHECK(response.status >= 400);
}

template <class T>
void read_field(const orsa::Result<T>& value) {
  if (!value) render(value.error());
}

void read_every_field(const orsa::JsonObjectReader& body) {
  for (const std::string_view key : kFields) {
    read_field(body.required_string(key));
    read_field(body.optional_string(key));
    read_field(body.optional_bool(key));
    read_field(body.optional_int(key));
    if (const orsa::Json* raw = body.find(key)) {
      (void)raw->dump(-1, ' ', false, orsa::Json::error_handler_t::replace);
    }
  }
  if (auto known = body.reject_unknown({"username", "email", "password"}); !known) {
    render(known.error());
  }
  if (auto known = body.reject_unknown({"image_id", "memory_mb", "cpus", "env", "visibility"});
      !known) {
    render(known.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = orsa::fuzz::as_text(data, size);
  auto body = orsa::JsonObjectReader::parse(text);
  if (body) {
    ORSA_FUZZ_CHECK(body->json().is_object());
    read_every_field(*body);
  } else {
    render(body.error());
  }
  if (auto job = orsa::builder::parse_job(text); !job) render(job.error());
  return 0;
}
