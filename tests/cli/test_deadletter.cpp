// `pagewright deadletter list|retry` on both log backends (the local log held
// open by this process, as serve holds it, and Kafka: the dev broker and the
// real one). Poison reaches the projection pool two ways: bytes that are no
// event, and a SiteCreated the read model refuses (a stray row holds its
// subdomain — a read model in need of repair — so its page meets a seq gap
// and is set aside too). The pool moves on (another tenant's later edit is
// projected), list shows each dead letter with its position and reason, a
// retry before the repair fails again and says why, a retry after it applies
// the site's events once and in order, and a second retry changes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "events/dead_letter.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"
#include "projections/pg.hpp"
#include "projections/projector.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/schemas.hpp"
#include "workers/command_processor.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace d = domain;
namespace fs = std::filesystem;

enum class Backend { local, dev, real };

void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::local ? "LocalLog" : b == Backend::dev ? "DevBroker" : "RealBroker");
}

// dead_letter_retries_total{outcome} in what `retry --metrics-file` wrote; -1 if absent.
double retries_counted(const fs::path& file, const std::string& outcome) {
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string series = "dead_letter_retries_total{outcome=\"" + outcome + "\"} ";
  const auto at = text.find(series);
  return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size()));
}

class DeadLetterCli : public PgTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    dir_ = fs::temp_directory_path() / ("pw-deadletter-" + db_);
    fs::create_directories(dir_);
    if (GetParam() == Backend::local) {
      uri_ = "local:" + (dir_ / "log").string();
      partitions_ = 4;
    } else {
      broker_ = TestBroker::start(GetParam() == Backend::dev ? BrokerKind::dev : BrokerKind::real, "deadletter");
      if (!broker_.ready()) return;
      uri_ = broker_.uri();
      partitions_ = broker_.partitions();
    }
    auto opened = GetParam() == Backend::local ? log::open_log(uri_, {{"fsync", "false"}}) : log::open_log(uri_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    ASSERT_TRUE(create_pagewright_topics(*log_, partitions_).ok());
  }

  void TearDown() override {
    projector_.reset();
    log_.reset();
    broker_.stop(30s);
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
    PgTest::TearDown();
  }

  // The commands through a command processor until each has its result.
  void process(const std::vector<d::CommandRecord>& cmds) {
    ASSERT_TRUE(submit_commands(*log_, cmds).ok());
    workers::ProcessorConfig config;
    config.schemas = test_schemas();
    config.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((*processor)->stats().accepted < static_cast<int64_t>(cmds.size())) {
      auto r = (*processor)->run_once(50ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the processor did not finish";
    }
    (*processor)->close();
  }

  // Runs the projection pool until `done` holds.
  void project_until(const std::function<bool()>& done) {
    if (!projector_) {
      auto p = projections::Projector::create(*log_, owner_);
      ASSERT_TRUE(p.ok()) << p.error().message;
      projector_ = std::move(p).value();
    }
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (!done()) {
      auto r = projector_->run_once(50ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the projector did not get there";
    }
  }

  // A value of the read models, as the tenant sees it ("" when no row).
  std::string read(const std::string& tenant, const std::string& sql) {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, tenant);
    auto r = t.exec(sql);
    return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
  }

  // Every tenant row of the read models, for "nothing changed".
  std::string dump() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    std::string out;
    for (const char* tenant : {"tenant-victim", "tenant-other"}) {
      projections::with_tenant(t, tenant);
      out += t.exec1("SELECT coalesce((SELECT json_agg(s ORDER BY site_id) FROM sites s)::text, '') || "
                     "coalesce((SELECT json_agg(p ORDER BY page_id) FROM pages p)::text, '') || "
                     "coalesce((SELECT json_agg(e ORDER BY site_id, seq) FROM page_events e)::text, '')")[0]
                 .as<std::string>();
    }
    return out;
  }

  CliRun cli(std::vector<std::string> args) {
    args.insert(args.begin(), {PW_BINARY, "deadletter"});
    args.insert(args.begin() + 3, {"--log", uri_});
    return run_cli(std::move(args), {"PW_PG=" + owner_}, dir_ / "cli.err");
  }

  std::vector<json> listed(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"list", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun r = cli(args);
    EXPECT_EQ(r.status, 0) << r.out;
    std::vector<json> out;
    for (const auto& l : r.lines()) out.push_back(json::parse(l));
    return out;
  }

  TestBroker broker_;
  fs::path dir_;
  std::string uri_;
  int32_t partitions_ = 4;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<projections::Projector> projector_;
};

TEST_P(DeadLetterCli, ListShowsThePoisonAndRetryAppliesItOnceAfterTheRepair) {
  if (!log_) return;  // no real broker outside CI
  const auto victim = site_id_for_subdomain("victim");
  const auto victim_home = make_page_id(victim, "home");
  const auto other = site_id_for_subdomain("other");
  const auto other_home = make_page_id(other, "home");

  // The read model needs repair: a stray row holds the victim's subdomain.
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, "tenant-stray");
    t.exec("INSERT INTO sites (tenant_id, site_id, subdomain, name, version, created_at, updated_at) "
           "VALUES ('tenant-stray', 'site-stray', 'victim', 'Stray', 1, now(), now())");
    t.commit();
  }
  ASSERT_NO_FATAL_FAILURE(process({command_record(1, "other", d::CreateSite{other, "Other", "other"}),
                                   command_record(2, "other", d::CreatePage{other_home, "Home", std::string(), {}}),
                                   command_record(3, "victim", d::CreateSite{victim, "Victim", "victim"}),
                                   command_record(4, "victim", d::CreatePage{victim_home, "Home", std::string(), {}})}));
  // Bytes that are no event, straight into pagewright.events.
  log::Batch garbage;
  garbage.records.push_back({std::string(log::kEventsTopic), victim.str(), std::string("\xff\xfe garbage", 10), {}});
  auto at = log_->append(garbage);
  ASSERT_TRUE(at.ok()) << at.error().message;
  const int32_t partition = at->partitions[0].partition;
  // The other tenant's edit, after the poison.
  ASSERT_NO_FATAL_FAILURE(process({command_record(5, "other", d::UpdatePageMetadata{other_home, "After", {}, {}})}));

  // The pool moves on: the other tenant's edit is projected, three records set aside.
  ASSERT_NO_FATAL_FAILURE(project_until([&] {
    return projector_->stats().dead_letters >= 3 &&
           read("tenant-other", "SELECT title FROM pages WHERE page_id = '" + other_home.value + "'") == "After";
  }));
  EXPECT_EQ(projector_->stats().dead_letters, 3);
  EXPECT_EQ(projector_->stats().malformed, 1);
  EXPECT_EQ(read("tenant-victim", "SELECT count(*) FROM sites"), "0");

  // list: each with where it was and why, in the order it was set aside.
  auto letters = listed({"--pool", "projections"});
  ASSERT_EQ(letters.size(), 3u);
  std::map<std::string, json> by_reason;
  for (const auto& l : letters) {
    EXPECT_EQ(l["topic"], log::kEventsTopic);
    EXPECT_EQ(l["partition"], log::partition_for(victim.str(), partitions_));
    EXPECT_EQ(l["deadLetterPartition"], l["partition"]);
    EXPECT_EQ(l["position"], std::string(log::kDeadLetterTopic) + "[" + l["deadLetterPartition"].dump() + "]@" +
                                 l["deadLetterOffset"].dump());
    EXPECT_EQ(l["key"], victim.str());
    EXPECT_EQ(l["pool"], "projections");
    EXPECT_EQ(l["group"], "pagewright.projections");
    EXPECT_FALSE(l.contains("retry"));
    EXPECT_GT(l["valueBytes"].get<int64_t>(), 0);
  }
  EXPECT_LT(letters[0]["offset"].get<int64_t>(), letters[1]["offset"].get<int64_t>());
  EXPECT_NE(letters[0]["reason"].get<std::string>().find("postgres refused it"), std::string::npos) << letters[0];
  EXPECT_NE(letters[0]["reason"].get<std::string>().find("subdomain"), std::string::npos) << letters[0];
  EXPECT_NE(letters[1]["reason"].get<std::string>().find("seq gap"), std::string::npos) << letters[1];
  EXPECT_EQ(letters[2]["offset"], at->offsets[0]);
  EXPECT_EQ(letters[2]["valueBytes"], 10);
  EXPECT_NE(letters[2]["reason"].get<std::string>().find("projector: pagewright.events["), std::string::npos)
      << letters[2];
  // The filters, and the readable form.
  EXPECT_TRUE(listed({"--pool", "builds"}).empty());
  EXPECT_TRUE(listed({"--partition", std::to_string((partition + 1) % partitions_)}).empty());
  const CliRun readable = cli({"list", "--partition", std::to_string(partition)});
  EXPECT_EQ(readable.status, 0);
  EXPECT_NE(readable.out.find(letters[2]["position"].get<std::string>() + "  pagewright.events[" +
                              std::to_string(partition) + "]@" + std::to_string(at->offsets[0]) + "  key " +
                              victim.str()),
            std::string::npos)
      << readable.out;
  EXPECT_NE(readable.out.find("3 dead letters\n"), std::string::npos) << readable.out;

  // Before the repair, every retry fails again and says why; nothing changes.
  const std::string before = dump();
  CliRun first = cli({"retry", "--all"});
  EXPECT_EQ(first.status, 1) << first.out;
  ASSERT_EQ(first.lines().size(), 3u) << first.out;
  for (const auto& line : first.lines()) EXPECT_NE(line.find("failed again, still a dead letter: "), std::string::npos) << line;
  EXPECT_NE(first.lines()[0].find("subdomain"), std::string::npos) << first.out;
  EXPECT_EQ(dump(), before);
  letters = listed();
  ASSERT_EQ(letters.size(), 3u);
  for (const auto& l : letters) {
    EXPECT_EQ(l["retry"]["outcome"], "failed") << l;
    EXPECT_EQ(l["retry"]["attempts"], 1) << l;
  }
  EXPECT_NE(letters[1]["retry"]["reason"].get<std::string>().find("seq gap: site " + victim.str()), std::string::npos)
      << letters[1];

  // The repair, then the retry: the site and its page, once, in order.
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, "tenant-stray");
    t.exec("DELETE FROM sites WHERE site_id = 'site-stray'");
    t.commit();
  }
  CliRun second = cli({"retry", "--all"});
  EXPECT_EQ(second.status, 1) << second.out;  // the garbage stays a dead letter
  ASSERT_EQ(second.lines().size(), 3u) << second.out;
  EXPECT_EQ(second.lines()[0], letters[0]["position"].get<std::string>() + " (pagewright.events[" +
                                   std::to_string(partition) + "]@" + letters[0]["offset"].dump() + "): applied");
  EXPECT_NE(second.lines()[1].find("): applied"), std::string::npos) << second.out;
  EXPECT_NE(second.lines()[2].find("failed again"), std::string::npos) << second.out;
  EXPECT_EQ(read("tenant-victim", "SELECT version FROM sites WHERE site_id = '" + victim.str() + "'"), "2");
  EXPECT_EQ(read("tenant-victim", "SELECT title FROM pages WHERE page_id = '" + victim_home.value + "'"), "Home");
  EXPECT_EQ(read("tenant-victim", "SELECT count(*) FROM page_events"), "2");

  // A second retry changes nothing, named or all.
  const std::string after = dump();
  CliRun third = cli({"retry", letters[0]["position"].get<std::string>(), letters[1]["position"].get<std::string>()});
  EXPECT_EQ(third.status, 0) << third.out;
  for (const auto& line : third.lines()) EXPECT_NE(line.find("retried before (applied at "), std::string::npos) << line;
  CliRun fourth = cli({"retry", "--all"});
  EXPECT_EQ(fourth.status, 1) << fourth.out;
  EXPECT_EQ(dump(), after);
  letters = listed();
  ASSERT_EQ(letters.size(), 3u);
  EXPECT_EQ(letters[0]["retry"]["outcome"], "applied");
  EXPECT_EQ(letters[0]["retry"]["attempts"], 2);
  EXPECT_EQ(letters[2]["retry"]["outcome"], "failed");
  EXPECT_EQ(letters[2]["retry"]["attempts"], 3);  // each --all

  // The site is whole again: its next edit projects.
  ASSERT_NO_FATAL_FAILURE(process({command_record(6, "victim", d::UpdatePageMetadata{victim_home, "Back", {}, {}})}));
  ASSERT_NO_FATAL_FAILURE(project_until([&] {
    return read("tenant-victim", "SELECT title FROM pages WHERE page_id = '" + victim_home.value + "'") == "Back";
  }));
  EXPECT_EQ(projector_->stats().dead_letters, 3);

  // Bad requests say so and change nothing.
  const std::string settled = dump();
  EXPECT_EQ(cli({"retry", "3-17"}).status, 2);
  EXPECT_EQ(cli({"retry", "--all", "0@1"}).status, 2);
  EXPECT_EQ(cli({"retry", std::to_string(partition) + "@999999"}).status, 1);
  EXPECT_EQ(dump(), settled);
}

// A dead letter whose original record the projection has not passed yet (one
// the rebuild pool set aside, retried against a live database still behind):
// the retry leaves it to the projection, says so, records nothing, and once
// the projection has applied the record itself a retry finds it already there.
TEST_P(DeadLetterCli, ARetryAheadOfTheProjectionIsPendingAndLeavesItToTheProjection) {
  if (!log_) return;  // no real broker outside CI
  const auto site = site_id_for_subdomain("ahead");
  ASSERT_NO_FATAL_FAILURE(process({command_record(1, "ahead", d::CreateSite{site, "Ahead", "ahead"})}));
  const int32_t partition = log::partition_for(site.str(), partitions_);
  std::vector<log::Record> events;
  {
    auto reader = log_->reader({std::string(log::kEventsTopic), partition}, 0);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (events.empty() && std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->read(500ms, 10);
      ASSERT_TRUE(got.ok()) << got.error().message;
      events = *got;
    }
  }
  ASSERT_EQ(events.size(), 1u);
  auto letter = log::dead_letter_for(events[0], "rebuild", "read-models-rebuild", "projector: refused in a rebuild");
  ASSERT_TRUE(log::append_dead_letter(*log_, letter).ok());
  auto letters = listed();
  ASSERT_EQ(letters.size(), 1u);
  const std::string position = letters[0]["position"].get<std::string>();
  const std::string before = dump();

  const fs::path metrics = dir_ / "retries.prom";
  auto counted = [&](const std::string& outcome) { return retries_counted(metrics, outcome); };
  const CliRun pending = cli({"retry", position, "--metrics-file", metrics.string()});
  EXPECT_EQ(pending.status, 0) << pending.out;  // not a failure: the projection will apply it
  EXPECT_EQ(counted("pending"), 1);
  EXPECT_EQ(counted("applied"), 0);
  EXPECT_EQ(counted("failed"), 0);
  EXPECT_EQ(pending.out, position + " (pagewright.events[" + std::to_string(partition) + "]@" +
                             std::to_string(events[0].offset) + "): pending: the projection has not passed " +
                             "pagewright.events[" + std::to_string(partition) + "]@" +
                             std::to_string(events[0].offset) + " yet\n");
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(read("tenant-ahead", "SELECT count(*) FROM sites"), "0");
  letters = listed();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_FALSE(letters[0].contains("retry")) << "a pending retry is no outcome: " << letters[0];

  // The projection applies it itself; a retry then finds it there.
  ASSERT_NO_FATAL_FAILURE(project_until([&] { return read("tenant-ahead", "SELECT count(*) FROM sites") == "1"; }));
  const CliRun already = cli({"retry", position, "--metrics-file", metrics.string()});
  EXPECT_EQ(already.status, 0) << already.out;
  EXPECT_EQ(counted("already"), 1);
  EXPECT_EQ(counted("pending"), 0) << "each run writes its own counts";
  EXPECT_NE(already.out.find("): already"), std::string::npos) << already.out;
  letters = listed();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["retry"]["outcome"], "already") << letters[0];
  EXPECT_EQ(read("tenant-ahead", "SELECT version FROM sites"), "1");
}

// A poison record near the log's record size limit: its dead letter (the value
// base64url-encoded, so a third larger) is over the limit on Kafka, so it is
// set aside without its value but with where it was and why; the pool moves on;
// and a retry reads the value back from the original position. The local log
// has no such limit and keeps the whole value.
TEST_P(DeadLetterCli, APoisonRecordNearTheSizeLimitIsStillSetAsideAndThePoolMovesOn) {
  if (!log_) return;  // no real broker outside CI
  const auto other = site_id_for_subdomain("other");
  const auto other_home = make_page_id(other, "home");
  const auto victim = site_id_for_subdomain("victim");
  ASSERT_NO_FATAL_FAILURE(process({command_record(1, "other", d::CreateSite{other, "Other", "other"}),
                                   command_record(2, "other", d::CreatePage{other_home, "Home", std::string(), {}})}));
  // 900,000 bytes that are no event and no UTF-8: under librdkafka's default
  // message.max.bytes (1,000,000), its base64url in a dead letter is not.
  constexpr size_t kBytes = 900000;
  std::string poison(kBytes, '\xff');
  log::Batch garbage;
  garbage.records.push_back({std::string(log::kEventsTopic), victim.str(), poison, {}});
  auto at = log_->append(garbage);
  ASSERT_TRUE(at.ok()) << at.error().message;
  ASSERT_NO_FATAL_FAILURE(process({command_record(3, "other", d::UpdatePageMetadata{other_home, "After", {}, {}})}));

  ASSERT_NO_FATAL_FAILURE(project_until([&] {
    return projector_->stats().dead_letters >= 1 &&
           read("tenant-other", "SELECT title FROM pages WHERE page_id = '" + other_home.value + "'") == "After";
  }));
  EXPECT_EQ(projector_->stats().dead_letters, 1);
  const auto letters = listed({"--pool", "projections"});
  ASSERT_EQ(letters.size(), 1u);
  const json& l = letters[0];
  EXPECT_EQ(l["topic"], log::kEventsTopic);
  EXPECT_EQ(l["partition"], at->partitions[0].partition);
  EXPECT_EQ(l["offset"], at->offsets[0]);
  EXPECT_EQ(l["key"], victim.str());
  EXPECT_NE(l["reason"].get<std::string>().find("projector: pagewright.events["), std::string::npos) << l;
  EXPECT_EQ(l["valueBytes"], kBytes);
  EXPECT_EQ(l["valueOmitted"], GetParam() != Backend::local) << "only Kafka limits a record's size";

  // A retry reads the original bytes back wherever they are, and fails again.
  const fs::path metrics = dir_ / "retries.prom";
  const CliRun retried = cli({"retry", l["position"].get<std::string>(), "--metrics-file", metrics.string()});
  EXPECT_EQ(retried.status, 1) << retried.out;
  EXPECT_EQ(retries_counted(metrics, "failed"), 1);
  EXPECT_EQ(retries_counted(metrics, "applied"), 0);
  EXPECT_NE(retried.out.find("failed again, still a dead letter: projector: "), std::string::npos) << retried.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, DeadLetterCli, ::testing::Values(Backend::local, Backend::dev, Backend::real));

}  // namespace
}  // namespace pw::test
