#pragma once
// The Apache Kafka broker the *_broker test binaries share (ops/kafka, started
// by ops/test, which names it in PW_TEST_KAFKA_BOOTSTRAP). Tests share it by
// giving each log a namespace of its own instead of a cluster of its own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "events/ids.hpp"
#include "events/log.hpp"

namespace pw::test {

inline std::string kafka_broker_bootstrap() {
  const char* b = std::getenv("PW_TEST_KAFKA_BOOTSTRAP");
  return b ? b : "";
}

// Why a broker test cannot run here, or "" when it can.
inline std::string kafka_broker_missing() {
  if (!kafka_broker_bootstrap().empty()) return {};
  return "no Kafka broker: PW_TEST_KAFKA_BOOTSTRAP is unset (ops/test sets it; by hand: "
         "PW_KAFKA_PORT=<port> ops/kafka start, then export "
         "PW_TEST_KAFKA_BOOTSTRAP=$(PW_KAFKA_PORT=<port> ops/kafka url))";
}

// A log's own corner of the shared broker: every topic, group and
// transactional id it uses goes under "<namespace>.".
inline std::string fresh_kafka_namespace() { return "pwt-" + uuid_v4().substr(0, 8); }

// Client settings for the shared broker. Its group.min.session.timeout.ms is
// 1000, so a member that dies is noticed within 3 s; a transaction its
// producer leaves open (a SIGKILLed processor's, under a transactional id no
// one reuses) holds back read_committed readers until the broker aborts it,
// which happens within transaction.timeout.ms plus the broker's 10 s cleanup
// interval.
inline log::Config kafka_broker_config() {
  return {{"consumer.session.timeout.ms", "3000"},
          {"consumer.heartbeat.interval.ms", "500"},
          {"consumer.max.poll.interval.ms", "10000"},
          {"consumer.fetch.wait.max.ms", "100"},
          {"producer.transaction.timeout.ms", "5000"},
          {"operation.timeout.ms", "20000"}};
}

// For a fixture's SetUp (then check IsSkipped() / HasFatalFailure()): a test
// whose server is missing fails under CI=true, where ops/test must have
// started it, and is skipped elsewhere, saying why.
inline void require_server(const std::string& missing) {
  if (missing.empty()) return;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL() << missing;
  GTEST_SKIP() << missing;
}

}  // namespace pw::test
