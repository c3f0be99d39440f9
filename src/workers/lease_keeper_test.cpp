#include "workers/lease_keeper.hpp"

#include <gtest/gtest.h>

#include "store/memory_store.hpp"

namespace orsa::workers {
namespace {

using namespace std::chrono_literals;

/// The memory store's leases, made to fail on demand (a database out of reach).
class FlakyLeases final : public store::LeaseStore {
 public:
  explicit FlakyLeases(store::LeaseStore& inner) : inner_(inner) {}
  Result<store::Lease> acquire(std::string_view name, std::string_view holder,
                               std::chrono::seconds ttl) override {
    if (broken) return fail(Error::unavailable("database unreachable"));
    return inner_.acquire(name, holder, ttl);
  }
  Result<void> release(std::string_view name, std::string_view holder) override {
    if (broken) return fail(Error::unavailable("database unreachable"));
    return inner_.release(name, holder);
  }
  Result<store::Lease> find(std::string_view name) override { return inner_.find(name); }
  Result<std::vector<store::Lease>> list() override { return inner_.list(); }

  bool broken = false;

 private:
  store::LeaseStore& inner_;
};

class LeaseKeeperTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  FlakyLeases leases_{store_.leases()};
  LeaseKeeper a_{leases_, clock_, "leader", "node-a", {.ttl = 15s, .renew_every = 5s}};
  LeaseKeeper b_{leases_, clock_, "leader", "node-b", {.ttl = 15s, .renew_every = 5s}};
};

TEST_F(LeaseKeeperTest, TheFirstInstanceLeadsAtOnceAndHandsOverWhenItStops) {
  a_.start();
  EXPECT_TRUE(a_.held());
  EXPECT_EQ(a_.term(), 1);
  EXPECT_FALSE(b_.try_acquire());
  EXPECT_FALSE(b_.held());
  EXPECT_EQ(b_.term(), 0);
  a_.stop();  // a clean shutdown releases: b need not wait for the expiry
  EXPECT_FALSE(a_.held());
  EXPECT_TRUE(b_.try_acquire());
  EXPECT_EQ(b_.term(), 2);
}

TEST_F(LeaseKeeperTest, RenewedInTimeTheLeaseStaysWithItsHolder) {
  ASSERT_TRUE(a_.try_acquire());
  for (int i = 0; i < 10; ++i) {
    clock_.advance(5);
    ASSERT_TRUE(a_.try_acquire()) << "renewal " << i;
    ASSERT_FALSE(b_.try_acquire()) << "renewal " << i;
  }
  EXPECT_EQ(a_.term(), 1);
}

// The holder cut off from the database stops trusting its lease before it
// expires; the other instance takes it only after: never two leaders.
TEST_F(LeaseKeeperTest, AHolderThatCannotRenewStopsLeadingBeforeAnotherTakesOver) {
  ASSERT_TRUE(a_.try_acquire());  // until t+15
  leases_.broken = true;
  bool b_led = false;
  for (int second = 1; second <= 20; ++second) {
    clock_.advance(1);
    a_.try_acquire();  // fails: the database is out of a's reach
    leases_.broken = false;
    b_led = b_.try_acquire() || b_led;
    leases_.broken = true;
    EXPECT_FALSE(a_.held() && b_.held()) << "two leaders at t+" << second;
    EXPECT_EQ(a_.held(), second < 10) << "t+" << second;  // 15 s less the 5 s margin
    EXPECT_EQ(b_.held(), second >= 15) << "t+" << second;
  }
  EXPECT_TRUE(b_led);
  EXPECT_EQ(b_.term(), 2);
}

TEST_F(LeaseKeeperTest, ARestartedInstanceWithTheSameIdLeadsAtOnce) {
  ASSERT_TRUE(a_.try_acquire());
  // kill -9: no release. The new process has the same instance id.
  LeaseKeeper again(leases_, clock_, "leader", "node-a", {.ttl = 15s, .renew_every = 5s});
  EXPECT_TRUE(again.try_acquire());
  EXPECT_EQ(again.term(), 1);
}

}  // namespace
}  // namespace orsa::workers
