#pragma once

// Puts images the control plane made into the container runtime's store
// ahead of need, so that a deploy finds their layers there and pulls none.

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/work_queue.hpp"
#include "runtime/runtime.hpp"
#include "services/accounts.hpp"  // auth::Principal, through the services
#include "store/store.hpp"
#include "workers/base_bootstrap.hpp"

namespace orsa::workers {

struct ImagePrefetchOptions {
  /// Images waiting for their pull; a newer one pushes out the oldest.
  std::size_t max_pending = 8;
  /// Where the runtime's image store lives; no pull starts while the disk
  /// there has less than `min_free_bytes` available.
  std::filesystem::path store_dir;
  std::uint64_t min_free_bytes = 2ULL << 30;
  /// The base builds start from ("orsa/base-python-or:latest"), pulled once
  /// the gate opens, in the name of `base_puller`; empty: none.
  std::string base_image;
  const BaseGate* base_gate = nullptr;
  auth::Principal base_puller;
};

/// One pull at a time, in the background: the base as soon as it exists,
/// then each image a build records. A failed or skipped pull costs nothing
/// but the time the deploy then spends pulling, as it would have anyway.
class ImagePrefetch {
 public:
  ImagePrefetch(services::Accounts& accounts, ImagePrefetchOptions options);
  ~ImagePrefetch();
  ImagePrefetch(const ImagePrefetch&) = delete;
  ImagePrefetch& operator=(const ImagePrefetch&) = delete;

  /// Whose pull token fetches the base (an admin, known once the store is).
  void set_base_puller(auth::Principal puller);
  /// Pulls through `runtime` from the registry at `registry_host`; queues
  /// the base. Images recorded before this wait for it.
  void start(runtime::Runtime& runtime, std::string registry_host);
  /// Drops what waits, lets a running pull end and joins.
  void stop();

  /// Queues a pull of `image` in its owner's name; returns at once.
  void prefetch(const store::Image& image);

  struct Counts {
    std::uint64_t pulled = 0;
    std::uint64_t failed = 0;
    std::uint64_t skipped_for_disk = 0;
    std::uint64_t dropped = 0;  // pushed out of a full queue
  };
  Counts counts() const;

 private:
  struct Request {
    std::string repository;  // "alice/knap"
    std::string reference;   // "@sha256:…" or ":latest"
    auth::Principal puller;
  };
  void enqueue(Request request);
  void pull_next();
  void pull_base(std::chrono::steady_clock::time_point give_up);
  void pull(const Request& request);
  bool stopping() const;

  services::Accounts& accounts_;
  ImagePrefetchOptions options_;
  mutable std::mutex mu_;
  std::deque<Request> pending_;
  Counts counts_;
  runtime::Runtime* runtime_ = nullptr;
  std::string registry_host_;
  bool stopping_ = false;
  std::unique_ptr<WorkQueue> queue_;
};

}  // namespace orsa::workers
