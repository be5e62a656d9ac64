// Reads with X-Pagewright-After in a process whose projector announces its
// commits (`serve`): a waiting read holds no query thread, is answered once
// the projector commits its position, and still gets 503 UNAVAILABLE when
// its wait elapses. The projector here runs only when the test says so.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>

#include "events/projected_positions.hpp"
#include "events/recent_pages.hpp"
#include "gateway/auth.hpp"
#include "gateway/blocking_pool.hpp"
#include "gateway/command_bus.hpp"
#include "gateway/handler.hpp"
#include "ops/cli/pools.hpp"
#include "projections/pg.hpp"
#include "projections/projector.hpp"
#include "queries/read_model.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/schemas.hpp"

namespace pw::gateway {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kSecret = "read-waits-secret-of-at-least-32-bytes!!";

class ReadWaitTest : public ::pw::test::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_TRUE(projections::migrate(owner_).ok());
    dir_ = std::filesystem::temp_directory_path() / ("pw-read-waits-" + db_);
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    ASSERT_TRUE(cli::create_standard_topics(*log_).ok());
    cli::start_command_pool(*log_, dir_ / "snapshots", 1, ::pw::test::test_schemas(), stop_, &metrics_, pools_,
                            [] {});
    projections::ProjectorConfig pc;
    pc.positions = &board_;
    pc.recent_pages = &recent_;
    auto projector = projections::Projector::create(*log_, owner_, pc);
    ASSERT_TRUE(projector.ok()) << projector.error().message;
    projector_ = std::move(projector).value();
    auto rm = queries::ReadModel::connect(reader_, 1);
    ASSERT_TRUE(rm.ok()) << rm.error().message;
    read_model_ = std::move(rm).value();
    auto bus = CommandBus::start(*log_);
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(bus).value();
    // Longer than any bound below: a read that held the query thread would show.
    use_read_wait(20s);
    // The first polls join the group; assignment tells the board where the projection stands.
    for (int i = 0; i < 100 && !board_.next(0); ++i) ASSERT_TRUE(projector_->run_once(20ms).ok());
    ASSERT_TRUE(board_.next(0).has_value());
  }

  void use_read_wait(std::chrono::milliseconds wait, BlockingPool* long_queries = nullptr) {
    GatewayDeps deps{*log_, *bus_, *read_model_, metrics_, blocking_, nullptr};
    deps.projected = &board_;
    deps.recent_pages = &recent_;
    deps.long_blocking = long_queries;
    GatewayOptions options{kSecret};
    options.read_wait = wait;
    gateway_ = std::make_unique<Gateway>(std::move(deps), std::move(options));
  }

  void TearDown() override {
    gateway_.reset();
    if (bus_) bus_->close();
    stop_ = true;
    pools_.join();
    if (projector_) projector_->close();
    projector_.reset();
    bus_.reset();
    read_model_.reset();
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    PgTest::TearDown();
  }

  std::string token(const std::string& tenant) const {
    const auto exp =
        std::chrono::duration_cast<std::chrono::seconds>((std::chrono::system_clock::now() + 1h).time_since_epoch())
            .count();
    return issue_token({UserId{"u-1"}, TenantId{tenant}, Role::admin, exp}, kSecret).value();
  }

  std::future<HttpResponse> send(const std::string& method, const std::string& target, const std::string& tenant,
                                 const std::string& body = {}, const std::string& after = {}) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers.emplace_back("authorization", "Bearer " + token(tenant));
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    if (!after.empty()) r.headers.emplace_back("x-pagewright-after", after);
    r.body = body;
    auto promise = std::make_shared<std::promise<HttpResponse>>();
    auto future = promise->get_future();
    gateway_->handle(std::move(r), [promise](HttpResponse response) { promise->set_value(std::move(response)); });
    return future;
  }

  static HttpResponse answer(std::future<HttpResponse>& f) {
    EXPECT_EQ(f.wait_for(30s), std::future_status::ready) << "never answered";
    return f.get();
  }

  // Creates a site of `tenant`; its position (the projector is not run).
  std::pair<std::string, std::string> create_site(const std::string& tenant, const std::string& subdomain) {
    auto f = send("POST", "/v1/sites", tenant, json{{"name", "Shop"}, {"subdomain", subdomain}}.dump());
    auto r = answer(f);
    EXPECT_EQ(r.status, 201) << r.body;
    const auto data = json::parse(r.body)["data"];
    return {data.value("siteId", ""), data.value("position", "")};
  }

  // A site of tenant t-b, read with its position as soon as it is projected.
  void expect_visible_to_another_tenant(const std::string& subdomain) {
    const auto [other, other_position] = create_site("t-b", subdomain);
    auto seen = send("GET", "/v1/sites/" + other, "t-b", {}, other_position);
    project_until([&] { return seen.wait_for(0ms) == std::future_status::ready; });
    auto sr = answer(seen);
    EXPECT_EQ(sr.status, 200) << sr.body;
    EXPECT_EQ(json::parse(sr.body)["data"].value("siteId", ""), other);
  }

  void project_until(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) ASSERT_TRUE(projector_->run_once(20ms).ok());
    ASSERT_TRUE(done());
  }

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
  std::atomic<bool> stop_{false};
  Metrics metrics_;
  cli::PoolThreads pools_;
  log::ProjectedPositions board_;
  log::RecentPages recent_;
  std::unique_ptr<projections::Projector> projector_;
  std::unique_ptr<queries::ReadModel> read_model_;
  std::unique_ptr<CommandBus> bus_;
  BlockingPool blocking_{1};  // one query thread: a read that held it would block the next
  BlockingPool long_{1};      // the long queries' one thread, when a test gives it to the gateway
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(ReadWaitTest, WaitingReadsHoldNoQueryThreadAndAreAnsweredByTheCommit) {
  const auto [site, position] = create_site("t-a", "waits");
  ASSERT_FALSE(position.empty());
  auto first = send("GET", "/v1/sites/" + site, "t-a", {}, position);
  auto second = send("GET", "/v1/sites/" + site, "t-a", {}, position);
  EXPECT_EQ(first.wait_for(200ms), std::future_status::timeout) << "answered before the projector ran";
  EXPECT_EQ(board_.waiting(), 2u);

  // The only query thread is free: a read without a position is served meanwhile.
  auto list = send("GET", "/v1/sites", "t-a");
  ASSERT_EQ(list.wait_for(10s), std::future_status::ready) << "a waiting read holds the query thread";
  auto listed = list.get();
  EXPECT_EQ(listed.status, 200) << listed.body;
  EXPECT_TRUE(json::parse(listed.body)["data"].empty()) << "the site is not projected yet";

  project_until([&] { return board_.waiting() == 0; });
  for (auto* f : {&first, &second}) {
    auto r = answer(*f);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["data"].value("siteId", ""), site);
  }
}

TEST_F(ReadWaitTest, AWaitThatElapsesIs503Unavailable) {
  use_read_wait(1500ms);
  const auto [site, position] = create_site("t-a", "elapses");
  const std::string partition = position.substr(0, position.find(':'));
  const auto t0 = std::chrono::steady_clock::now();
  auto far = send("GET", "/v1/sites/" + site, "t-a", {}, partition + ":999999");
  auto r = answer(far);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"].value("code", ""), "UNAVAILABLE") << r.body;
  EXPECT_EQ(board_.waiting(), 0u);

  // A malformed position is still the caller's error, and nothing waits for it.
  auto bad = send("GET", "/v1/sites/" + site, "t-a", {}, "not-a-position");
  auto br = answer(bad);
  EXPECT_EQ(br.status, 400) << br.body;
  EXPECT_EQ(board_.waiting(), 0u);

  // Another tenant's edit still becomes visible through the same path.
  expect_visible_to_another_tenant("elapses-other");
}

TEST_F(ReadWaitTest, AlreadyProjectedPositionsAreServedWithoutWaiting) {
  const auto [site, position] = create_site("t-a", "already");
  auto first = send("GET", "/v1/sites/" + site, "t-a", {}, position);
  project_until([&] { return first.wait_for(0ms) == std::future_status::ready; });
  EXPECT_EQ(answer(first).status, 200);
  auto again = send("GET", "/v1/sites/" + site, "t-a", {}, position);
  ASSERT_EQ(again.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(again.get().status, 200);
  EXPECT_EQ(board_.waiting(), 0u);
}

// A tenant's long queries (an audit verify walks its site's whole log) run on
// threads of their own: with all of those busy, another tenant's edit still
// becomes visible and is read at once, and the verify is answered once a
// long-query thread is free.
TEST_F(ReadWaitTest, LongQueriesWaitForTheirOwnThreadsAndNeverHoldTheOthers) {
  use_read_wait(20s, &long_);
  const auto [site, position] = create_site("t-a", "long");
  auto projected = send("GET", "/v1/sites/" + site, "t-a", {}, position);
  project_until([&] { return projected.wait_for(0ms) == std::future_status::ready; });
  ASSERT_EQ(answer(projected).status, 200);

  std::promise<void> release;
  auto released = release.get_future().share();
  ASSERT_TRUE(long_.post([released] { released.wait(); }));  // the long pool's one thread, busy
  auto verify = send("GET", "/v1/sites/" + site + "/audit/verify", "t-a");
  auto at_version = send("GET", "/v1/pages/" + site + ".nothing?version=1", "t-a");
  EXPECT_EQ(verify.wait_for(300ms), std::future_status::timeout) << "a long query ran on the other threads";
  EXPECT_EQ(at_version.wait_for(0ms), std::future_status::timeout) << "a page at a version is a long query";

  // Meanwhile another tenant's edit becomes visible and is read.
  expect_visible_to_another_tenant("long-other");
  EXPECT_EQ(verify.wait_for(0ms), std::future_status::timeout);

  release.set_value();
  auto vr = answer(verify);
  EXPECT_EQ(vr.status, 200) << vr.body;
  EXPECT_TRUE(json::parse(vr.body)["data"].value("ok", false)) << vr.body;
  EXPECT_EQ(answer(at_version).status, 404);
}

// A page read that waited for its position takes the row the projector's
// commit wrote (RecentPages) instead of asking Postgres, and answers what
// Postgres would: the same data as the same read without the header, and a
// 404 to another tenant (whose read goes to Postgres, under row-level
// security).
TEST_F(ReadWaitTest, APageReadThatWaitedIsAnsweredFromTheRowItsCommitWrote) {
  const auto site = create_site("t-a", "kept").first;
  auto created = send("POST", "/v1/sites/" + site + "/pages", "t-a", json{{"title", "Home"}}.dump());
  auto cr = answer(created);
  ASSERT_EQ(cr.status, 201) << cr.body;
  const std::string page = json::parse(cr.body)["data"].value("pageId", "");
  auto edited = send("PATCH", "/v1/pages/" + page, "t-a", json{{"title", "Say \"hi\" — ünïcode"}}.dump());
  auto er = answer(edited);
  ASSERT_EQ(er.status, 200) << er.body;
  const std::string position = json::parse(er.body)["data"].value("position", "");
  ASSERT_FALSE(position.empty()) << er.body;

  auto waited = send("GET", "/v1/pages/" + page, "t-a", {}, position);
  project_until([&] { return waited.wait_for(0ms) == std::future_status::ready; });
  auto wr = answer(waited);
  ASSERT_EQ(wr.status, 200) << wr.body;
  EXPECT_EQ(recent_.stats().hits, 1u) << "answered from the commit";
  const auto from_commit = json::parse(wr.body)["data"];
  EXPECT_EQ(from_commit.value("title", ""), "Say \"hi\" — ünïcode");

  auto plain = send("GET", "/v1/pages/" + page, "t-a");
  auto pr = answer(plain);
  ASSERT_EQ(pr.status, 200) << pr.body;
  EXPECT_EQ(recent_.stats().hits, 1u) << "a read without a position asks Postgres";
  EXPECT_EQ(from_commit.dump(), json::parse(pr.body)["data"].dump());

  // The Puck document of the page reads the same row.
  auto content = send("GET", "/v1/pages/" + page + "/content", "t-a", {}, position);
  auto cr2 = answer(content);
  EXPECT_EQ(cr2.status, 200) << cr2.body;
  EXPECT_EQ(recent_.stats().hits, 2u);

  auto foreign = send("GET", "/v1/pages/" + page, "t-b", {}, position);
  auto fr = answer(foreign);
  EXPECT_EQ(fr.status, 404) << fr.body;
  EXPECT_EQ(json::parse(fr.body)["error"].value("code", ""), "NOT_FOUND");
  EXPECT_EQ(recent_.stats().hits, 2u);
  EXPECT_EQ(recent_.stats().misses, 1u);
  const std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find("page_reads_from_commit_total{outcome=\"hit\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("page_reads_from_commit_total{outcome=\"miss\"} 1"), std::string::npos) << metrics;
  expect_visible_to_another_tenant("other-kept");
}

}  // namespace
}  // namespace pw::gateway
