#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace orsa {

/// `s` without leading and trailing ASCII whitespace (space, tab, CR, LF, FF, VT).
std::string_view trim(std::string_view s);

/// `s` with ASCII letters lowered; other bytes unchanged (no locale).
std::string ascii_lower(std::string_view s);

/// True when `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// True for a non-empty run of ASCII digits.
bool is_digits(std::string_view s);

/// The parts joined in one allocation, e.g. concat({key, "=", value}); where
/// `a + "=" + b` would build a temporary string per `+`.
std::string concat(std::initializer_list<std::string_view> parts);

/// Percent-encodes every byte but RFC 3986's unreserved characters and
/// those in `keep` (a URL's path separators, say), with upper-case hex: for
/// query values, form bodies (application/x-www-form-urlencoded) and paths.
std::string percent_encode(std::string_view text, std::string_view keep = {});

/// The text of an errno value, safe to call from any thread.
std::string errno_message(int error);

}  // namespace orsa
