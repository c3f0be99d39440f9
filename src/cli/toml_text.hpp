#pragma once

// Parsing TOML text into a table, failures as values (toml++ reports them
// with an exception in the build Debian ships).

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::cli {

/// The table of `text`; a syntax error names `source_name` and the line.
inline Result<toml::table> parse_toml(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& err) {
    return fail(Error::invalid_argument(std::string(source_name) + ": line " +
                                        std::to_string(err.source().begin.line) + ": " +
                                        std::string(err.description())));
  }
}

}  // namespace orsa::cli
