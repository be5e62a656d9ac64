#pragma once
// librdkafka's in-process mock Kafka cluster, for tests and `pagewright
// dev-broker`. It listens on localhost ports and speaks the Kafka protocol, so
// any client (this process's EventLog, other processes, kcat) can use
// bootstrap(). It is not a full broker; the gaps of librdkafka 2.0.x that
// matter to Pagewright (pinned by tests/kafka_log/mock_gaps_test.cpp):
//   - no CreateTopics API: create topics here, before clients need them;
//   - no transaction markers and no aborted-transaction index: read_committed
//     consumers see aborted and still-open transactional records;
//   - TxnOffsetCommit is acknowledged but not stored: offsets sent with a
//     transaction never become the group's committed offsets.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "events/log.hpp"
#include "events/result.hpp"

namespace pw::log {

class MockCluster {
 public:
  static Result<std::unique_ptr<MockCluster>> start(int brokers);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "host:port,host:port,..." of the brokers.
  const std::string& bootstrap() const;
  int brokers() const;

  Result<void> create_topic(const std::string& name, int32_t partitions, int replication);
  // Replication min(3, brokers), like a small production cluster.
  Result<void> create_topics(const std::vector<TopicSpec>& topics);

  // Test hook: the next `count` requests of Kafka protocol API `api_key` (e.g.
  // 28 = TxnOffsetCommit) fail with Kafka error code `error` (e.g. 22 =
  // ILLEGAL_GENERATION), for broker-side failures the mock never produces itself.
  void fail_requests(int16_t api_key, int16_t error, int count = 1);

  // Test hooks for a broker that dies: while down, broker `id` (1..brokers())
  // drops every connection; set_leader moves a partition's leadership (the
  // mock never moves it by itself).
  void set_broker_up(int32_t id, bool up);
  Result<void> set_leader(const std::string& topic, int32_t partition, int32_t id);

 private:
  struct Impl;
  explicit MockCluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The body of `pagewright dev-broker`: starts a mock cluster of `brokers`
// brokers with the three standard topics of `partitions` partitions each,
// prints "bootstrap.servers=<list>" as one line on `out`, then serves until
// SIGTERM or SIGINT. Returns the process exit code.
int run_dev_broker(int brokers, int partitions, std::ostream& out);

}  // namespace pw::log
