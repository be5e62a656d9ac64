// `pagewright rebuild --shadow` beside the split deployment on Kafka: a command
// worker and a projection worker run while commands keep coming; the rebuild
// switches, and the projection worker goes on writing the new schema from the
// shadow's positions (the old one stands still), so every command reaches the
// read model exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;

class ShadowOnKafka : public PgTest, public ::testing::WithParamInterface<BrokerKind> {
 protected:
  // Sum of the home pages' versions the read model (public) shows.
  long projected_versions(int sites) {
    pqxx::connection c(owner_);
    long sum = 0;
    for (int s = 0; s < sites; ++s) {
      const std::string sub = "shadow-" + std::to_string(s);
      pqxx::work t(c);
      projections::with_tenant(t, "tenant-" + sub);
      auto r = t.exec_params("SELECT version FROM pages WHERE page_id = $1",
                             make_page_id(site_id_for_subdomain(sub), "home").str());
      if (!r.empty()) sum += r[0][0].as<long>();
    }
    return sum;
  }
  long query_long(const std::string& sql) {
    pqxx::connection c(owner_);
    pqxx::read_transaction t(c);
    const auto r = t.exec1(sql);
    return r[0].is_null() ? -1 : r[0].as<long>();
  }
};

TEST_P(ShadowOnKafka, TheProjectionWorkerGoesOnInTheNewSchemaAndAppliesEveryCommandOnce) {
  TestBroker broker = TestBroker::start(GetParam(), "shadow-rebuild");
  if (!broker.ready()) return;
  const std::string uri = broker.uri();
  ASSERT_TRUE(projections::migrate(owner_).ok());
  constexpr int kSites = 4;
  int n = 0;
  auto log = log::open_log(uri);
  ASSERT_TRUE(log.ok()) << log.error().message;
  ASSERT_TRUE(create_pagewright_topics(**log, broker.partitions()).ok());
  {
    std::vector<domain::CommandRecord> commands;
    for (int s = 0; s < kSites; ++s) {
      const std::string sub = "shadow-" + std::to_string(s);
      const auto site = site_id_for_subdomain(sub);
      commands.push_back(command_record(++n, sub, d::CreateSite{site, "Site " + sub, sub}));
      commands.push_back(command_record(++n, sub, d::CreatePage{make_page_id(site, "home"), "Home", std::string(), {}}));
    }
    ASSERT_TRUE(submit_commands(**log, commands).ok());
  }
  const auto data = std::filesystem::temp_directory_path() / ("pw-shadow-kafka-" + db_);
  Child commands = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  Child projections = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});

  // Components keep coming, one command per site at a time, before, during
  // and after the switch. Each adds one version to its site's home page.
  std::atomic<bool> done{false};
  std::atomic<int> added{0};
  std::thread submitter([&] {
    for (int c = 0; !done; ++c) {
      std::vector<domain::CommandRecord> batch;
      for (int s = 0; s < kSites; ++s) {
        const std::string sub = "shadow-" + std::to_string(s);
        const auto home = make_page_id(site_id_for_subdomain(sub), "home");
        batch.push_back(command_record(1000 + c * kSites + s, sub,
                                       d::AddComponent{home, ComponentId{"h" + std::to_string(c)}, "Heading",
                                                       nlohmann::json{{"text", "Hi"}}, {}, {}, {}}));
      }
      if (!submit_commands(**log, batch).ok()) break;
      added += kSites;
      std::this_thread::sleep_for(20ms);
    }
  });
  auto wait_for = [&](long versions) {
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    long seen = 0;
    while ((seen = projected_versions(kSites)) < versions && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(100ms);
    return seen;
  };
  EXPECT_GE(wait_for(kSites + 40), kSites + 40) << "the live projection did not start";

  Child rebuild = spawn({PW_BINARY, "rebuild", "--shadow", "--log", uri}, {"PW_PG=" + owner_});
  std::string out;
  char buf[4096];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, rebuild.out)) > 0;) out.append(buf, got);
  int status = 0;
  ::waitpid(rebuild.pid, &status, 0);
  rebuild.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("switched to the new read model"), std::string::npos) << out;
  std::this_thread::sleep_for(500ms);
  done = true;
  submitter.join();

  // Every command once: each page's version is its PageCreated plus its components.
  const long expected = kSites + added;
  EXPECT_EQ(wait_for(expected), expected);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(projected_versions(kSites), expected) << "every command, once";

  pqxx::connection c(owner_);
  pqxx::read_transaction t(c);
  const auto old = t.exec1("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pagewright_old_%'")[0].as<std::string>();
  t.commit();
  const long old_offsets = query_long("SELECT sum(next_offset) FROM " + old + ".projection_offsets");
  EXPECT_GT(query_long("SELECT sum(next_offset) FROM public.projection_offsets"), old_offsets)
      << "the projection worker went on in the new schema";

  EXPECT_EQ(stop(commands, 30s), 0);
  EXPECT_EQ(stop(projections, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, ShadowOnKafka, kBothBrokers);

}  // namespace
}  // namespace pw::test
