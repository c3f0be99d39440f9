#pragma once

// Private to the auth module: not part of its public contract.
namespace orsa::auth::detail {

/// Initialises libsodium once per process (thread-safe, idempotent).
void ensure_sodium();

}  // namespace orsa::auth::detail
