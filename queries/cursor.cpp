#include "queries/cursor.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace pw::queries::detail {
namespace {

using json = nlohmann::json;

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// The cursor's JSON object, or nullopt when the text is not one.
std::optional<json> decode_object(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > kMaxCursorBytes) return std::nullopt;
  auto bytes = base64url_decode(cursor);
  if (!bytes || !is_valid_utf8(*bytes)) return std::nullopt;
  json j = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

bool is_canonical_timestamp(std::string_view ts) {
  // 0123456789012345678901234567
  // YYYY-MM-DDTHH:MM:SS.ffffffZ
  if (ts.size() != 27) return false;
  if (ts[4] != '-' || ts[7] != '-' || ts[10] != 'T' || ts[13] != ':' || ts[16] != ':' || ts[19] != '.' ||
      ts[26] != 'Z')
    return false;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0;
  if (!digits(ts, 0, 4, year) || !digits(ts, 5, 2, month) || !digits(ts, 8, 2, day) ||
      !digits(ts, 11, 2, hour) || !digits(ts, 14, 2, minute) || !digits(ts, 17, 2, second) ||
      !digits(ts, 20, 6, micros))
    return false;
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[size_t(month - 1)] + (month == 2 && leap ? 1 : 0);
  return day >= 1 && day <= max_day;
}

bool is_plain_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

std::string encode_keyset(std::string_view kind, const KeysetCursor& c) {
  json j{{"k", kind}, {"t", c.ts}, {"id", c.id}};
  return base64url_encode(j.dump());
}

std::optional<KeysetCursor> decode_keyset(std::string_view kind, std::string_view cursor) {
  auto j = decode_object(cursor);
  if (!j || j->size() != 3) return std::nullopt;
  auto k = j->find("k"), t = j->find("t"), id = j->find("id");
  if (k == j->end() || t == j->end() || id == j->end()) return std::nullopt;
  if (!k->is_string() || !t->is_string() || !id->is_string()) return std::nullopt;
  if (k->get_ref<const std::string&>() != kind) return std::nullopt;
  KeysetCursor out{t->get<std::string>(), id->get<std::string>()};
  if (!is_canonical_timestamp(out.ts) || !is_plain_id(out.id)) return std::nullopt;
  return out;
}

std::string encode_seq(int64_t seq, std::string_view kind) {
  json j{{"k", kind}, {"seq", seq}};
  return base64url_encode(j.dump());
}

std::optional<int64_t> decode_seq(std::string_view cursor, std::string_view kind) {
  auto j = decode_object(cursor);
  if (!j || j->size() != 2) return std::nullopt;
  auto k = j->find("k"), seq = j->find("seq");
  if (k == j->end() || seq == j->end()) return std::nullopt;
  if (!k->is_string() || k->get_ref<const std::string&>() != kind) return std::nullopt;
  // Integers only (1.0 and 1e3 are refused), within int64 and not negative.
  if (seq->is_number_unsigned()) {
    const auto v = seq->get<uint64_t>();
    if (v > uint64_t(INT64_MAX)) return std::nullopt;
    return int64_t(v);
  }
  if (seq->is_number_integer()) {
    const auto v = seq->get<int64_t>();
    if (v < 0) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace pw::queries::detail
