#pragma once

// The `orsa` command line: parses the arguments, runs one command, and
// returns the process's exit code (see cli/output.hpp's Exit).

namespace orsa::cli {

/// Runs `orsa` with the process's arguments; returns the exit code.
int run(int argc, char** argv);

}  // namespace orsa::cli
