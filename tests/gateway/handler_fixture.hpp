#pragma once
// The handler tests' fixture: the request handler called directly, without
// sockets, over the real parts — the embedded log, a command processor, a
// projector into a scratch Postgres database, a build worker with its deploy
// store, the read model as the reader role.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>
#include <nlohmann/json.hpp>

#include "gateway/asset_store.hpp"
#include "gateway/auth.hpp"
#include "gateway/blocking_pool.hpp"
#include "gateway/command_bus.hpp"
#include "gateway/handler.hpp"
#include "gateway/static_host.hpp"
#include "ops/cli/pools.hpp"
#include "projections/pg.hpp"
#include "queries/read_model.hpp"
#include "store/deploy_reader.hpp"
#include "store/layout.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/schemas.hpp"

namespace pw::gateway::test_support {

using nlohmann::json;
using namespace std::chrono_literals;

inline const std::string kSecret = "handler-test-secret-0123456789abcdef0123456789";

struct Reply {
  HttpResponse response;
  json body() const { return json::parse(response.body); }
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : response.headers)
      if (n == name) return v;
    return {};
  }
};

class HandlerTest : public ::pw::test::PgTest {
 protected:
  static bool has_header(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& name) {
    for (const auto& h : headers)
      if (h.first == name) return true;
    return false;
  }

  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(projections::migrate(owner_).ok());
    dir_ = std::filesystem::temp_directory_path() / ("pw-handler-" + db_);
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    ASSERT_TRUE(cli::create_standard_topics(*log_).ok());
    cli::start_command_pool(*log_, dir_ / "snapshots", 1, ::pw::test::test_schemas(), stop_, &metrics_, pools_,
                            [] {});
    cli::start_projection_pool(*log_, owner_, 1, stop_, &metrics_, pools_, [] {});
    cli::BuildPoolOptions builds;
    builds.sites_dir = dir_ / "sites";
    builds.base_url = "https://{subdomain}.example.test";
    cli::start_build_pool(*log_, builds, 1, stop_, &metrics_, pools_, [] {});
    // As ops/ does: the layout (and preview key) first, then the read-only reader.
    ASSERT_TRUE(store::create_layout(dir_ / "sites").ok());
    auto sites = store::DeployReader::open(dir_ / "sites");
    ASSERT_TRUE(sites.ok()) << sites.error().message;
    sites_ = std::move(sites).value();
    static_host_ = std::make_unique<StaticHost>(*sites_);
    auto rm = queries::ReadModel::connect(reader_, 2);
    ASSERT_TRUE(rm.ok()) << rm.error().message;
    read_model_ = std::move(rm).value();
    auto bus = CommandBus::start(*log_);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(bus).value();
    asset_store_ = AssetStore::open(dir_ / "sites");
    ASSERT_TRUE(asset_store_);
    gateway_ = std::make_unique<Gateway>(deps(), GatewayOptions{kSecret});
  }

  // The gateway's parts as the fixture made them (a test may swap options).
  GatewayDeps deps() {
    GatewayDeps d{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()};
    d.assets = asset_store_.get();
    return d;
  }

  void TearDown() override {
    gateway_.reset();
    if (bus_) bus_->close();
    stop_ = true;
    pools_.join();
    bus_.reset();
    read_model_.reset();
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    PgTest::TearDown();
  }

  std::string token(Role role, const std::string& tenant = "t-handler") const {
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                         (std::chrono::system_clock::now() + 1h).time_since_epoch())
                         .count();
    return issue_token({UserId{"u-1"}, TenantId{tenant}, role, exp}, kSecret).value();
  }

  // One request through the handler; the response may come from another thread.
  Reply call(const std::string& method, const std::string& target, const std::string& bearer = {},
             const std::string& body = {}, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return call_from({}, method, target, bearer, body, std::move(headers));
  }
  // The same, from the client address `peer` (as the server reads it off the socket).
  Reply call_from(const std::string& peer, const std::string& method, const std::string& target,
                  const std::string& bearer = {}, const std::string& body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.peer = peer;
    r.headers = std::move(headers);
    if (!bearer.empty()) r.headers.emplace_back("authorization", "Bearer " + bearer);
    if (!body.empty() && !has_header(r.headers, "content-type")) r.headers.emplace_back("content-type", "application/json");
    r.body = body;
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    auto calls = std::make_shared<std::atomic<int>>(0);
    gateway_->handle(std::move(r), [promise, calls](HttpResponse response) {
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(response));
    });
    EXPECT_EQ(future.wait_for(20s), std::future_status::ready) << method << " " << target << " never answered";
    Reply reply{future.get()};
    EXPECT_EQ(calls->load(), 1) << "respond called more than once";
    return reply;
  }

  std::string create_site(const std::string& subdomain, std::string* position = nullptr) {
    auto r = call("POST", "/v1/sites", token(Role::admin), json{{"name", "Shop"}, {"subdomain", subdomain}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    if (position) *position = r.body()["data"].value("position", "");
    return r.body()["data"].value("siteId", "");
  }

  // Publishes `site` as an admin of `tenant` and follows its deployment until
  // it ends (bounded): the deployment as last read.
  json publish_and_wait(const std::string& site, const std::string& tenant = "t-handler") {
    auto deploy = call("POST", "/v1/sites/" + site + "/publish", token(Role::admin, tenant), "{}");
    EXPECT_EQ(deploy.response.status, 201) << deploy.response.body;
    const std::string deployment = deploy.body()["data"].value("deploymentId", "");
    json d = json::object();
    for (int i = 0; i < 400 && d.value("status", "") != "succeeded" && d.value("status", "") != "failed"; ++i) {
      auto r = call("GET", "/v1/deployments/" + deployment, token(Role::viewer, tenant));
      if (r.response.status == 200) d = r.body()["data"];
      std::this_thread::sleep_for(25ms);
    }
    return d;
  }
  // A reply's whole body: the static host sends files in pieces.
  static std::string body_of(Reply r) {
    std::string out = r.response.body;
    if (r.response.next_chunk)
      while (auto chunk = r.response.next_chunk()) out += *chunk;
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
  std::atomic<bool> stop_{false};
  Metrics metrics_;
  cli::PoolThreads pools_;
  std::unique_ptr<queries::ReadModel> read_model_;
  std::unique_ptr<CommandBus> bus_;
  BlockingPool blocking_{2};
  std::unique_ptr<store::DeployReader> sites_;
  std::unique_ptr<StaticHost> static_host_;
  std::unique_ptr<AssetStore> asset_store_;
  std::unique_ptr<Gateway> gateway_;
};

}  // namespace pw::gateway::test_support
