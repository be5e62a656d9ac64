#include "events/envelope.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <system_error>

#include "events/json_scan.hpp"

namespace pw {
namespace {

using json_scan::append_quoted;

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out.push_back('"');
  out.append(key);
  out += "\":";
  append_quoted(out, value);
  out.push_back(',');
}

void append_int(std::string& out, std::string_view key, int64_t value) {
  out.push_back('"');
  out.append(key);
  out += "\":";
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;
  out.append(buf.data(), end);
  out.push_back(',');
}

constexpr std::array<std::string_view, 14> kFields{
    "id",     "type",          "schemaVersion", "tenantId",    "siteId",   "aggregate", "seq",
    "occurredAt", "actor",     "commandId",     "correlationId", "causationId", "prevHash", "data"};

bool is_lower_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Error invalid(std::string field, std::string message) {
  return make_error(Errc::validation_error, "invalid event envelope",
                    {{std::move(field), std::move(message)}});
}

// One top-level value of an envelope: a plain string or integer read straight
// from the record's text (the usual case: ids, hashes, timestamps, counters),
// anything else parsed by nlohmann::json, which then judges it as before.
struct Scalar {
  enum class Kind { plain_string, plain_integer, tree } kind = Kind::tree;
  std::string_view text;  // plain_string: between the quotes
  int64_t number = 0;     // plain_integer
  nlohmann::json tree;    // tree

  bool take_string(std::string& dst) {
    if (kind == Kind::plain_string) {
      dst.assign(text);
      return true;
    }
    if (kind != Kind::tree || !tree.is_string()) return false;
    dst = std::move(tree.get_ref<std::string&>());
    return true;
  }
  std::optional<int64_t> integer() const {
    if (kind == Kind::plain_integer) return number;
    if (kind == Kind::tree && tree.is_number_integer()) return tree.get<int64_t>();
    return std::nullopt;
  }
};

// A string of printable ASCII with no escapes needs no decoding or checking.
bool is_plain_string(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// A JSON integer without sign, exponent or leading zero that fits int64.
bool read_plain_integer(std::string_view raw, int64_t& out) {
  if (raw.empty() || raw.size() > 18 || raw[0] < '0' || raw[0] > '9' || (raw[0] == '0' && raw.size() > 1))
    return false;
  const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), out);
  return ec == std::errc() && end == raw.data() + raw.size();
}

// False: the text is not well-formed JSON.
bool read_scalar(std::string_view raw, Scalar& out) {
  if (is_plain_string(raw)) {
    out.kind = Scalar::Kind::plain_string;
    out.text = raw.substr(1, raw.size() - 2);
    return true;
  }
  if (read_plain_integer(raw, out.number)) {
    out.kind = Scalar::Kind::plain_integer;
    return true;
  }
  out.kind = Scalar::Kind::tree;
  out.tree = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  return !out.tree.is_discarded();
}

}  // namespace

bool is_canonical_timestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS.ffffffZ
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'd') {
      if (s[i] < '0' || s[i] > '9') return false;
    } else if (s[i] != kShape[i]) {
      return false;
    }
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
            second = num(17, 2);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
}

std::string encode(const Envelope& e) {
  std::string out;
  const std::string data = e.data.dump();
  out.reserve(480 + data.size());
  out.push_back('{');
  append_field(out, "id", e.id);
  append_field(out, "type", e.type);
  append_int(out, "schemaVersion", e.schema_version);
  append_field(out, "tenantId", e.tenant_id);
  append_field(out, "siteId", e.site_id);
  out += "\"aggregate\":{";
  append_field(out, "type", e.aggregate.type);
  append_field(out, "id", e.aggregate.id);
  append_int(out, "version", e.aggregate.version);
  out.back() = '}';
  out.push_back(',');
  append_int(out, "seq", e.seq);
  append_field(out, "occurredAt", e.occurred_at);
  append_field(out, "actor", e.actor);
  append_field(out, "commandId", e.command_id);
  append_field(out, "correlationId", e.correlation_id);
  append_field(out, "causationId", e.causation_id);
  append_field(out, "prevHash", e.prev_hash);
  out += "\"data\":";
  out += data;
  out.push_back('}');
  return out;
}

Result<Envelope> decode(std::string_view record_value) {
  // One pass over the top level finds each field's text and refuses unknown
  // and duplicate keys (nlohmann::json would silently collapse those). Only
  // `data` and an unusual value are parsed into a tree: building one for the
  // whole record was most of what reading an event cost (callgrind).
  std::array<std::string_view, kFields.size()> raw{};
  std::array<bool, kFields.size()> seen{};
  std::string unknown;
  const bool shaped = json_scan::for_each_field(record_value, [&](std::string_view key, std::string_view value) {
    for (size_t i = 0; i < kFields.size(); ++i) {
      if (key == kFields[i]) {
        if (seen[i]) {
          unknown = std::string(key);
          return false;
        }
        seen[i] = true;
        raw[i] = value;
        return true;
      }
    }
    unknown = std::string(key);
    return false;
  });
  if (!shaped) {
    if (!unknown.empty()) return invalid(unknown, "unknown or duplicate field");
    return invalid("", "not a JSON object");
  }
  for (size_t i = 0; i < kFields.size(); ++i)
    if (!seen[i]) return invalid(std::string(kFields[i]), "missing");

  // Every value must be well-formed JSON before any is judged by its type.
  std::array<Scalar, kFields.size()> v;
  for (size_t i = 0; i < kFields.size(); ++i)
    if (!read_scalar(raw[i], v[i])) return invalid("", "malformed JSON");
  const auto at = [&](std::string_view key) -> Scalar& {
    for (size_t i = 0; i < kFields.size(); ++i)
      if (kFields[i] == key) return v[i];
    return v[0];  // unreachable: every key asked for is one of kFields
  };

  Envelope e;
  for (auto [key, dst] : {std::pair{"id", &e.id}, {"type", &e.type}, {"tenantId", &e.tenant_id},
                          {"siteId", &e.site_id}, {"occurredAt", &e.occurred_at},
                          {"actor", &e.actor}, {"commandId", &e.command_id},
                          {"correlationId", &e.correlation_id}, {"causationId", &e.causation_id},
                          {"prevHash", &e.prev_hash}}) {
    if (!at(key).take_string(*dst)) return invalid(key, "must be a string");
  }
  const auto schema_version = at("schemaVersion").integer();
  if (!schema_version || *schema_version < 1) return invalid("schemaVersion", "must be a positive integer");
  e.schema_version = static_cast<int>(*schema_version);
  const auto seq = at("seq").integer();
  if (!seq || *seq < 1) return invalid("seq", "must be an integer >= 1");
  e.seq = *seq;
  const auto& agg = at("aggregate").tree;
  if (!agg.is_object() || agg.size() != 3 || !agg.contains("type") || !agg.contains("id") ||
      !agg.contains("version") || !agg["type"].is_string() || !agg["id"].is_string() ||
      !agg["version"].is_number_integer())
    return invalid("aggregate", "must be {type: string, id: string, version: integer}");
  e.aggregate = {agg["type"].get<std::string>(), agg["id"].get<std::string>(),
                 agg["version"].get<int64_t>()};
  if (!at("data").tree.is_object()) return invalid("data", "must be an object");
  e.data = std::move(at("data").tree);
  if (!is_lower_hex64(e.prev_hash)) return invalid("prevHash", "must be 64 lowercase hex digits");
  if (!is_canonical_timestamp(e.occurred_at))
    return invalid("occurredAt", "must be RFC 3339 UTC with microseconds");
  if (e.id.empty() || e.type.empty() || e.tenant_id.empty() || e.site_id.empty())
    return invalid(e.id.empty() ? "id" : e.type.empty() ? "type" : e.tenant_id.empty() ? "tenantId" : "siteId",
                   "must not be empty");
  return e;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  if (!is_canonical_timestamp(s)) return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  using namespace std::chrono;
  const year_month_day date{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                            day{static_cast<unsigned>(num(8, 2))}};
  if (!date.ok()) return std::nullopt;
  // Microseconds hold any four-digit year; the clock's nanoseconds span only
  // 1677 to 2262, and a time outside that has no time_point (the cast would
  // overflow).
  const microseconds since_epoch = sys_days{date}.time_since_epoch() + hours{num(11, 2)} + minutes{num(14, 2)} +
                                   seconds{num(17, 2)} + microseconds{num(20, 6)};
  if (since_epoch < duration_cast<microseconds>(system_clock::duration::min()) + microseconds{1} ||
      since_epoch > duration_cast<microseconds>(system_clock::duration::max()) - microseconds{1})
    return std::nullopt;
  return system_clock::time_point{duration_cast<system_clock::duration>(since_epoch)};
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  // Floored, not truncated: a time before 1970 has a negative count, and its
  // fraction still counts up from the second before it.
  const auto us = std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
  const int64_t floored_secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  const std::time_t secs = static_cast<std::time_t>(floored_secs);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(us - floored_secs * 1000000));
  return buf;
}

}  // namespace pw
