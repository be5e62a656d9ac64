// The split deployment over real HTTP: a gateway, two command workers and two
// projection workers as separate processes on Kafka (`pagewright dev-broker`,
// and a real broker). The same editing session as against `serve`, then an
// auditor who is not us: kcat reads pagewright.events and Python's hashlib
// recomputes each chain, and both match GET …/audit/verify.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "tests/audit/kcat_chains.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "split-secret-0123456789abcdef0123456789abcdef";

class SplitHttp : public PgTest, public ::testing::WithParamInterface<BrokerKind> {};

TEST_P(SplitHttp, GatewayAndWorkerPoolsServeTheEditingSessionAndAnAuditorAgrees) {
  ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
  TestBroker broker = TestBroker::start(GetParam(), "split-http");
  if (!broker.ready()) return;
  const std::string uri = broker.uri();
  const auto data = std::filesystem::temp_directory_path() / ("pw-split-http-" + db_);

  // Projection workers first: they migrate the fresh database.
  Child p1 = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});
  Child p2 = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});
  Child c1 = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  Child c2 = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  const std::string sites = (data / "sites").string();
  // The gateway's read model needs the schema: wait for a projector's migration.
  {
    pqxx::connection c(owner_);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pqxx::work(c).exec("SELECT to_regclass('public.projection_offsets') IS NOT NULL")[0][0].as<bool>()) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  Child gw = spawn({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", uri, "--sites", sites, "--metrics",
                    "127.0.0.1:0"},
                   {"PW_PG=" + owner_, "PW_PG_READER=" + reader_});
  const uint16_t port = read_listening_port(gw.out);
  ASSERT_NE(port, 0) << "gateway did not start listening";
  const uint16_t metrics_port = read_listening_port(gw.out);
  ASSERT_NE(metrics_port, 0) << "gateway did not print its metrics address";

  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string subdomain = "split-" + db_.substr(8, 8);
  const ScenarioResult result = run_editing_scenario(http, tokens, subdomain);
  EXPECT_FALSE(result.head_hash.empty());

  // kcat + hashlib over every partition; the scenario's site must match.
  std::map<std::string, std::string> theirs =
      chain_heads_by_kcat(broker.bootstrap(), broker.partitions(), broker.wire(std::string(log::kEventsTopic)));
  EXPECT_EQ(theirs[result.site_id], std::to_string(result.site_events) + " " + result.head_hash + " ok");

  // Publishing through a build pool process that joins now, so it first folds
  // the partitions' history; the gateway serves what it shipped.
  Child b1 = spawn({PW_BINARY, "worker", "--pool", "builds", "--log", uri, "--sites", sites});
  auto requested = http.send_json("POST", "/v1/sites/" + result.site_id + "/publish", tokens.admin,
                                  nlohmann::json::object());
  ASSERT_EQ(requested.status, 201) << requested.body;
  const auto deployment = wait_for_deployment(http, tokens.viewer, requested.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(deployment["status"], "succeeded") << deployment.dump();
  auto page = http.request("GET", "/sites/" + subdomain + "/opening-hours/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Warm bread"), std::string::npos);

  // Metrics on the gateway's own listener, not on the API port.
  EXPECT_EQ(http.request("GET", "/metrics").status, 404);
  HttpClient operators("127.0.0.1", metrics_port);
  auto metrics = operators.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("http_requests_total{route=\"create_page\",status=\"201\"}"), std::string::npos)
      << metrics.body.substr(0, 2000);
  EXPECT_NE(metrics.body.find("rate_limited_total{scope=\"tenant\"} 0"), std::string::npos);

  EXPECT_EQ(stop(gw, 30s), 0) << "gateway did not drain and exit cleanly";
  EXPECT_EQ(stop(b1, 30s), 0);
  EXPECT_EQ(stop(c1, 30s), 0);
  EXPECT_EQ(stop(c2, 30s), 0);
  EXPECT_EQ(stop(p1, 30s), 0);
  EXPECT_EQ(stop(p2, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, SplitHttp, kBothBrokers);

}  // namespace
}  // namespace pw::test
