#pragma once
// A site's raw event stream, read from the log (pagewright.events), not from
// the read model: the exact stored record values, for GET /v1/sites/{id}/events
// and the hash-chain audit (DESIGN.md, decision 8).
//
// A call costs what the site's own history costs, not what its partition
// (shared with other sites) holds. The projector records each event's log
// position in page_events (with the row, in the transaction that advances its
// offsets). A walk asks the read model, as the caller's tenant, for the
// positions of the site's events in seq order, a page at a time, and reads
// exactly those records: one reader, one seek per run of nearby offsets. The
// records the projection has not reached (at or past its stored offset of the
// partition, read in the same snapshot as the positions) are read after that
// offset up to the log's end when the call began: that tail is the projection
// lag. The bytes served and verified are always the log's records; the read
// model only says where they are. Without the read model a call fails
// (UNAVAILABLE); it never falls back to scanning the partition.
//
// A position whose record is absent or belongs to another key is skipped,
// counted (SiteLogCost::missing) and logged; verify then reports the seq it
// expected there as bad.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"
#include "events/result.hpp"

#include "queries/read_model.hpp"

namespace pw::gateway {

// Bound of one call; past it the call fails with Errc::unavailable.
inline constexpr std::chrono::milliseconds kSiteLogDeadline{30000};
// Caps of one GET …/events response (API.md "Limits"): at most this many
// records and this many bytes of record values (plus one newline each); the
// first record is always sent, so a single larger one cannot block a history.
inline constexpr size_t kMaxEventsPerResponse = 10000;
inline constexpr size_t kEventsByteBudget = size_t{16} << 20;

struct SiteLogOptions {
  std::chrono::milliseconds deadline = kSiteLogDeadline;
  int64_t index_page = 1000;  // positions per read-model query
  // Wanted records at most this many offsets apart are read through rather
  // than sought to: a Kafka seek restarts a fetch, and a site's events are
  // mostly adjacent (one command's events, a transaction marker between).
  int64_t max_gap = 8;
};

// What one call read, for tests and metrics: it grows with the site's history
// and the projection lag, never with other sites' records.
struct SiteLogCost {
  int64_t records_read = 0;  // log records received, the site's and any others
  int64_t index_rows = 0;    // positions the read model returned
  int64_t seeks = 0;         // reader (re)positionings, opening included
  int64_t tail_records = 0;  // records read past the projection's offset
  int64_t missing = 0;       // positions whose record was absent or not the site's
};

struct SiteEventsPage {
  std::vector<std::string> values;        // exact record values, oldest first
  std::optional<int64_t> next_after_seq;  // set when more events follow: continue after it
};

// seq: the event's seq (as indexed, or read from the record in the tail);
// return false to stop.
using SiteEventSink = std::function<bool(int64_t seq, std::string_view value)>;

class SiteLog {
 public:
  SiteLog(log::EventLog& log, queries::ReadModel& index, SiteLogOptions options = {});

  // The site's events with seq > after_seq, in order, to `sink`.
  Result<void> for_each(const TenantId& tenant, const SiteId& site, int64_t after_seq, const SiteEventSink& sink,
                        SiteLogCost* cost = nullptr);

  // At most `limit` events with seq > after_seq whose values (+1 byte each)
  // fit `byte_budget` (the first always does); next_after_seq says whether
  // and where more follow.
  Result<SiteEventsPage> read(const TenantId& tenant, const SiteId& site, int64_t after_seq, size_t limit,
                              size_t byte_budget = kEventsByteBudget, SiteLogCost* cost = nullptr);

  // The site's records at `positions` (ascending, as the read model indexed
  // them, e.g. one page's events), in order, to `sink`. Only indexed records
  // are read: what the projection has not reached yet is not there, as for
  // any read (X-Pagewright-After waits for it).
  Result<void> for_positions(const SiteId& site, std::span<const queries::EventPosition> positions,
                             const SiteEventSink& sink, SiteLogCost* cost = nullptr);

  // GET /v1/sites/{id}/audit/verify: ChainVerifier over the site's whole stream
  // in the log → {events, headHash, ok, firstBadSeq}. An empty stream is ok
  // with 0 events and the all-zero head hash.
  Result<ChainReport> verify(const TenantId& tenant, const SiteId& site, SiteLogCost* cost = nullptr);

 private:
  Result<void> walk(const TenantId& tenant, const SiteId& site, std::optional<int64_t> after_seq,
                    const SiteEventSink& sink, SiteLogCost& cost);

  log::EventLog& log_;
  queries::ReadModel& index_;
  SiteLogOptions options_;
};

}  // namespace pw::gateway
