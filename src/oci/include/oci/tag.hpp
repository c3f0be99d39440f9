#pragma once

#include <string_view>

#include "core/error.hpp"

namespace orsa::oci {

/// The longest tag the distribution spec allows.
inline constexpr std::size_t kMaxTagBytes = 128;

/// Tag syntax of the distribution spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
/// (ASCII only, whatever the locale). The one tag rule of the project: the
/// registry, the blob store and the registry client all check it here.
/// Fails with invalid_argument and registry code "TAG_INVALID".
Result<void> validate_tag(std::string_view tag);

}  // namespace orsa::oci
