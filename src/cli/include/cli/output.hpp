#pragma once

// What the client prints: aligned tables, colours (only on a terminal and
// never with NO_COLOR), one-line errors, and the exit codes scripts rely on.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace orsa::cli {

/// Exit codes: the contract with scripts (docs/cli.md).
enum class Exit : int {
  kOk = 0,
  kFailure = 1,   // the thing asked failed (a build, a deployment, the server refused)
  kUsage = 2,     // the command line is wrong
  kAuth = 3,      // not logged in, bad credentials, or not allowed
  kNotFound = 4,  // no such resource (or not visible to the caller)
  kConflict = 5,  // the state changed underneath (a push based on an old head)
};

/// The exit code for an error. kInvalidArgument is a usage error of the
/// command line; the client files a server's 400 under kUnprocessable, since
/// a refused value is a failure of the thing asked.
Exit exit_for(const Error& error);

/// Whether to colour: a terminal on `fd` and no NO_COLOR in the environment.
bool use_colour(int fd);

/// `text` in the colour that fits a status word (green for succeeded and
/// healthy, red for failures, yellow for waiting states), or as is.
std::string colour_status(std::string_view text, bool colour);

/// Rows under a header, columns padded to their widest cell and two spaces
/// apart; the last column is not padded. Columns listed in `status_columns`
/// are coloured with colour_status (after padding, so alignment holds).
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> status_columns;

  std::string render(bool colour = false) const;
};

/// "2026-01-02T03:04:05Z" → "2026-01-02 03:04:05"; other text as is.
std::string short_time(std::string_view rfc3339);

/// A byte count for people: "512 B", "1.5 KiB", "12.0 MiB".
std::string human_bytes(std::uint64_t bytes);

/// A duration for people: "90" or "90s", "5m", "2h" → seconds; an error
/// (naming the text) otherwise.
Result<std::int64_t> parse_duration_s(std::string_view text);

}  // namespace orsa::cli
