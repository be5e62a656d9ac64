#include "events/dead_letter.hpp"

#include <nlohmann/json.hpp>

#include "events/encoding.hpp"
#include "events/envelope.hpp"
#include "events/json_scan.hpp"

namespace pw::log {
namespace {

constexpr size_t kMaxReason = 512;

// The first line, cut at a character boundary, invalid bytes as '?'.
std::string tidy_reason(std::string_view reason) {
  reason = reason.substr(0, reason.find('\n'));
  std::string out;
  size_t i = 0;
  while (i < reason.size()) {
    const auto c = static_cast<unsigned char>(reason[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > reason.size() || !is_valid_utf8(reason.substr(i, len))) {
      if (out.size() + 1 > kMaxReason) break;
      out += '?';
      ++i;
      continue;
    }
    if (out.size() + len > kMaxReason) break;
    out.append(reason.substr(i, len));
    i += len;
  }
  return out;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  json_scan::append_quoted(out, name);
  out += ':';
  json_scan::append_quoted(out, value);
}

void append_number(std::string& out, std::string_view name, int64_t value) {
  if (out.size() > 1) out += ',';
  json_scan::append_quoted(out, name);
  out += ':';
  out += std::to_string(value);
}

}  // namespace

DeadLetter dead_letter_for(const Record& r, std::string pool, std::string group, std::string_view reason) {
  DeadLetter d;
  d.topic = r.topic;
  d.partition = r.partition;
  d.offset = r.offset;
  d.key = r.key;
  d.pool = std::move(pool);
  d.group = std::move(group);
  d.reason = tidy_reason(reason);
  d.at = format_rfc3339(std::chrono::system_clock::now());
  d.value = r.value;
  return d;
}

std::string encode_dead_letter(const DeadLetter& d) {
  std::string out = "{";
  append_field(out, "topic", d.topic);
  append_number(out, "partition", d.partition);
  append_number(out, "offset", d.offset);
  // A key is whatever the appender chose: bytes, not necessarily text.
  if (is_valid_utf8(d.key))
    append_field(out, "key", d.key);
  else
    append_field(out, "keyBase64", base64url_encode(d.key));
  append_field(out, "pool", d.pool);
  append_field(out, "group", d.group);
  append_field(out, "reason", tidy_reason(d.reason));
  append_field(out, "at", d.at);
  if (d.value_omitted)
    append_number(out, "valueOmitted", static_cast<int64_t>(*d.value_omitted));
  else if (is_valid_utf8(d.value))
    append_field(out, "value", d.value);
  else
    append_field(out, "valueBase64", base64url_encode(d.value));
  out += '}';
  return out;
}

Result<DeadLetter> decode_dead_letter(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return make_error(Errc::validation_error, "dead letter: not a JSON object");
  try {
    DeadLetter d;
    d.topic = j.at("topic").get<std::string>();
    d.partition = j.at("partition").get<int32_t>();
    d.offset = j.at("offset").get<int64_t>();
    d.pool = j.at("pool").get<std::string>();
    d.group = j.at("group").get<std::string>();
    d.reason = j.at("reason").get<std::string>();
    d.at = j.at("at").get<std::string>();
    auto bytes = [&](const char* plain, const char* b64, std::string& out) -> bool {
      if (j.contains(plain)) {
        out = j.at(plain).get<std::string>();
        return true;
      }
      auto decoded = base64url_decode(j.at(b64).get<std::string>());
      if (!decoded) return false;
      out = std::move(*decoded);
      return true;
    };
    if (j.contains("valueOmitted"))
      d.value_omitted = j.at("valueOmitted").get<size_t>();
    else if (!bytes("value", "valueBase64", d.value))
      return make_error(Errc::validation_error, "dead letter: bad base64url");
    if (!bytes("key", "keyBase64", d.key)) return make_error(Errc::validation_error, "dead letter: bad base64url");
    return d;
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::validation_error, std::string("dead letter: ") + e.what());
  }
}

Result<void> append_dead_letter(EventLog& log, const DeadLetter& d) {
  const std::string topic(kDeadLetterTopic);
  auto count = log.partition_count(topic);
  if (!count.ok()) {
    // A log made before dead letters existed: add the topic, sized like the source.
    auto source = log.partition_count(d.topic);
    const int32_t partitions = source.ok() ? *source : kDefaultPartitions;
    if (auto made = log.create_topics({{topic, partitions}}); !made.ok()) return made.error();
    count = log.partition_count(topic);
    if (!count.ok()) return count.error();
  }
  std::optional<int32_t> partition;
  if (d.partition >= 0 && d.partition < *count) partition = d.partition;
  auto append = [&](const DeadLetter& letter) {
    Batch batch;
    batch.records.push_back(OutRecord{topic, letter.key, encode_dead_letter(letter), partition});
    return log.append(batch);
  };
  auto appended = append(d);
  if (!appended.ok() && appended.error().code == Errc::payload_too_large) {
    DeadLetter smaller = d;
    smaller.value_omitted = d.value.size();
    smaller.value.clear();
    appended = append(smaller);
  }
  if (!appended.ok()) return appended.error();
  return {};
}

}  // namespace pw::log
