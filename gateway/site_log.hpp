#pragma once
// A site's raw event stream, read from the log (pagewright.events), not from
// the read model: the exact stored record values, for GET /v1/sites/{id}/events
// and the hash-chain audit (DESIGN.md, decision 8).
//
// A site's events live in pagewright.events partition partition_for(site id);
// each call reads that partition from its start up to the end offset it saw
// when it began (so it terminates while others append), skipping the records
// of other sites sharing the partition. The cost is that of reading the whole
// partition up to the site's last wanted event.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"
#include "events/result.hpp"

namespace pw::gateway {

// Bound of one call; past it the call fails with Errc::unavailable.
inline constexpr std::chrono::milliseconds kSiteLogDeadline{30000};

// The site's events (exact record values, oldest first) with seq > after_seq,
// at most `limit`.
Result<std::vector<std::string>> read_site_events(log::EventLog& log, const SiteId& site, int64_t after_seq,
                                                  size_t limit,
                                                  std::chrono::milliseconds deadline = kSiteLogDeadline);

// Streams instead of collecting: `sink` gets each value (seq > after_seq) in
// order; return false from sink to stop. Used for NDJSON streaming.
Result<void> for_each_site_event(log::EventLog& log, const SiteId& site, int64_t after_seq,
                                 const std::function<bool(std::string_view)>& sink,
                                 std::chrono::milliseconds deadline = kSiteLogDeadline);

// GET /v1/sites/{id}/audit/verify: ChainVerifier over the site's whole stream
// in the log → {events, headHash, ok, firstBadSeq}. An empty stream is ok with
// 0 events and the all-zero head hash.
Result<ChainReport> verify_site(log::EventLog& log, const SiteId& site,
                                std::chrono::milliseconds deadline = kSiteLogDeadline);

}  // namespace pw::gateway
