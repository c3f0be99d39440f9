#pragma once

// What the parts of the docker-api adapter (containers, networks, jobs) share.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::runtime::detail {

/// Maps a Docker API error status (and podman's wording) to our vocabulary.
Error status_error(int status, std::string_view body, const std::string& what);

/// kInvalidArgument unless `id` looks like a container id or name.
Result<void> check_id(const std::string& id);

}  // namespace orsa::runtime::detail
