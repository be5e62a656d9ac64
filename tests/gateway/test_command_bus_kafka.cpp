// The command bus against librdkafka's mock cluster: every test of
// test_command_bus.cpp (this target links tests/workers/backend_kafka.cpp, so
// each fixture gets a fresh 3-broker mock cluster), plus what only the Kafka
// backend can show.
#include "tests/gateway/test_command_bus.cpp"  // NOLINT(bugprone-suspicious-include): the shared core tests

#include "events/envelope.hpp"
#include "gateway/site_log.hpp"

namespace pw::test {
namespace {

// A gateway started against a cluster without the pagewright topics does not
// come up half-working: it reports the log unavailable.
TEST(CommandBusKafka, StartWithoutResultsTopicIsUnavailable) {
  auto backend = make_processor_backend();
  auto log = log::open_log(backend->fresh_uri(), backend->config());
  ASSERT_TRUE(log.ok()) << log.error().message;
  gateway::CommandBusConfig config;
  config.start_timeout = 5s;
  auto bus = gateway::CommandBus::start(**log, config);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.error().code, Errc::unavailable);
}

// The site's raw stream and its audit read through Kafka readers (read_committed,
// offsets that transaction markers skip), up to the end offset seen at the start.
TEST_F(CommandBusTest, SiteEventsAndAuditOverKafka) {
  start_processor();
  auto bus = start_bus();
  const auto site = site_id_for_subdomain("kafka-site");
  auto created = submit_and_wait(*bus, create_site(1, "kafka-site"), 60s);
  ASSERT_TRUE(created.ok() && created->has_value());
  ASSERT_TRUE((*created)->accepted);
  auto other = submit_and_wait(*bus, create_site(2, "kafka-other"), 60s);
  ASSERT_TRUE(other.ok() && other->has_value());
  auto page = submit_and_wait(
      *bus, command_record(3, "kafka-site", domain::CreatePage{make_page_id(site, "home"), "Home", "home", {}}), 60s);
  ASSERT_TRUE(page.ok() && page->has_value());
  ASSERT_TRUE((*page)->accepted);

  auto events = gateway::read_site_events(*log_, site, 0, 100);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), static_cast<size_t>((*page)->events.back().seq));
  for (const auto& v : *events) EXPECT_EQ(decode(v)->site_id, site.str());
  auto after = gateway::read_site_events(*log_, site, 1, 100);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), events->size() - 1);
  auto report = gateway::verify_site(*log_, site);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, static_cast<int64_t>(events->size()));
  EXPECT_EQ(report->head_hash, sha256_hex(events->back()));
}

}  // namespace
}  // namespace pw::test
