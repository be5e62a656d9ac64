#pragma once
// Internals of the local:<dir> backend, shared by local_log.cpp (storage, group
// commit) and local_group.cpp (consumer groups, readers). Users call
// open_local_log() from events/backends.hpp. Config keys:
//   "fsync"                 "true" (default) | "false": sync the WAL on each group commit
//   "max.poll.interval.ms"  default 30000: a member that has not polled for this long
//                           is evicted by the others' polls, like Kafka's
//   "read_only"             "false" (default) | "true": opens without taking the
//                           directory's lock, so another process (serve) may own
//                           the log meanwhile; sees what was durable at open time,
//                           and every write fails (operators' tools, e.g.
//                           `pagewright deadletter`)
// A missing topic is NOT_FOUND; a partition number outside a topic is VALIDATION_ERROR.
//
// Locks: `mu` guards partition ends, groups and members; `topics_mu_` guards the
// topic map; `queue_mu_` guards the group-commit queue. Only mu -> topics_mu_
// nest. None of them is held while RocksDB writes or a user callback runs.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "events/log.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class Status;
}  // namespace rocksdb

namespace pw::log::local {

using Clock = std::chrono::steady_clock;

struct PartitionState {
  int64_t end = 0;  // every offset below is durable and readable
  // The commit leader's cursor while it assigns offsets; == end otherwise. Only
  // the leader touches it (leadership passes under queue_mu_), so it needs no mu.
  int64_t next = 0;
};

// Created once and never changed or removed, so pointers into it stay valid.
struct TopicState {
  std::string name;
  std::vector<PartitionState> partitions;
};

struct Group;

struct Position {
  int64_t next = 0;
  PartitionState* state = nullptr;
};

struct Member {
  uint64_t id = 0;
  Group* group = nullptr;
  std::vector<std::string> topics;
  std::set<TopicPartition> target;           // what the current generation gives it
  std::map<TopicPartition, Position> owned;  // what it holds now; only these it may commit
  std::vector<TopicPartition> lost;          // taken by eviction, reported by the next poll
  bool active = true;                        // false once it left or was evicted
  bool evicted = false;
  bool in_poll = false;  // callbacks run inside poll, so a long callback is not idleness
  Clock::time_point last_poll;
};

struct Group {
  std::string name;
  int64_t generation = 0;
  uint64_t next_member_id = 0;
  std::vector<std::shared_ptr<Member>> members;  // join order, which drives the assignment
  // Offset commits that passed the fencing check but are not yet durable. A
  // partition is handed to a new owner only when none is left, so the new owner
  // starts from the final committed offset even if the old owner was evicted mid-write.
  std::map<TopicPartition, int> inflight;
  std::map<TopicPartition, int64_t> committed;
};

struct ReadRange {
  TopicPartition tp;
  int64_t from = 0;
  int64_t to = 0;  // exclusive; at most a published end
};

struct PendingAppend;

class Core {
 public:
  static Result<std::shared_ptr<Core>> open(const std::string& dir, const Config& config);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  Result<void> create_topics(const std::vector<TopicSpec>& topics);
  Result<int32_t> partition_count(const std::string& topic);
  // Batch::then runs on the commit leader's thread (maybe not the caller's) while
  // the group waits for it, so it must be quick and must not append to this log.
  Result<Appended> append(const Batch& batch);
  Result<int64_t> end_offset(const TopicPartition& tp);
  Result<std::optional<int64_t>> committed_offset(const std::string& group,
                                                  const TopicPartition& tp);

  const TopicState* find_topic(std::string_view name) const;
  Result<PartitionState*> find_partition(const TopicPartition& tp) const;
  // Appends the records of each range to `out`; callers bound `to` by a published end.
  Result<void> read(const std::vector<ReadRange>& ranges, std::vector<Record>& out) const;

  // Group membership; all with `mu` held.
  std::shared_ptr<Member> join_locked(const std::string& group, std::vector<std::string> topics);
  void leave_locked(Member& m);
  // Evicts members of `g` idle for longer than max.poll.interval.ms and returns
  // when the next one would become evictable.
  Clock::time_point evict_idle_locked(Group& g, Clock::time_point now);

  std::mutex mu;
  std::condition_variable changed;  // records published or group state changed

 private:
  Core() = default;
  Result<void> recover();
  void rebalance_locked(Group& g);
  void remove_member_locked(Member& m);
  void commit_group(std::vector<PendingAppend*>& group);

  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* records_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* offsets_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* topics_cf_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  bool sync_ = true;
  bool read_only_ = false;
  std::chrono::milliseconds max_poll_interval_{30000};

  mutable std::shared_mutex topics_mu_;
  std::map<std::string, std::unique_ptr<TopicState>, std::less<>> topics_;
  std::mutex create_mu_;  // serialises create_topics so metadata is written once

  std::map<std::string, Group, std::less<>> groups_;  // guarded by mu

  std::mutex queue_mu_;
  std::vector<PendingAppend*> queue_;
  bool leader_active_ = false;
  // Owned by whichever append() is the commit leader; kept to reuse their capacity.
  std::vector<PendingAppend*> leader_group_;
  std::unique_ptr<rocksdb::WriteBatch> leader_batch_;
  std::string leader_key_;
};

Error rocks_error(const rocksdb::Status& s);

// Defined in local_group.cpp.
Result<std::unique_ptr<Consumer>> make_consumer(std::shared_ptr<Core> core,
                                                const std::string& group,
                                                const std::vector<std::string>& topics,
                                                RebalanceListener listener);
Result<std::unique_ptr<Reader>> make_reader(std::shared_ptr<Core> core, const TopicPartition& tp,
                                            int64_t from_offset);
// The member behind `consumer` if it is a consumer of `core`, else null.
std::shared_ptr<Member> member_of(const Consumer* consumer, const Core* core);

}  // namespace pw::log::local
