#include "events/projected_positions.hpp"

#include <cstdint>
#include <vector>

namespace pw::log {

ProjectedPositions::ProjectedPositions() : timer_([this] { timer_loop(); }) {}

ProjectedPositions::~ProjectedPositions() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  timer_.join();
  release_waiters();
}

void ProjectedPositions::release_waiters() {
  std::vector<Ready> left;
  {
    std::lock_guard lk(mu_);
    for (auto& [token, w] : waiters_) left.push_back(std::move(w.ready));
    waiters_.clear();
    by_position_.clear();
    deadlines_.clear();
  }
  for (auto& ready : left) ready(false);
}

void ProjectedPositions::advance(int32_t partition, int64_t next) {
  std::vector<Ready> passed;
  {
    std::lock_guard lk(mu_);
    auto [known, fresh] = next_.try_emplace(partition, next);
    if (!fresh) {
      if (next <= known->second) return;
      known->second = next;
    }
    // Every waiter of this partition below `next`, in offset order.
    auto first = by_position_.lower_bound({partition, INT64_MIN});
    auto last = by_position_.lower_bound({partition, next});
    for (auto it = first; it != last; ++it) {
      auto w = waiters_.find(it->second);
      deadlines_.erase(w->second.timer);
      passed.push_back(std::move(w->second.ready));
      waiters_.erase(w);
    }
    by_position_.erase(first, last);
  }
  for (auto& ready : passed) ready(true);
}

std::optional<int64_t> ProjectedPositions::next(int32_t partition) const {
  std::lock_guard lk(mu_);
  auto it = next_.find(partition);
  if (it == next_.end()) return std::nullopt;
  return it->second;
}

void ProjectedPositions::when_passed(int32_t partition, int64_t offset, Clock::time_point deadline, Ready ready) {
  std::unique_lock lk(mu_);
  if (auto it = next_.find(partition); it != next_.end() && it->second > offset) {
    lk.unlock();
    return ready(true);
  }
  if (stopping_) {
    lk.unlock();
    return ready(false);
  }
  const uint64_t token = ++next_token_;
  auto timer = deadlines_.emplace(deadline, token);
  by_position_.emplace(std::pair{partition, offset}, token);
  waiters_.emplace(token, Waiter{partition, offset, std::move(ready), timer});
  const bool earliest = timer == deadlines_.begin();
  lk.unlock();
  if (earliest) timer_cv_.notify_all();
}

size_t ProjectedPositions::waiting() const {
  std::lock_guard lk(mu_);
  return waiters_.size();
}

void ProjectedPositions::timer_loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      timer_cv_.wait(lk);
      continue;
    }
    const auto due = deadlines_.begin()->first;
    if (Clock::now() < due) {
      timer_cv_.wait_until(lk, due);
      continue;
    }
    std::vector<Ready> elapsed;
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const uint64_t token = deadlines_.begin()->second;
      deadlines_.erase(deadlines_.begin());
      auto w = waiters_.find(token);
      auto [first, last] = by_position_.equal_range({w->second.partition, w->second.offset});
      for (auto it = first; it != last; ++it)
        if (it->second == token) {
          by_position_.erase(it);
          break;
        }
      elapsed.push_back(std::move(w->second.ready));
      waiters_.erase(w);
    }
    lk.unlock();
    for (auto& ready : elapsed) ready(false);
    lk.lock();
  }
}

}  // namespace pw::log
