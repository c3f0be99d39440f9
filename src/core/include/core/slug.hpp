#pragma once

#include <string_view>

#include "core/error.hpp"

namespace orsa {

/// Checks the rule shared by usernames and project names: `[a-z0-9][a-z0-9-]{0,62}`.
/// `what` names the field in the error message ("username", "project name").
Result<void> validate_slug(std::string_view value, std::string_view what);

}  // namespace orsa
