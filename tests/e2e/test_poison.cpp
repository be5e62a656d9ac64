// Poison in the event log stalls no pool, on both log backends (Kafka as
// `pagewright dev-broker` and as a real broker): records no
// processor wrote are appended straight into pagewright.events for one
// tenant's site — garbage bytes, an envelope of an unknown type, and a
// well-formed event whose title holds U+0000 (Postgres refuses it in jsonb).
// Another tenant's next edit is still visible with X-Pagewright-After and its
// site still publishes; the poison is in pagewright.deadletter with its
// positions and reasons, counted by dead_letters_total, logged once each (no
// log storm), and `pagewright rebuild` into a fresh database completes past it.
// An outage (Postgres refusing every write for a while) is no poison: it is
// retried with a backoff, with one error line.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "events/dead_letter.hpp"
#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/log.hpp"
#include "projections/pg.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSecret = "poison-secret-0123456789abcdef0123456789abcdef";

// spawn(), with the child's stderr appended to `err` (its log lines).
Child spawn_logged(std::vector<std::string> args, const fs::path& err, const std::vector<std::string>& env = {}) {
  return spawn(std::move(args), env, err.string());
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The value of a metric series in a text exposition ("" if absent).
std::string metric(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  return {};
}

class Poison : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
    data_ = fs::temp_directory_path() / ("pw-poison-" + db_);
    fs::create_directories(data_);
  }
  void TearDown() override {
    for (Child* c : {&serve_, &gw_, &commands_, &projections_, &builds_})
      if (c->pid > 0) stop(*c, 30s);
    broker_.stop(30s);
    if (!rebuild_db_.empty()) drop_database(rebuild_db_);
    std::error_code ec;
    if (!data_.empty()) fs::remove_all(data_, ec);
    PgTest::TearDown();
  }

  std::vector<std::string> pg_env() const { return {"PW_PG=" + owner_, "PW_PG_READER=" + reader_}; }

  // Starts every role; returns the HTTP port (0 if something did not start).
  uint16_t start() {
    if (!kafka_) {
      std::vector<std::string> args{PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data_.string(),
                                    "--metrics", "127.0.0.1:0"};
      args.insert(args.end(), serve_extra_.begin(), serve_extra_.end());
      serve_ = spawn_logged(args, data_ / "serve.err", pg_env());
      const uint16_t port = read_listening_port(serve_.out);
      projections_metrics_ = builds_metrics_ = read_listening_port(serve_.out);
      return port;
    }
    projections_ = spawn_logged({PW_BINARY, "worker", "--pool", "projections", "--log", uri_, "--metrics",
                                 "127.0.0.1:0"},
                                data_ / "projections.err", pg_env());
    projections_metrics_ = read_listening_port(projections_.out);
    commands_ = spawn_logged({PW_BINARY, "worker", "--pool", "commands", "--log", uri_, "--data",
                              (data_ / "processors").string()},
                             data_ / "commands.err");
    builds_ = spawn_logged({PW_BINARY, "worker", "--pool", "builds", "--log", uri_, "--sites",
                            (data_ / "sites").string(), "--metrics", "127.0.0.1:0"},
                           data_ / "builds.err");
    builds_metrics_ = read_listening_port(builds_.out);
    {
      pqxx::connection c(owner_);
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      while (std::chrono::steady_clock::now() < deadline &&
             !pqxx::work(c).exec1("SELECT to_regclass('public.projection_offsets') IS NOT NULL")[0].as<bool>())
        std::this_thread::sleep_for(100ms);
    }
    gw_ = spawn_logged({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", uri_, "--sites",
                        (data_ / "sites").string()},
                       data_ / "gateway.err", pg_env());
    return read_listening_port(gw_.out);
  }

  // Stops every role but the broker; true if each drained and exited cleanly.
  bool stop_roles() {
    bool clean = true;
    for (Child* c : {&serve_, &gw_, &commands_, &projections_, &builds_})
      if (c->pid > 0) clean = stop(*c, 30s) == 0 && clean;
    return clean;
  }

  // The event log, opened from this process (the local one only while serve is stopped).
  std::unique_ptr<log::EventLog> open_log() {
    auto log = log::open_log(kafka_ ? uri_ : "local:" + (data_ / "log").string());
    EXPECT_TRUE(log.ok()) << log.error().message;
    return log.ok() ? std::move(log).value() : nullptr;
  }

  void run();
  void expect_groups_in_namespace();

  bool kafka_ = false;
  TestBroker broker_;  // when kafka_
  BrokerNames names_before_;  // on the real broker
  fs::path data_;
  std::string uri_;
  std::string rebuild_db_;
  uint16_t projections_metrics_ = 0, builds_metrics_ = 0;
  std::vector<std::string> serve_extra_;
  Child serve_, gw_, commands_, projections_, builds_;
};

// POSTs until a definite answer (a gateway answers 202/503 while a Kafka group forms).
HttpReply send(HttpClient& http, const std::string& method, const std::string& target, const std::string& token,
               const json& body, const std::string& key) {
  HttpReply r;
  for (int attempt = 0; attempt < 100; ++attempt) {
    r = http.send_json(method, target, token, body, {{"Idempotency-Key", key}});
    if (r.status != 0 && r.status != 202 && r.status < 500) break;
    std::this_thread::sleep_for(200ms);
  }
  return r;
}

// GET with X-Pagewright-After, until the read model has passed `position`.
HttpReply read_after(HttpClient& http, const std::string& target, const std::string& token,
                     const std::string& position) {
  HttpReply r;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  do {
    r = http.get(target, token, {{"X-Pagewright-After", position}});
  } while (r.status == 503 && std::chrono::steady_clock::now() < deadline);
  return r;
}

struct SiteAndPage {
  std::string site, page, position;  // position: the page's creation
};

// A tenant's new site with one page; the idempotency keys are key + "1", "2".
SiteAndPage make_site_and_page(HttpClient& http, const Tokens& t, const std::string& name,
                               const std::string& subdomain, const std::string& title, const std::string& key) {
  SiteAndPage out;
  auto site = send(http, "POST", "/v1/sites", t.admin, {{"name", name}, {"subdomain", subdomain}}, key + "1");
  EXPECT_EQ(site.status, 201) << site.body;
  out.site = site.json()["data"].value("siteId", "");
  auto page = send(http, "POST", "/v1/sites/" + out.site + "/pages", t.editor, {{"title", title}}, key + "2");
  EXPECT_EQ(page.status, 201) << page.body;
  out.page = page.json()["data"].value("pageId", "");
  out.position = page.json()["data"].value("position", "");
  return out;
}

// The consumer groups of the running roles are all in the test's namespace.
// Listed while they run: a group that commits no offsets to Kafka (the
// projection and build pools keep theirs elsewhere) goes when its members do.
void Poison::expect_groups_in_namespace() {
  BrokerNames now = names_before_;
  now.groups = kafka_tool_names(broker_, "consumer-groups --list");
  BrokerNames mine;
  const BrokerNames stray = names_since(names_before_, now, broker_, mine);
  EXPECT_TRUE(stray.groups.empty()) << testing::PrintToString(stray.groups);
  for (const char* group : {"pagewright.command-processors", "pagewright.projections", "pagewright.builds"})
    EXPECT_TRUE(mine.groups.contains(group)) << group << " not in " << testing::PrintToString(mine.groups);
  size_t gateways = 0;
  for (const auto& g : mine.groups) gateways += g.rfind("pagewright.gateway.", 0) == 0;
  EXPECT_EQ(gateways, 1u) << testing::PrintToString(mine.groups);
}

void Poison::run() {
  uint16_t port = start();
  ASSERT_NE(port, 0) << "the roles did not start";
  auto http = std::make_unique<HttpClient>("127.0.0.1", port);
  const Tokens victim = make_tokens(kSecret, db_ + "-v");
  const Tokens other = make_tokens(kSecret, db_ + "-o");
  const std::string tag = db_.substr(8, 8);

  // The victim's site, and another tenant's site with a published page.
  const SiteAndPage v = make_site_and_page(*http, victim, "Victim", "victim-" + tag, "Home", "v");
  ASSERT_FALSE(HasFailure());
  const std::string victim_site = v.site, victim_page = v.page;
  const SiteAndPage o = make_site_and_page(*http, other, "Other", "other-" + tag, "Welcome", "o");
  ASSERT_FALSE(HasFailure());
  const std::string other_site = o.site, other_page = o.page;
  ASSERT_EQ(send(*http, "POST", "/v1/pages/" + other_page + "/publish", other.admin, json::object(), "o3").status, 200);

  // The victim's stream as stored: its last line is the head the poison follows.
  auto stream = http->get("/v1/sites/" + victim_site + "/events", victim.viewer, {{"Accept", "application/x-ndjson"}});
  ASSERT_EQ(stream.status, 200) << stream.body;
  std::string head_line;
  int64_t events = 0;
  {
    std::istringstream in(stream.body);
    for (std::string line; std::getline(in, line); ++events) head_line = line;
  }
  ASSERT_EQ(events, 2);
  auto head = decode(head_line);
  ASSERT_TRUE(head.ok()) << head.error().message;
  auto forged = [&](const std::string& type, json data) {
    Envelope e = *head;
    e.id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + type.size());
    e.type = type;
    e.seq = head->seq + 1;
    e.aggregate.version = head->aggregate.version + 1;  // the page's next version, as a real edit's
    e.prev_hash = sha256_of(head_line);
    e.data = std::move(data);
    return encode(e);
  };
  const std::vector<std::string> poison = {
      std::string("\xff\xfe\x00 garbage", 11), forged("PageVanished", {{"pageId", victim_page}}),
      forged("PageMetadataUpdated",
             domain::event_data(domain::PageMetadataUpdated{PageId{victim_page}, std::string("Evil\0title", 10), {}, {}}))};

  // Straight into pagewright.events, past the gateway and the processors.
  if (!kafka_) {
    ASSERT_TRUE(stop_roles()) << "serve did not stop cleanly";
  }
  log::Appended at;
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    log::Batch batch;
    for (const auto& v : poison) batch.records.push_back({std::string(log::kEventsTopic), victim_site, v, std::nullopt});
    auto appended = log->append(batch);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    at = *appended;
  }
  if (!kafka_) {
    port = start();
    ASSERT_NE(port, 0) << "serve did not start again";
    http = std::make_unique<HttpClient>("127.0.0.1", port);
  }

  // The other tenant edits, reads its edit back and publishes.
  auto edit = send(*http, "PATCH", "/v1/pages/" + other_page, other.editor, {{"title", "Still here"}}, "o4");
  ASSERT_EQ(edit.status, 200) << edit.body;
  auto read = read_after(*http, "/v1/pages/" + other_page, other.viewer, edit.json()["data"].value("position", ""));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"].value("title", ""), "Still here");
  ASSERT_EQ(send(*http, "POST", "/v1/pages/" + other_page + "/publish", other.admin, json::object(), "o5").status, 200);
  auto publish = send(*http, "POST", "/v1/sites/" + other_site + "/publish", other.admin, json::object(), "o6");
  ASSERT_EQ(publish.status, 201) << publish.body;
  const json deployment = wait_for_deployment(*http, other.viewer, publish.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(deployment["status"], "succeeded") << deployment.dump();
  EXPECT_EQ(http->request("GET", "/sites/other-" + tag + "/welcome/").status, 200);

  // The victim's own next edit takes the seq the forged event claimed: the
  // read model shows the real one.
  auto vedit = send(*http, "PATCH", "/v1/pages/" + victim_page, victim.editor, {{"title", "Real"}}, "v3");
  ASSERT_EQ(vedit.status, 200) << vedit.body;
  auto vread = read_after(*http, "/v1/pages/" + victim_page, victim.viewer, vedit.json()["data"].value("position", ""));
  ASSERT_EQ(vread.status, 200) << vread.body;
  EXPECT_EQ(vread.json()["data"].value("title", ""), "Real");

  // Counted: the projection pool set aside all three; the build pool folds the
  // forged title (nothing refuses it there), so the real event that follows
  // meets a seq gap — the victim's site is quarantined in the build pool.
  std::string projections_count, builds_count;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && (projections_count != "3" || builds_count != "3")) {
    HttpClient pm("127.0.0.1", projections_metrics_), bm("127.0.0.1", builds_metrics_);
    projections_count = metric(pm.get("/metrics", "").body, "dead_letters_total{pool=\"projections\"}");
    builds_count = metric(bm.get("/metrics", "").body, "dead_letters_total{pool=\"builds\"}");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(projections_count, "3");
  EXPECT_EQ(builds_count, "3");

  // An operator lists them while the roles run (serve owns the local log).
  {
    Child lister = spawn_logged({PW_BINARY, "deadletter", "list", "--json", "--log",
                                 kafka_ ? uri_ : "local:" + (data_ / "log").string()},
                                data_ / "list.log");
    ASSERT_GT(lister.pid, 0);
    std::string listed;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, lister.out)) > 0;) listed.append(buf, n);
    int status = 0;
    ::waitpid(std::exchange(lister.pid, -1), &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << listed;
    std::map<std::string, std::vector<int64_t>> offsets;  // by pool
    std::istringstream in(listed);
    for (std::string line; std::getline(in, line);) {
      const json l = json::parse(line);
      EXPECT_EQ(l["key"], victim_site) << line;
      offsets[l["pool"].get<std::string>()].push_back(l["offset"].get<int64_t>());
    }
    EXPECT_EQ(offsets["projections"], (std::vector<int64_t>{at.offsets[0], at.offsets[1], at.offsets[2]})) << listed;
    EXPECT_EQ(offsets["builds"].size(), 3u) << listed;
  }

  if (kafka_ && broker_.real()) expect_groups_in_namespace();

  http.reset();
  EXPECT_TRUE(stop_roles()) << "a role did not drain and exit cleanly";

  // One line per dead letter, and no storm of error lines.
  std::vector<std::string> all;
  for (const auto& f : fs::directory_iterator(data_))
    if (f.path().extension() == ".err")
      for (auto& line : lines_of(f.path())) all.push_back(std::move(line));
  size_t set_aside = 0;
  for (const auto& line : all) {
    const json l = json::parse(line, nullptr, false);
    set_aside += l.is_object() && l.value("msg", "") == "set aside in pagewright.deadletter" &&
                 l.value("position", "").rfind("pagewright.events[", 0) == 0;
  }
  std::cerr << "poison: " << all.size() << " log lines from the roles, " << set_aside << " of them dead letters\n";
  EXPECT_EQ(set_aside, 6u);
  EXPECT_LT(all.size(), 80u) << "log lines: " << all.size() << ", e.g. " << (all.empty() ? "" : all.back());

  // The dead letters: where each record was, and why it was set aside.
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    const int32_t partition = at.partitions[0].partition;
    auto reader = log->reader({std::string(log::kDeadLetterTopic), partition}, 0);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    std::vector<log::DeadLetter> projected, built;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (projected.size() + built.size() < 6 && std::chrono::steady_clock::now() < until) {
      auto got = (*reader)->read(200ms, 100);
      ASSERT_TRUE(got.ok()) << got.error().message;
      for (const auto& r : *got) {
        EXPECT_EQ(r.key, victim_site);
        auto d = log::decode_dead_letter(r.value);
        ASSERT_TRUE(d.ok()) << r.value;
        (d->pool == "projections" ? projected : built).push_back(*d);
      }
    }
    ASSERT_EQ(projected.size(), 3u);
    ASSERT_EQ(built.size(), 3u);
    const char* why[] = {"projector: pagewright.events[", "PageVanished", "postgres refused it"};
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(projected[i].topic, log::kEventsTopic);
      EXPECT_EQ(projected[i].partition, partition);
      EXPECT_EQ(projected[i].offset, at.offsets[i]);
      EXPECT_EQ(projected[i].key, victim_site);
      EXPECT_EQ(projected[i].group, "pagewright.projections");
      EXPECT_EQ(projected[i].value, poison[i]);
      EXPECT_NE(projected[i].reason.find(why[i]), std::string::npos) << projected[i].reason;
    }
    EXPECT_EQ(built[0].offset, at.offsets[0]);
    EXPECT_EQ(built[1].offset, at.offsets[1]);
    EXPECT_NE(built[1].reason.find("PageVanished"), std::string::npos) << built[1].reason;
    EXPECT_GT(built[2].offset, at.offsets[2]);
    EXPECT_NE(built[2].reason.find("seq gap: site " + victim_site + " event seq 3"), std::string::npos)
        << built[2].reason;
    for (const auto& d : built) EXPECT_EQ(d.group, "pagewright.builds");
  }

  // A rebuild from the log into a fresh database completes past the poison.
  rebuild_db_ = db_ + "_rebuild";
  {
    pqxx::connection c(admin_);
    pqxx::nontransaction(c).exec("CREATE DATABASE " + c.quote_name(rebuild_db_));
  }
  Child rebuilder = spawn_logged({PW_BINARY, "rebuild", "--log", kafka_ ? uri_ : "local:" + (data_ / "log").string()},
                                 data_ / "rebuild.log", {"PW_PG=" + conninfo_with(owner_, {{"dbname", rebuild_db_}})});
  char line[512] = {};
  ASSERT_NE(std::fgets(line, sizeof line, rebuilder.out), nullptr) << "rebuild printed nothing";
  EXPECT_EQ(std::string(line).rfind("rebuilt: ", 0), 0u) << line;
  EXPECT_NE(std::string(line).find(" 3 set aside in pagewright.deadletter"), std::string::npos) << line;
  EXPECT_EQ(stop(rebuilder, 120s), 0) << "rebuild did not finish";
  {
    pqxx::connection c(conninfo_with(owner_, {{"dbname", rebuild_db_}}));
    pqxx::work t(c);
    projections::with_tenant(t, "t-" + db_ + "-o");
    EXPECT_EQ(t.exec1("SELECT title FROM pages")[0].as<std::string>(), "Still here");
  }
  if (kafka_) {
    EXPECT_EQ(broker_.stop(30s), 0);
  }
}

// A database that refuses every write for a while, for no record's sake (a
// trigger raising), is an outage, not poison: nothing is set aside, the
// projector retries with a backoff (a handful of attempts, not thousands),
// logs one error line and one on recovery, and the edit made meanwhile
// becomes visible once the database accepts writes again.
TEST_F(Poison, AnOutageIsRetriedWithBackoffAndFewErrorLines) {
  const uint16_t port = start();
  ASSERT_NE(port, 0) << "serve did not start";
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);
  auto site = send(http, "POST", "/v1/sites", t.admin, {{"name", "Outage"}, {"subdomain", "outage-" + db_.substr(8, 8)}}, "s");
  ASSERT_EQ(site.status, 201) << site.body;
  auto page = send(http, "POST", "/v1/sites/" + site.json()["data"].value("siteId", "") + "/pages", t.editor,
                   {{"title", "Home"}}, "p");
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");
  ASSERT_EQ(read_after(http, "/v1/pages/" + page_id, t.viewer, page.json()["data"].value("position", "")).status, 200);

  {
    pqxx::connection c(owner_);
    pqxx::work w(c);
    w.exec("CREATE FUNCTION pw_outage() RETURNS trigger LANGUAGE plpgsql AS "
           "$$BEGIN RAISE EXCEPTION 'injected outage'; END$$");
    w.exec("CREATE TRIGGER pw_outage BEFORE INSERT ON page_events FOR EACH ROW EXECUTE FUNCTION pw_outage()");
    w.commit();
  }
  auto edit = send(http, "PATCH", "/v1/pages/" + page_id, t.editor, {{"title", "During"}}, "e");
  ASSERT_EQ(edit.status, 200) << edit.body;
  std::this_thread::sleep_for(4s);
  {
    pqxx::connection c(owner_);
    pqxx::work w(c);
    w.exec("DROP TRIGGER pw_outage ON page_events");
    w.commit();
  }
  auto read = read_after(http, "/v1/pages/" + page_id, t.viewer, edit.json()["data"].value("position", ""));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"].value("title", ""), "During");
  HttpClient operators("127.0.0.1", projections_metrics_);
  EXPECT_EQ(metric(operators.get("/metrics", "").body, "dead_letters_total{pool=\"projections\"}"), "0");
  ASSERT_EQ(stop(serve_, 30s), 0);

  size_t failed = 0, recovered = 0;
  long attempts = -1;
  for (const auto& line : lines_of(data_ / "serve.err")) {
    EXPECT_EQ(line.find("set aside"), std::string::npos) << line;
    const json l = json::parse(line, nullptr, false);
    if (!l.is_object() || l.value("msg", "") != "projector") continue;
    if (l.value("error", "").find("injected outage") != std::string::npos) ++failed;
    if (l.contains("recovered_after_failures")) {
      ++recovered;
      attempts = l["recovered_after_failures"].get<long>();
    }
  }
  EXPECT_EQ(failed, 1u) << "one error line per 10 s of outage";
  EXPECT_EQ(recovered, 1u);
  // 50 ms doubling to 5 s over about 4 s of outage: 6 or 7 attempts (and a
  // few more on a slow machine), where retrying at once would make thousands.
  EXPECT_GE(attempts, 3);
  EXPECT_LE(attempts, 20);
  std::cerr << "outage: " << attempts << " failed attempts\n";
}

// A processor that recovers a partition (here after a SIGKILL, so from the
// snapshot its clean stop took before the junk) passes over an event and a
// result no processor wrote, counts them in foreign_records_total, and goes on
// deciding that site's commands. One processor: every recovery that passes
// over a record counts it, and a second one would take partitions from the
// first as it joins.
TEST_F(Poison, ARecoveringProcessorCountsWhatNoProcessorWrote) {
  serve_extra_ = {"--command-threads", "1"};
  uint16_t port = start();
  ASSERT_NE(port, 0) << "serve did not start";
  auto http = std::make_unique<HttpClient>("127.0.0.1", port);
  const Tokens victim = make_tokens(kSecret, db_ + "-v");
  const Tokens other = make_tokens(kSecret, db_ + "-o");
  const std::string tag = db_.substr(8, 8);
  const SiteAndPage v = make_site_and_page(*http, victim, "Victim", "victim-" + tag, "Home", "v");
  ASSERT_FALSE(HasFailure());
  const std::string site_id = v.site, page_id = v.page;
  ASSERT_TRUE(stop_roles()) << "serve did not stop cleanly";
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    log::Batch junk;
    junk.records.push_back({std::string(log::kEventsTopic), site_id, std::string("\xff\xfe junk event", 13), std::nullopt});
    junk.records.push_back({std::string(log::kResultsTopic), site_id, "{\"not\": \"an outcome\"}", std::nullopt});
    ASSERT_TRUE(log->append(junk).ok());
  }
  port = start();
  ASSERT_NE(port, 0) << "serve did not start again";
  http = std::make_unique<HttpClient>("127.0.0.1", port);
  auto edit = send(*http, "PATCH", "/v1/pages/" + page_id, victim.editor, {{"title", "After the junk"}}, "v3");
  ASSERT_EQ(edit.status, 200) << edit.body;
  serve_.kill_and_reap();  // no snapshot at exit: the next start replays past the junk

  port = start();
  ASSERT_NE(port, 0) << "serve did not start after SIGKILL";
  http = std::make_unique<HttpClient>("127.0.0.1", port);
  std::string events, results;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && (events != "1" || results != "1")) {
    HttpClient m("127.0.0.1", projections_metrics_);
    const std::string body = m.get("/metrics", "").body;
    events = metric(body, "foreign_records_total{topic=\"events\"}");
    results = metric(body, "foreign_records_total{topic=\"results\"}");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(events, "1");
  EXPECT_EQ(results, "1");

  // The victim's site goes on from its real head; another tenant's edit is
  // visible and its site publishes.
  auto again = send(*http, "PATCH", "/v1/pages/" + page_id, victim.editor, {{"title", "Again"}}, "v4");
  ASSERT_EQ(again.status, 200) << again.body;
  auto read = read_after(*http, "/v1/pages/" + page_id, victim.viewer, again.json()["data"].value("position", ""));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"].value("title", ""), "Again");
  EXPECT_EQ(read.json()["data"].value("version", 0), 3) << read.body;
  const SiteAndPage o = make_site_and_page(*http, other, "Other", "other-" + tag, "Welcome", "o");
  ASSERT_FALSE(HasFailure());
  const std::string other_site = o.site, other_page = o.page;
  auto oread = read_after(*http, "/v1/pages/" + other_page, other.viewer, o.position);
  ASSERT_EQ(oread.status, 200) << oread.body;
  ASSERT_EQ(send(*http, "POST", "/v1/pages/" + other_page + "/publish", other.admin, json::object(), "o3").status, 200);
  auto publish = send(*http, "POST", "/v1/sites/" + other_site + "/publish", other.admin, json::object(), "o4");
  ASSERT_EQ(publish.status, 201) << publish.body;
  const json deployment = wait_for_deployment(*http, other.viewer, publish.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(deployment["status"], "succeeded") << deployment.dump();
}

TEST_F(Poison, OnTheEmbeddedLogNothingStalls) {
  kafka_ = false;
  run();
}

class PoisonOnKafka : public Poison, public ::testing::WithParamInterface<BrokerKind> {};

TEST_P(PoisonOnKafka, NothingStalls) {
  broker_ = TestBroker::start(GetParam(), "poison");
  if (!broker_.ready()) return;
  kafka_ = true;
  uri_ = broker_.uri();
  if (broker_.real()) names_before_ = broker_names(broker_);
  run();
  if (!broker_.real() || HasFatalFailure()) return;

  // Every client of every role took the namespace from --log: what they left
  // on the broker (topics, groups, and the transactional ids of everything
  // that wrote, the rebuild's dead letters included) is all under it.
  BrokerNames mine;
  const BrokerNames stray = names_since(names_before_, broker_names(broker_), broker_, mine);
  EXPECT_TRUE(stray.topics.empty()) << testing::PrintToString(stray.topics);
  EXPECT_TRUE(stray.groups.empty()) << testing::PrintToString(stray.groups);
  EXPECT_TRUE(stray.transactions.empty()) << testing::PrintToString(stray.transactions);
  EXPECT_EQ(mine.topics, (std::set<std::string>{std::string(log::kCommandsTopic), std::string(log::kEventsTopic),
                                                 std::string(log::kResultsTopic), std::string(log::kDeadLetterTopic)}));
  // The gateway, the three pools, the rebuild and this test's own append.
  EXPECT_GE(mine.transactions.size(), 6u) << testing::PrintToString(mine.transactions);
  for (const auto& id : mine.transactions) EXPECT_EQ(id.rfind("pagewright-", 0), 0u) << id;
}

INSTANTIATE_TEST_SUITE_P(Brokers, PoisonOnKafka, kBothBrokers);

}  // namespace
}  // namespace pw::test
