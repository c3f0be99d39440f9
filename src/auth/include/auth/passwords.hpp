#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::auth {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 1024;

/// Checks length limits; the message says what is wrong.
Result<void> validate_password(std::string_view password);

/// argon2id via libsodium's crypto_pwhash_str (interactive limits).
Result<std::string> hash_password(std::string_view password);

/// True when `password` matches a hash from hash_password.
bool verify_password(std::string_view hash, std::string_view password);

/// A random password for the bootstrap admin (24 chars, URL-safe).
std::string generate_password();

}  // namespace orsa::auth
