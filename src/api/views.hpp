#pragma once

#include <string_view>

#include "core/json.hpp"
#include "core/json_writer.hpp"
#include "http/message.hpp"
#include "services/page.hpp"
#include "source/repos.hpp"
#include "store/models.hpp"

namespace orsa::api {

/// Public JSON shapes of stored rows. Hashes and secrets are never included.
Json to_json(const store::User& user);
Json to_json(const store::ApiToken& token);
Json to_json(const store::Project& project);
/// The same shape as to_json(Project), written straight to text (list responses).
void write_json(JsonWriter& out, const store::Project& project);
Json to_json(const source::CommitInfo& commit);

/// `{"<key>": [items], "next_cursor": "…" | null}` written straight to text
/// (the long lists), each item by `write_item(out, item)`; or the error.
template <class T, class WriteItem>
http::Response page_response(const Result<services::Page<T>>& page, std::string_view key,
                             WriteItem write_item) {
  if (!page) return http::error_response(page.error());
  JsonWriter out;
  out.begin_object().key(key).begin_array();
  for (const auto& item : page->items) write_item(out, item);
  out.end_array().key("next_cursor");
  if (const auto& cursor = page->next_cursor) {
    out.value(*cursor);
  } else {
    out.null();
  }
  out.end_object();
  return http::json_text_response(200, out.take());
}

}  // namespace orsa::api
