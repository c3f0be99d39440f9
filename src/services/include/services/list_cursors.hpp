#pragma once

// The cursors of the paged project and image lists: the previous page's last
// item, written so that it can be read back into the store's key. Callers
// send them back as they got them; anything else is refused.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/images.hpp"
#include "store/models.hpp"
#include "store/projects.hpp"

namespace orsa::services {

/// "owner/name".
std::string project_cursor(const store::Project& project);
/// kInvalidArgument unless "owner/name" with both parts non-empty.
Result<store::ProjectKey> parse_project_cursor(std::string_view cursor);

/// "<created_at>.<id>".
std::string image_cursor(const store::Image& image);
/// kInvalidArgument unless "<non-negative decimal>.<non-empty id>".
Result<store::ImageKey> parse_image_cursor(std::string_view cursor);

}  // namespace orsa::services
