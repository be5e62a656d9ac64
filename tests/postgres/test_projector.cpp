// The read-model projector against a real event stream (the command processor
// on a local log) and a real PostgreSQL: what it writes, that it resumes from
// the offsets stored in Postgres, and that nothing is applied twice or half.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "events/dead_letter.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "projections/lag.hpp"
#include "events/recent_pages.hpp"
#include "projections/projector.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace d = domain;

constexpr int32_t kPartitions = 4;
const std::string kCommands(log::kCommandsTopic);
const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);

std::vector<domain::CommandRecord> commands() {
  std::vector<domain::CommandRecord> out;
  int n = 0;
  auto add = [&](const std::string& sub, d::Command c) { out.push_back(command_record(++n, sub, std::move(c))); };
  const auto alpha = site_id_for_subdomain("alpha");
  const auto home = make_page_id(alpha, "home");
  const auto about = make_page_id(alpha, "about");
  const auto beta = site_id_for_subdomain("beta");
  const auto beta_home = make_page_id(beta, "home");
  auto cid = [](const char* s) { return ComponentId{s}; };

  add("alpha", d::CreateSite{alpha, "Alpha", "alpha"});
  add("beta", d::CreateSite{beta, "Beta", "beta"});
  add("alpha", d::CreatePage{home, "Home", std::string(), std::string("The home page")});
  add("alpha", d::CreatePage{about, "About", std::string("about"), {}});
  add("beta", d::CreatePage{beta_home, "Home", std::string(), {}});
  add("alpha", d::AddComponent{home, cid("sec1"), "Section", json{{"padding", "large"}}, {}, {}, {}});
  add("alpha", d::AddComponent{home, cid("h1"), "Heading", json{{"text", "Hello"}}, cid("sec1"),
                               std::string("children"), {}});
  add("beta", d::AddComponent{beta_home, cid("hero"), "Hero", json{{"title", "Hi"}}, {}, {}, {}});
  add("alpha", d::AddComponent{home, cid("t1"), "Text", json{{"text", "Body"}}, {}, {}, {}});
  add("alpha", d::UpdateComponentProps{home, cid("h1"), json{{"text", "Hello world"}, {"level", 1}}});
  add("alpha", d::MoveComponent{home, cid("t1"), cid("sec1"), std::string("children"), 0});
  add("alpha", d::AddComponent{about, cid("sec2"), "Section", {}, {}, {}, {}});
  add("alpha", d::AddComponent{about, cid("h2"), "Heading", json{{"text", "About us"}}, cid("sec2"), {}, {}});
  add("alpha", d::AddComponent{about, cid("sp"), "Spacer", json{{"size", "small"}}, {}, {}, {}});
  add("alpha", d::RemoveComponent{about, cid("sec2")});
  add("alpha", d::PublishPage{home});
  add("beta", d::PublishPage{beta_home});
  add("alpha", d::ChangePageSlug{about, "about-us"});
  add("alpha", d::UpdateSiteSettings{std::string("Alpha Two"), {}, {}});
  add("alpha", d::UpdateComponentProps{home, cid("h1"), json{{"align", "center"}}});
  add("beta", d::ChangePageSlug{beta_home, "start"});
  return out;
}

class ProjectorTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    dir_ = std::filesystem::temp_directory_path() / ("pw-projector-" + std::to_string(::getpid()) + "-" + db_);
    std::filesystem::create_directories(dir_);
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    auto t = log_->create_topics({{kCommands, kPartitions}, {kEvents, kPartitions}, {kResults, kPartitions}});
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_NO_FATAL_FAILURE(produce());
  }

  void TearDown() override {
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    PgTest::TearDown();
  }

  // Submits the commands, runs a command processor until every one has its
  // result, and folds the events it appended into the expected site states.
  void produce() {
    const auto cmds = commands();
    log::Batch b;
    for (const auto& c : cmds)
      b.records.push_back({kCommands, c.meta.siteId.str(), domain::encode_command_record(c), std::nullopt});
    auto a = log_->append(b);
    ASSERT_TRUE(a.ok()) << a.error().message;

    workers::ProcessorConfig config;
    config.schemas = ::pw::test::test_schemas();
    config.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto r = (*processor)->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      int64_t results = 0;
      for (int32_t p = 0; p < kPartitions; ++p) results += *log_->end_offset({kResults, p});
      if (results >= static_cast<int64_t>(cmds.size())) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the processor did not finish";
    }
    (*processor)->close();
    ASSERT_EQ((*processor)->stats().accepted, static_cast<int64_t>(cmds.size()));

    for (int32_t p = 0; p < kPartitions; ++p) {
      const int64_t end = *log_->end_offset({kEvents, p});
      end_[p] = end;
      auto reader = log_->reader({kEvents, p}, 0);
      ASSERT_TRUE(reader.ok());
      int64_t seen = 0;
      while (seen < end) {
        auto got = (*reader)->read(100ms, 1000);
        ASSERT_TRUE(got.ok()) << got.error().message;
        ASSERT_FALSE(got->empty()) << "events partition " << p << " ends early";
        for (const auto& rec : *got) {
          auto env = decode(rec.value);
          ASSERT_TRUE(env.ok()) << env.error().message;
          auto ev = d::event_from_json(env->type, env->schema_version, env->data);
          ASSERT_TRUE(ev.ok()) << ev.error().message;
          d::apply(expected_[env->site_id], *ev);
          ++seen;
          ++total_;
        }
      }
    }
    ASSERT_EQ(total_, static_cast<int64_t>(cmds.size()));  // one event per command here
    ASSERT_EQ(expected_.size(), 2u);
  }

  std::unique_ptr<projections::Projector> projector(const std::string& group, size_t max_batch,
                                                    log::RecentPages* recent = nullptr) {
    projections::ProjectorConfig config;
    config.group = group;
    config.max_batch = max_batch;
    config.recent_pages = recent;
    auto p = projections::Projector::create(*log_, owner_, config);
    if (!p.ok()) ADD_FAILURE() << p.error().message;
    return p.ok() ? std::move(p).value() : nullptr;
  }

  std::map<int32_t, int64_t> stored_offsets() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    std::map<int32_t, int64_t> out;
    for (const auto& row : t.exec(
             "SELECT partition, next_offset FROM projection_offsets "
             "WHERE projector = 'read-models' AND topic = 'pagewright.events'"))
      out[row[0].as<int32_t>()] = row[1].as<int64_t>();
    return out;
  }

  bool caught_up() {
    auto s = stored_offsets();
    for (const auto& [p, end] : end_)
      if (end > 0 && (!s.contains(p) || s[p] != end)) return false;
    return true;
  }

  // Runs until Postgres holds every event; every run_once must succeed.
  void run_until_caught_up(projections::Projector& p) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!caught_up()) {
      auto r = p.run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the projector did not catch up";
    }
  }

  // The last event of a site in the log (its bytes).
  log::Record head_of(const std::string& site_id) {
    const int32_t p = log::partition_for(site_id, kPartitions);
    log::Record head;
    auto reader = log_->reader({kEvents, p}, 0);
    const int64_t end = *log_->end_offset({kEvents, p});
    for (int64_t seen = 0; seen < end;) {
      auto got = (*reader)->read(100ms, 1000);
      if (!got.ok() || got->empty()) break;
      for (const auto& r : *got) {
        ++seen;
        if (r.key == site_id) head = r;
      }
    }
    return head;
  }

  // An event that follows the site's head in every respect but its content
  // (and, given its page's next version, the aggregate it names).
  std::string forged(const std::string& site_id, const d::DomainEvent& event, int64_t seq,
                     int64_t page_version = 0) {
    const log::Record head = head_of(site_id);
    auto env = decode(head.value);
    EXPECT_TRUE(env.ok());
    env->id = "00000000-0000-4000-8000-" + std::string(12, static_cast<char>('0' + seq % 10));
    env->type = std::string(d::event_type(event));
    env->seq = seq;
    env->prev_hash = sha256_hex(head.value);
    env->data = d::event_data(event);
    if (page_version > 0) env->aggregate = {"page", d::aggregate_of(event).id, page_version};
    return encode(*env);
  }

  // Appends records straight to pagewright.events (bypassing the processors).
  std::vector<int64_t> append_events(const std::string& site_id, const std::vector<std::string>& values) {
    log::Batch b;
    for (const auto& v : values) b.records.push_back({kEvents, site_id, v, std::nullopt});
    auto a = log_->append(b);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? a->offsets : std::vector<int64_t>{};
  }

  // More commands through a processor; the expected states and ends follow.
  void process(const std::vector<domain::CommandRecord>& cmds) {
    int64_t results_before = 0;
    for (int32_t p = 0; p < kPartitions; ++p) results_before += *log_->end_offset({kResults, p});
    ASSERT_TRUE(submit_commands(*log_, cmds).ok());
    workers::ProcessorConfig config;
    config.schemas = ::pw::test::test_schemas();
    config.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto r = (*processor)->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      int64_t results = 0;
      for (int32_t p = 0; p < kPartitions; ++p) results += *log_->end_offset({kResults, p});
      if (results >= results_before + static_cast<int64_t>(cmds.size())) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the processor did not finish";
    }
    (*processor)->close();
    ASSERT_EQ((*processor)->stats().accepted, static_cast<int64_t>(cmds.size()));
    for (const auto& c : cmds) {
      const log::Record head = head_of(c.meta.siteId.str());
      auto env = decode(head.value);
      ASSERT_TRUE(env.ok());
      auto ev = d::event_from_json(env->type, env->schema_version, env->data);
      ASSERT_TRUE(ev.ok());
      d::apply(expected_[env->site_id], *ev);
      ++total_;
    }
    for (int32_t p = 0; p < kPartitions; ++p) end_[p] = *log_->end_offset({kEvents, p});
  }

  // Every dead letter of the events partition `p`.
  std::vector<log::DeadLetter> dead_letters(int32_t p, size_t want) {
    std::vector<log::DeadLetter> out;
    auto reader = log_->reader({std::string(log::kDeadLetterTopic), p}, 0);
    EXPECT_TRUE(reader.ok());
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->read(100ms, 100);
      if (!got.ok()) break;
      for (const auto& r : *got) {
        auto d = log::decode_dead_letter(r.value);
        EXPECT_TRUE(d.ok()) << r.value;
        if (d.ok()) out.push_back(*d);
      }
    }
    return out;
  }

  // Everything of both tenants plus the offsets, as one string.
  std::string dump() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    std::string out;
    for (const auto& [site, state] : expected_) {
      projections::with_tenant(t, state.tenant.value);
      out += t.exec1(
                  "SELECT coalesce((SELECT json_agg(s ORDER BY site_id) FROM sites s)::text, '') || "
                  "coalesce((SELECT json_agg(p ORDER BY page_id) FROM pages p)::text, '') || "
                  "coalesce((SELECT json_agg(e ORDER BY site_id, seq) FROM page_events e)::text, '')")[0]
                 .as<std::string>();
    }
    out += t.exec1("SELECT coalesce(json_agg(o ORDER BY partition)::text, '') FROM projection_offsets o")[0]
               .as<std::string>();
    return out;
  }

  // The read models equal the fold of the whole stream.
  // Every page row `recent` holds (for waiting reads) is the page as the
  // read model has it.
  void expect_held_rows_current(log::RecentPages& recent) {
    for (const auto& [site, state] : expected_)
      for (const auto& [id, page] : state.pages) {
        if (auto row = recent.find(state.tenant.value, id.value)) {
          EXPECT_EQ(row->version, page.version) << id.value;
        }
      }
  }

  void expect_read_models() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    for (const auto& [site, state] : expected_) {
      SCOPED_TRACE(state.subdomain);
      projections::with_tenant(t, state.tenant.value);
      auto s = t.exec_params("SELECT name, subdomain, version, updated_at FROM sites WHERE site_id = $1", site);
      ASSERT_EQ(s.size(), 1u);
      EXPECT_EQ(s[0][0].as<std::string>(), state.name);
      EXPECT_EQ(s[0][1].as<std::string>(), state.subdomain);
      EXPECT_EQ(s[0][2].as<int64_t>(), state.version);

      // Every event once, seqs 1..version, with its stored bytes.
      auto ev = t.exec_params(
          "SELECT seq, envelope, type, page_id FROM page_events WHERE site_id = $1 ORDER BY seq", site);
      ASSERT_EQ(static_cast<int64_t>(ev.size()), state.version);
      for (size_t i = 0; i < ev.size(); ++i) {
        EXPECT_EQ(ev[i][0].as<int64_t>(), static_cast<int64_t>(i + 1));
        auto env = json::parse(ev[i][1].as<std::string>());
        EXPECT_EQ(env["seq"], static_cast<int64_t>(i + 1));
        EXPECT_EQ(env["type"], ev[i][2].as<std::string>());
        if (env["aggregate"]["type"] == "page")
          EXPECT_EQ(env["aggregate"]["id"], ev[i][3].as<std::string>());
        else
          EXPECT_TRUE(ev[i][3].is_null());
      }

      auto pages = t.exec_params("SELECT count(*) FROM pages WHERE site_id = $1", site);
      EXPECT_EQ(pages[0][0].as<size_t>(), state.pages.size());
      for (const auto& [id, page] : state.pages) {
        SCOPED_TRACE(id.value);
        auto r = t.exec_params(
            "SELECT slug, title, description, seo::text, status, version, published_version, content::text "
            "FROM pages WHERE page_id = $1",
            id.value);
        ASSERT_EQ(r.size(), 1u);
        const auto want = d::page_state_to_json(page);
        EXPECT_EQ(r[0][0].as<std::string>(), page.slug);
        EXPECT_EQ(r[0][1].as<std::string>(), page.title);
        EXPECT_EQ(r[0][2].as<std::string>(), page.description);
        EXPECT_EQ(json::parse(r[0][3].as<std::string>()), want["seo"]);
        EXPECT_EQ(r[0][4].as<std::string>(), want["status"]);
        EXPECT_EQ(r[0][5].as<int64_t>(), page.version);
        EXPECT_EQ(r[0][6].as<int64_t>(), page.publishedVersion);
        EXPECT_EQ(json::parse(r[0][7].as<std::string>()), want["content"]);
        auto history = t.exec_params("SELECT count(*) FROM page_events WHERE page_id = $1", id.value);
        EXPECT_EQ(history[0][0].as<int64_t>(), page.version);
      }
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
  std::map<int32_t, int64_t> end_;
  std::map<std::string, d::SiteState> expected_;
  int64_t total_ = 0;
};

TEST_F(ProjectorTest, FoldsTheStreamIntoTheReadModels) {
  auto p = projector("pagewright.projections", 512);
  ASSERT_TRUE(p);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().events, total_);
  EXPECT_EQ(p->stats().skipped, 0);
  expect_read_models();

  // Spot checks beyond the generic comparison: the nested tree after the moves.
  const auto& alpha = expected_.at(site_id_for_subdomain("alpha").value);
  const auto& home = alpha.pages.at(make_page_id(alpha.id, "home"));
  ASSERT_EQ(home.content.size(), 1u);
  EXPECT_EQ(home.content[0].type, "Section");
  ASSERT_EQ(home.content[0].slots.at("children").size(), 2u);
  EXPECT_EQ(home.content[0].slots.at("children")[0].id.value, "t1");
  EXPECT_EQ(home.publishedVersion, 7);
  EXPECT_EQ(home.version, 8);
  EXPECT_EQ(alpha.pages.at(make_page_id(alpha.id, "about")).slug, "about-us");
  EXPECT_EQ(alpha.name, "Alpha Two");

  // Idle afterwards, and a second pass applies nothing.
  auto r = p->run_once(50ms);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 0u);
}

// Page lifecycle, templates and design tokens: the pages table follows
// status and slug, history lists the new events, templates and tokens have
// their own rows (templates listed per tenant across its sites).
TEST_F(ProjectorTest, LifecycleTemplatesAndDesignTokensReachTheReadModels) {
  auto p = projector("pagewright.projections", 512);
  ASSERT_TRUE(p);
  const auto alpha = site_id_for_subdomain("alpha");
  const auto beta = site_id_for_subdomain("beta");
  const auto home = make_page_id(alpha, "home");
  const auto about = make_page_id(alpha, "about");
  const auto copy = make_page_id(alpha, "copy1");
  const auto t1 = make_template_id(alpha, "t1");
  const auto t2 = make_template_id(beta, "t2");
  const json tokens = {{"theme", "dark"}, {"colors", {{"primary", "#0f766e"}}}};
  int n = 100;
  auto step = [&](const std::string& sub, d::Command c) {
    ASSERT_NO_FATAL_FAILURE(process({command_record(++n, sub, std::move(c))}));
    ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
    ASSERT_NO_FATAL_FAILURE(expect_read_models());
  };
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::DeletePage{about}));
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::DuplicatePage{copy, home}));
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::UnpublishPage{home}));
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::SaveTemplate{t1, home, "Home page", std::string("Ours")}));
  ASSERT_NO_FATAL_FAILURE(step("beta", d::SaveTemplate{t2, make_page_id(beta, "home"), "Beta", {}}));
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::UpdateDesignTokens{tokens}));
  ASSERT_NO_FATAL_FAILURE(step("beta", d::DeleteTemplate{t2}));
  ASSERT_NO_FATAL_FAILURE(step("alpha", d::RestorePage{about, std::string("about-again")}));

  const d::SiteState& a = expected_.at(alpha.value);
  EXPECT_EQ(a.pages.at(about).status, d::PageStatus::draft);
  EXPECT_EQ(a.pages.at(home).status, d::PageStatus::draft);
  EXPECT_EQ(a.pages.at(copy).slug, "copy");

  pqxx::connection c(owner_);
  pqxx::work t(c);
  projections::with_tenant(t, a.tenant.value);
  auto types = t.exec_params("SELECT type FROM page_events WHERE page_id = $1 ORDER BY seq", about.value);
  std::vector<std::string> about_history;
  for (const auto& row : types) about_history.push_back(row[0].as<std::string>());
  ASSERT_GE(about_history.size(), 2u);
  EXPECT_EQ(about_history[about_history.size() - 2], "PageDeleted");
  EXPECT_EQ(about_history.back(), "PageRestored");
  EXPECT_EQ(t.exec_params1("SELECT type FROM page_events WHERE page_id = $1", copy.value)[0].as<std::string>(),
            "PageDuplicated");
  EXPECT_EQ(json::parse(t.exec_params1("SELECT design_tokens::text FROM sites WHERE site_id = $1", alpha.value)[0]
                            .as<std::string>()),
            tokens);
  auto tpl = t.exec("SELECT template_id, site_id, source_page_id, name, description, content::text FROM templates");
  ASSERT_EQ(tpl.size(), 1u);  // the tenant's own only (beta is another tenant)
  EXPECT_EQ(tpl[0][0].as<std::string>(), t1.value);
  EXPECT_EQ(tpl[0][2].as<std::string>(), home.value);
  EXPECT_EQ(tpl[0][3].as<std::string>(), "Home page");
  EXPECT_EQ(tpl[0][4].as<std::string>(), "Ours");
  EXPECT_EQ(json::parse(tpl[0][5].as<std::string>()), d::content_to_json(a.pages.at(home).content));
  projections::with_tenant(t, expected_.at(beta.value).tenant.value);
  EXPECT_EQ(t.exec("SELECT count(*) FROM templates")[0][0].as<int64_t>(), 0);  // deleted
  EXPECT_EQ(t.exec_params1("SELECT type FROM page_events WHERE site_id = $1 ORDER BY seq DESC LIMIT 1",
                           beta.value)[0]
                .as<std::string>(),
            "TemplateDeleted");
}

// A projector that stops midway (destroyed, never closing anything but its
// consumer) is replaced by one in a fresh consumer group, which has no
// committed log offsets: it must resume from the offsets in Postgres.
TEST_F(ProjectorTest, LagIsTheBacklogPerPartitionAndZeroOnceCaughtUp) {
  auto probe = projections::LagProbe::connect(owner_);
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  auto before = (*probe)->measure(*log_);
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(before->size(), static_cast<size_t>(kPartitions));
  int64_t backlog = 0;
  for (const auto& l : *before) {
    EXPECT_EQ(l.lag, end_[l.partition]) << "partition " << l.partition;
    backlog += l.lag;
  }
  EXPECT_EQ(backlog, total_);

  auto p = projector("lag", 512);
  ASSERT_NE(p, nullptr);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  auto after = (*probe)->measure(*log_);
  ASSERT_TRUE(after.ok()) << after.error().message;
  for (const auto& l : *after) EXPECT_EQ(l.lag, 0) << "partition " << l.partition;
}

TEST_F(ProjectorTest, ResumesFromTheOffsetsInPostgres) {
  int64_t first = 0;
  {
    auto p = projector("group-1", 2);
    ASSERT_TRUE(p);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (p->stats().events < total_ / 2) {
      auto r = p->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    }
    first = p->stats().events;
    ASSERT_LT(first, total_);
  }
  auto p = projector("group-2", 3);
  ASSERT_TRUE(p);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().skipped, 0) << "it should have sought to the stored offsets";
  EXPECT_EQ(first + p->stats().events, total_);
  expect_read_models();
}

// Lost offsets (the projection_offsets rows deleted): a new projector reads
// the stream from the start again and skips every event by its site's version.
TEST_F(ProjectorTest, LostOffsetsAreIdempotentBySiteVersion) {
  {
    auto p = projector("group-1", 512);
    ASSERT_TRUE(p);
    ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  }
  const std::string before = dump();
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    t.exec("DELETE FROM projection_offsets");
    t.commit();
  }
  auto p = projector("group-2", 5);
  ASSERT_TRUE(p);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().events, 0);
  EXPECT_EQ(p->stats().skipped, total_);
  EXPECT_EQ(dump(), before);
  expect_read_models();
}

// Two live instances of one projection (different groups, so both read every
// partition): the locked offset rows let each event in exactly once. The
// page rows `a` keeps for waiting reads are never older than the read model:
// it lets go of them when `b` wrote records it passes over.
TEST_F(ProjectorTest, TwoInstancesOfOneProjectionApplyEachEventOnce) {
  log::RecentPages::Limits limits;
  limits.fresh_for = 1h;
  log::RecentPages recent(limits);
  auto a = projector("group-a", 3, &recent);
  auto b = projector("group-b", 2);
  ASSERT_TRUE(a && b);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!caught_up()) {
    auto ra = a->run_once(10ms);
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    auto rb = b->run_once(10ms);
    ASSERT_TRUE(rb.ok()) << rb.error().message;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  EXPECT_EQ(a->stats().events + b->stats().events, total_);
  EXPECT_GT(a->stats().skipped + b->stats().skipped, 0);
  expect_read_models();
  expect_held_rows_current(recent);
  EXPECT_GT(recent.stats().forgotten, 0u);
}

// A batch whose transaction fails (a trigger refuses page_events rows) leaves
// rows and offsets as they were; once the fault is gone the same records are
// re-read and applied, once. The page rows kept for waiting reads are
// forgotten: a failed commit may or may not have replaced them.
TEST_F(ProjectorTest, FailedTransactionAppliesNothingAndIsRetried) {
  log::RecentPages recent;
  auto p = projector("pagewright.projections", 4, &recent);
  ASSERT_TRUE(p);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (p->stats().batches < 2) {
    auto r = p->run_once(20ms);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  ASSERT_LT(p->stats().events, total_);
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    t.exec(
        "CREATE FUNCTION pw_fail() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'injected failure'; END$$");
    t.exec("CREATE TRIGGER pw_fail BEFORE INSERT ON page_events FOR EACH ROW EXECUTE FUNCTION pw_fail()");
    t.commit();
  }
  const std::string before = dump();
  const int64_t applied_before = p->stats().events;
  int failures = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = p->run_once(20ms);
    if (!r.ok()) {
      ++failures;
      EXPECT_NE(r.error().message.find("injected failure"), std::string::npos) << r.error().message;
    }
  }
  EXPECT_GE(failures, 1);
  EXPECT_EQ(p->stats().failures, failures);
  EXPECT_EQ(p->stats().events, applied_before);
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(recent.bytes(), 0u);
  EXPECT_GE(recent.stats().forgotten, 1u);
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    t.exec("DROP TRIGGER pw_fail ON page_events");
    t.commit();
  }
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().events, total_);
  EXPECT_EQ(p->stats().skipped, 0);
  expect_read_models();
  EXPECT_GT(recent.bytes(), 0u) << "the commits after the fault keep their rows again";
}

// One poison record among good records of two sites: a well-formed event for
// alpha that claims alpha's next seq but whose title holds U+0000, which
// Postgres refuses (jsonb has no \u0000). The batch is applied again record
// by record: everything else applies, the poison is one dead letter, and the
// real event with that seq is not swallowed by it. The page rows held for
// waiting reads are let go: the poison's site waits for a retry from
// another process.
TEST_F(ProjectorTest, APoisonRecordIsSetAsideAndTheRestOfItsBatchApplies) {
  const auto alpha = site_id_for_subdomain("alpha");
  const auto beta = site_id_for_subdomain("beta");
  const auto home = make_page_id(alpha, "home");
  const int64_t next = expected_[alpha.str()].version + 1;
  const std::string poison = forged(alpha.str(), d::PageMetadataUpdated{home, std::string("Bad\0title", 9), {}, {}},
                                    next, expected_[alpha.str()].pages.at(home).version + 1);
  const auto at = append_events(alpha.str(), {poison});
  ASSERT_EQ(at.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(process({command_record(101, "alpha", d::UpdatePageMetadata{home, "After", {}, {}}),
                                   command_record(102, "beta", d::UpdatePageMetadata{make_page_id(beta, "home"),
                                                                                     "Beta after", {}, {}})}));

  log::RecentPages recent;
  auto p = projector("pagewright.projections", 512, &recent);
  ASSERT_TRUE(p);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().dead_letters, 1);
  EXPECT_EQ(p->stats().events, total_);
  expect_read_models();  // alpha's home is titled "After", at the real seq `next`
  expect_held_rows_current(recent);
  EXPECT_GE(recent.stats().forgotten, 2u) << "the failed batch, then the dead letter";

  const int32_t partition = log::partition_for(alpha.str(), kPartitions);
  const auto letters = dead_letters(partition, 1);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].topic, kEvents);
  EXPECT_EQ(letters[0].partition, partition);
  EXPECT_EQ(letters[0].offset, at[0]);
  EXPECT_EQ(letters[0].key, alpha.str());
  EXPECT_EQ(letters[0].pool, "projections");
  EXPECT_EQ(letters[0].group, "pagewright.projections");
  EXPECT_EQ(letters[0].value, poison);
  EXPECT_NE(letters[0].reason.find("postgres refused it"), std::string::npos) << letters[0].reason;
  EXPECT_NE(letters[0].reason.find("Unicode"), std::string::npos) << letters[0].reason;
}

// Garbage bytes, an unknown type, and a site's event past a gap: each is set
// aside with its reason; the sites' read models stay what their real events
// made them.
TEST_F(ProjectorTest, UndecodableUnknownAndOutOfSequenceRecordsAreSetAsideWithTheirReasons) {
  const auto beta = site_id_for_subdomain("beta");
  const auto beta_home = make_page_id(beta, "home");
  const int64_t gap = expected_[beta.str()].version + 3;
  std::string unknown = forged(beta.str(), d::PageMetadataUpdated{beta_home, "Unknown", {}, {}}, gap - 2);
  const std::string from = "\"type\":\"PageMetadataUpdated\"";
  unknown.replace(unknown.find(from), from.size(), "\"type\":\"PageVanished\"");
  const std::vector<std::string> poison = {
      std::string("\xff\xfe garbage", 10), unknown,
      forged(beta.str(), d::PageMetadataUpdated{beta_home, "Too late", {}, {}}, gap)};
  const auto at = append_events(beta.str(), poison);
  ASSERT_EQ(at.size(), 3u);
  for (int32_t part = 0; part < kPartitions; ++part) end_[part] = *log_->end_offset({kEvents, part});

  auto p = projector("pagewright.projections", 512);
  ASSERT_TRUE(p);
  ASSERT_NO_FATAL_FAILURE(run_until_caught_up(*p));
  EXPECT_EQ(p->stats().dead_letters, 3);
  EXPECT_EQ(p->stats().malformed, 2);  // the garbage and the unknown type; the gap is well-formed
  expect_read_models();

  const auto letters = dead_letters(log::partition_for(beta.str(), kPartitions), 3);
  ASSERT_EQ(letters.size(), 3u);
  const std::string reasons[] = {"projector: ", "PageVanished",
                                 "seq gap: site " + beta.str() + " event seq " + std::to_string(gap)};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(letters[i].offset, at[i]);
    EXPECT_EQ(letters[i].value, poison[i]);
    EXPECT_NE(letters[i].reason.find(reasons[i]), std::string::npos) << letters[i].reason;
  }
}

// A record that is no event (bytes that are no envelope) in the middle of a
// site's stream: the projector says so in its log, counts it as malformed,
// and the site's next real event, in the same batch, still projects.
TEST_F(ProjectorTest, AMalformedRecordIsLoggedAndCountedAndTheNextGoodEventProjects) {
  const auto alpha = site_id_for_subdomain("alpha");
  const auto home = make_page_id(alpha, "home");
  const std::string garbage = "{\"not\": \"an envelope\"}";
  const auto at = append_events(alpha.str(), {garbage});
  ASSERT_EQ(at.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(process({command_record(201, "alpha", d::UpdatePageMetadata{home, "Still here", {}, {}})}));

  auto p = projector("pagewright.projections", 512);
  ASSERT_TRUE(p);
  testing::internal::CaptureStderr();
  run_until_caught_up(*p);
  const std::string logged = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(p->stats().malformed, 1);
  EXPECT_EQ(p->stats().dead_letters, 1);
  EXPECT_EQ(p->stats().events, total_);
  const std::string position = kEvents + "[" + std::to_string(log::partition_for(alpha.str(), kPartitions)) +
                               "]@" + std::to_string(at[0]);
  // One JSON line: what was set aside, where, and that it was malformed.
  EXPECT_NE(logged.find("\"msg\":\"set aside in pagewright.deadletter\""), std::string::npos) << logged;
  EXPECT_NE(logged.find("\"position\":\"" + position + "\",\"malformed\":true"), std::string::npos) << logged;
  expect_read_models();
  EXPECT_EQ(expected_.at(alpha.str()).pages.at(home).title, "Still here");
}

}  // namespace
}  // namespace pw::test
