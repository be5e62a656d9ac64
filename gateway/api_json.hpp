#pragma once
// The JSON side of the HTTP API (API.md "Conventions"), free of any socket or
// HTTP library: request-body parsing with the contract's limits, the success
// and error envelopes, and the unknown-field check. The Beast handler calls
// these; they are plain functions and thread-safe.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "events/encoding.hpp"
#include "events/result.hpp"

namespace pw::gateway {

// Bodies longer than this are refused with 413 (exactly kMaxBodyBytes is fine).
inline constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 20;
// The deepest container nesting accepted: the body object itself is level 1,
// so `{"a": {"b": 1}}` has depth 2. Scalars add no level.
inline constexpr int kMaxDepth = 64;

// A request body, which must be one JSON object.
//
// Errors:
// - body.size() > kMaxBodyBytes → Errc::payload_too_large (checked before any
//   parsing);
// - empty body, malformed JSON, trailing content, invalid UTF-8 (including
//   overlong forms and lone surrogates in \u escapes), numbers that overflow a
//   double → Errc::validation_error with one detail {field: "body", message:
//   "malformed JSON at byte N: ..."} (N = the 1-based offset of the byte at
//   which the error was detected, as nlohmann counts; 0 for an empty body);
// - containers nested deeper than kMaxDepth → validation_error, field "body"
//   (enforced while parsing: the parser is iterative and stops at level 65, so
//   no input can exhaust the stack);
// - an object holding the same key twice → validation_error, field = the path
//   of the repeated key (e.g. "seo.title", "items[2].id");
// - a string value or object key holding a control character other than tab,
//   CR and LF (U+0000–U+001F, U+007F–U+009F; a \u0000 escape counts, as it
//   decodes to NUL) → validation_error, field = its path ("title",
//   "settings.a.b", "items[2]"; a key is named by its own path);
// - a valid JSON value that is not an object → validation_error, field "body".
// max_depth replaces kMaxDepth where a body's shape nests by design (a Puck
// document holds a component tree: three levels per component).
Result<nlohmann::json> parse_body(std::string_view body, int max_depth = kMaxDepth);

// The `pagination` member of list responses.
struct Pagination {
  int64_t limit = 0;
  std::optional<std::string> next_cursor;  // nullopt → `"nextCursor": null`
};

// {"success": true, "data": data, "meta": {"requestId", "timestamp"}}
nlohmann::json success_envelope(nlohmann::json data, const std::string& request_id,
                                const std::string& timestamp);
// As above plus a top-level "pagination": {"limit": n, "nextCursor": "…"|null}.
nlohmann::json success_envelope(nlohmann::json data, const Pagination& pagination,
                                const std::string& request_id, const std::string& timestamp);

// {"success": false, "error": {"code", "message", "details": [{"field",
// "message"}…]}, "meta": {"requestId", "timestamp"}}. `details` is always an
// array (empty when the error has none); `code` is errc_code(error.code), so an
// internal-only code (Errc::fenced) shows as "INTERNAL". Serialise with
// dump_json() so a message holding invalid UTF-8 cannot make the dump throw.
nlohmann::json error_envelope(const Error& error, const std::string& request_id,
                              const std::string& timestamp);

// The HTTP status of an error (errc_http_status).
int http_status(const Error& error);

// Compact serialisation that never throws on invalid UTF-8 in strings (it
// replaces bad bytes with U+FFFD). Use for every response body.
std::string dump_json(const nlohmann::json& value);

// Well-formed UTF-8 (events/encoding.hpp).
using ::pw::is_valid_utf8;

// Fails with Errc::validation_error when `object` holds a key not in `allowed`;
// the error has one detail per unknown key, in key order, {field: prefix + "." +
// key (just key when prefix is empty), message: "unknown field"}. A non-object
// `object` fails with one detail {field: prefix or "body", message: "must be an
// object"}.
Result<void> reject_unknown_fields(const nlohmann::json& object,
                                   std::initializer_list<std::string_view> allowed,
                                   std::string_view prefix = "");

}  // namespace pw::gateway
