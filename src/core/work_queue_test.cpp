#include "core/work_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>

#include "testing/eventually.hpp"

namespace orsa {
namespace {

std::uint64_t failures_of(std::string_view name) {
  for (const auto& [n, count] : background_failures())
    if (n == name) return count;
  return 0;
}

TEST(RunGuarded, CountsAndSwallowsExceptions) {
  EXPECT_TRUE(run_guarded("guarded-ok", [] {}));
  EXPECT_FALSE(run_guarded("guarded-throw", [] { throw std::runtime_error("boom"); }));
  EXPECT_FALSE(run_guarded("guarded-throw", [] { throw 42; }));
  EXPECT_EQ(failures_of("guarded-ok"), 0u);
  EXPECT_EQ(failures_of("guarded-throw"), 2u);
}

TEST(WorkQueue, AThrowingTaskLeavesTheThreadServing) {
  WorkQueue queue("queue-survives", 1);
  ASSERT_TRUE(queue.post([] { throw std::logic_error("a bug in one task"); }));
  std::promise<int> next;
  ASSERT_TRUE(queue.post([&] { next.set_value(7); }));
  auto result = next.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(result.get(), 7);
  EXPECT_EQ(failures_of("queue-survives"), 1u);
}

TEST(WorkQueue, RunsTasksOnSeveralThreads) {
  WorkQueue queue("queue-parallel", 2);
  // Two tasks that each wait for the other can only finish side by side.
  std::promise<void> a_started, b_started;
  auto a = a_started.get_future().share();
  auto b = b_started.get_future().share();
  std::promise<void> both;
  std::atomic<int> done{0};
  auto finish = [&] {
    if (++done == 2) both.set_value();
  };
  queue.post([&, b] {
    a_started.set_value();
    b.wait();
    finish();
  });
  queue.post([&, a] {
    b_started.set_value();
    a.wait();
    finish();
  });
  EXPECT_EQ(both.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(WorkQueue, StopRefusesNewTasksAndDropsQueuedOnes) {
  WorkQueue queue("queue-stop", 1);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> running;
  std::atomic<bool> queued_ran{false};
  queue.post([&, gate] {
    running.set_value();
    gate.wait();
  });
  queue.post([&] { queued_ran = true; });
  running.get_future().wait();
  EXPECT_EQ(queue.queued(), 1u);
  std::thread stopper([&] { queue.stop(); });
  // The worker is busy, so only stop() can empty the queue; once it has,
  // let the running task end (stop() waits for it).
  EXPECT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(10), [&] { return queue.queued() == 0; }, "stop() to drop the queue"));
  release.set_value();
  stopper.join();
  EXPECT_FALSE(queued_ran.load());
  EXPECT_FALSE(queue.post([] {}));
}

TEST(BackgroundThread, RestartsALoopThatThrowsUntilStopped) {
  std::atomic<int> passes{0};
  std::promise<void> third;
  BackgroundThread thread(
      "loop-restarts",
      [&](const std::stop_token& stop) {
        if (++passes == 3) {
          third.set_value();
          while (!stop.stop_requested()) std::this_thread::yield();
          return;
        }
        throw std::runtime_error("pass failed");
      },
      std::chrono::milliseconds(1));
  ASSERT_EQ(third.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  thread.stop();
  EXPECT_EQ(passes.load(), 3);
  EXPECT_EQ(failures_of("loop-restarts"), 2u);
}

TEST(BackgroundThread, StopInterruptsTheRestartDelay) {
  std::promise<void> failed;
  std::atomic<bool> once{false};
  BackgroundThread thread(
      "loop-stop-delay",
      [&](const std::stop_token&) {
        if (!once.exchange(true)) failed.set_value();
        throw std::runtime_error("always fails");
      },
      std::chrono::hours(1));
  failed.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  thread.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace orsa
