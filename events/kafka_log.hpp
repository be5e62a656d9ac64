#pragma once
// The kafka:<bootstrap> event log backend (librdkafka). open_kafka_log() is
// declared in events/backends.hpp; this header documents how it reads Config
// and exposes that parsing so it can be tested without a broker.
//
// Config keys:
//   <librdkafka property>            passed to every client it opens
//   producer.<property>              only to the transactional producer
//   consumer.<property>              only to group consumers and readers
//   admin.<property>                 only to the metadata/admin client
//   transactional.id.prefix          "pagewright"; each EventLog instance uses
//                                    "<prefix>-<uuid>" so no two instances fence
//                                    each other
//   operation.timeout.ms             30000; bound on each blocking broker call
//                                    (transactions, flush, metadata, admin)
//   replication.factor               -1 (broker default) for create_topics
//   namespace                        none; "<ns>" puts every topic, consumer
//                                    group and transactional id of this log on
//                                    the broker as "<ns>.<name>", so several
//                                    deployments (or tests) share one cluster.
//                                    Callers keep seeing the plain names.
// Defaults that differ from librdkafka's: producer transaction.timeout.ms
// 10000 (a dead producer's open transaction stalls readers that long),
// consumer session.timeout.ms 10000.
// Properties the design depends on are forced and cannot be overridden:
// enable.idempotence, transactional.id, isolation.level=read_committed,
// enable.auto.commit=false, group.id (from subscribe()).
//
// Semantics a caller of the interface must know (they differ from local:):
// - Offsets are positions in the Kafka log. Every committed transaction also
//   writes one commit marker per partition it touched, so offsets of one
//   partition are not contiguous across appends, and end_offset() can exceed
//   "last record offset + 1". Compare positions, don't count records.
// - end_offset() is one past the last record a read_committed consumer can
//   see, i.e. what a member that processed everything has committed. It is
//   found below the last stable offset (LSO, which counts the markers) by
//   reading the partition's tail once per LSO change; records of open
//   transactions lie at or beyond the LSO and do not count.
// - committed_offset() asks for stable offsets: while a transaction that
//   carries offsets for the partition is still open (a member that lost the
//   partition may yet commit it), it answers Errc::unavailable, so whoever
//   takes the partition over waits for that outcome instead of redoing work.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "events/backends.hpp"
#include "events/log.hpp"

namespace pw::log::kafka {

// Plain names (what callers use) and names on the broker.
class Names {
 public:
  Names() = default;
  explicit Names(const std::string& ns) : prefix_(ns.empty() ? std::string() : ns + ".") {}
  std::string wire(std::string_view name) const { return prefix_ + std::string(name); }
  // The plain name of a broker name, or nullopt when it is outside this namespace.
  std::optional<std::string> plain(std::string_view wire_name) const {
    if (!wire_name.starts_with(prefix_)) return std::nullopt;
    return std::string(wire_name.substr(prefix_.size()));
  }

 private:
  std::string prefix_;
};

struct Settings {
  std::string bootstrap;
  Config producer;  // librdkafka properties for each kind of client
  Config consumer;
  Config admin;
  std::string transactional_id_prefix = "pagewright";
  std::chrono::milliseconds timeout{30000};
  int replication_factor = -1;
  Names names;
};

Result<Settings> parse_settings(const std::string& bootstrap, const Config& config);

// A cluster that cannot create topics over the Kafka protocol (librdkafka's
// mock cluster has no CreateTopics API) can still serve create_topics() to the
// logs of its own process: its owner registers a creator under the exact
// bootstrap string those logs are opened with, and create_topics() uses it
// instead of the Admin API. A creator may be called until it is unregistered.
using TopicCreator = std::function<Result<void>(const TopicSpec&)>;
void register_topic_creator(const std::string& bootstrap, TopicCreator creator);
void unregister_topic_creator(const std::string& bootstrap);

}  // namespace pw::log::kafka
