#pragma once

// Private to BlobStore: the session and store state its sources share
// (blob_store.cpp: blobs, blob_uploads.cpp: upload sessions,
// blob_repositories.cpp: links, manifests and tags) and the file helpers
// under them (blob_files.cpp).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.hpp"
#include "oci/blob_store.hpp"

namespace orsa::oci {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

inline constexpr std::size_t kIoChunk = 1 << 20;
inline constexpr std::size_t kUploadIdBytes = 16;
inline constexpr std::string_view kSessionSuffix = ".session";
inline constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";
inline constexpr std::string_view kEmptyIndex = R"({"schemaVersion":2,"manifests":[]})";

// Messages go to API callers: they name the operation, never a server path.
Error io_error(std::string_view what);

Error blob_unknown();

Error upload_unknown();

Error manifest_unknown();

Error too_big(std::string_view what, std::int64_t limit);

Error digest_mismatch(const Digest& expected, const Digest& actual);

Result<void> write_all(int fd, std::string_view bytes);

// Writes `bytes` to a fresh temp file in `tmp_dir`, fsyncs it and renames it
// over `dest`, so readers see the old content or the new, never a part.
Result<void> write_atomic(const fs::path& tmp_dir, const fs::path& dest, std::string_view bytes);

Result<Digest> hash_file(const fs::path& path);

// Flushes a file's data before it is renamed into the blobs, so a blob that a
// manifest names is whole after a crash.
void sync_file(const fs::path& path);

// Moves `file` to `dest`; an existing blob of the same digest has the same
// bytes, so losing a race is harmless. A file on another file system (a
// spooled request body) is copied next to `dest` first, then renamed.
Result<void> move_into_place(const fs::path& file, const fs::path& dest);

// Marks a file as just written: an upload's file keeps the time of its last
// chunk through the rename, and a sweep keeps only blobs younger than its start.
void touch(const fs::path& path);

std::int64_t mtime_of(const fs::path& path);

std::vector<std::string> sorted_entries(const fs::path& dir);

fs::path session_record(const fs::path& data_file);

// "<repo>\n<user>\n", the owner record kept next to a session's data.
std::string encode_owner(const UploadOwner& owner);

std::optional<UploadOwner> decode_owner(std::string_view text);

Error too_many_uploads(std::string_view whose);

// Copies [0, size) of `from` into the end of `to_fd`, feeding `hasher`.
Result<void> copy_file_into(const fs::path& from, int to_fd, std::int64_t size,
                            std::optional<Sha256>& hasher);

struct Upload {
  std::mutex mu;
  fs::path file;
  UploadOwner owner;
  std::atomic<std::int64_t> size = 0;  // atomic: usage reports read it without `mu`
  // The running hash; empty when it no longer matches the file (a session
  // recovered after a restart, a chunk that failed half-way): the file is
  // hashed again when the upload finishes.
  std::optional<Sha256> hasher = Sha256();
  SteadyClock::time_point touched = SteadyClock::now();
  bool ended = false;
};

struct BlobStore::Impl {
  fs::path root;
  BlobStoreLimits limits;
  std::mutex uploads_mu;
  std::map<std::string, std::shared_ptr<Upload>, std::less<>> uploads;
  // Serialises manifest links and tags (read-modify-write of tag sets).
  mutable std::mutex meta_mu;
  // See BlobStore::reachability_mutex().
  mutable std::shared_mutex reach_mu;

  fs::path blob(const Digest& d) const { return root / "blobs" / "sha256" / std::string(d.hex()); }
  fs::path tmp() const { return root / "tmp"; }
  fs::path repo_dir(RepoName repo) const { return root / "repositories" / std::string(repo); }
  fs::path link(RepoName repo, const Digest& d) const {
    return repo_dir(repo) / "manifests" / std::string(d.hex());
  }
  fs::path blob_link(RepoName repo, const Digest& d) const {
    return repo_dir(repo) / "blobs" / std::string(d.hex());
  }
  fs::path tag(RepoName repo, std::string_view name) const {
    return repo_dir(repo) / "tags" / std::string(name);
  }

  Result<std::shared_ptr<Upload>> find_upload(std::string_view id) {
    std::lock_guard lock(uploads_mu);
    reap_idle_locked();
    const auto it = uploads.find(id);
    if (it == uploads.end()) return fail(upload_unknown());
    return it->second;
  }

  void forget_upload(std::string_view id) {
    std::lock_guard lock(uploads_mu);
    if (const auto it = uploads.find(id); it != uploads.end()) uploads.erase(it);
  }

  // Ends a session: its data and owner record go. Its mutex is held.
  static void discard(Upload& u) {
    u.ended = true;
    ::unlink(u.file.c_str());
    ::unlink(session_record(u.file).c_str());
  }

  // Drops sessions idle for longer than the limit; uploads_mu held. A session
  // busy with a request right now is not idle.
  std::size_t reap_idle_locked() {
    const auto cutoff = SteadyClock::now() - limits.upload_idle_timeout;
    return std::erase_if(uploads, [&](const auto& entry) {
      std::unique_lock session(entry.second->mu, std::try_to_lock);
      if (!session || entry.second->touched > cutoff) return false;
      discard(*entry.second);
      return true;
    });
  }

  std::size_t open_by(std::string_view user) const {
    return static_cast<std::size_t>(std::ranges::count_if(
        uploads, [&](const auto& entry) { return entry.second->owner.user == user; }));
  }

  // Sessions recorded by an earlier process resume where they were; data
  // without a record (or the reverse) is debris of an interrupted start.
  void recover_uploads() {
    const fs::path dir = root / "uploads";
    std::error_code ec;
    for (const auto& name : sorted_entries(dir)) {
      const fs::path path = dir / name;
      if (name.ends_with(kSessionSuffix)) {
        const fs::path data = dir / name.substr(0, name.size() - kSessionSuffix.size());
        if (!fs::exists(data, ec)) fs::remove(path, ec);
        continue;
      }
      auto text = read_small(session_record(path));
      const auto owner = text ? decode_owner(*text) : std::nullopt;
      const auto size = fs::file_size(path, ec);
      if (!owner || ec) {
        fs::remove(path, ec);
        fs::remove(session_record(path), ec);
        continue;
      }
      auto upload = std::make_shared<Upload>();
      upload->file = path;
      upload->owner = *owner;
      upload->size = static_cast<std::int64_t>(size);
      upload->hasher.reset();
      uploads.emplace(name, std::move(upload));
    }
  }

  static std::optional<std::string> read_small(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) return std::nullopt;
    std::string text(1024, '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0) return std::nullopt;
    text.resize(static_cast<std::size_t>(n));
    return text;
  }

  // Checks that `length` more bytes at `expected_offset` may be appended.
  Result<void> check_append(const Upload& u, std::int64_t length,
                            std::optional<std::int64_t> expected_offset) const {
    if (u.ended) return fail(upload_unknown());
    if (expected_offset && *expected_offset != u.size) {
      return fail(with_registry_code(
          Error::invalid_argument("chunk starts at " + std::to_string(*expected_offset) +
                                  " but the upload has " + std::to_string(u.size.load()) +
                                  " bytes"),
          "BLOB_UPLOAD_INVALID"));
    }
    if (u.size + length > limits.max_blob_bytes) {
      return fail(too_big("blob upload", limits.max_blob_bytes));
    }
    return {};
  }

  // The session's mutex is held by the caller.
  Result<std::int64_t> append_locked(Upload& u, std::string_view chunk,
                                     std::optional<std::int64_t> expected_offset) {
    if (auto ok = check_append(u, static_cast<std::int64_t>(chunk.size()), expected_offset); !ok) {
      return fail(ok.error());
    }
    u.touched = SteadyClock::now();
    if (chunk.empty()) return u.size.load();
    UniqueFd fd(::open(u.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd.ok()) return fail(io_error("cannot append to a blob upload"));
    if (auto ok = write_all(fd.get(), chunk); !ok) {
      // Keep the file equal to what the hash has seen, so a retry can succeed.
      if (::ftruncate(fd.get(), static_cast<off_t>(u.size.load())) != 0) u.ended = true;
      return fail(ok.error());
    }
    if (u.hasher) u.hasher->update(chunk);
    u.size += static_cast<std::int64_t>(chunk.size());
    return u.size.load();
  }

  // As append_locked, from a file.
  Result<std::int64_t> append_file_locked(Upload& u, const fs::path& chunk,
                                          std::optional<std::int64_t> expected_offset) {
    std::error_code ec;
    const auto length = static_cast<std::int64_t>(fs::file_size(chunk, ec));
    if (ec) return fail(io_error("cannot read an uploaded chunk"));
    if (auto ok = check_append(u, length, expected_offset); !ok) return fail(ok.error());
    u.touched = SteadyClock::now();
    if (length == 0) return u.size.load();
    UniqueFd fd(::open(u.file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd.ok()) return fail(io_error("cannot append to a blob upload"));
    if (auto ok = copy_file_into(chunk, fd.get(), length, u.hasher); !ok) {
      // The hash saw part of the chunk: cut the file back and hash it again at the end.
      u.hasher.reset();
      if (::ftruncate(fd.get(), static_cast<off_t>(u.size.load())) != 0) u.ended = true;
      return fail(ok.error());
    }
    u.size += length;
    u.touched = SteadyClock::now();
    return u.size.load();
  }

  // Ends the session: no further chunk, and it is not resumed after a restart.
  void end_locked(Upload& u, std::string_view id) {
    u.ended = true;
    forget_upload(id);
    ::unlink(session_record(u.file).c_str());
  }

  // Ends the session and stores its file if it hashes to `expected`; the
  // file goes either way.
  Result<Digest> finish_locked(Upload& u, std::string_view id, const Digest& expected) {
    end_locked(u, id);
    Result<Digest> actual = u.hasher ? Result<Digest>(u.hasher->finish()) : hash_file(u.file);
    if (!actual) {
      ::unlink(u.file.c_str());
      return fail(actual.error());
    }
    if (*actual != expected) {
      ::unlink(u.file.c_str());
      return fail(digest_mismatch(expected, *actual));
    }
    sync_file(u.file);
    auto stored = store_verified_file(u.file, *actual, expected);
    if (!stored) ::unlink(u.file.c_str());
    return stored;
  }

  Result<Digest> store_verified_file(const fs::path& file, const Digest& actual,
                                     const std::optional<Digest>& expected) {
    if (expected && *expected != actual) return fail(digest_mismatch(*expected, actual));
    if (auto moved = move_into_place(file, blob(actual)); !moved) return fail(moved.error());
    touch(blob(actual));
    return actual;
  }
};

}  // namespace orsa::oci
