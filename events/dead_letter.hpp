#pragma once
// Dead letters (DESIGN.md, decision 4): a record a consumer cannot apply —
// undecodable, of an unknown type, refused by the read model, not the next
// link of its site's stream — is set aside in pagewright.deadletter with where
// it was and why, and the consumer goes on. A poison record must never stall a
// partition, and must never vanish unseen either.
//
// The dead letter is keyed like the original and goes to the same partition
// number (the topic has the standard partition count), so an operator finds
// the dead letters of events partition p in dead-letter partition p. Its value
// is one compact JSON object:
//   {"topic":"pagewright.events","partition":3,"offset":17,"key":"<site id>",
//    "pool":"projections","group":"pagewright.projections","reason":"…",
//    "at":"2026-12-06T07:00:00.000000Z","value":"<the original value>"}
// with "valueBase64" (base64url, no padding) instead of "value" when the
// original value is not valid UTF-8 ("keyBase64" likewise for the key), and
// "valueOmitted":<bytes> instead of either when the log refuses a dead letter
// that large (the position still finds the original).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/log.hpp"
#include "events/result.hpp"

namespace pw::log {

inline constexpr std::string_view kDeadLetterTopic = "pagewright.deadletter";

struct DeadLetter {
  std::string topic;  // of the original record
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string pool;   // "projections" | "builds" | "rebuild"
  std::string group;  // the consumer group (or projection) that could not apply it
  std::string reason;
  std::string at;     // RFC 3339, when it was set aside
  std::string value;  // the original bytes
  // The value was left out (too large for the log); it had this many bytes.
  std::optional<size_t> value_omitted;
};

// A dead letter for `r`, stamped now; `reason` is cut to one line of at most
// 512 bytes of valid UTF-8 (database messages can quote whole records).
DeadLetter dead_letter_for(const Record& r, std::string pool, std::string group, std::string_view reason);

std::string encode_dead_letter(const DeadLetter& d);
// For operators' tools and tests: the fields back, the value decoded.
Result<DeadLetter> decode_dead_letter(std::string_view json);

// Appends `d` to pagewright.deadletter (creating the topic first if a log
// predates it), without its value if the log refuses it as too large.
// Returns once it is durable.
Result<void> append_dead_letter(EventLog& log, const DeadLetter& d);

}  // namespace pw::log
