#include "commands/hand_off.hpp"

#include <algorithm>

namespace pw::domain {

HandOff::HandOff(int32_t partitions) : queues_(static_cast<size_t>(std::max(partitions, 1))) {
  for (size_t i = 0; i < queues_.size(); ++i) writers_.push_back(std::make_unique<std::mutex>());
}

void HandOff::offer(int32_t partition, Offer offer) {
  {
    std::lock_guard lk(mu_);
    queues_.at(static_cast<size_t>(partition)).push_back(std::move(offer));
    ++news_;
  }
  cv_.notify_all();
}

std::optional<Offer> HandOff::withdraw(int32_t partition, uint64_t token) {
  std::lock_guard lk(mu_);
  auto& q = queues_.at(static_cast<size_t>(partition));
  auto it = std::find_if(q.begin(), q.end(), [token](const Offer& o) { return o.token == token; });
  if (it == q.end()) return std::nullopt;
  Offer out = std::move(*it);
  q.erase(it);
  return out;
}

void HandOff::nudge() {
  {
    std::lock_guard lk(mu_);
    ++news_;
  }
  cv_.notify_all();
}

bool HandOff::has_offers(int32_t partition) {
  std::lock_guard lk(mu_);
  return !queues_.at(static_cast<size_t>(partition)).empty();
}

std::vector<Offer> HandOff::take(int32_t partition, size_t max) {
  std::lock_guard lk(mu_);
  auto& q = queues_.at(static_cast<size_t>(partition));
  const size_t n = std::min(max, q.size());
  std::vector<Offer> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(q.front()));
    q.pop_front();
  }
  return out;
}

void HandOff::give_back(int32_t partition, std::vector<Offer> offers) {
  if (offers.empty()) return;
  {
    std::lock_guard lk(mu_);
    auto& q = queues_.at(static_cast<size_t>(partition));
    q.insert(q.begin(), std::make_move_iterator(offers.begin()), std::make_move_iterator(offers.end()));
    ++news_;
  }
  cv_.notify_all();
}

void HandOff::wait(uint64_t& seen, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return news_ != seen; });
  seen = news_;
}

}  // namespace pw::domain
