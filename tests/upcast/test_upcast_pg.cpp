// Event versions in the read model: the committed version-1 log, projected
// into PostgreSQL, reads back exactly as the projector wrote it before
// ComponentMoved had a version 2; a record of a version no code knows is set
// aside, never applied.
#include <gtest/gtest.h>

#include "events/dead_letter.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "commands/state.hpp"
#include "projections/projector.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/upcast/processor_harness.hpp"

namespace pw::test::upcast {
namespace {

using namespace std::chrono_literals;
const std::string kTenant = "tenant-" + kFixtureSubdomain;

class UpcastReadModel : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_TRUE(load_fixture(log_.log(), site_id_for_subdomain(kFixtureSubdomain).str()).ok());
  }

  // Projects until `events` are applied and `dead` set aside.
  projections::ProjectorStats project(int64_t events, int64_t dead = 0) {
    projections::ProjectorConfig config;
    config.group = "upcast";
    auto p = projections::Projector::create(log_.log(), owner_, config);
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p.ok()) return {};
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((*p)->stats().events < events || (*p)->stats().dead_letters < dead) {
      auto r = (*p)->run_once(20ms);
      EXPECT_TRUE(r.ok()) << r.error().message;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the projector did not catch up";
        break;
      }
    }
    (*p)->close();
    return (*p)->stats();
  }

  // Every table the projector writes, the fixture tenant's rows in key order.
  std::string dump() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, kTenant);
    t.exec("SET LOCAL TimeZone = 'UTC'");  // timestamps read back as the fixture holds them
    std::string out;
    const char* tables[][2] = {{"sites", "site_id"},         {"pages", "page_id"},
                               {"page_events", "site_id, seq"}, {"deployments", "deployment_id"},
                               {"templates", "template_id"}, {"assets", "asset_id"}};
    for (const auto& [table, key] : tables) {
      out += std::string(table) + ":\n";
      for (const auto& row : t.exec(std::string("SELECT row_to_json(x)::text FROM ") + table + " x ORDER BY " + key))
        out += row[0].as<std::string>() + "\n";
    }
    return out;
  }

  int64_t fixture_events() { return static_cast<int64_t>(read_lines(kFixtures / "events_v1.ndjson").size()); }

  LocalLog log_;
};

TEST_F(UpcastReadModel, VersionOneLogProjectsToTheCommittedReadModel) {
  const auto stats = project(fixture_events());
  EXPECT_EQ(stats.dead_letters, 0);
  EXPECT_EQ(stats.malformed, 0);
  EXPECT_EQ(dump(), read_file(kFixtures / "events_v1.read_model.txt"));
}

// Version-2 events the processor writes now, after the fixture's version-1
// ones: the read model folds both into the page the processor holds.
TEST_F(UpcastReadModel, MixedVersionLogProjectsToWhatTheProcessorHolds) {
  const auto site = site_id_for_subdomain(kFixtureSubdomain);
  const PageId home{site.str() + ".home"};
  const int64_t commands = *log_.log().end_offset({std::string(log::kCommandsTopic), 0});
  ASSERT_TRUE(submit_commands(log_.log(), {command_record(static_cast<int>(commands) + 1, kFixtureSubdomain,
                                                          domain::MoveComponent{home, ComponentId{"h"}, ComponentId{"sec"},
                                                                                std::string("children"), 1})})
                  .ok());
  EXPECT_EQ(log_.run_processor("mixed", commands + 1).accepted, 1);
  const auto stats = project(fixture_events() + 1);
  EXPECT_EQ(stats.dead_letters, 0);
  const auto held = log_.snapshot("mixed", site.str());
  pqxx::connection c(owner_);
  pqxx::work t(c);
  projections::with_tenant(t, kTenant);
  const auto row = t.exec_params1("SELECT content::text, version FROM pages WHERE page_id = $1", home.value);
  auto state = domain::site_state_from_json(held["state"]);
  ASSERT_TRUE(state.ok()) << state.error().message;
  const auto& page = state->pages.at(home);
  EXPECT_EQ(nlohmann::json::parse(row[0].as<std::string>()), domain::content_to_json(page.content));
  EXPECT_EQ(row[1].as<int64_t>(), page.version);
  EXPECT_EQ(page.content.at(1).slots.at("children").at(1).id.value, "h") << "the version-2 move was not folded";
  EXPECT_EQ(t.exec_params1("SELECT envelope->>'schemaVersion' FROM page_events WHERE site_id = $1 AND seq = $2",
                           site.str(), fixture_events() + 1)[0]
                .as<std::string>(),
            "2");
}

// A version newer than the code knows is no event it can apply: set aside
// like any undecodable record, counted, and the read model left as it was.
TEST_F(UpcastReadModel, AnEventOfAnUnknownVersionIsDeadLetteredNotApplied) {
  auto last = decode(read_lines(kFixtures / "events_v1.ndjson").back());
  ASSERT_TRUE(last.ok());
  Envelope future = *last;
  const std::string home = future.site_id + ".home";
  future.id = "00000000-0000-4000-8000-000000000003";
  future.type = "ComponentMoved";
  future.schema_version = 3;
  future.aggregate = {"page", home, 15};
  future.seq = last->seq + 1;
  future.prev_hash = sha256_hex(read_lines(kFixtures / "events_v1.ndjson").back());
  future.data = nlohmann::json{{"pageId", home}, {"componentId", "hero"}, {"to", {{"index", 2}}}};
  log::Batch b;
  b.records.push_back({std::string(log::kEventsTopic), future.site_id, encode(future), 0});
  ASSERT_TRUE(log_.log().append(b).ok());

  const auto stats = project(fixture_events(), 1);
  EXPECT_EQ(stats.dead_letters, 1);
  EXPECT_EQ(stats.malformed, 1);
  EXPECT_EQ(dump(), read_file(kFixtures / "events_v1.read_model.txt"));
  const auto dead = read_topic(log_.log(), log::kDeadLetterTopic);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(dead[0].value.find("unsupported schema version"), std::string::npos) << dead[0].value;
}

}  // namespace
}  // namespace pw::test::upcast
