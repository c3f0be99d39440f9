#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace orsa {

/// `n` bytes from the OS CSPRNG.
std::string random_bytes(std::size_t n);

/// Lower-case hex of `n` random bytes (2n characters).
std::string random_hex(std::size_t n);

/// A request id for logs and X-Request-Id: 16 lower-case hex characters, like
/// random_hex(8), from a per-thread xoshiro256** generator seeded once from the
/// CSPRNG (no system call per id). Predictable: never use it for secrets.
std::string new_request_id();

/// A new opaque identifier such as "usr_3k9x…": prefix, '_' and 20 base32 chars.
std::string new_id(std::string_view prefix);

/// Unpadded base64url of arbitrary bytes.
std::string base64url_encode(std::string_view bytes);

/// Padded base64 (RFC 4648 §4, the standard alphabet) of arbitrary bytes.
std::string base64_encode(std::string_view bytes);

/// The bytes of padded standard base64 (whitespace between groups ignored);
/// nullopt when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);

/// Lower-case hex of arbitrary bytes.
std::string hex_encode(std::string_view bytes);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace orsa
