// The command bus on Kafka: every test of test_command_bus.cpp, plus what only
// the Kafka backend can show. test_command_bus_kafka links
// tests/workers/backend_kafka.cpp (each fixture gets a fresh 3-broker mock
// cluster), test_command_bus_kafka_broker backend_kafka_broker.cpp (a fresh
// namespace on the Apache Kafka broker). (The site log over Kafka:
// test_site_log_kafka and test_site_log_kafka_broker.)
#include "tests/gateway/test_command_bus.cpp"  // NOLINT(bugprone-suspicious-include): the shared core tests

namespace pw::test {
namespace {

// A gateway started against a cluster without the pagewright topics does not
// come up half-working: it reports the log unavailable.
TEST(CommandBusKafka, StartWithoutResultsTopicIsUnavailable) {
  auto backend = make_processor_backend();
  require_server(backend->missing());
  if (IsSkipped() || HasFatalFailure()) return;
  auto log = log::open_log(backend->fresh_uri(), backend->config());
  ASSERT_TRUE(log.ok()) << log.error().message;
  gateway::CommandBusConfig config;
  config.start_timeout = 5s;
  auto bus = gateway::CommandBus::start(**log, config);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace pw::test
