// The board that wakes reads waiting for a position when a projector commits.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "events/projected_positions.hpp"

namespace pw::log {
namespace {

using namespace std::chrono_literals;
using Clock = ProjectedPositions::Clock;

struct Calls {
  std::mutex mu;
  std::vector<std::pair<int, bool>> seen;  // (waiter, reached)
  ProjectedPositions::Ready record(int who) {
    return [this, who](bool reached) {
      std::lock_guard lk(mu);
      seen.emplace_back(who, reached);
    };
  }
  std::vector<std::pair<int, bool>> get() {
    std::lock_guard lk(mu);
    return seen;
  }
};

TEST(ProjectedPositions, APartitionNobodyAnnouncedIsUnknown) {
  ProjectedPositions board;
  EXPECT_FALSE(board.next(0).has_value());
  board.advance(3, 0);  // a projector that has applied nothing yet still knows where it stands
  ASSERT_TRUE(board.next(3).has_value());
  EXPECT_EQ(*board.next(3), 0);
  EXPECT_FALSE(board.next(0).has_value());
}

TEST(ProjectedPositions, APassedPositionIsReadyAtOnceOnTheCallersThread) {
  ProjectedPositions board;
  board.advance(1, 10);
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  bool reached = false;
  board.when_passed(1, 9, Clock::now() + 1h, [&](bool r) {
    reached = r;
    ran_on = std::this_thread::get_id();
  });
  EXPECT_TRUE(reached);
  EXPECT_EQ(ran_on, caller);
  EXPECT_EQ(board.waiting(), 0u);
}

TEST(ProjectedPositions, WaitersWakeWhenTheirPositionIsCommittedAndNotBefore) {
  ProjectedPositions board;
  Calls calls;
  board.advance(2, 5);
  board.when_passed(2, 5, Clock::now() + 1h, calls.record(1));   // the record at offset 5
  board.when_passed(2, 7, Clock::now() + 1h, calls.record(2));
  board.when_passed(4, 0, Clock::now() + 1h, calls.record(3));   // another partition
  EXPECT_TRUE(calls.get().empty());
  EXPECT_EQ(board.waiting(), 3u);

  board.advance(2, 6);  // offset 5 is in
  EXPECT_EQ(calls.get(), (std::vector<std::pair<int, bool>>{{1, true}}));
  board.advance(2, 4);  // backwards: nothing moves
  EXPECT_EQ(*board.next(2), 6);
  board.advance(2, 8);
  EXPECT_EQ(calls.get(), (std::vector<std::pair<int, bool>>{{1, true}, {2, true}}));
  board.advance(4, 1);
  EXPECT_EQ(calls.get(), (std::vector<std::pair<int, bool>>{{1, true}, {2, true}, {3, true}}));
  EXPECT_EQ(board.waiting(), 0u);
}

TEST(ProjectedPositions, AWaitThatElapsesIsToldSoOnceAndNeverAgain) {
  ProjectedPositions board;
  board.advance(0, 1);
  std::promise<bool> told;
  std::atomic<int> times{0};
  const auto t0 = Clock::now();
  board.when_passed(0, 50, t0 + 100ms, [&](bool reached) {
    if (times.fetch_add(1) == 0) told.set_value(reached);
  });
  auto f = told.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(f.get());
  EXPECT_GE(Clock::now() - t0, 100ms);
  board.advance(0, 100);  // the position passes later: the waiter is gone
  EXPECT_EQ(times.load(), 1);
  EXPECT_EQ(board.waiting(), 0u);
}

TEST(ProjectedPositions, ReleasingAndDestroyingAnswerEveryWaiterOnce) {
  Calls calls;
  {
    ProjectedPositions board;
    board.advance(0, 0);
    board.when_passed(0, 3, Clock::now() + 1h, calls.record(1));
    board.release_waiters();
    EXPECT_EQ(calls.get(), (std::vector<std::pair<int, bool>>{{1, false}}));
    board.when_passed(0, 4, Clock::now() + 1h, calls.record(2));
  }
  EXPECT_EQ(calls.get(), (std::vector<std::pair<int, bool>>{{1, false}, {2, false}}));
}

TEST(ProjectedPositions, ManyWaitersAcrossThreadsEachGetOneAnswer) {
  ProjectedPositions board;
  board.advance(0, 0);
  constexpr int kWaiters = 2000;
  std::atomic<int> reached{0}, total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < kWaiters; i += 4)
        board.when_passed(0, i, Clock::now() + 1h, [&](bool r) {
          total.fetch_add(1);
          if (r) reached.fetch_add(1);
        });
    });
  std::thread projector([&] {
    for (int next = 1; next <= kWaiters; next += 7) board.advance(0, next);
    board.advance(0, kWaiters);
  });
  for (auto& th : threads) th.join();
  projector.join();
  board.advance(0, kWaiters);  // waiters registered after the last advance are ready at once
  EXPECT_EQ(total.load(), kWaiters);
  EXPECT_EQ(reached.load(), kWaiters);
  EXPECT_EQ(board.waiting(), 0u);
}

}  // namespace
}  // namespace pw::log
