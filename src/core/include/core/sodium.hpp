#pragma once

namespace orsa {

/// Initialises libsodium once per process (thread-safe, idempotent). Call it
/// before any libsodium function that needs the library initialised
/// (randomness, password hashing, base64, constant-time comparison).
/// Throws std::runtime_error when the OS offers no entropy source.
void ensure_sodium();

}  // namespace orsa
