// The `cursor` query parameter of the project and image lists, as a client
// sends it back: any bytes give a store key or a clear refusal, never a
// crash; a cursor it accepts writes back to one that reads the same key.

#include "../fuzz/check.hpp"
#include "services/list_cursors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = orsa::fuzz::as_text(data, size);

  if (const auto key = orsa::services::parse_project_cursor(text)) {
    ORSA_FUZZ_CHECK(!key->owner_username.empty() && !key->name.empty());
    orsa::store::Project last;
    last.owner_username = key->owner_username;
    last.name = key->name;
    ORSA_FUZZ_CHECK(orsa::services::project_cursor(last) == text);
  } else {
    ORSA_FUZZ_CHECK(key.error().code == orsa::ErrorCode::kInvalidArgument);
  }

  if (const auto key = orsa::services::parse_image_cursor(text)) {
    ORSA_FUZZ_CHECK(key->created_at >= 0 && !key->id.empty());
    orsa::store::Image last;
    last.created_at = key->created_at;
    last.id = key->id;
    const auto again = orsa::services::parse_image_cursor(orsa::services::image_cursor(last));
    ORSA_FUZZ_CHECK(again && again->created_at == key->created_at && again->id == key->id);
  } else {
    ORSA_FUZZ_CHECK(key.error().code == orsa::ErrorCode::kInvalidArgument);
  }
  return 0;
}
