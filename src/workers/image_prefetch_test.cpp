// The prefetcher against a fake runtime (the unit boundary) with a real
// SQLite store and accounts issuing the pull tokens.

#include "workers/image_prefetch.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <limits>
#include <mutex>

#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/temp_dir.hpp"
#include "testing/eventually.hpp"

namespace orsa::workers {
namespace {

using namespace std::chrono_literals;

auto unused() {
  return fail(Error::internal("not used by the prefetcher"));
}

/// Records pulls; a test may hold them until it lets them go.
class PullRecorder final : public runtime::Runtime {
 public:
  Result<void> pull(const std::string& image, const runtime::RegistryAuth& auth) override {
    std::unique_lock lock(mu_);
    started_.push_back(image);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !holding_; });
    if (auth.username.empty() || auth.password.empty())
      return fail(Error::unauthenticated("no credentials"));
    pulled_.push_back(image + " as " + auth.username);
    return {};
  }
  void hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    holding_ = false;
    changed_.notify_all();
  }
  std::vector<std::string> started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  std::vector<std::string> pulled() const {
    std::lock_guard lock(mu_);
    return pulled_;
  }

  Result<std::string> run(const runtime::ContainerSpec&) override { return unused(); }
  Result<runtime::ContainerInfo> inspect(const std::string&) override { return unused(); }
  Result<void> start(const std::string&) override { return unused(); }
  Result<void> stop(const std::string&, std::chrono::seconds) override { return unused(); }
  Result<void> remove(const std::string&) override { return unused(); }
  Result<std::vector<runtime::ContainerInfo>> list(
      const std::map<std::string, std::string>&) override {
    return unused();
  }
  Result<void> logs(const std::string&, const runtime::LogOptions&,
                    const std::function<bool(const runtime::LogLine&)>&) override {
    return unused();
  }
  Result<void> events(const std::map<std::string, std::string>&,
                      const std::function<bool(const runtime::Event*)>&) override {
    return unused();
  }
  Result<void> remove_image(const std::string&) override { return unused(); }
  Result<void> create_network(const runtime::NetworkSpec&) override { return unused(); }
  Result<void> remove_network(const std::string&) override { return unused(); }
  Result<std::vector<runtime::NetworkInfo>> list_networks(
      const std::map<std::string, std::string>&) override {
    return unused();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool holding_ = false;
  std::vector<std::string> started_, pulled_;
};

class ImagePrefetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
    signer_ = std::make_unique<auth::SessionSigner>(std::string(32, 'k'), 1h, clock_);
    push_ = std::make_unique<auth::PushTokenSigner>(std::string(32, 'k'), clock_);
    audit_ = std::make_unique<services::Audit>(store_->audit(), clock_);
    accounts_ = std::make_unique<services::Accounts>(
        services::AccountTables{store_->users(), store_->sessions(), store_->tokens(),
                                store_->projects()},
        *signer_, *push_, limiter_, *audit_, clock_, services::Registration::kOpen);
    const auto alice = store_->users().create({"alice", "alice@example.org", "x"}).value();
    alice_id_ = alice.id;
    for (const char* name : {"a", "b", "c", "d"})
      project_ids_.push_back(store_->projects().create({alice.id, name, "python-flask"})->id);
  }

  store::Image image_of(std::size_t project, char digit) const {
    store::Image image;
    image.owner_id = alice_id_;
    image.project_id = project_ids_.at(project);
    image.repository = std::string("alice/") + static_cast<char>('a' + project);
    image.digest = "sha256:" + std::string(64, digit);
    return image;
  }
  std::string reference_of(std::size_t project, char digit) const {
    return "127.0.0.1:5000/" + image_of(project, digit).repository + "@" +
           image_of(project, digit).digest;
  }
  ImagePrefetchOptions options() const {
    return {.max_pending = 2, .store_dir = dir_.path(), .min_free_bytes = 0};
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::SessionSigner> signer_;
  std::unique_ptr<auth::PushTokenSigner> push_;
  auth::LoginRateLimiter limiter_{clock_};
  std::unique_ptr<services::Audit> audit_;
  std::unique_ptr<services::Accounts> accounts_;
  std::string alice_id_;
  std::vector<std::string> project_ids_;
  PullRecorder runtime_;
};

TEST_F(ImagePrefetchTest, ABuiltImageIsPulledInItsOwnersNameAndTheBaseOnceItExists) {
  BaseGate gate;
  gate.set(BaseGate::State::kBuilding);
  const auto admin = store_->users().create({"root", "root@example.org", "x", Role::kAdmin});
  ASSERT_TRUE(admin.has_value()) << admin.error().message;
  auto opts = options();
  opts.base_image = "orsa/base-python-or:latest";
  opts.base_gate = &gate;
  opts.base_puller = {admin->id, admin->username, Role::kAdmin};
  ImagePrefetch prefetch(*accounts_, opts);
  prefetch.prefetch(image_of(0, 'e'));  // before the runtime is there: it waits
  prefetch.start(runtime_, "127.0.0.1:5000");
  // The base being built does not hold up the images behind it.
  ASSERT_TRUE(orsa::testing::eventually(10s, [&] { return prefetch.counts().pulled == 1; }));
  EXPECT_EQ(runtime_.pulled(), (std::vector<std::string>{reference_of(0, 'e') + " as alice"}));

  gate.set(BaseGate::State::kReady);
  ASSERT_TRUE(orsa::testing::eventually(10s, [&] { return prefetch.counts().pulled == 2; }));
  EXPECT_EQ(runtime_.pulled().back(), "127.0.0.1:5000/orsa/base-python-or:latest as root");
  EXPECT_EQ(prefetch.counts().failed, 0u);
}

TEST_F(ImagePrefetchTest, AFullQueuePushesOutTheOldestImage) {
  ImagePrefetch prefetch(*accounts_, options());
  runtime_.hold();
  prefetch.start(runtime_, "127.0.0.1:5000");
  prefetch.prefetch(image_of(0, '1'));
  ASSERT_TRUE(orsa::testing::eventually(10s, [&] { return runtime_.started().size() == 1; }));
  for (std::size_t p = 1; p <= 3; ++p) prefetch.prefetch(image_of(p, '2'));  // 2 fit
  runtime_.release();
  ASSERT_TRUE(orsa::testing::eventually(10s, [&] { return prefetch.counts().pulled == 3; }));
  EXPECT_EQ(runtime_.pulled(), (std::vector<std::string>{reference_of(0, '1') + " as alice",
                                                         reference_of(2, '2') + " as alice",
                                                         reference_of(3, '2') + " as alice"}));
  EXPECT_EQ(prefetch.counts().dropped, 1u);
}

TEST_F(ImagePrefetchTest, NothingIsPulledWhileTheDiskIsShort) {
  auto opts = options();
  opts.min_free_bytes = std::numeric_limits<std::uint64_t>::max();
  ImagePrefetch prefetch(*accounts_, opts);
  prefetch.start(runtime_, "127.0.0.1:5000");
  prefetch.prefetch(image_of(0, 'e'));
  ASSERT_TRUE(
      orsa::testing::eventually(10s, [&] { return prefetch.counts().skipped_for_disk == 1; }));
  EXPECT_TRUE(runtime_.started().empty());
}

TEST_F(ImagePrefetchTest, AnImageItsOwnerCannotReadIsNotPulled) {
  ImagePrefetch prefetch(*accounts_, options());
  prefetch.start(runtime_, "127.0.0.1:5000");
  auto foreign = image_of(0, 'e');
  foreign.repository = "bob/knap";  // the token is refused: no pull at all
  prefetch.prefetch(foreign);
  ASSERT_TRUE(orsa::testing::eventually(10s, [&] { return prefetch.counts().failed == 1; }));
  EXPECT_TRUE(runtime_.started().empty());
}

}  // namespace
}  // namespace orsa::workers
