// test_kafka_log: every KafkaTest gets a fresh librdkafka mock cluster.
#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
bool kafka_tests_on_broker() { return false; }
}  // namespace pw::test
