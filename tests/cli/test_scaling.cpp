// Scaling the command pool out under load, as operators do: two command
// workers share the partitions while commands keep arriving; a third joins,
// the group hands it partitions, and afterwards nothing is lost or applied
// twice (every site's events are exactly its commands' events) and the lag
// of the command group and of the projection returns to zero. On
// `pagewright dev-broker` and on a real broker.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "commands/command_record.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/http_client.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;

constexpr int kSites = 12;

std::string subdomain(int s) { return "scale-" + std::to_string(s); }
PageId home_of(int s) { return make_page_id(site_id_for_subdomain(subdomain(s)), "home"); }

// A worker process with its metrics listener.
struct Worker {
  Child child;
  uint16_t port = 0;
};

Worker start_worker(const std::string& pool, const std::string& uri, const std::vector<std::string>& extra,
                    const std::vector<std::string>& env) {
  std::vector<std::string> args{PW_BINARY, "worker", "--pool", pool, "--log", uri, "--metrics", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  Worker w{spawn(args, env)};
  w.port = read_listening_port(w.child.out);
  EXPECT_NE(w.port, 0) << pool << " worker printed no metrics address";
  return w;
}

// The value of one series in a worker's /metrics, or -1 if absent.
double scrape(const Worker& w, const std::string& series) {
  if (w.port == 0) return -1;
  HttpClient http("127.0.0.1", w.port);
  const auto r = http.get("/metrics", "");
  if (r.status != 200) return -1;
  const auto at = r.body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(r.body.substr(at + series.size() + 2));
}

double owned(const Worker& w) { return scrape(w, "partitions_owned{pool=\"commands\"}"); }

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

// Every record of a topic, counted by what `by` says of it.
template <class By>
std::map<std::string, int> records_by(log::EventLog& log, std::string_view topic, int32_t partitions, By by) {
  std::map<std::string, int> out;
  for (int32_t p = 0; p < partitions; ++p) {
    const log::TopicPartition tp{std::string(topic), p};
    auto end = log.end_offset(tp);
    EXPECT_TRUE(end.ok());
    if (!end.ok()) continue;
    auto reader = log.reader(tp, 0);
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) continue;
    int64_t next = 0;
    for (int empty = 0; next < *end && empty < 20;) {
      auto got = (*reader)->read(500ms, 1000);
      if (!got.ok() || got->empty()) {
        ++empty;
        continue;
      }
      for (const auto& r : *got) {
        ++out[by(r)];
        next = r.offset + 1;
      }
    }
  }
  return out;
}

class Scaling : public PgTest, public ::testing::WithParamInterface<BrokerKind> {};

TEST_P(Scaling, AThirdCommandWorkerJoinsUnderLoadAndNothingIsLostOrDoubled) {
  TestBroker broker = TestBroker::start(GetParam(), "scaling", 6);
  if (!broker.ready()) return;
  const std::string uri = broker.uri();
  auto opened = log::open_log(uri);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& log = **opened;
  ASSERT_TRUE(create_pagewright_topics(log, broker.partitions()).ok());

  int n = 0;
  std::map<std::string, int> expected_events;  // by site id
  {
    std::vector<d::CommandRecord> setup;
    for (int s = 0; s < kSites; ++s) {
      const auto site = site_id_for_subdomain(subdomain(s));
      setup.push_back(command_record(++n, subdomain(s), d::CreateSite{site, "Site " + subdomain(s), subdomain(s)}));
      setup.push_back(command_record(++n, subdomain(s), d::CreatePage{home_of(s), "Home", std::string(), {}}));
      expected_events[site.str()] = 2;
    }
    ASSERT_TRUE(submit_commands(log, setup).ok());
  }

  const auto data = std::filesystem::temp_directory_path() / ("pw-scaling-" + db_);
  Worker a = start_worker("commands", uri, {"--data", (data / "a").string()}, {});
  Worker b = start_worker("commands", uri, {"--data", (data / "b").string()}, {});
  Worker projector = start_worker("projections", uri, {}, {"PW_PG=" + owner_});
  const double all = broker.partitions();
  ASSERT_TRUE(eventually([&] { return owned(a) + owned(b) == all && owned(a) > 0 && owned(b) > 0; }, 120s))
      << "two workers did not share the partitions: " << owned(a) << " + " << owned(b);

  // Load: a round of renames, one per site, every 20 ms, until told to stop.
  std::atomic<bool> loading{true};
  std::atomic<int> rounds{0};
  std::thread load([&] {
    auto writer = log::open_log(uri);
    ASSERT_TRUE(writer.ok());
    int m = 1000000;
    while (loading) {
      std::vector<d::CommandRecord> round;
      for (int s = 0; s < kSites; ++s) {
        d::UpdatePageMetadata rename{home_of(s), "Round " + std::to_string(rounds.load()), std::nullopt, std::nullopt};
        round.push_back(command_record(++m, subdomain(s), std::move(rename)));
      }
      ASSERT_TRUE(submit_commands(**writer, round).ok());
      ++rounds;
      std::this_thread::sleep_for(20ms);
    }
  });

  std::this_thread::sleep_for(2s);
  Worker c = start_worker("commands", uri, {"--data", (data / "c").string()}, {});
  const bool rebalanced = eventually(
      [&] { return owned(c) > 0 && owned(a) + owned(b) + owned(c) == all && owned(a) > 0 && owned(b) > 0; }, 120s);
  std::this_thread::sleep_for(2s);  // more load on the new owners
  loading = false;
  load.join();
  ASSERT_TRUE(rebalanced) << "the third worker got no share: " << owned(a) << " + " << owned(b) << " + "
                          << owned(c);
  ASSERT_GT(rounds.load(), 10);
  for (auto& [site, count] : expected_events) count += rounds.load();

  // The command pool's lag returns to zero: every command has its one result
  // (a command decided twice would have two: exactly-once is what is checked).
  const int commands = 2 * kSites + rounds.load() * kSites;
  std::map<std::string, int> results;
  EXPECT_TRUE(eventually(
      [&] {
        results = records_by(log, log::kResultsTopic, broker.partitions(), [](const log::Record& r) {
          auto o = d::decode_outcome(r.value);
          return o.ok() ? o->command_id : std::string("undecodable");
        });
        return static_cast<int>(results.size()) >= commands;
      },
      120s))
      << results.size() << " of " << commands << " commands have a result";
  EXPECT_EQ(static_cast<int>(results.size()), commands);
  for (const auto& [id, count] : results) EXPECT_EQ(count, 1) << id;
  // So does the projection's, and each page's version counts every rename once.
  EXPECT_TRUE(eventually(
      [&] {
        for (int p = 0; p < broker.partitions(); ++p)
          if (scrape(projector, "projection_lag_events{partition=\"" + std::to_string(p) + "\"}") != 0) return false;
        return true;
      },
      120s))
      << "the projection lag did not return to zero";

  // Nothing lost, nothing applied twice: each site's events are its commands' events.
  EXPECT_EQ(records_by(log, log::kEventsTopic, broker.partitions(), [](const log::Record& r) { return r.key; }),
            expected_events);
  pqxx::connection pg(owner_);
  for (int s = 0; s < kSites; ++s) {
    pqxx::work tx(pg);
    projections::with_tenant(tx, "tenant-" + subdomain(s));
    auto r = tx.exec_params("SELECT version, title FROM pages WHERE page_id = $1", home_of(s).str());
    ASSERT_EQ(r.size(), 1u) << subdomain(s);
    EXPECT_EQ(r[0][0].as<int64_t>(), 1 + rounds.load()) << subdomain(s);
    EXPECT_EQ(r[0][1].as<std::string>(), "Round " + std::to_string(rounds.load() - 1)) << subdomain(s);
  }

  EXPECT_EQ(stop(c.child, 30s), 0);
  // The leaver's partitions go back to the others.
  EXPECT_TRUE(eventually([&] { return owned(a) + owned(b) == all; }, 120s))
      << owned(a) << " + " << owned(b) << " after the third worker left";
  EXPECT_EQ(stop(a.child, 30s), 0);
  EXPECT_EQ(stop(b.child, 30s), 0);
  EXPECT_EQ(stop(projector.child, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, Scaling, kBothBrokers);

}  // namespace
}  // namespace pw::test
