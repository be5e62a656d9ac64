// test_kafka_log_broker: every KafkaTest uses the Apache Kafka broker named by
// PW_TEST_KAFKA_BOOTSTRAP (failing under CI=true when it is unset).
#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
bool kafka_tests_on_broker() { return true; }
}  // namespace pw::test
