#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "oci/blob_store.hpp"
#include "services/accounts.hpp"
#include "store/store.hpp"

namespace orsa::workers {

/// Whether the base image that builds start from is there. On a fresh
/// install `--ensure-base` builds it in the background for about a minute;
/// builds queued meanwhile wait at this gate instead of failing for want of
/// it. Without a bootstrap the gate is always open.
class BaseGate {
 public:
  enum class State { kReady, kBuilding, kFailed };

  void set(State state, std::string reason = {});
  State state() const;
  std::string reason() const;  // why the base could not be built
  /// Waits while the base is being built, at most `limit`, and as long as
  /// `keep_waiting` (polled every second) says so; returns the state then.
  State wait(std::chrono::seconds limit, const std::function<bool()>& keep_waiting) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  State state_ = State::kReady;
  std::string reason_;
};

struct BaseBootstrapOptions {
  std::string name;  // recipe under <templates>/bases, e.g. "python-or"
  std::filesystem::path builder_bin;
  std::filesystem::path bases_dir;
  std::filesystem::path work_dir;
  std::string admin_username;  // the push token is issued on this admin's behalf
};

/// Builds a missing base image once, in the background, so that a fresh
/// embedded install can build projects with no manual step (`--ensure-base`).
/// The builder's progress goes to this process's stdout.
class BaseBootstrap {
 public:
  BaseBootstrap(oci::BlobStore& blobs, store::Store& store, services::Accounts& accounts,
                BaseGate& gate, BaseBootstrapOptions options);
  ~BaseBootstrap();  // stops a running base build

  /// Starts `orsa-builder base build` against `registry_url` unless
  /// orsa/base-<name>:latest exists already; the gate is closed until it ends.
  Result<void> start(const std::string& registry_url);

 private:
  struct Worker;
  oci::BlobStore& blobs_;
  store::Store& store_;
  services::Accounts& accounts_;
  BaseGate& gate_;
  BaseBootstrapOptions options_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace orsa::workers
