#include "metering.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace orsa::deployer {

std::unique_ptr<BackgroundThread> flush_periodically(services::UsageMeter& meter,
                                                     std::chrono::seconds interval) {
  return std::make_unique<BackgroundThread>(
      "usage flush", [&meter, interval](const std::stop_token& stop) {
        std::mutex mu;
        std::condition_variable_any wake;
        while (!stop.stop_requested()) {
          {
            std::unique_lock lock(mu);
            wake.wait_for(lock, stop, interval, [] { return false; });
          }
          // Failed counts stay in memory for the next attempt.
          if (auto ok = meter.flush(); !ok) {
            spdlog::warn("usage: cannot write the counts, keeping them: {}", ok.error().message);
          }
        }
      });
}

Result<void> collect_usage(store::UsageStore& usage, const Clock& clock,
                           std::chrono::seconds retention) {
  auto removed = usage.remove_before(clock.now_unix() - retention.count());
  if (!removed) return fail(removed.error());
  if (*removed > 0)
    spdlog::info("collector: deleted {} hourly usage rows past retention", *removed);
  return {};
}

}  // namespace orsa::deployer
