#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace orsa {

/// Runs `task`; an exception escaping it is logged and counted against
/// `where` (see background_failures()) instead of ending the process.
/// Returns false when the task threw.
bool run_guarded(std::string_view where, const std::function<void()>& task) noexcept;

/// Exceptions caught at background thread entries since start, by name.
std::vector<std::pair<std::string, std::uint64_t>> background_failures();

/// A fixed set of threads running posted tasks first in, first out. Every
/// background pool of the control plane is one of these: a task that throws
/// is logged and counted, and its thread goes on with the next task.
class WorkQueue {
 public:
  /// Starts `threads` threads (at least one) named `name` in logs and metrics.
  WorkQueue(std::string name, std::size_t threads);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  /// Queues `task`; false once stop() has begun (the task is dropped).
  bool post(std::move_only_function<void()> task);
  /// Refuses new tasks, drops queued ones that have not started, waits for
  /// running ones and joins the threads. Idempotent.
  void stop();
  /// Tasks waiting for a thread.
  std::size_t queued() const;

 private:
  void run_worker();

  std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::move_only_function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// One named thread running `loop` until stop is requested. When the loop
/// throws, the failure is logged and counted and the loop starts again after
/// `restart_delay`, so a bug in one pass never silences the whole service.
class BackgroundThread {
 public:
  using Loop = std::function<void(const std::stop_token&)>;
  BackgroundThread(std::string name, Loop loop,
                   std::chrono::milliseconds restart_delay = std::chrono::seconds(1));
  ~BackgroundThread();
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  /// Asks the loop to return (its stop_token fires) and joins. Idempotent.
  void stop();

 private:
  std::jthread thread_;
};

}  // namespace orsa
