#pragma once
// The command processor: owns partitions of pagewright.commands (through the
// consumer group), decides each command against its site's state, and appends
// the events, the results and its consumer offsets as one atomic batch
// (DESIGN.md, decision 5). Because every record of a site is keyed by the site
// id and the three topics have the same partition count, the owner of commands
// partition p is the only writer of events and results partition p.
//
// Recovery when a partition is gained: load the snapshot watermark, replay the
// results (idempotency windows) and events (site states) from it up to what the
// group's committed offset covers, waiting until the results are readable that
// far (on Kafka a committed transaction's results may become readable after its
// offsets do); an event that does not decode or is not
// the next link of its site's chain (seq, prevHash) was not written by a
// processor and is skipped (logged, counted). Nothing is read from a clock or a random
// source while deciding, so a restarted processor appends the same bytes an
// uninterrupted one would have.
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <unordered_map>

#include "commands/hand_off.hpp"
#include "commands/schemas.hpp"
#include "commands/state.hpp"
#include "events/log.hpp"
#include "commands/command_record.hpp"
#include "workers/snapshot_store.hpp"

namespace pw::workers {

struct ProcessorConfig {
  std::string group = "pagewright.command-processors";
  std::filesystem::path snapshot_dir;   // required
  std::shared_ptr<const domain::Schemas> schemas;  // required: loaded once at process start
  size_t max_batch = 256;               // commands per atomic append
  int64_t snapshot_every = 1000;        // events per partition between snapshots
  size_t max_cached_sites = 10000;      // clean sites beyond this are evicted
  size_t idempotency_window = 256;      // remembered command ids per site
  // Called with each outcome once it is durable on pagewright.results, on the
  // processor's thread. `serve` hands them straight to its command bus, which
  // then need not read them back from the log.
  std::function<void(const domain::CommandOutcome&)> on_decided;
  // `serve`: commands handed over by the gateway in this process
  // (commands/hand_off.hpp), decided and appended with their own records.
  domain::HandOff* hand_off = nullptr;
};

struct ProcessorStats {
  int64_t commands = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t repeats = 0;
  int64_t events = 0;
  int64_t snapshots = 0;
  int64_t recoveries = 0;
  int64_t recovery_failures = 0;  // retried on the next run_once
  int64_t foreign_events = 0;     // events recovery skipped: not the next link of their site's chain
  int64_t foreign_results = 0;    // results recovery skipped: not an outcome a processor writes
  int64_t handed_over = 0;        // commands taken from the hand-off rather than read from the log
};

class CommandProcessor {
 public:
  static Result<std::unique_ptr<CommandProcessor>> create(log::EventLog& log, ProcessorConfig config);
  ~CommandProcessor();

  // Polls once (up to `timeout`) and processes what arrived as one batch;
  // with a hand-off, what the log holds first, else the offers of the
  // partitions it owns (waiting up to `timeout` for some). Returns how many
  // commands were processed.
  Result<size_t> run_once(std::chrono::milliseconds timeout);
  // Leaves the group after snapshotting what it owns.
  void close();

  const ProcessorStats& stats() const { return stats_; }
  // Why the last recovery that failed did (partitions waiting to be rebuilt).
  const std::optional<Error>& last_error() const { return last_error_; }
  std::vector<log::TopicPartition> assignment() const;

 private:
  struct Remembered {
    std::string fingerprint;
    domain::CommandOutcome outcome;
  };
  struct SiteEntry {
    domain::SiteState state;
    std::string head_hash;
    std::deque<std::pair<std::string, Remembered>> window;  // oldest first
    std::unordered_map<std::string, size_t> window_index;   // command id → count of occurrences
    bool dirty = false;
    int32_t partition = 0;
    std::list<std::string>::iterator lru;
  };
  struct PartitionState {
    Watermark applied;           // next offsets after what the cache reflects
    int64_t events_since_snapshot = 0;
  };

  // One poll's worth of commands on their way to one atomic append.
  struct Pending;
  struct Round;

  CommandProcessor(log::EventLog& log, ProcessorConfig config, std::unique_ptr<SnapshotStore> store);

  // The steps of run_once, in order.
  void retry_recoveries(std::vector<log::Record>& polled);
  Result<size_t> decide_polled(const std::vector<log::Record>& records);
  Result<size_t> decide_offers(std::chrono::milliseconds timeout);
  Result<size_t> finish_round(const Round& round, const log::Appended& appended, size_t commands);
  // The steps of decide_polled and decide_offers.
  Pending pending_for(const log::Record& rec, Round& round);
  Result<void> route(const log::Record& rec, Round& round);
  Result<void> route_decoded(const log::Record& rec, const domain::CommandRecord& cmd,
                             const std::string& fingerprint, Round& round);
  struct Taken;
  Result<std::vector<Taken>> take_offers();
  Result<void> check_predicted(const Round& round, const log::Appended& appended);
  void decide_one(const log::Record& rec, const domain::CommandRecord& cmd, const std::string& fingerprint,
                  SiteEntry& entry, Pending p, Round& round);
  void build_envelopes(const log::Record& rec, const domain::CommandRecord& cmd,
                       const std::vector<domain::DomainEvent>& events, SiteEntry& entry, Pending& p,
                       log::Batch& batch);
  Result<log::Appended> append_with_results(Round& round);
  void learn_positions(const Round& round, const log::Appended& appended);
  void announce(const Round& round) const;
  Result<void> snapshot_due();

  Result<void> recover(int32_t partition);
  Result<void> recover_unguarded(int32_t partition);
  // The steps of recover_unguarded.
  struct Replay;
  Result<void> replay_results(int32_t partition, std::optional<int64_t> committed, Replay& replay);
  Result<void> replay_result(int32_t partition, const log::Record& rec, Replay& replay);
  Result<void> replay_events(int32_t partition, Replay& replay);
  Result<void> replay_event(int32_t partition, const log::Record& rec);
  void forget(int32_t partition);
  // Logs why (once per reason) and keeps it as last_error().
  void report_recovery_failure(int32_t partition, const Error& e);
  // The cached state of these partitions is not what the log holds (a failed
  // append or recovery): drop it, never snapshot it, rebuild before use.
  void distrust(int32_t partition);
  bool distrusted(int32_t partition) const;
  Result<SiteEntry*> site(int32_t partition, const std::string& site_id);
  void remember(SiteEntry& entry, const std::string& command_id, Remembered r);
  const Remembered* recall(const SiteEntry& entry, const std::string& command_id) const;
  Result<void> snapshot(int32_t partition);
  void evict_if_needed();
  std::string encode_site(const SiteEntry& e) const;
  Result<SiteEntry> decode_site(const std::string& bytes, int32_t partition) const;
  Result<SiteEntry> decode_site_json(const nlohmann::json& j, int32_t partition) const;

  log::EventLog& log_;
  ProcessorConfig config_;
  std::unique_ptr<SnapshotStore> store_;
  std::unique_ptr<log::Consumer> consumer_;
  std::map<int32_t, PartitionState> partitions_;
  std::unordered_map<std::string, SiteEntry> sites_;
  std::list<std::string> lru_;  // most recently used first
  std::vector<int32_t> needs_recovery_;
  // Partitions whose stored snapshots could not be read: rebuilt from the log
  // alone until a fresh snapshot replaces them.
  std::set<int32_t> snapshotless_;
  ProcessorStats stats_;
  std::optional<Error> last_error_;
  uint64_t offers_seen_ = 0;  // HandOff::wait's counter for this processor
};

}  // namespace pw::workers
