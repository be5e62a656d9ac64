#pragma once
// Opaque list cursors (internal to pagewright::queries): base64url, without
// padding, of a compact JSON object. Decoding is strict — canonical base64url,
// at most kMaxCursorBytes, exactly the expected keys and types, a canonical
// timestamp and a printable-ASCII id — so anything a client forges either
// decodes to a well-formed position or is rejected before SQL sees it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/encoding.hpp"

namespace pw::queries::detail {

inline constexpr size_t kMaxCursorBytes = 512;
inline constexpr size_t kMaxIdBytes = 200;

// The sort key of the last row of a keyset page: (timestamp, id).
struct KeysetCursor {
  std::string ts;  // "YYYY-MM-DDTHH:MM:SS.ffffffZ" (as formatted by the queries)
  std::string id;
};

// `kind` names the list ("sites", "pages") so one list's cursor is refused by another.
std::string encode_keyset(std::string_view kind, const KeysetCursor& c);
std::optional<KeysetCursor> decode_keyset(std::string_view kind, std::string_view cursor);

// page_history: the seq of the last returned event; page_versions (kind
// "versions"): the last returned version.
std::string encode_seq(int64_t seq, std::string_view kind = "history");
std::optional<int64_t> decode_seq(std::string_view cursor, std::string_view kind = "history");

using ::pw::base64url_decode;  // strict, canonical only (events/encoding.hpp)
using ::pw::base64url_encode;

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" naming a real instant (years 0001..9999).
bool is_canonical_timestamp(std::string_view ts);
// 1..kMaxIdBytes bytes, each printable ASCII without space (0x21..0x7e).
bool is_plain_id(std::string_view id);
using ::pw::is_valid_utf8;  // events/encoding.hpp

}  // namespace pw::queries::detail
