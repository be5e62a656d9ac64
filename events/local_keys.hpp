#pragma once
// On-disk layout of the local log (one RocksDB, one column family per kind):
//   records : [u8 len][topic][u32 BE partition][u64 BE offset] -> [u32 BE keylen][key][value]
//   offsets : [u16 BE len][group][u8 len][topic][u32 BE partition] -> [u64 BE next offset]
//   topics  : [topic] -> [u32 BE partition count]
//   default : "pagewright.local_log.format" -> "1"
// One WriteBatch spans column families atomically (they share the WAL).
// Big-endian integers make RocksDB's bytewise order the offset order, so one
// partition is a contiguous, ordered key range and its end is one SeekForPrev away.
// Topic names are at most 249 bytes (Kafka's rule), so a u8 length suffices.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pw::log::local {

inline void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint64_t get_be(std::string_view in, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[pos + i]);
  return v;
}

// Everything of a record key but the offset; callers append or patch the offset.
inline void record_prefix(std::string& out, std::string_view topic, int32_t partition) {
  out.clear();
  out.push_back(static_cast<char>(topic.size()));
  out.append(topic);
  put_be(out, static_cast<uint32_t>(partition), 4);
}

inline std::string record_key(std::string_view topic, int32_t partition, int64_t offset) {
  std::string k;
  k.reserve(topic.size() + 13);
  record_prefix(k, topic, partition);
  put_be(k, static_cast<uint64_t>(offset), 8);
  return k;
}

inline constexpr size_t kOffsetBytes = 8;

// The offset of a record key that belongs to `prefix`, if it does.
inline std::optional<int64_t> record_key_offset(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + kOffsetBytes || key.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  return static_cast<int64_t>(get_be(key, prefix.size(), 8));
}

inline std::string offset_key(std::string_view group, std::string_view topic, int32_t partition) {
  std::string k;
  k.reserve(group.size() + topic.size() + 7);
  put_be(k, group.size(), 2);
  k.append(group);
  k.push_back(static_cast<char>(topic.size()));
  k.append(topic);
  put_be(k, static_cast<uint32_t>(partition), 4);
  return k;
}

struct OffsetKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
};

inline std::optional<OffsetKey> parse_offset_key(std::string_view k) {
  if (k.size() < 2) return std::nullopt;
  size_t glen = get_be(k, 0, 2);
  if (k.size() < 2 + glen + 1) return std::nullopt;
  size_t tlen = static_cast<unsigned char>(k[2 + glen]);
  if (k.size() != 2 + glen + 1 + tlen + 4) return std::nullopt;
  return OffsetKey{std::string(k.substr(2, glen)), std::string(k.substr(3 + glen, tlen)),
                   static_cast<int32_t>(get_be(k, 3 + glen + tlen, 4))};
}

inline constexpr size_t kRecordHeaderBytes = 4;

}  // namespace pw::log::local
