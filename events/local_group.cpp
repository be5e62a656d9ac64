// In-process consumer groups and readers of the local log.
//
// Rebalance protocol (eager, in-process): a join, leave or eviction bumps the
// group's generation and recomputes every member's target with a range
// assignor (per topic, members in join order), so co-partitioned topics land
// on the same member. Then, driven by each member's own poll():
//   1. a member holding partitions outside its target calls on_revoked for
//      them and drops them (it may still commit them inside the callback);
//   2. once no member holds anything outside its target, and no offset commit
//      of a partition is in flight, members take the rest of their target,
//      starting at the committed offset, and call on_assigned.
// A member that does not poll for max.poll.interval.ms is evicted by the
// others' polls, so a stuck member cannot block step 2 forever.
#include <algorithm>

#include "events/local_log.hpp"

namespace pw::log::local {
namespace {

Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  // Caps "forever" timeouts so the time point cannot overflow.
  constexpr std::chrono::milliseconds kMaxWait = std::chrono::hours(24 * 365);
  return Clock::now() + std::clamp(timeout, std::chrono::milliseconds::zero(), kMaxWait);
}

std::vector<TopicPartition> keys_of(const std::map<TopicPartition, Position>& owned) {
  std::vector<TopicPartition> keys;
  keys.reserve(owned.size());
  for (const auto& [tp, pos] : owned) keys.push_back(tp);
  return keys;
}

class LocalConsumer final : public Consumer {
 public:
  LocalConsumer(std::shared_ptr<Core> core, std::string group, std::vector<std::string> topics,
                RebalanceListener listener, std::shared_ptr<Member> member)
      : core_(std::move(core)),
        group_(std::move(group)),
        topics_(std::move(topics)),
        listener_(std::move(listener)),
        member_(std::move(member)) {}
  ~LocalConsumer() override { close(); }

  const std::string& group() const override { return group_; }
  Result<std::vector<Record>> poll(std::chrono::milliseconds timeout, size_t max_records) override;
  std::vector<TopicPartition> assignment() const override;
  Result<void> seek(const TopicPartition& tp, int64_t offset) override;
  Result<void> commit(const Offsets& offsets) override;
  void close() override;

  const Core* core() const { return core_.get(); }
  const std::shared_ptr<Member>& member() const { return member_; }

 private:
  bool rebalance_step_locked(std::unique_lock<std::mutex>& lk);
  std::vector<ReadRange> fetchable_locked(size_t max_records);
  void call(const std::function<void(const std::vector<TopicPartition>&)>& cb,
            const std::vector<TopicPartition>& tps, std::unique_lock<std::mutex>& lk) {
    if (!cb || tps.empty()) return;
    lk.unlock();
    cb(tps);
    lk.lock();
  }

  std::shared_ptr<Core> core_;
  std::string group_;
  std::vector<std::string> topics_;
  RebalanceListener listener_;
  std::shared_ptr<Member> member_;  // replaced when an evicted member rejoins
  size_t rr_ = 0;  // rotates the first partition fetched so a busy one cannot starve the rest
  bool closed_ = false;
};

// Returns whether it changed something, so poll() re-evaluates from the top.
bool LocalConsumer::rebalance_step_locked(std::unique_lock<std::mutex>& lk) {
  std::shared_ptr<Member> m = member_;
  if (m->evicted) {
    // Like a Kafka consumer past max.poll.interval.ms: report the loss, rejoin.
    auto lost = std::move(m->lost);
    member_ = core_->join_locked(group_, topics_);
    member_->in_poll = true;
    call(listener_.on_revoked, lost, lk);
    return true;
  }
  std::vector<TopicPartition> lost;
  for (const auto& [tp, pos] : m->owned)
    if (!m->target.contains(tp)) lost.push_back(tp);
  if (!lost.empty()) {
    call(listener_.on_revoked, lost, lk);
    for (const auto& tp : lost) m->owned.erase(tp);
    core_->changed.notify_all();
    return true;
  }
  Group& g = *m->group;
  for (const auto& other : g.members)
    for (const auto& [tp, pos] : other->owned)
      if (!other->target.contains(tp)) return false;  // step 1 not finished everywhere
  std::vector<TopicPartition> gained;
  for (const auto& tp : m->target)
    if (!m->owned.contains(tp) && !g.inflight.contains(tp)) gained.push_back(tp);
  if (gained.empty()) return false;
  for (const auto& tp : gained) {
    auto ps = core_->find_partition(tp);  // topics are never removed, so this holds
    auto c = g.committed.find(tp);
    m->owned[tp] = Position{c == g.committed.end() ? 0 : c->second, ps ? *ps : nullptr};
  }
  call(listener_.on_assigned, gained, lk);
  return true;
}

std::vector<ReadRange> LocalConsumer::fetchable_locked(size_t max_records) {
  std::vector<ReadRange> ranges;
  auto& owned = member_->owned;
  if (owned.empty()) return ranges;
  auto it = owned.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(rr_++ % owned.size()));
  int64_t budget = static_cast<int64_t>(std::min<size_t>(max_records, INT64_MAX));
  for (size_t i = 0; i < owned.size() && budget > 0; ++i, ++it) {
    if (it == owned.end()) it = owned.begin();
    const auto& [tp, pos] = *it;
    int64_t take = std::min(pos.state->end - pos.next, budget);
    if (take <= 0) continue;
    ranges.push_back(ReadRange{tp, pos.next, pos.next + take});
    budget -= take;
  }
  return ranges;
}

Result<std::vector<Record>> LocalConsumer::poll(std::chrono::milliseconds timeout,
                                                size_t max_records) {
  if (closed_) return make_error(Errc::validation_error, "poll on a closed consumer");
  const auto deadline = deadline_after(timeout);
  std::unique_lock lk(core_->mu);
  member_->in_poll = true;
  // Also when a user callback throws, so the member does not stay "busy" forever.
  struct PollExit {
    LocalConsumer& c;
    std::unique_lock<std::mutex>& lk;
    ~PollExit() {
      if (!lk.owns_lock()) lk.lock();
      c.member_->in_poll = false;
      c.member_->last_poll = Clock::now();
    }
  } exit_guard{*this, lk};
  std::vector<Record> out;
  Result<void> status;
  for (;;) {
    auto now = Clock::now();
    auto wake = core_->evict_idle_locked(*member_->group, now);
    if (rebalance_step_locked(lk)) continue;
    auto ranges = fetchable_locked(max_records);
    if (!ranges.empty()) {
      // Only this thread moves this member's positions and it cannot be evicted
      // while in poll, so reading without the lock is safe.
      lk.unlock();
      status = core_->read(ranges, out);
      lk.lock();
      if (status)
        for (const auto& r : ranges)
          if (auto it = member_->owned.find(r.tp); it != member_->owned.end())
            it->second.next = r.to;
      break;
    }
    if (now >= deadline || max_records == 0) break;
    core_->changed.wait_until(lk, std::min(deadline, wake));
  }
  if (!status) return status.error();
  return out;
}

std::vector<TopicPartition> LocalConsumer::assignment() const {
  std::lock_guard lk(core_->mu);
  return keys_of(member_->owned);
}

Result<void> LocalConsumer::seek(const TopicPartition& tp, int64_t offset) {
  if (offset < 0) return make_error(Errc::validation_error, "seek offset must be >= 0");
  std::lock_guard lk(core_->mu);
  auto it = member_->owned.find(tp);
  if (it == member_->owned.end())
    return make_error(Errc::validation_error,
                      "seek on unassigned " + tp.topic + "[" + std::to_string(tp.partition) + "]");
  it->second.next = offset;
  return {};
}

Result<void> LocalConsumer::commit(const Offsets& offsets) {
  if (offsets.empty()) return {};
  Batch batch;
  batch.offsets = offsets;
  batch.consumer = this;
  auto r = core_->append(batch);
  if (!r) return r.error();
  return {};
}

void LocalConsumer::close() {
  if (closed_) return;
  closed_ = true;
  std::unique_lock lk(core_->mu);
  std::shared_ptr<Member> m = member_;
  // Leaves even if on_revoked throws, so the others are not blocked.
  struct LeaveGroup {
    Core& core;
    Member& m;
    std::unique_lock<std::mutex>& lk;
    ~LeaveGroup() {
      if (!lk.owns_lock()) lk.lock();
      m.in_poll = false;
      core.leave_locked(m);
    }
  } leave{*core_, *m, lk};
  auto lost = m->evicted ? std::move(m->lost) : keys_of(m->owned);
  m->in_poll = true;  // the callback may take long; that is not idleness
  call(listener_.on_revoked, lost, lk);
}

class LocalReader final : public Reader {
 public:
  LocalReader(std::shared_ptr<Core> core, TopicPartition tp, PartitionState* state, int64_t from)
      : core_(std::move(core)), tp_(std::move(tp)), state_(state), next_(from) {}

  Result<std::vector<Record>> read(std::chrono::milliseconds timeout, size_t max_records) override {
    std::vector<Record> out;
    if (max_records == 0) return out;
    int64_t to = 0;
    {
      std::unique_lock lk(core_->mu);
      if (!core_->changed.wait_until(lk, deadline_after(timeout),
                                     [&] { return state_->end > next_; }))
        return out;
      to =
          next_ + std::min<int64_t>(state_->end - next_,
                                    static_cast<int64_t>(std::min<size_t>(max_records, INT64_MAX)));
    }
    out.reserve(static_cast<size_t>(to - next_));
    if (auto r = core_->read({ReadRange{tp_, next_, to}}, out); !r) return r.error();
    next_ = to;
    return out;
  }

  Result<void> seek(int64_t offset) override {
    if (offset < 0) return make_error(Errc::validation_error, "reader offset must be >= 0");
    next_ = offset;
    return {};
  }

 private:
  std::shared_ptr<Core> core_;
  TopicPartition tp_;
  PartitionState* state_;
  int64_t next_;
};

}  // namespace

std::shared_ptr<Member> Core::join_locked(const std::string& group,
                                          std::vector<std::string> topics) {
  auto [it, inserted] = groups_.try_emplace(group);
  Group& g = it->second;
  if (inserted) g.name = group;  // never written again: commit leaders read it unlocked
  auto m = std::make_shared<Member>();
  m->id = ++g.next_member_id;
  m->group = &g;
  m->topics = std::move(topics);
  m->last_poll = Clock::now();
  g.members.push_back(m);
  rebalance_locked(g);
  return m;
}

void Core::leave_locked(Member& m) {
  if (!m.active) return;
  remove_member_locked(m);
  rebalance_locked(*m.group);
}

void Core::remove_member_locked(Member& m) {
  m.active = false;
  m.owned.clear();
  m.target.clear();
  auto& members = m.group->members;
  std::erase_if(members, [&](const std::shared_ptr<Member>& p) { return p.get() == &m; });
}

Clock::time_point Core::evict_idle_locked(Group& g, Clock::time_point now) {
  auto next = Clock::time_point::max();
  std::vector<std::shared_ptr<Member>> idle;
  for (const auto& m : g.members) {
    if (m->in_poll) continue;
    auto due = m->last_poll + max_poll_interval_;
    if (due <= now)
      idle.push_back(m);
    else
      next = std::min(next, due);
  }
  for (const auto& m : idle) {
    m->lost = keys_of(m->owned);
    m->evicted = true;
    remove_member_locked(*m);
  }
  if (!idle.empty()) rebalance_locked(g);
  return next;
}

void Core::rebalance_locked(Group& g) {
  ++g.generation;
  std::set<std::string> topics;
  for (const auto& m : g.members) {
    m->target.clear();
    topics.insert(m->topics.begin(), m->topics.end());
  }
  for (const auto& topic : topics) {
    const TopicState* t = find_topic(topic);
    if (!t) continue;
    std::vector<Member*> subs;
    for (const auto& m : g.members)
      if (std::find(m->topics.begin(), m->topics.end(), topic) != m->topics.end())
        subs.push_back(m.get());
    auto n = static_cast<int32_t>(t->partitions.size());
    auto k = static_cast<int32_t>(subs.size());
    int32_t p = 0;
    for (int32_t i = 0; i < k; ++i)
      for (int32_t c = 0; c < n / k + (i < n % k ? 1 : 0); ++c)
        subs[static_cast<size_t>(i)]->target.insert(TopicPartition{topic, p++});
  }
  changed.notify_all();
}

Result<std::unique_ptr<Consumer>> make_consumer(std::shared_ptr<Core> core,
                                                const std::string& group,
                                                const std::vector<std::string>& topics,
                                                RebalanceListener listener) {
  if (group.empty() || group.size() > 0xffff)
    return make_error(Errc::validation_error, "group name must have 1-65535 bytes");
  if (topics.empty()) return make_error(Errc::validation_error, "subscribe needs a topic");
  std::vector<std::string> unique(topics);
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  for (const auto& t : unique)
    if (!core->find_topic(t))
      return make_error(Errc::not_found, "topic '" + t + "' does not exist");
  std::shared_ptr<Member> member;
  {
    std::lock_guard lk(core->mu);
    member = core->join_locked(group, unique);
  }
  return std::unique_ptr<Consumer>(
      new LocalConsumer(std::move(core), group, std::move(unique), std::move(listener), member));
}

Result<std::unique_ptr<Reader>> make_reader(std::shared_ptr<Core> core, const TopicPartition& tp,
                                            int64_t from_offset) {
  auto ps = core->find_partition(tp);
  if (!ps) return ps.error();
  if (from_offset < 0) return make_error(Errc::validation_error, "reader offset must be >= 0");
  return std::unique_ptr<Reader>(new LocalReader(std::move(core), tp, *ps, from_offset));
}

std::shared_ptr<Member> member_of(const Consumer* consumer, const Core* core) {
  const auto* c = dynamic_cast<const LocalConsumer*>(consumer);
  if (!c || c->core() != core) return nullptr;
  return c->member();
}

}  // namespace pw::log::local
