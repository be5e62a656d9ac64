// `pagewright status` on the embedded log, held by a running `serve` as in
// production: the local log is read read-only beside it, the owners come from
// serve's metrics (or are named as in-process), the lags return to zero once
// the pools drain, and a deployment just published is listed. And the
// invocations that cannot work say why, with their own exit status.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "events/log.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/cli/status_cli.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;


class StatusCli : public ServeTest {
 protected:
  StatusCli() : ServeTest("status") {}
};

bool drained(const json& s) {
  if (!s.is_object() || !s["problems"].empty()) return false;
  for (const char* pool : {"commands", "projections", "builds"}) {
    const auto& p = pool_of(s, pool);
    if (p.is_null() || p["lag"] != 0 || p["partitions"].empty()) return false;
  }
  return true;
}

TEST_F(StatusCli, BesideServeOnTheLocalLogShowsOwnersLagAndTheDeploymentJustPublished) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  ASSERT_NE(metrics_port_, 0);
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const ScenarioResult site = run_editing_scenario(http, tokens, "status-" + db_.substr(8, 8));
  ASSERT_FALSE(HasFatalFailure());
  auto requested = http.send_json("POST", "/v1/sites/" + site.site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(requested.status, 201) << requested.body;
  const std::string deployment = requested.json()["data"].value("deploymentId", "");
  ASSERT_EQ(wait_for_deployment(http, tokens.viewer, deployment)["status"], "succeeded");

  const std::string metrics = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
  const json s = status_until({"--log", log_uri(), "--metrics", metrics}, owner_, drained, 60s);
  ASSERT_TRUE(drained(s)) << s.dump(2);
  EXPECT_EQ(s["backend"], "local");
  EXPECT_EQ(s["log"], log_uri());
  for (const char* name : {"commands", "projections", "builds"}) {
    const auto& p = pool_of(s, name);
    // serve's workers of each pool own every partition between them.
    EXPECT_EQ(p["owners"]["from"], "metrics") << name;
    EXPECT_EQ(p["owners"]["ownedInProcess"], p["partitions"].size()) << name << ": " << s.dump(2);
    int64_t ends = 0;
    for (const auto& part : p["partitions"]) {
      EXPECT_EQ(part["lag"], 0);
      // A partition nothing was written to has nothing committed either.
      if (part["end"] != 0) {
        EXPECT_EQ(part["committed"], part["end"]) << name << " " << part.dump();
      }
      ends += part["end"].get<int64_t>();
    }
    EXPECT_GT(ends, 0) << name << " saw no records";
  }
  EXPECT_EQ(pool_of(s, "commands")["group"], "pagewright.command-processors");
  EXPECT_EQ(pool_of(s, "projections")["offsetsFrom"], "read model");
  ASSERT_TRUE(s["deployments"].is_array()) << s.dump(2);
  ASSERT_FALSE(s["deployments"].empty());
  const json& newest = s["deployments"][0];
  EXPECT_EQ(newest["deploymentId"], deployment);
  EXPECT_EQ(newest["siteId"], site.site_id);
  EXPECT_EQ(newest["tenantId"], "t-" + db_);
  EXPECT_EQ(newest["status"], "succeeded");
  EXPECT_EQ(newest["live"], true);
  EXPECT_TRUE(newest["seconds"].is_number());

  // The table a person reads, and without --metrics the owners are named as
  // serve's, not left out.
  const CliRun text = run_cli({PW_BINARY, "status", "--log", log_uri()}, {"PW_PG=" + owner_});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("in-process (serve)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pagewright.command-processors"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(deployment), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("succeeded"), std::string::npos) << text.out;

  // Another tenant's next edit still becomes visible: status changed nothing.
  auto other = http.send_json("POST", "/v1/sites", tokens.other_tenant,
                              {{"name", "Other"}, {"subdomain", "status-other-" + db_.substr(8, 8)}});
  ASSERT_EQ(other.status, 201) << other.body;
  auto read = http.get("/v1/sites/" + other.json()["data"].value("siteId", ""), tokens.other_tenant,
                       {{"X-Pagewright-After", other.json()["data"].value("position", "")}});
  EXPECT_EQ(read.status, 200) << read.body;
}

TEST_F(StatusCli, InvocationsThatCannotWorkSayWhyAndFail) {
  // An unknown log scheme is the invocation's fault: 2, and the scheme named.
  const CliRun scheme = run_cli({PW_BINARY, "status", "--log", "s3:bucket"});
  EXPECT_EQ(scheme.status, 2);
  EXPECT_NE(scheme.err.find("unknown log scheme 's3'"), std::string::npos) << scheme.err;
  EXPECT_TRUE(scheme.out.empty()) << scheme.out;

  const CliRun metrics = run_cli({PW_BINARY, "status", "--log", "local:" + data_.string(), "--metrics", "nowhere"});
  EXPECT_EQ(metrics.status, 2);
  EXPECT_NE(metrics.err.find("--metrics 'nowhere'"), std::string::npos) << metrics.err;

  // A source that does not answer: 1, what the others said, and the problem.
  const std::string uri = "local:" + (data_ / "log").string();
  {
    auto opened = pw::log::open_log(uri, {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
  }
  int exit_status = -1;
  const json down = status_json({"--log", uri}, "host=127.0.0.1 port=1 dbname=pagewright connect_timeout=3",
                                &exit_status);
  EXPECT_EQ(exit_status, 1);
  ASSERT_TRUE(down.is_object());
  ASSERT_EQ(down["problems"].size(), 1u) << down.dump(2);
  EXPECT_EQ(down["problems"][0].get<std::string>().rfind("postgres: ", 0), 0u) << down.dump(2);
  EXPECT_TRUE(down["deployments"].is_null());
  EXPECT_TRUE(pool_of(down, "projections")["lag"].is_null()) << "no read model, no projection lag";
  EXPECT_EQ(pool_of(down, "commands")["owners"]["from"], "in-process");

  const CliRun text = run_cli({PW_BINARY, "status", "--log", uri},
                              {"PW_PG=host=127.0.0.1 port=1 dbname=pagewright connect_timeout=3"});
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.out.find("problems\n  postgres: "), std::string::npos) << text.out;

  // A serve that is not there.
  const CliRun gone = run_cli({PW_BINARY, "status", "--log", uri, "--metrics", "127.0.0.1:1"});
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.out.find("serve's metrics: metrics: cannot connect to 127.0.0.1:1/metrics"), std::string::npos)
      << gone.out;
}

}  // namespace
}  // namespace pw::test
