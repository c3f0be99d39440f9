#include "workers/lease_keeper.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>

namespace orsa::workers {

LeaseKeeper::LeaseKeeper(store::LeaseStore& leases, const Clock& clock, std::string name,
                         std::string holder, LeaseOptions options)
    : leases_(leases),
      clock_(clock),
      name_(std::move(name)),
      holder_(std::move(holder)),
      options_(options) {}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::start() {
  if (thread_) return;
  try_acquire();
  thread_ =
      std::make_unique<BackgroundThread>("lease-" + name_, [this](const std::stop_token& stop) {
        std::mutex wait_mu;
        std::condition_variable_any wake;
        for (;;) {
          {
            std::unique_lock lock(wait_mu);
            wake.wait_for(lock, stop, options_.renew_every, [] { return false; });
          }
          if (stop.stop_requested()) return;
          try_acquire();
        }
      });
}

void LeaseKeeper::stop() {
  if (!thread_) return;
  thread_.reset();  // requests stop and joins
  bool had = false;
  {
    std::lock_guard lock(mu_);
    had = mine_.has_value();
    mine_.reset();
  }
  if (!had) return;
  if (auto released = leases_.release(name_, holder_); !released) {
    spdlog::warn("lease {}: cannot release: {}", name_, released.error().message);
  }
}

bool LeaseKeeper::try_acquire() {
  auto seen = leases_.acquire(name_, holder_, options_.ttl);
  if (!seen) {
    // Kept until it runs out: held() stops trusting it in time.
    spdlog::warn("lease {}: cannot renew: {}", name_, seen.error().message);
    return held();
  }
  note(*seen);
  return held();
}

void LeaseKeeper::note(const store::Lease& seen) {
  std::lock_guard lock(mu_);
  if (seen.holder == holder_) {
    mine_ = seen;
  } else {
    mine_.reset();
  }
  if (seen.holder == last_holder_) return;
  last_holder_ = seen.holder;
  if (seen.holder == holder_) {
    spdlog::info("lease {}: this instance ({}) has it, term {}", name_, holder_, seen.term);
  } else {
    spdlog::info("lease {}: instance {} has it, term {}", name_, seen.holder, seen.term);
  }
}

bool LeaseKeeper::held() const {
  std::lock_guard lock(mu_);
  return mine_ && clock_.now_unix() < mine_->expires_at - options_.renew_every.count();
}

std::int64_t LeaseKeeper::term() const {
  std::lock_guard lock(mu_);
  return mine_ ? mine_->term : 0;
}

}  // namespace orsa::workers
