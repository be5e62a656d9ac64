// How the kafka backend reads its Config, without a broker.
#include <gtest/gtest.h>

#include <chrono>

#include "events/backends.hpp"
#include "events/kafka_log.hpp"
#include "events/log.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;

TEST(KafkaConfig, PrefixedKeysGoToOneClientAndOwnKeysToNone) {
  auto s = log::kafka::parse_settings("b:9092", {{"linger.ms", "1"},
                                                 {"producer.linger.ms", "2"},
                                                 {"consumer.fetch.wait.max.ms", "10"},
                                                 {"admin.socket.timeout.ms", "3000"},
                                                 {"transactional.id.prefix", "proc"},
                                                 {"operation.timeout.ms", "500"},
                                                 {"replication.factor", "3"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->bootstrap, "b:9092");
  EXPECT_EQ(s->producer, (log::Config{{"linger.ms", "2"}}));
  EXPECT_EQ(s->consumer, (log::Config{{"linger.ms", "1"}, {"fetch.wait.max.ms", "10"}}));
  EXPECT_EQ(s->admin, (log::Config{{"linger.ms", "1"}, {"socket.timeout.ms", "3000"}}));
  EXPECT_EQ(s->transactional_id_prefix, "proc");
  EXPECT_EQ(s->timeout, 500ms);
  EXPECT_EQ(s->replication_factor, 3);
}

TEST(KafkaConfig, BadValuesOfOwnKeysAreRejected) {
  EXPECT_FALSE(log::kafka::parse_settings("b", {{"operation.timeout.ms", "soon"}}).ok());
  EXPECT_FALSE(log::kafka::parse_settings("b", {{"operation.timeout.ms", "0"}}).ok());
  EXPECT_FALSE(log::kafka::parse_settings("b", {{"replication.factor", "0"}}).ok());
  EXPECT_FALSE(log::kafka::parse_settings("b", {{"transactional.id.prefix", ""}}).ok());
}

TEST(KafkaConfig, LibrdkafkaRejectionsCarryItsMessageAndFailAtOpen) {
  auto unknown = log::open_kafka_log("127.0.0.1:1", {{"no.such.property", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::validation_error);
  EXPECT_NE(unknown.error().message.find("No such configuration property"), std::string::npos)
      << unknown.error().message;
  // Producer properties are checked at open although the producer comes later.
  auto bad = log::open_kafka_log("127.0.0.1:1", {{"producer.linger.ms", "forever"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("linger.ms"), std::string::npos) << bad.error().message;
}

TEST(KafkaConfig, LogUriOptionsAreConfig) {
  // Processes configured by a URI alone tune their clients with its options.
  auto unknown = log::open_log("kafka:127.0.0.1:1?consumer.no.such.property=1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::validation_error);
  EXPECT_NE(unknown.error().message.find("No such configuration property"), std::string::npos)
      << unknown.error().message;
  // Keys given to open_log win over the URI's.
  auto overridden = log::open_log("kafka:127.0.0.1:1?operation.timeout.ms=soon", {{"operation.timeout.ms", "1000"}});
  ASSERT_FALSE(overridden.ok());
  EXPECT_EQ(overridden.error().code, Errc::unavailable) << overridden.error().message;
  for (const char* bad : {"kafka:b?", "kafka:b?linger.ms", "kafka:b?=1", "kafka:b?linger.ms=", "kafka:b?a=1&"}) {
    auto r = log::open_log(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::validation_error) << bad << ": " << r.error().message;
  }
}

TEST(KafkaConfig, UnreachableClusterFailsAtOpen) {
  const auto start = std::chrono::steady_clock::now();
  auto r = log::open_kafka_log("127.0.0.1:1", {{"operation.timeout.ms", "1000"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

}  // namespace
}  // namespace pw::test
