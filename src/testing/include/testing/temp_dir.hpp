#pragma once

// Temp directories for tests: the core type, removed with everything in it
// when the object goes away. Tests include this header so every piece of
// test scaffolding is found under testing/.
#include "core/temp_dir.hpp"

namespace orsa::testing {

using orsa::TempDir;

}  // namespace orsa::testing
