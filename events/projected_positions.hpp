#pragma once
// How far the projectors of this process have committed the read model, per
// partition of pagewright.events, with waiters woken by the commit itself.
//
// A read with X-Pagewright-After otherwise polls Postgres's projection offsets
// while holding a query thread; in `serve`, where the projectors share the
// process with the gateway, the projector announces each commit here and the
// read is posted to the query pool only once its position has passed (or its
// wait elapsed). It is an accelerator, never the authority: a partition the
// board has not heard of, or a wait that elapsed, is still asked of Postgres.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace pw::log {

class ProjectedPositions {
 public:
  using Clock = std::chrono::steady_clock;
  // reached: the position passed (true), or the deadline came first (false).
  using Ready = std::function<void(bool reached)>;

  ProjectedPositions();
  ~ProjectedPositions();  // pending waiters get ready(false), on the destroying thread
  ProjectedPositions(const ProjectedPositions&) = delete;
  ProjectedPositions& operator=(const ProjectedPositions&) = delete;

  // The read model holds every record of `partition` below `next` (committed).
  // Positions only move forward: a smaller `next` changes nothing.
  void advance(int32_t partition, int64_t next);
  // The committed next offset of `partition`, if a projector announced one.
  std::optional<int64_t> next(int32_t partition) const;

  // Calls `ready` once the record at `offset` of `partition` is in the read
  // model: at once (on this thread) if it already is, else from the thread
  // that advances past it, or with false from the board's timer at `deadline`.
  // `ready` runs without the board's lock held.
  void when_passed(int32_t partition, int64_t offset, Clock::time_point deadline, Ready ready);

  size_t waiting() const;
  // Every pending waiter gets ready(false) now, on this thread (a gateway that
  // stops answers what still waits before its query threads go).
  void release_waiters();

 private:
  struct Waiter {
    int32_t partition;
    int64_t offset;
    Ready ready;
    std::multimap<Clock::time_point, uint64_t>::iterator timer;
  };
  void timer_loop();

  mutable std::mutex mu_;
  std::condition_variable timer_cv_;
  std::unordered_map<int32_t, int64_t> next_;
  std::unordered_map<uint64_t, Waiter> waiters_;
  std::multimap<std::pair<int32_t, int64_t>, uint64_t> by_position_;
  std::multimap<Clock::time_point, uint64_t> deadlines_;
  uint64_t next_token_ = 0;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace pw::log
