#pragma once
// The gateway's route table (API.md), free of any socket or HTTP library: a
// request's method and target → which route, with its path parameters, or why
// not (404: no such path; 405: the path exists under other methods).
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

enum class RouteId {
  // Sites
  create_site,     // POST   /v1/sites
  list_sites,      // GET    /v1/sites
  get_site,        // GET    /v1/sites/{siteId}
  update_site,     // PATCH  /v1/sites/{siteId}
  publish_site,    // POST   /v1/sites/{siteId}/publish           (RequestDeployment)
  list_deployments,  // GET  /v1/sites/{siteId}/deployments
  // Pages
  create_page,     // POST   /v1/sites/{siteId}/pages
  list_pages,      // GET    /v1/sites/{siteId}/pages
  get_page,        // GET    /v1/pages/{pageId}
  update_page,     // PATCH  /v1/pages/{pageId}
  add_component,   // POST   /v1/pages/{pageId}/components
  update_component,  // PATCH  /v1/pages/{pageId}/components/{componentId}
  move_component,  // POST   /v1/pages/{pageId}/components/{componentId}/move
  remove_component,  // DELETE /v1/pages/{pageId}/components/{componentId}
  page_history,    // GET    /v1/pages/{pageId}/history
  publish_page,    // POST   /v1/pages/{pageId}/publish
  // Deployments
  get_deployment,       // GET  /v1/deployments/{deploymentId}
  rollback_deployment,  // POST /v1/deployments/{deploymentId}/rollback  (RollbackDeployment)
  // Audit
  site_events,     // GET    /v1/sites/{siteId}/events
  verify_audit,    // GET    /v1/sites/{siteId}/audit/verify
  // Commands
  get_command,     // GET    /v1/commands/{commandId}
  // Operations (no auth)
  healthz,         // GET    /healthz
  readyz,          // GET    /readyz
};

// A stable snake_case name ("create_site"), e.g. for logs and metrics labels.
const char* route_name(RouteId id);
// The route's method ("GET") and path pattern ("/v1/sites/{siteId}").
const char* route_method(RouteId id);
const char* route_pattern(RouteId id);

struct Match {
  RouteId id;
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
