// Group commit for the local log. Each append() queues itself; whichever caller
// finds no commit in progress becomes the leader, takes the whole queue, assigns
// offsets in queue order, writes everything as one WriteBatch with one sync, then
// publishes the new ends and wakes the followers. Callers that arrive during the
// sync form the next group, so the number of syncs per second stays roughly
// constant while the records per sync grow with the number of appenders.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "events/local_keys.hpp"
#include "events/local_log.hpp"

namespace pw::log::local {

// One append() in the queue; lives on the caller's stack until it is done.
struct PendingAppend {
  const Batch* batch = nullptr;
  std::vector<OutRecord> then_records;  // what batch->then returned
  std::vector<PartitionState*> parts;   // per record of records + then_records
  std::shared_ptr<Member> member;       // set when the batch commits offsets
  bool inflight = false;                // counted in its group's inflight map
  Appended appended;
  std::optional<Error> error;
  bool done = false;
  std::condition_variable cv;

  const OutRecord& record(size_t i) const {
    return i < batch->records.size() ? batch->records[i] : then_records[i - batch->records.size()];
  }
};

namespace {

// Appends the partition of each record to w.parts and w.appended.partitions.
Result<void> resolve(const Core& core, const std::vector<OutRecord>& records, PendingAppend& w) {
  const TopicState* last = nullptr;  // batches usually repeat a topic; skip the lookup
  for (const auto& r : records) {
    const TopicState* t = last && last->name == r.topic ? last : core.find_topic(r.topic);
    if (!t) return make_error(Errc::not_found, "topic '" + r.topic + "' does not exist");
    last = t;
    auto count = static_cast<int32_t>(t->partitions.size());
    int32_t p = r.partition ? *r.partition : partition_for(r.key, count);
    if (p < 0 || p >= count)
      return make_error(Errc::validation_error,
                        "topic '" + r.topic + "' has no partition " + std::to_string(p),
                        {{"partition", "must be in [0, " + std::to_string(count) + ")"}});
    w.parts.push_back(const_cast<PartitionState*>(&t->partitions[static_cast<size_t>(p)]));
    w.appended.partitions.push_back(TopicPartition{r.topic, p});
  }
  return {};
}

// Runs on the caller's thread, so the leader's critical section stays short.
Result<void> prepare(const Core& core, PendingAppend& w) {
  const Batch& b = *w.batch;
  w.parts.reserve(b.records.size());
  w.appended.partitions.reserve(b.records.size());
  w.appended.offsets.reserve(b.records.size());
  if (auto r = resolve(core, b.records, w); !r) return r;
  if (b.offsets.empty()) return {};
  if (!b.consumer)
    return make_error(Errc::validation_error, "a batch with offsets needs its consumer");
  w.member = member_of(b.consumer, &core);
  if (!w.member)
    return make_error(Errc::validation_error, "the consumer does not belong to this log");
  for (const auto& [tp, off] : b.offsets) {
    if (auto ps = core.find_partition(tp); !ps) return ps.error();
    if (off < 0) return make_error(Errc::validation_error, "committed offsets must be >= 0");
  }
  return {};
}

// Fencing is by ownership, not generation: a member keeps committing for a
// partition it holds across a rebalance, and inside on_revoked until it returns.
std::optional<Error> fence_locked(const Member& m, const Offsets& offsets) {
  for (const auto& [tp, off] : offsets) {
    if (!m.active || !m.owned.contains(tp))
      return make_error(Errc::fenced, "group '" + m.group->name + "' member " +
                                          std::to_string(m.id) + " (generation " +
                                          std::to_string(m.group->generation) + ") does not own " +
                                          tp.topic + "[" + std::to_string(tp.partition) + "]");
  }
  return std::nullopt;
}

// Assigns offsets to w's records, then to what batch->then returns. Only the
// leader touches PartitionState::next, so no lock is needed and `then` runs
// without one. On failure w keeps no offsets: w is the last writer assigned.
void assign_offsets(const Core& core, PendingAppend& w) {
  size_t own = w.parts.size();
  for (auto* p : w.parts) w.appended.offsets.push_back(p->next++);
  if (!w.batch->then) return;
  Result<void> r;
  try {
    w.then_records = w.batch->then(w.appended);
    r = resolve(core, w.then_records, w);
  } catch (const std::exception& e) {
    // It runs on the leader's thread: letting it escape would strand the group.
    r = make_error(Errc::internal, std::string("Batch::then threw: ") + e.what());
  } catch (...) {
    r = make_error(Errc::internal, "Batch::then threw a non-standard exception");
  }
  if (r) {
    for (size_t i = own; i < w.parts.size(); ++i) w.appended.offsets.push_back(w.parts[i]->next++);
    return;
  }
  for (size_t i = 0; i < own; ++i) --w.parts[i]->next;
  w.parts.resize(own);
  w.appended.partitions.resize(own);
  w.appended.offsets.clear();
  w.error = r.error();
}

}  // namespace

Result<Appended> Core::append(const Batch& batch) {
  PendingAppend w;
  w.batch = &batch;
  if (auto r = prepare(*this, w); !r) return r.error();
  if (batch.records.empty() && batch.offsets.empty() && !batch.then) return std::move(w.appended);

  std::unique_lock lk(queue_mu_);
  queue_.push_back(&w);
  w.cv.wait(lk, [&] { return w.done || !leader_active_; });
  if (!w.done) {
    leader_active_ = true;
    leader_group_.clear();
    leader_group_.swap(queue_);
    lk.unlock();
    commit_group(leader_group_);
    lk.lock();
    leader_active_ = false;
    // Notify under the lock: a follower may destroy its cv as soon as it sees done.
    for (auto* p : leader_group_) {
      p->done = true;
      p->cv.notify_one();
    }
    if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  }
  lk.unlock();
  if (w.error) return std::move(*w.error);
  return std::move(w.appended);
}

void Core::commit_group(std::vector<PendingAppend*>& group) {
  {
    std::lock_guard lk(mu);
    for (auto* w : group) {
      if (!w->member) continue;
      w->error = fence_locked(*w->member, w->batch->offsets);
      if (w->error) continue;
      for (const auto& [tp, off] : w->batch->offsets) ++w->member->group->inflight[tp];
      w->inflight = true;
    }
  }
  for (auto* w : group)
    if (!w->error) assign_offsets(*this, *w);

  rocksdb::WriteBatch& wb = *leader_batch_;
  wb.Clear();
  rocksdb::Status s;
  bool any = false;
  for (auto* w : group) {
    if (w->error) continue;
    any = true;
    for (size_t i = 0; i < w->parts.size() && s.ok(); ++i) {
      const OutRecord& rec = w->record(i);
      const auto& tp = w->appended.partitions[i];
      record_prefix(leader_key_, tp.topic, tp.partition);
      put_be(leader_key_, static_cast<uint64_t>(w->appended.offsets[i]), 8);
      char header[kRecordHeaderBytes];
      for (size_t b = 0; b < kRecordHeaderBytes; ++b)
        header[b] = static_cast<char>((rec.key.size() >> (8 * (3 - b))) & 0xff);
      rocksdb::Slice key(leader_key_);
      rocksdb::Slice value[3] = {{header, kRecordHeaderBytes}, rec.key, rec.value};
      s = wb.Put(records_cf_, rocksdb::SliceParts(&key, 1), rocksdb::SliceParts(value, 3));
    }
    for (const auto& [tp, off] : w->batch->offsets) {
      if (!s.ok()) break;
      std::string v;
      put_be(v, static_cast<uint64_t>(off), 8);
      s = wb.Put(offsets_cf_, offset_key(w->member->group->name, tp.topic, tp.partition), v);
    }
  }
  if (any && s.ok()) {
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    s = db_->Write(wo, &wb);
  }
  // A huge group must not keep its buffer for the life of the log.
  if (wb.GetDataSize() > (16u << 20)) leader_batch_ = std::make_unique<rocksdb::WriteBatch>();

  std::lock_guard lk(mu);
  for (auto* w : group) {
    if (w->inflight) {
      Group& g = *w->member->group;
      for (const auto& [tp, off] : w->batch->offsets) {
        if (s.ok() && !w->error) g.committed[tp] = off;
        if (--g.inflight[tp] == 0) g.inflight.erase(tp);
      }
    }
    if (w->error) continue;
    for (auto* p : w->parts) {
      if (s.ok())
        p->end = p->next;
      else
        p->next = p->end;  // nothing of the group landed, so no offset was used
    }
    if (!s.ok()) w->error = rocks_error(s);
  }
  changed.notify_all();
}

}  // namespace pw::log::local
