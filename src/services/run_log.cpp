// services::Runs, the solver log: read whole or followed live. A running
// run's log is the file the run worker appends to; when the run ends the
// worker stores that file's bytes with the run's data, so a follower that
// read part of the live file goes on at the same offset in the stored log.

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "services/runs.hpp"

namespace orsa::services {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(250);
constexpr std::size_t kReadChunk = 256 * 1024;

// Up to `max` bytes of `path` from `offset`; none when it does not exist.
std::string read_from(const std::filesystem::path& path, std::uint64_t offset, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(max, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(max));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

// Follows one run's log by polling its row and its file: a run's log grows
// at the pace a solver prints, so a poll a quarter second apart is live
// enough and needs no channel from the worker.
class RunLogFollower final : public LogFollower {
 public:
  RunLogFollower(store::RunStore& runs, runs::RunData& data, std::filesystem::path live_dir,
                 std::string id)
      : runs_(runs), data_(data), live_dir_(std::move(live_dir)), id_(std::move(id)) {}

  std::vector<std::string> next(std::chrono::milliseconds wait, bool& ended) override {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mu_);
    while (!woken_) {
      lock.unlock();
      auto lines = poll(ended);
      lock.lock();
      if (!lines.empty() || ended) return lines;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(kPoll, deadline - now));
    }
    return {};
  }

  void wake() override {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

 private:
  std::vector<std::string> poll(bool& ended) {
    auto run = runs_.find(OwnerScope::everyone(), id_);
    if (!run) {  // deleted underneath
      ended = true;
      return take_lines(true);
    }
    const bool final = store::is_final(run->status);
    std::optional<std::filesystem::path> source;
    if (final && run->log_digest) {
      if (auto path = data_.path_of(*run->log_digest)) source = std::move(*path);
    } else if (run->status == store::RunStatus::kRunning) {
      source = live_log_file(live_dir_, id_);
    }
    if (source) {
      // All of a final log at once; a live one a chunk per poll.
      for (;;) {
        auto bytes = read_from(*source, offset_, kReadChunk);
        offset_ += bytes.size();
        pending_ += bytes;
        if (!final || bytes.size() < kReadChunk) break;
      }
    }
    ended = final;
    return take_lines(final);
  }

  // The complete lines pending; with `all`, an unterminated last one too.
  std::vector<std::string> take_lines(bool all) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', start)) {
      lines.push_back(pending_.substr(start, nl - start));
      start = nl + 1;
    }
    pending_.erase(0, start);
    if (all && !pending_.empty()) lines.push_back(std::exchange(pending_, {}));
    return lines;
  }

  store::RunStore& runs_;
  runs::RunData& data_;
  const std::filesystem::path live_dir_;
  const std::string id_;
  std::uint64_t offset_ = 0;
  std::string pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace

std::filesystem::path live_log_file(const std::filesystem::path& dir, std::string_view run_id) {
  return dir / (std::string(run_id) + ".log");
}

Result<std::string> Runs::log(const auth::Principal& who, std::string_view id) {
  auto run = visible(who, id, auth::Action::kRead);
  if (!run) return fail(run.error());
  const auto max = static_cast<std::size_t>(options_.max_log_bytes);
  if (run->log_digest) {
    auto stored = blob(*run->log_digest, run->log_size.value_or(0));
    if (!stored) return fail(stored.error());
    return read_from(stored->path, 0, max);
  }
  if (run->status != store::RunStatus::kRunning) return std::string();
  return read_from(live_log_file(options_.live_log_dir, run->id), 0, max);
}

Result<std::unique_ptr<LogFollower>> Runs::follow_log(const auth::Principal& who,
                                                      std::string_view id) {
  auto run = visible(who, id, auth::Action::kRead);
  if (!run) return fail(run.error());
  return std::unique_ptr<LogFollower>(
      std::make_unique<RunLogFollower>(tables_.runs, data_, options_.live_log_dir, run->id));
}

}  // namespace orsa::services
