#include "core/sodium.hpp"

#include <sodium.h>

#include <stdexcept>

namespace orsa {

void ensure_sodium() {
  // A function-local static is initialised exactly once even under
  // concurrent first calls. sodium_init fails only when the OS has no entropy
  // source: an unrecoverable environment bug, hence an exception.
  static const bool kInitialised = sodium_init() >= 0;
  if (!kInitialised) throw std::runtime_error("libsodium initialisation failed");
}

}  // namespace orsa
