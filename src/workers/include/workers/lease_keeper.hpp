#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/work_queue.hpp"
#include "store/leases.hpp"

namespace orsa::workers {

struct LeaseOptions {
  std::chrono::seconds ttl{15};
  // Renewed this often; it is also the margin by which this instance stops
  // trusting the lease before it expires, so instance clocks must agree
  // within it (NTP does far better).
  std::chrono::seconds renew_every{5};
};

/// Keeps a named lease (store::LeaseStore) for this instance: takes it when
/// it is free and renews it, every renew_every on its own thread, so that of
/// several control-plane instances on one database exactly one does the
/// work the lease guards. held() is what that work asks before each pass.
class LeaseKeeper {
 public:
  LeaseKeeper(store::LeaseStore& leases, const Clock& clock, std::string name, std::string holder,
              LeaseOptions options = {});
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  /// One attempt at once (so a lone instance leads from its first pass),
  /// then the renewing thread.
  void start();
  /// Stops renewing and releases the lease, so another instance takes it at
  /// once instead of after its expiry.
  void stop();
  /// One attempt to take or renew the lease; whether this instance has it.
  bool try_acquire();
  /// Whether this instance has the lease with at least renew_every left: an
  /// instance cut off from the database stops before another may take over.
  bool held() const;
  /// The term of this instance's lease (0 when it has none).
  std::int64_t term() const;

  const std::string& holder() const { return holder_; }

 private:
  void note(const store::Lease& seen);

  store::LeaseStore& leases_;
  const Clock& clock_;
  const std::string name_;
  const std::string holder_;
  const LeaseOptions options_;
  mutable std::mutex mu_;
  std::optional<store::Lease> mine_;  // this instance's lease as last taken or renewed
  std::string last_holder_;           // for logging changes of hands once
  std::unique_ptr<BackgroundThread> thread_;
};

}  // namespace orsa::workers
