#include "queries/cursor.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace pw::queries::detail {
namespace {

using json = nlohmann::json;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

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

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                       uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero: only the canonical spelling is accepted.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

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

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = uint8_t(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
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

std::string encode_seq(int64_t seq) {
  json j{{"k", "history"}, {"seq", seq}};
  return base64url_encode(j.dump());
}

std::optional<int64_t> decode_seq(std::string_view cursor) {
  auto j = decode_object(cursor);
  if (!j || j->size() != 2) return std::nullopt;
  auto k = j->find("k"), seq = j->find("seq");
  if (k == j->end() || seq == j->end()) return std::nullopt;
  if (!k->is_string() || k->get_ref<const std::string&>() != "history") return std::nullopt;
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
