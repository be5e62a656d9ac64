#pragma once
// Matching a request against the route table (route_table.hpp), free of any
// socket or HTTP library: a request's method and target → which route, with its
// path parameters, or why not (404: no such path; 405: the path exists under
// other methods).
//
// Matching rules:
// - `target` is an origin-form request target; everything from the first '?'
//   is the query (see parse_query) and is ignored by matching.
// - The path must start with '/'; it is split on '/', and every segment must be
//   non-empty (so no "//" and no trailing '/'). Each segment is percent-decoded
//   (%XX, hex in either case; '+' stays '+' in paths). The target does not
//   match (404) when an escape is invalid, or a segment — raw or decoded — is
//   "." or "..", or a decoded segment holds '/', '\\', a control character
//   (< 0x20 or 0x7F) or invalid UTF-8, or a raw '#' appears.
// - Literal segments compare after decoding ("/v1/%73ites" is "/v1/sites").
// - Methods compare exactly (they are case-sensitive in HTTP); HEAD is not
//   implied by GET.
// Everything is pure and thread-safe.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace pw::gateway {

struct Route;  // route_table.hpp

struct Match {
  const Route* route = nullptr;  // a row of route_table()
  std::map<std::string, std::string> params;  // e.g. {"siteId": "..."}, decoded
  friend bool operator==(const Match&, const Match&) = default;
};

struct MatchResult {
  enum class Kind { matched, not_found, method_not_allowed };
  Kind kind = Kind::not_found;
  std::optional<Match> match;         // set when kind == matched
  std::vector<std::string> allowed;   // when method_not_allowed: the path's methods, sorted
  // "GET, PATCH" — the value of the 405's `Allow` header.
  std::string allow_header() const;
};

// The full answer for a request.
MatchResult route(std::string_view method, std::string_view target);

// Only the matched case of route().
std::optional<Match> match(std::string_view method, std::string_view target);

// A query string (the text after the target's first '?'; one leading '?' is
// skipped if present) as a map. Pairs are separated by '&'; a pair without '=' has the value "". '+' means a
// space, %XX is decoded. Pairs with an empty key are skipped. Pairs whose key
// or value has an invalid escape or decodes to invalid UTF-8 are dropped.
// Duplicate keys: the FIRST occurrence wins (a later copy, e.g. appended by an
// intermediary, cannot override what the client sent first).
std::map<std::string, std::string> parse_query(std::string_view query);

// As parse_query, but an invalid pair is an Errc::validation_error (detail
// field = the key as far as it decodes, or "query") instead of being dropped.
Result<std::map<std::string, std::string>> parse_query_strict(std::string_view query);

// Percent-decodes `in` ('+' → ' ' when plus_is_space); nullopt on an invalid
// escape. Exposed for the tests and the handler.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace pw::gateway
