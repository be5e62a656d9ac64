#pragma once
// The read-model projector: folds pagewright.events into the PostgreSQL read
// models (sites, pages, page_events) exactly once (DESIGN.md, decision 5).
//
// Offsets live in Postgres, not in the log: on assignment the projector reads
// projection_offsets (projector name, topic, partition) and seeks there. Each
// polled batch is applied in ONE transaction that also locks and advances those
// offset rows, so rows and offsets commit together or not at all. Records below
// the locked stored offset are skipped (another instance of the same projection
// got there first), and each site's events are applied only if seq is exactly
// sites.version + 1 (earlier ones are skipped, a gap is an error): idempotent by
// construction, whatever the consumer group does. If a transaction fails,
// nothing of the batch is applied and the consumer seeks back to the stored
// offsets, so the next run_once retries the same records.
//
// Unless the failure is a record's own (undecodable, unknown type, invalid
// data, refused by Postgres, a seq gap): then the batch is applied again one
// record per transaction, and each record that fails for good is appended to
// pagewright.deadletter before a transaction moves the stored offset past it
// (at least once: a crash in between sets it aside again). The site's version
// does not move, so its later events meet a gap and are set aside as well:
// the site is quarantined while every other site goes on.
//
// Row-level security is forced on the tenant tables, so every write runs with
// the tenant of its site set (with_tenant), switched within the transaction.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "events/log.hpp"
#include "events/projected_positions.hpp"
#include "events/recent_pages.hpp"
#include "events/result.hpp"

namespace pqxx {
class transaction_base;
}

namespace pw::projections {

class ReadModelBatch;
struct DecodedEvent;

struct ProjectorConfig {
  std::string group = "pagewright.projections";  // consumer group (partition ownership only)
  std::string name = "read-models";              // projection_offsets.projector
  size_t max_batch = 512;                        // records per poll = per transaction
  std::string pool = "projections";              // names the dead letters' source
  // Told of every committed offset (`serve`: the gateway's reads wait on it
  // instead of polling Postgres). Outlives the projector.
  log::ProjectedPositions* positions = nullptr;
  // Told of every page row a transaction committed, before its positions are
  // announced (`serve`: a read that waited for the commit takes the row from
  // there). Outlives the projector.
  log::RecentPages* recent_pages = nullptr;
  // Each transaction first waits out a switch of the active read model
  // (hold_off_switch). Off only for the shadow a `rebuild --shadow` fills:
  // the switch waits for it to catch up while holding that lock.
  bool hold_off_switch = true;
};

struct ProjectorStats {
  int64_t batches = 0;   // committed transactions
  int64_t events = 0;    // events applied
  int64_t skipped = 0;   // records already applied (below the stored offset or seq)
  int64_t failures = 0;  // transactions that failed (rolled back)
  int64_t dead_letters = 0;  // records set aside in pagewright.deadletter
  // Of those, records that are no event at all: not an envelope, an unknown
  // type, data that does not fit its type (the rest were refused by Postgres
  // or out of their site's sequence).
  int64_t malformed = 0;
};

class Projector {
 public:
  // Connects to Postgres (conninfo of the tables' owner, e.g. pagewright_owner)
  // and subscribes to pagewright.events. The schema must be migrated already.
  static Result<std::unique_ptr<Projector>> create(log::EventLog& log, std::string conninfo,
                                                   ProjectorConfig config = {});
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Polls once (up to `timeout`) and applies what arrived in one transaction.
  // Returns how many events it applied (0 when idle or all were skipped).
  Result<size_t> run_once(std::chrono::milliseconds timeout);
  // Leaves the group. Nothing to flush: every batch committed its offsets.
  void close();

  const ProjectorStats& stats() const { return stats_; }
  std::vector<log::TopicPartition> assignment() const;

 private:
  Projector(log::EventLog& log, std::string conninfo, ProjectorConfig config);

  Result<void> connect();
  // Seeks each partition to its stored offset; partitions it cannot read stay
  // in needs_seek_ and are retried by run_once (their polled records dropped).
  void seek_to_stored(const std::vector<int32_t>& partitions);
  // Errc::unprocessable: a record of the batch can never apply; any other
  // error may pass (Postgres away, a serialization failure).
  Result<size_t> apply_batch(const std::vector<log::Record>& records);
  struct Offsets;
  Offsets lock_offsets(pqxx::transaction_base& txn, const std::vector<log::Record>& records);
  // The records past the stored offsets, decoded; throws RecordError for
  // one that is no event.
  std::vector<DecodedEvent> decode_unapplied(const std::vector<log::Record>& records, Offsets& offsets);
  void store_offsets(pqxx::transaction_base& txn, const Offsets& offsets);
  void announce(int32_t partition, int64_t next) const;
  void forget_recent_pages() const;
  void keep_recent_pages(ReadModelBatch& batch, bool passed_over_records) const;
  Error batch_failure(bool in_records);
  // Applies the records one per transaction, setting aside those that fail
  // for good; stops at the first error that may pass.
  Result<size_t> isolate(const std::vector<log::Record>& records);
  // Appends the record's dead letter, then moves the stored offset past it;
  // logs and counts it (malformed: it is no event at all).
  Result<void> set_aside(const log::Record& r, const std::string& reason, bool malformed);

  log::EventLog& log_;
  std::string conninfo_;
  ProjectorConfig config_;
  struct Db;  // the connection and its prepared statements
  std::unique_ptr<Db> db_;
  std::unique_ptr<log::Consumer> consumer_;
  std::set<int32_t> needs_seek_;
  ProjectorStats stats_;
};

}  // namespace pw::projections
