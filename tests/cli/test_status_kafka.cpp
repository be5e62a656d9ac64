// `pagewright status` on Kafka, beside separate worker processes: the members
// the group coordinator lists are the workers that run (each named by the
// client.id its log URI gives it), partitions move when one stops, the lags
// return to zero once the pools drain, and the deployment the build pool made
// is listed. On `pagewright dev-broker` and on a real broker. librdkafka
// 2.0.2's mock cluster has no DescribeGroups and does not store offsets sent
// with a transaction (tests/kafka_log/mock_gaps_test.cpp): there status says
// it cannot list the members, and the owners and the command pool's lag are
// checked on the real broker only.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "commands/command_record.hpp"
#include "events/ids.hpp"
#include "projections/pg.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/status_cli.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace d = domain;
namespace fs = std::filesystem;

constexpr int kSites = 6;

std::string subdomain(int s) { return "status-" + std::to_string(s); }

// client.id -> the partitions the coordinator says it holds.
std::map<std::string, std::set<int>> members_of(const json& pool) {
  std::map<std::string, std::set<int>> out;
  if (!pool.is_object() || !pool["owners"].contains("members")) return out;
  for (const auto& m : pool["owners"]["members"])
    for (const auto& p : m["partitions"]) out[m["clientId"].get<std::string>()].insert(p.get<int>());
  if (pool["owners"].is_object())
    for (const auto& m : pool["owners"]["members"]) out[m["clientId"].get<std::string>()];
  return out;
}

// Every partition held by exactly one of `clients`, each of which holds some.
bool shared_by(const json& pool, const std::set<std::string>& clients, int partitions) {
  const auto members = members_of(pool);
  if (members.size() != clients.size()) return false;
  std::set<int> all;
  size_t held = 0;
  for (const auto& [client, parts] : members) {
    if (!clients.contains(client) || parts.empty()) return false;
    all.insert(parts.begin(), parts.end());
    held += parts.size();
  }
  return static_cast<int>(all.size()) == partitions && static_cast<int>(held) == partitions;
}

bool lag_zero(const json& pool) {
  if (!pool.is_object() || pool["lag"] != 0) return false;
  int64_t ends = 0;
  for (const auto& p : pool["partitions"]) ends += p["end"].get<int64_t>();
  return ends > 0;
}

class StatusOnKafka : public PgTest, public ::testing::WithParamInterface<BrokerKind> {};

TEST_P(StatusOnKafka, OwnersAreTheRunningWorkersLagsDrainAndTheDeploymentIsListed) {
  TestBroker broker = TestBroker::start(GetParam(), "status", 4);
  if (!broker.ready()) return;
  auto migrated = projections::migrate(owner_);
  ASSERT_TRUE(migrated.ok()) << migrated.error().message;
  const std::string uri = broker.uri();
  {
    auto log = log::open_log(uri);
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_TRUE(create_pagewright_topics(**log, broker.partitions()).ok());
    std::vector<d::CommandRecord> cmds;
    int n = 0;
    for (int s = 0; s < kSites; ++s) {
      const auto site = site_id_for_subdomain(subdomain(s));
      cmds.push_back(command_record(++n, subdomain(s), d::CreateSite{site, "Site " + std::to_string(s), subdomain(s)}));
      cmds.push_back(command_record(++n, subdomain(s), d::CreatePage{make_page_id(site, "home"), "Home", std::string(), {}}));
      cmds.push_back(command_record(++n, subdomain(s), d::PublishPage{make_page_id(site, "home")}));
    }
    const auto site0 = site_id_for_subdomain(subdomain(0));
    cmds.push_back(command_record(++n, subdomain(0),
                                  d::RequestDeployment{make_deployment_id(site0, "first"), "production", "all-at-once"}));
    ASSERT_TRUE(submit_commands(**log, cmds).ok());
  }
  const std::string deployment = make_deployment_id(site_id_for_subdomain(subdomain(0)), "first").str();

  const auto data = fs::temp_directory_path() / ("pw-status-kafka-" + db_);
  auto as = [&](const std::string& client) { return uri + "&consumer.client.id=" + client; };
  Child a = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", as("cmd-a"), "--data", (data / "a").string()});
  Child b = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", as("cmd-b"), "--data", (data / "b").string()});
  Child projector = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", as("proj")}, {"PW_PG=" + owner_});
  Child builder = spawn({PW_BINARY, "worker", "--pool", "builds", "--log", as("build"), "--sites",
                         (data / "sites").string()});
  const int parts = broker.partitions();
  const bool real = broker.real();
  // What status must report as its only problem: none on a real broker.
  auto problems_as_expected = [&](const json& s) {
    if (!s.is_object()) return false;
    if (real) return s["problems"].empty();
    return s["problems"].size() == 1 &&
           s["problems"][0].get<std::string>().rfind(
               "group members: kafka: describe group pagewright.command-processors: ", 0) == 0 &&
           s["problems"][0].get<std::string>().find("not supported by broker") != std::string::npos;
  };

  const json s = status_until(
      {"--log", uri}, owner_,
      [&](const json& s) {
        if (!problems_as_expected(s)) return false;
        if (real && !shared_by(pool_of(s, "commands"), {"cmd-a", "cmd-b"}, parts)) return false;
        if (real && !shared_by(pool_of(s, "projections"), {"proj"}, parts)) return false;
        if (real && !shared_by(pool_of(s, "builds"), {"build"}, parts)) return false;
        if (!lag_zero(pool_of(s, "projections")) || !lag_zero(pool_of(s, "builds"))) return false;
        if (real && !lag_zero(pool_of(s, "commands"))) return false;
        return s["deployments"].is_array() && !s["deployments"].empty() &&
               s["deployments"][0]["status"] == "succeeded";
      },
      120s);
  EXPECT_TRUE(problems_as_expected(s)) << s.dump(2);
  EXPECT_TRUE(lag_zero(pool_of(s, "projections"))) << s.dump(2);
  EXPECT_TRUE(lag_zero(pool_of(s, "builds"))) << s.dump(2);
  if (real) {
    EXPECT_TRUE(shared_by(pool_of(s, "commands"), {"cmd-a", "cmd-b"}, parts)) << s.dump(2);
    EXPECT_TRUE(shared_by(pool_of(s, "projections"), {"proj"}, parts)) << s.dump(2);
    EXPECT_TRUE(shared_by(pool_of(s, "builds"), {"build"}, parts)) << s.dump(2);
    EXPECT_EQ(pool_of(s, "commands")["owners"]["groupState"], "Stable") << s.dump(2);
    EXPECT_TRUE(lag_zero(pool_of(s, "commands"))) << s.dump(2);
    for (const auto& p : pool_of(s, "commands")["partitions"])
      EXPECT_EQ(p["owner"].get<std::string>().rfind("cmd-", 0), 0u) << p.dump();
  }
  ASSERT_TRUE(s["deployments"].is_array() && !s["deployments"].empty()) << s.dump(2);
  EXPECT_EQ(s["deployments"][0]["deploymentId"], deployment);
  EXPECT_EQ(s["deployments"][0]["status"], "succeeded");
  EXPECT_EQ(s["deployments"][0]["tenantId"], "tenant-" + subdomain(0));

  EXPECT_EQ(stop(b, 30s), 0);
  if (!real) {
    const CliRun text = run_cli({PW_BINARY, "status", "--log", uri}, {"PW_PG=" + owner_});
    EXPECT_EQ(text.status, 1) << text.err << text.out;
    EXPECT_NE(text.out.find("problems\n  group members: kafka: describe group"), std::string::npos) << text.out;
  } else {
  // One command worker stopped: the coordinator gives the other all of it.
  const json after = status_until(
      {"--log", uri}, owner_,
      [&](const json& s) { return shared_by(pool_of(s, "commands"), {"cmd-a"}, parts); }, 120s);
  EXPECT_TRUE(shared_by(pool_of(after, "commands"), {"cmd-a"}, parts)) << after.dump(2);

  // The table a person reads names the members and their partitions.
  const CliRun text = run_cli({PW_BINARY, "status", "--log", uri}, {"PW_PG=" + owner_});
  EXPECT_EQ(text.status, 0) << text.err << text.out;
  EXPECT_NE(text.out.find("member cmd-a@"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("member cmd-b@"), std::string::npos) << text.out;
  }

  EXPECT_EQ(stop(a, 30s), 0);
  EXPECT_EQ(stop(projector, 30s), 0);
  EXPECT_EQ(stop(builder, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  std::error_code ec;
  fs::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, StatusOnKafka, kBothBrokers);

}  // namespace
}  // namespace pw::test
