#include "cli/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace orsa::cli {

Exit exit_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return Exit::kUsage;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return Exit::kAuth;
    case ErrorCode::kNotFound:
      return Exit::kNotFound;
    case ErrorCode::kConflict:
      return Exit::kConflict;
    default:
      return Exit::kFailure;
  }
}

bool use_colour(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour != nullptr && no_colour[0] != '\0') return false;
  return ::isatty(fd) == 1;
}

std::string colour_status(std::string_view text, bool colour) {
  if (!colour) return std::string(text);
  std::string_view code;
  if (text.starts_with("succeeded") || text.starts_with("healthy") || text.starts_with("ok")) {
    code = "32";
  } else if (text.starts_with("failed") || text.starts_with("crashloop") ||
             text.starts_with("timed_out") || text.starts_with("invalid_input") ||
             text.starts_with("error")) {
    code = "31";
  } else if (text.starts_with("queued") || text.starts_with("running") ||
             text.starts_with("pending") || text.starts_with("pulling") ||
             text.starts_with("starting")) {
    code = "33";
  }
  if (code.empty()) return std::string(text);
  return "\x1b[" + std::string(code) + "m" + std::string(text) + "\x1b[0m";
}

std::string Table::render(bool colour) const {
  std::vector<std::size_t> widths(headers.size(), 0);
  for (std::size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const bool last = c + 1 == widths.size();
      const std::string padding = last ? "" : std::string(widths[c] - cell.size() + 2, ' ');
      const bool status = !header && std::find(status_columns.begin(), status_columns.end(), c) !=
                                         status_columns.end();
      out += (status ? colour_status(cell, colour) : cell) + padding;
    }
    while (out.ends_with(' ')) out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers, true);
  for (const auto& row : rows) out += line(row, false);
  return out;
}

std::string short_time(std::string_view rfc3339) {
  if (rfc3339.size() < 19 || rfc3339[10] != 'T') return std::string(rfc3339);
  std::string out(rfc3339.substr(0, 19));
  out[10] = ' ';
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %s", value, units[unit]);
  return buffer;
}

Result<std::int64_t> parse_duration_s(std::string_view text) {
  std::int64_t unit = 1;
  std::string_view digits = text;
  if (text.ends_with('s')) digits.remove_suffix(1);
  if (text.ends_with('m')) unit = 60;
  if (text.ends_with('h')) unit = 3600;
  if (unit != 1) digits.remove_suffix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value <= 0 ||
      value > 366LL * 24 * 3600 / unit)
    return fail(
        Error::invalid_argument("not a duration: '" + std::string(text) + "' (e.g. 90s, 5m, 2h)"));
  return value * unit;
}

}  // namespace orsa::cli
