#include "auth/hash_gate.hpp"

#include <algorithm>
#include <thread>

#include "auth/passwords.hpp"

namespace orsa::auth {

int HashGate::default_slots() {
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency() / 2), 1, 2);
}

HashGate::HashGate(int max_running) : max_running_(std::max(1, max_running)) {}

Result<void> HashGate::acquire(Wait wait) {
  std::unique_lock lock(mutex_);
  if (running_ >= max_running_ && wait == Wait::kNever) {
    return fail(Error::rate_limited("too many password checks in progress; try again", 1));
  }
  freed_.wait(lock, [this] { return running_ < max_running_; });
  ++running_;
  return {};
}

void HashGate::release() {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  freed_.notify_one();
}

Result<bool> HashGate::verify(std::string_view hash, std::string_view password, Wait wait) {
  if (auto ok = acquire(wait); !ok) return fail(ok.error());
  const bool matches = verify_password(hash, password);
  release();
  return matches;
}

Result<std::string> HashGate::hash(std::string_view password, Wait wait) {
  if (auto ok = acquire(wait); !ok) return fail(ok.error());
  auto hashed = hash_password(password);
  release();
  return hashed;
}

int HashGate::running() {
  std::lock_guard lock(mutex_);
  return running_;
}

}  // namespace orsa::auth
