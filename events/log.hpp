#pragma once
// The event log: an ordered, partitioned, durable record log with atomic
// multi-topic appends and consumer groups. Two backends implement it:
//   local:<dir>        embedded, RocksDB (events/local_log.*)
//   kafka:<bootstrap>  librdkafka, transactional (events/kafka_log.*)
// Both pass the same conformance suite (tests/log/). Callers never see which one
// they hold; nothing here names RocksDB or librdkafka.
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace pw::log {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

// A record as read back from the log.
struct Record {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
};

// A record to append. Without an explicit partition, the partition is
// partition_for(key, partition_count(topic)) — the Java client's murmur2 rule.
struct OutRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::optional<int32_t> partition;
};

// "Next offset to read" per partition, as Kafka commits them.
using Offsets = std::map<TopicPartition, int64_t>;

class Consumer;

// Where each appended record landed, in the order of Batch::records
// followed by the records Batch::then returned.
struct Appended {
  std::vector<TopicPartition> partitions;
  std::vector<int64_t> offsets;
};

// Everything in a batch becomes visible together or not at all: records across
// topics and partitions, and the consumer offsets of `consumer`'s group.
struct Batch {
  std::vector<OutRecord> records;
  // Called once, inside the atomic append, after the offsets of `records` are
  // assigned; what it returns is appended in the same batch. This lets a command
  // result name the positions of the events it reports (DESIGN.md, decision 9).
  std::function<std::vector<OutRecord>(const Appended&)> then;
  Offsets offsets;               // committed for consumer->group(), if not empty
  Consumer* consumer = nullptr;  // required when offsets is not empty; a member
                                 // that lost its partitions is fenced (Errc::fenced)
};

// Called on the thread that calls poll(), like Kafka's rebalance callback.
// on_revoked runs before any other member can receive those partitions, so a
// member may still commit work for them from inside on_revoked.
struct RebalanceListener {
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
};

// A member of a consumer group. Not thread-safe: one thread polls it.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual const std::string& group() const = 0;
  // Records from the assigned partitions, waiting up to `timeout` for the first.
  // Each partition starts at its committed offset (or the beginning) unless seek()
  // moved it. Rebalance callbacks run inside poll.
  virtual Result<std::vector<Record>> poll(std::chrono::milliseconds timeout,
                                           size_t max_records) = 0;
  virtual std::vector<TopicPartition> assignment() const = 0;
  // Move the read position of an assigned partition (e.g. to an offset stored in
  // a read model). Only valid for partitions in assignment().
  virtual Result<void> seek(const TopicPartition& tp, int64_t offset) = 0;
  // Commit offsets without appending anything (for consumers whose output is
  // not in the log). Fenced like Batch offsets.
  virtual Result<void> commit(const Offsets& offsets) = 0;
  // Leave the group: revokes (calling on_revoked) and hands partitions over.
  virtual void close() = 0;
};

// Reads one partition from an offset, outside any group (auditors, replays).
class Reader {
 public:
  virtual ~Reader() = default;
  // Records from the current position on, waiting up to `timeout` for the first.
  virtual Result<std::vector<Record>> read(std::chrono::milliseconds timeout,
                                           size_t max_records) = 0;
  // Moves the position: the next read() starts at the first record at or after
  // `offset` (on Kafka, offsets held by transaction markers or aborted records
  // are never returned). Lets one reader visit scattered records, e.g. those an
  // index names, without reading what lies between them. Negative offset →
  // Errc::validation_error.
  virtual Result<void> seek(int64_t offset) = 0;
};

struct TopicSpec {
  std::string name;
  int32_t partitions = 12;
};

// Backend options; keys are backend-specific. Examples:
//   local:  "fsync" = "true"|"false", "max.poll.interval.ms"
//   kafka:  any librdkafka property, for every client or, prefixed "producer.",
//           "consumer." or "admin.", for one; see events/kafka_log.hpp.
using Config = std::map<std::string, std::string>;

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Creates missing topics; existing ones are left as they are.
  virtual Result<void> create_topics(const std::vector<TopicSpec>& topics) = 0;
  virtual Result<int32_t> partition_count(const std::string& topic) = 0;

  // Atomically appends a batch. Thread-safe; concurrent appends may share one
  // durable write (group commit). Returns once the batch is durable and visible.
  virtual Result<Appended> append(const Batch& batch) = 0;

  virtual Result<std::unique_ptr<Consumer>> subscribe(const std::string& group,
                                                      const std::vector<std::string>& topics,
                                                      RebalanceListener listener) = 0;
  virtual Result<std::unique_ptr<Reader>> reader(const TopicPartition& tp, int64_t from_offset) = 0;

  // Offset one past the last visible (committed) record of a partition.
  virtual Result<int64_t> end_offset(const TopicPartition& tp) = 0;
  // The group's committed next offset for a partition, if any.
  virtual Result<std::optional<int64_t>> committed_offset(const std::string& group,
                                                          const TopicPartition& tp) = 0;
};

// "local:<dir>" or "kafka:<bootstrap servers>", optionally followed by
// "?key=value&key=value" (Config entries; those in `config` take precedence),
// so that a process configured by a URI alone can tune its clients, e.g.
// "kafka:host:9092?consumer.session.timeout.ms=6000".
Result<std::unique_ptr<EventLog>> open_log(std::string_view uri, const Config& config = {});

// Kafka's default partitioner for keyed records (Java client and librdkafka's
// murmur2_random): toPositive(murmur2(key)) % partitions.
uint32_t murmur2(std::string_view key);
int32_t partition_for(std::string_view key, int32_t partitions);

// The standard topics (DESIGN.md, decision 4).
inline constexpr std::string_view kCommandsTopic = "pagewright.commands";
inline constexpr std::string_view kEventsTopic = "pagewright.events";
inline constexpr std::string_view kResultsTopic = "pagewright.results";
inline constexpr int32_t kDefaultPartitions = 12;

}  // namespace pw::log
