// The split deployment without HTTP: a command worker and two projection
// workers as separate processes, on `pagewright dev-broker` and on a real broker. Every accepted command reaches the
// Postgres read model, and every process stops cleanly on SIGTERM.
#include <gtest/gtest.h>

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

class SplitProcesses : public PgTest, public ::testing::WithParamInterface<BrokerKind> {};

TEST_P(SplitProcesses, CommandAndProjectionWorkersFillTheReadModel) {
  TestBroker broker = TestBroker::start(GetParam(), "split-processes");
  if (!broker.ready()) return;
  const std::string uri = broker.uri();
  {
    auto log = log::open_log(uri);
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_TRUE(create_pagewright_topics(**log, broker.partitions()).ok());
    std::vector<domain::CommandRecord> commands;
    int n = 0;
    for (int s = 0; s < 4; ++s) {
      const std::string sub = "split-" + std::to_string(s);
      const auto site = site_id_for_subdomain(sub);
      const auto home = make_page_id(site, "home");
      commands.push_back(command_record(++n, sub, d::CreateSite{site, "Site " + sub, sub}));
      commands.push_back(command_record(++n, sub, d::CreatePage{home, "Home", std::string(), {}}));
      for (int c = 0; c < 3; ++c)
        commands.push_back(command_record(++n, sub, d::AddComponent{home, ComponentId{"h" + std::to_string(c)},
                                                                     "Heading", nlohmann::json{{"text", "Hi"}},
                                                                     {}, {}, {}}));
    }
    auto submitted = submit_commands(**log, commands);
    ASSERT_TRUE(submitted.ok()) << submitted.error().message;
  }

  const auto data = std::filesystem::temp_directory_path() / ("pw-split-" + std::to_string(::getpid()));
  Child commands = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  Child projector1 = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});
  Child projector2 = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});

  // Each home page reaches version 4 (PageCreated + 3 ComponentAdded).
  pqxx::connection c(owner_);
  int done = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (done < 4 && std::chrono::steady_clock::now() < deadline) {
    done = 0;
    for (int s = 0; s < 4; ++s) {
      const std::string sub = "split-" + std::to_string(s);
      try {
        pqxx::work tx(c);
        projections::with_tenant(tx, "tenant-" + sub);
        auto r = tx.exec_params("SELECT version FROM pages WHERE page_id = $1",
                                make_page_id(site_id_for_subdomain(sub), "home").str());
        if (!r.empty() && r[0][0].as<int64_t>() == 4) ++done;
      } catch (const pqxx::sql_error&) {
        // The projectors may still be migrating the fresh database.
      }
    }
    if (done < 4) std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(done, 4) << "not every page reached the read model";

  EXPECT_EQ(stop(commands, 30s), 0);
  EXPECT_EQ(stop(projector1, 30s), 0);
  EXPECT_EQ(stop(projector2, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, SplitProcesses, kBothBrokers);

}  // namespace
}  // namespace pw::test
