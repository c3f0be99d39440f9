#include "core/work_queue.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <map>

namespace orsa {
namespace {

/// Failure counts by name; few names, rarely written, so one lock is enough.
struct FailureCounts {
  std::mutex mu;
  std::map<std::string, std::uint64_t, std::less<>> by_name;
};

FailureCounts& failure_counts() {
  static FailureCounts counts;
  return counts;
}

void count_failure(std::string_view where) {
  auto& counts = failure_counts();
  std::lock_guard lock(counts.mu);
  auto it = counts.by_name.find(where);
  if (it == counts.by_name.end()) it = counts.by_name.emplace(std::string(where), 0).first;
  ++it->second;
}

}  // namespace

bool run_guarded(std::string_view where, const std::function<void()>& task) noexcept {
  try {
    task();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}: a background task failed: {}", where, e.what());
  } catch (...) {
    spdlog::error("{}: a background task failed with a non-standard exception", where);
  }
  count_failure(where);
  return false;
}

std::vector<std::pair<std::string, std::uint64_t>> background_failures() {
  auto& counts = failure_counts();
  std::lock_guard lock(counts.mu);
  return {counts.by_name.begin(), counts.by_name.end()};
}

WorkQueue::WorkQueue(std::string name, std::size_t threads) : name_(std::move(name)) {
  threads_.reserve(std::max<std::size_t>(1, threads));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i)
    threads_.emplace_back([this] { run_worker(); });
}

WorkQueue::~WorkQueue() {
  stop();
}

bool WorkQueue::post(std::move_only_function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    tasks_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

std::size_t WorkQueue::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void WorkQueue::run_worker() {
  for (;;) {
    std::move_only_function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    run_guarded(name_, [&] { task(); });
  }
}

BackgroundThread::BackgroundThread(std::string name, Loop loop,
                                   std::chrono::milliseconds restart_delay)
    : thread_([name = std::move(name), loop = std::move(loop),
               restart_delay](const std::stop_token& stop) {
        while (!stop.stop_requested()) {
          if (run_guarded(name, [&] { loop(stop); })) return;
          // Wait before the next attempt, waking at once on stop.
          std::mutex mu;
          std::condition_variable_any cv;
          std::unique_lock lock(mu);
          cv.wait_for(lock, stop, restart_delay, [] { return false; });
        }
      }) {}

BackgroundThread::~BackgroundThread() {
  stop();
}

void BackgroundThread::stop() {
  thread_.request_stop();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

}  // namespace orsa
