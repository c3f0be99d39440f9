#pragma once

namespace orsa::services {

/// Whether anyone may sign up (open) or only admins create users (closed).
enum class Registration { kOpen, kClosed };

}  // namespace orsa::services
