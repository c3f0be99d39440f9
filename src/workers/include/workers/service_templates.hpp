#pragma once

#include <filesystem>

#include "core/error.hpp"

namespace orsa::workers {

/// Writes the service templates compiled into the binary (templates/<name>/
/// without the starter files) under `root`, replacing what an older version
/// left there, and returns `root`. Builders render `root/python-flask`.
Result<std::filesystem::path> install_service_templates(const std::filesystem::path& root);

}  // namespace orsa::workers
