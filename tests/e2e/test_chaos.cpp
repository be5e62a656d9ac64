// Chaos on the split deployment, on `pagewright dev-broker` and on a real
// broker: while concurrent clients send 10,000 commands over HTTP (each with
// an Idempotency-Key, retried until it has a definite answer, as a careful
// client does), one command worker and one projection worker are SIGKILLed
// and replacements started. Afterwards every accepted command is in the read
// model exactly once, and the read model equals one rebuilt from the log from
// scratch into another database.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "projections/pg.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kSecret = "chaos-secret-0123456789abcdef0123456789abcdef";
// PW_CHAOS_COMMANDS overrides the count for quicker runs by hand.
const int kCommands = std::getenv("PW_CHAOS_COMMANDS") ? std::atoi(std::getenv("PW_CHAOS_COMMANDS")) : 10000;
constexpr int kClients = 8;
constexpr int kSites = 8;
constexpr int kPagesPerSite = 4;

// Everything a tenant's read model holds, as one canonical string.
std::string read_model_dump(const std::string& conninfo, const std::string& tenant) {
  pqxx::connection c(conninfo);
  pqxx::work t(c);
  projections::with_tenant(t, tenant);
  return t.exec1(
              "SELECT coalesce((SELECT json_agg(s ORDER BY site_id) FROM sites s)::text, '') || "
              "coalesce((SELECT json_agg(p ORDER BY page_id) FROM pages p)::text, '') || "
              "coalesce((SELECT json_agg(e ORDER BY site_id, seq) FROM page_events e)::text, '')")[0]
      .as<std::string>();
}

class Chaos : public PgTest, public ::testing::WithParamInterface<BrokerKind> {
 protected:
  void TearDown() override {
    for (Child* c : {&gw_, &c1_, &c2_, &c3_, &p1_, &p2_, &p3_})
      if (c->pid > 0) stop(*c, 30s);
    broker_.stop(30s);
    if (!rebuild_db_.empty()) drop_database(rebuild_db_);
    std::error_code ec;
    if (!data_.empty()) std::filesystem::remove_all(data_, ec);
    PgTest::TearDown();
  }

  Child command_worker() {
    return spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri_, "--data", data_.string()});
  }
  Child projection_worker() { return spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri_}, {"PW_PG=" + owner_});
  }

  std::string uri_;
  std::filesystem::path data_;
  std::string rebuild_db_;
  TestBroker broker_;
  Child gw_, c1_, c2_, c3_, p1_, p2_, p3_;
};

struct Sent {
  std::string key;
  std::string page_id;
  std::string component_id;
};

TEST_P(Chaos, KilledWorkersLoseAndDuplicateNothing) {
  ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
  broker_ = TestBroker::start(GetParam(), "chaos");
  if (!broker_.ready()) return;
  // Short sessions (test_broker.hpp): the killed members' partitions move
  // after 3 s. On a real broker, the killed command worker's open transaction
  // holds back read_committed readers of the partitions it wrote (the
  // projectors, the gateway's results) until the coordinator aborts it, after
  // transaction.timeout.ms (librdkafka's default: 60 s) and the broker's next
  // check for expired transactions (every 10 s): keep that short.
  uri_ = broker_.uri() + (broker_.real() ? "&producer.transaction.timeout.ms=5000" : "") +
         (std::getenv("PW_CHAOS_URI_EXTRA") ? std::string(std::getenv("PW_CHAOS_URI_EXTRA")) : std::string());
  data_ = std::filesystem::temp_directory_path() / ("pw-chaos-" + db_);

  p1_ = projection_worker();
  p2_ = projection_worker();
  c1_ = command_worker();
  c2_ = command_worker();
  {
    pqxx::connection c(owner_);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline &&
           !pqxx::work(c).exec1("SELECT to_regclass('public.projection_offsets') IS NOT NULL")[0].as<bool>())
      std::this_thread::sleep_for(100ms);
  }
  // The clients send as fast as the gateway answers, as one tenant: no rate limit.
  gw_ = spawn({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", uri_, "--http-threads", "2",
               "--rate-limit-tenant", "off"},
              {"PW_PG=" + owner_, "PW_PG_READER=" + reader_});
  const uint16_t port = read_listening_port(gw_.out);
  ASSERT_NE(port, 0);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string tenant = "t-" + db_;

  // Sites and pages to edit (also through the gateway, also idempotent).
  std::vector<std::string> pages;
  {
    HttpClient http("127.0.0.1", port);
    for (int s = 0; s < kSites; ++s) {
      const std::string sub = "chaos-" + std::to_string(s) + "-" + db_.substr(8, 6);
      HttpReply site;
      for (int attempt = 0; attempt < 20 && site.status != 201; ++attempt)
        site = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", "Chaos"}, {"subdomain", sub}},
                              {{"Idempotency-Key", "site-" + sub}});
      ASSERT_EQ(site.status, 201) << site.body;
      const std::string site_id = site.json()["data"].value("siteId", "");
      for (int p = 0; p < kPagesPerSite; ++p) {
        HttpReply page;
        for (int attempt = 0; attempt < 20 && page.status != 201; ++attempt)
          page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", tokens.editor,
                                {{"title", "Page " + std::to_string(p)}},
                                {{"Idempotency-Key", "page-" + std::to_string(p)}});
        ASSERT_EQ(page.status, 201) << page.body;
        pages.push_back(page.json()["data"].value("pageId", ""));
      }
    }
  }

  // The clients: each command retried with its key until accepted or refused.
  std::atomic<int> next{0}, done{0}, retries{0};
  std::mutex mu;
  std::vector<Sent> accepted;
  std::vector<std::string> failures;
  auto client = [&](int c) {
    HttpClient http("127.0.0.1", port);
    for (int i = next++; i < kCommands; i = next++) {
      const std::string page = pages[static_cast<size_t>(i) % pages.size()];
      const std::string key = "cmd-" + std::to_string(i);
      const json body = {{"type", "Text"}, {"props", {{"text", "line " + std::to_string(i)}}}};
      HttpReply r;
      for (int attempt = 0; attempt < 200; ++attempt) {
        r = http.send_json("POST", "/v1/pages/" + page + "/components", tokens.editor, body,
                           {{"Idempotency-Key", key}});
        if (r.status == 201 || (r.status >= 400 && r.status < 500)) break;
        ++retries;  // 202 (not decided in time), 503 or no answer: send it again
        std::this_thread::sleep_for(50ms);
      }
      std::lock_guard lock(mu);
      if (r.status == 201)
        accepted.push_back({key, page, r.json()["data"].value("componentId", "")});
      else
        failures.push_back(key + " (client " + std::to_string(c) + "): " + std::to_string(r.status) + " " + r.body);
      ++done;
    }
  };
  std::vector<std::thread> clients;
  const auto sending = std::chrono::steady_clock::now();
  for (int c = 0; c < kClients; ++c) clients.emplace_back(client, c);

  // Mid-run: one of each pool dies without warning; replacements join.
  while (done < kCommands / 3) std::this_thread::sleep_for(10ms);
  c1_.kill_and_reap();
  p1_.kill_and_reap();
  c3_ = command_worker();
  p3_ = projection_worker();
  for (auto& t : clients) t.join();

  EXPECT_TRUE(failures.empty()) << failures.size() << " commands never got a definite answer, e.g. "
                                << failures.front();
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kCommands));
  const auto sent = std::chrono::steady_clock::now();
  std::cerr << "chaos: " << accepted.size() << " accepted, " << retries << " retried sends, in "
            << std::chrono::duration<double>(sent - sending).count() << " s\n";

  // Wait for the read model to hold every accepted component.
  std::set<std::string> want;
  for (const auto& s : accepted) want.insert(s.component_id);
  ASSERT_EQ(want.size(), accepted.size()) << "two accepted commands reported the same component";
  pqxx::connection pg(owner_);
  long added = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::work t(pg);
    projections::with_tenant(t, tenant);
    added = t.exec1("SELECT count(*) FROM page_events WHERE type = 'ComponentAdded'")[0].as<long>();
    if (added >= static_cast<long>(want.size())) break;
    t.commit();
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(added, static_cast<long>(want.size())) << "every accepted command exactly once in the history";
  std::cerr << "chaos: in the read model "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count() << " s later\n";

  // Each component exactly once in its page's content.
  std::multiset<std::string> seen;
  {
    pqxx::work t(pg);
    projections::with_tenant(t, tenant);
    for (const auto& row : t.exec(
             "SELECT c->>'id' FROM pages p, jsonb_array_elements(p.content) c WHERE c->>'type' = 'Text'"))
      seen.insert(row[0].as<std::string>());
  }
  EXPECT_EQ(seen.size(), want.size());
  for (const auto& id : want) EXPECT_EQ(seen.count(id), 1u) << id;

  // A rebuild from the log from scratch into a fresh database equals it.
  rebuild_db_ = db_ + "_rebuild";
  {
    pqxx::connection c(admin_);
    pqxx::nontransaction(c).exec("CREATE DATABASE " + c.quote_name(rebuild_db_));
  }
  const std::string rebuild = conninfo_with(owner_, {{"dbname", rebuild_db_}});
  const std::string live = read_model_dump(owner_, tenant);
  Child rebuilder = spawn({PW_BINARY, "rebuild", "--log", uri_}, {"PW_PG=" + rebuild});
  char line[512] = {};
  ASSERT_NE(std::fgets(line, sizeof line, rebuilder.out), nullptr) << "rebuild printed nothing";
  EXPECT_EQ(std::string(line).rfind("rebuilt: ", 0), 0u) << line;
  EXPECT_EQ(stop(rebuilder, 120s), 0) << "rebuild did not finish";
  std::cerr << "chaos: " << line;
  const std::string rebuilt = read_model_dump(rebuild, tenant);
  EXPECT_EQ(rebuilt.size(), live.size());
  EXPECT_TRUE(rebuilt == live) << "the live read model differs from a rebuild from the log";

  EXPECT_EQ(stop(gw_, 30s), 0);
  for (Child* c : {&c2_, &c3_, &p2_, &p3_}) EXPECT_EQ(stop(*c, 30s), 0);
}

INSTANTIATE_TEST_SUITE_P(Brokers, Chaos, kBothBrokers);

}  // namespace
}  // namespace pw::test
