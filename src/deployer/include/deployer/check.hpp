#pragma once

#include "deployer/config.hpp"

namespace orsa::deployer {

/// Exit codes of `orsa-deployer check`.
inline constexpr int kCheckClean = 0;
inline constexpr int kCheckFindingsRemain = 1;
inline constexpr int kCheckError = 2;

/// `orsa-deployer check`: opens the data dir and database `config` names
/// (as a server started with the same flags would), checks them against the
/// registry store and the container runtime (workers/consistency_check.hpp),
/// prints the report (text, or JSON with --json) and returns the exit code.
/// --repair refuses to run while a server holds the data dir.
int run_check(const Config& config, const CheckCommand& command);

}  // namespace orsa::deployer
