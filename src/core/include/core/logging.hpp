#pragma once

#include <string_view>

namespace orsa {

/// Configures the process-wide spdlog logger: one line per event, UTC
/// timestamps, `level` one of trace|debug|info|warn|error.
void init_logging(std::string_view level);

}  // namespace orsa
