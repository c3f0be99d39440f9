#pragma once

// Usage metering in the deployer: the meter's periodic flush, and what the
// collector deletes of old usage.

#include <chrono>
#include <memory>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/work_queue.hpp"
#include "services/usage_meter.hpp"
#include "store/consumers.hpp"

namespace orsa::deployer {

/// Flushes `meter` every `interval` until stopped. The deployer flushes
/// once more after its listeners stop, so a graceful stop loses nothing.
std::unique_ptr<BackgroundThread> flush_periodically(services::UsageMeter& meter,
                                                     std::chrono::seconds interval);

/// Deletes hourly usage rows older than `retention`.
Result<void> collect_usage(store::UsageStore& usage, const Clock& clock,
                           std::chrono::seconds retention);

}  // namespace orsa::deployer
