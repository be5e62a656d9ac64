// The topics the kafka backend creates keep every record: an event log is the
// system of record, and a broker's default retention (7 days) would delete
// the history that chains, rebuilds and audits replay.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "events/backends.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"

namespace pw::test {
namespace {

std::string broker_or_fail() {
  const char* b = std::getenv("PW_TEST_KAFKA_BOOTSTRAP");
  if (b && *b) return b;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true")
    ADD_FAILURE() << "PW_TEST_KAFKA_BOOTSTRAP is not set (ops/test starts ops/kafka and sets it)";
  return {};
}

// The topic's configuration as the broker reports it (DescribeConfigs).
std::map<std::string, std::string> describe_topic(const std::string& bootstrap, const std::string& topic) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr), &rd_kafka_destroy);
  EXPECT_TRUE(rk) << errstr;
  if (!rk) return {};
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_DescribeConfigs(rk.get(), &resource, 1, nullptr, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 15000);
  std::map<std::string, std::string> out;
  if (ev && !rd_kafka_event_error(ev)) {
    size_t n = 0;
    const auto** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t r = 0; r < n; ++r) {
      size_t entries = 0;
      const auto** configs = rd_kafka_ConfigResource_configs(resources[r], &entries);
      for (size_t i = 0; i < entries; ++i) {
        const char* value = rd_kafka_ConfigEntry_value(configs[i]);
        out[rd_kafka_ConfigEntry_name(configs[i])] = value ? value : "";
      }
    }
  } else {
    ADD_FAILURE() << "DescribeConfigs of " << topic << ": "
                  << (ev ? rd_kafka_event_error_string(ev) : "no answer");
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
  return out;
}

TEST(KafkaTopicConfig, CreatedTopicsKeepEveryRecordForever) {
  const std::string bootstrap = broker_or_fail();
  if (bootstrap.empty()) GTEST_SKIP() << "no Kafka broker (PW_TEST_KAFKA_BOOTSTRAP)";
  const std::string ns = "pwt-" + uuid_v4().substr(0, 8);
  auto log = log::open_log("kafka:" + bootstrap + "?namespace=" + ns);
  ASSERT_TRUE(log.ok()) << log.error().message;
  ASSERT_TRUE((*log)->create_topics({{std::string(log::kEventsTopic), 4}}).ok());

  const auto config = describe_topic(bootstrap, ns + "." + std::string(log::kEventsTopic));
  EXPECT_EQ(config.at("retention.ms"), "-1");
  EXPECT_EQ(config.at("retention.bytes"), "-1");
  EXPECT_EQ(config.at("cleanup.policy"), "delete");  // never compacted: every event counts
  log->reset();
  EXPECT_EQ(rd_kafka_wait_destroyed(10000), 0);
}

}  // namespace
}  // namespace pw::test
