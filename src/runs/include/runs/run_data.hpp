#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/unique_fd.hpp"
#include "oci/digest.hpp"

namespace orsa::runs {

inline constexpr std::int64_t kMiB = 1024 * 1024;

/// Size caps of run data (the admin's `--max-run-input-mb` and
/// `--max-run-result-mb`).
struct RunDataLimits {
  std::int64_t max_input_bytes = 50 * kMiB;
  std::int64_t max_result_bytes = 200 * kMiB;
};

/// Does any run still reference this digest ("sha256:…")? Answered by the
/// runs table (RunStore::references), never by the file system.
using ReferenceCheck = std::function<Result<bool>(std::string_view digest)>;

/// The inputs and results of runs, content-addressed under one directory:
/// `sha256/<hex>` holds each distinct content once, `tmp/` the writes in
/// progress, which reach their place by rename, so a reader sees a whole
/// file or none. Every write enforces its size limit as the bytes arrive.
/// A blob being written is pinned until its run row exists, so a release
/// racing a submission of the same bytes never deletes them. Thread-safe.
class RunData {
 public:
  class Writer;

  /// A stored blob, held against release until the pin goes away (after
  /// the run row that references it is written). Move-only.
  class Pin {
   public:
    Pin(Pin&& other) noexcept;
    Pin& operator=(Pin&& other) noexcept;
    Pin(const Pin&) = delete;
    Pin& operator=(const Pin&) = delete;
    ~Pin();

    const std::string& digest() const { return digest_; }  // "sha256:…"
    std::int64_t size() const { return size_; }

   private:
    friend class RunData;
    Pin(RunData* owner, std::string digest, std::int64_t size)
        : owner_(owner), digest_(std::move(digest)), size_(size) {}
    void reset() noexcept;

    RunData* owner_ = nullptr;
    std::string digest_;
    std::int64_t size_ = 0;
  };

  /// Opens (creating) the store under `root`; removes writes a crash left
  /// in `tmp/`.
  static Result<std::unique_ptr<RunData>> open(const std::filesystem::path& root);

  /// Stores `bytes`; kTooLarge naming `what` when they exceed `limit`.
  Result<Pin> put(std::string_view bytes, std::int64_t limit, std::string_view what);
  /// Stores a copy of the file at `source` (a result a run wrote), reading
  /// at most `limit` bytes; kTooLarge naming `what` beyond.
  Result<Pin> put_file(const std::filesystem::path& source, std::int64_t limit,
                       std::string_view what);
  /// A streaming write (a request body arriving in chunks).
  Result<Writer> writer(std::int64_t limit, std::string_view what);

  /// Where a blob lives (to hand to a container, or to stream); kNotFound
  /// when absent, kInvalidArgument for a malformed digest.
  Result<std::filesystem::path> path_of(std::string_view digest) const;
  /// The blob's bytes, mapped.
  Result<MappedFile> open_blob(std::string_view digest) const;

  /// Deletes each of `digests` that no run references (and no write pins);
  /// returns how many went. Called after runs were deleted.
  Result<std::size_t> release(const std::vector<std::string>& digests,
                              const ReferenceCheck& referenced);
  /// Deletes every blob no run references (what a failed submission or a
  /// crash left behind); returns how many went.
  Result<std::size_t> sweep(const ReferenceCheck& referenced);

  /// A write in progress: append chunks, then commit. An abandoned or failed
  /// writer leaves nothing behind.
  class Writer {
   public:
    Writer(Writer&& other) noexcept = default;
    Writer& operator=(Writer&& other) noexcept = default;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    /// kTooLarge once the total passes the limit (the writer is then dead).
    Result<void> append(std::string_view bytes);
    /// Moves the content into place (or drops it when already stored).
    Result<Pin> commit();
    std::int64_t size() const { return size_; }

   private:
    friend class RunData;
    Writer(RunData* owner, std::filesystem::path temp, UniqueFd fd, std::int64_t limit,
           std::string what);
    void discard() noexcept;

    RunData* owner_ = nullptr;
    std::filesystem::path temp_;
    UniqueFd fd_;
    std::unique_ptr<oci::Sha256> hasher_;
    std::int64_t limit_ = 0;
    std::int64_t size_ = 0;
    std::string what_;
  };

 private:
  explicit RunData(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path blob_path(const oci::Digest& digest) const;
  void pin(const std::string& digest);
  void unpin(const std::string& digest) noexcept;
  Result<bool> remove_unless_used(const std::string& digest, const ReferenceCheck& referenced);

  std::filesystem::path root_;
  std::mutex mu_;
  std::map<std::string, int> pins_;  // digest → writes holding it
};

}  // namespace orsa::runs
