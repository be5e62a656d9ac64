#pragma once
// The event envelope (DESIGN.md, decision 8): the record value of every event in
// pagewright.events. The encoding is compact JSON with a fixed field order, and
// its exact bytes are what the hash chain covers, so encode() must stay stable:
// an auditor recomputes sha256 over the stored bytes with ordinary tools.
#include <chrono>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "events/result.hpp"

namespace pw {

struct AggregateRef {
  std::string type;  // "site" | "page"
  std::string id;
  int64_t version = 0;
  friend bool operator==(const AggregateRef&, const AggregateRef&) = default;
};

struct Envelope {
  std::string id;  // event id (UUID)
  std::string type;
  int schema_version = 1;
  std::string tenant_id;
  std::string site_id;
  AggregateRef aggregate;
  int64_t seq = 0;           // position in the site's stream, from 1
  std::string occurred_at;   // RFC 3339, microseconds, UTC: 2026-11-22T10:00:00.000000Z
  std::string actor;
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;
  std::string prev_hash;     // lowercase hex SHA-256 of the previous event's bytes
  nlohmann::json data = nlohmann::json::object();
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// The hash a site's first event carries as prevHash.
inline const std::string kGenesisHash(64, '0');

// Compact JSON, fields in the order of the struct, no newline inside.
std::string encode(const Envelope& e);
// Strict: every field present with its type, no unknown or duplicate fields,
// seq ≥ 1, prevHash 64 lowercase hex, occurredAt in the canonical format.
Result<Envelope> decode(std::string_view record_value);

bool is_canonical_timestamp(std::string_view s);

// The envelope's time format: RFC 3339 in UTC with microseconds,
// "2026-11-22T05:30:48.123456Z". Callers read the clock; deciders never do.
std::string format_rfc3339(std::chrono::system_clock::time_point t);
// The time a canonical timestamp names (nullopt if it is not one).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

}  // namespace pw
