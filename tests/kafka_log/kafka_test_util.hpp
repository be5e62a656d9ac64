#pragma once
// Fixture for the kafka backend tests: a fresh 3-broker mock cluster per test
// (test_kafka_log), or the Apache Kafka broker named by PW_TEST_KAFKA_BOOTSTRAP
// (test_kafka_log_broker), which the tests share: topics and groups get a
// suffix of their own, and tests that need the mock's error injection skip.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "events/backends.hpp"
#include "events/ids.hpp"
#include "events/kafka_mock.hpp"
#include "events/log.hpp"
#include "tests/kafka_log/broker.hpp"

namespace pw::test {

// Which cluster a test binary's KafkaTest uses: defined by mode_mock.cpp or
// mode_broker.cpp, whichever the binary links.
bool kafka_tests_on_broker();

using namespace std::chrono_literals;

// Why some checks cannot run on the mock; the evidence is in mock_gaps_test.cpp.
inline constexpr const char* kNoAbortFiltering =
    "librdkafka 2.0.2's mock cluster serves aborted records to read_committed "
    "consumers (see MockGap.AbortedRecordsAreServedToReadCommitted)";
inline constexpr const char* kNoTxnOffsets =
    "librdkafka 2.0.2's mock cluster does not store offsets sent with a transaction "
    "(see MockGap.TransactionalOffsetsAreNotStored)";

inline log::Batch batch_of(std::vector<log::OutRecord> records) {
  log::Batch b;
  b.records = std::move(records);
  return b;
}

class KafkaTest : public ::testing::Test {
 public:  // shared with helper functions of the tests
  void SetUp() override {
    if (kafka_tests_on_broker()) {
      require_server(kafka_broker_missing());
      if (IsSkipped() || HasFatalFailure()) return;
      bootstrap_ = kafka_broker_bootstrap();
    } else {
      auto cluster = log::MockCluster::start(3);
      ASSERT_TRUE(cluster.ok()) << cluster.error().message;
      mock_ = std::move(cluster).value();
      bootstrap_ = mock_->bootstrap();
    }
    suffix_ = uuid_v4().substr(0, 8);
    log_ = open();
    ASSERT_TRUE(log_);
  }

  void TearDown() override {
    log_.reset();
    mock_.reset();
    EXPECT_EQ(rd_kafka_wait_destroyed(10000), 0) << "a librdkafka client outlived its owner";
  }

  bool on_mock() const { return mock_ != nullptr; }

  log::Config config(log::Config extra = {}) const {
    // The mock's rebalance waits session.timeout.ms - 1 s, and ops/kafka's
    // broker allows sessions down to 1 s: short on both.
    log::Config c{{"consumer.session.timeout.ms", "3000"},
                  {"consumer.heartbeat.interval.ms", "500"},
                  {"consumer.fetch.wait.max.ms", "100"},
                  {"operation.timeout.ms", "15000"},
                  {"transactional.id.prefix", "pw-test"}};
    for (auto& [k, v] : extra) c[k] = v;
    return c;
  }

  std::unique_ptr<log::EventLog> open(log::Config extra = {}) {
    auto r = log::open_kafka_log(bootstrap_, config(std::move(extra)));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value() : nullptr;
  }

  std::string topic(const std::string& base, int32_t partitions) {
    std::string name = base + "." + suffix_;
    auto r = log_->create_topics({{name, partitions}});
    EXPECT_TRUE(r.ok()) << r.error().message;
    return name;
  }

  std::string group(const std::string& base) const { return base + "." + suffix_; }

  std::unique_ptr<log::Consumer> subscribe(log::EventLog& log, const std::string& g,
                                           const std::string& t, log::RebalanceListener l = {}) {
    auto c = log.subscribe(g, {t}, std::move(l));
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(c).value() : nullptr;
  }

  static std::vector<log::Record> poll_for(log::Consumer& c, size_t want,
                                           std::chrono::milliseconds within = 20s) {
    std::vector<log::Record> out;
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto got = c.poll(100ms, want - out.size());
      EXPECT_TRUE(got.ok()) << got.error().message;
      if (!got.ok()) break;
      out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }

  // Everything readable from `from` on, waiting a little past the last record
  // so that records which should not be there get a chance to show up.
  std::vector<log::Record> read_all(const log::TopicPartition& tp, int64_t from = 0,
                                    size_t at_least = 0) {
    auto reader = log_->reader(tp, from);
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    if (!reader.ok()) return {};
    std::vector<log::Record> out;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->read(out.size() < at_least ? 200ms : 500ms, 1000);
      EXPECT_TRUE(got.ok()) << got.error().message;
      if (!got.ok() || (got->empty() && out.size() >= at_least)) break;
      out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }

  static std::vector<std::string> values(const std::vector<log::Record>& recs) {
    std::vector<std::string> v;
    for (const auto& r : recs) v.push_back(r.value);
    return v;
  }

  std::unique_ptr<log::MockCluster> mock_;
  std::string bootstrap_;
  std::string suffix_;
  std::unique_ptr<log::EventLog> log_;
};

}  // namespace pw::test
