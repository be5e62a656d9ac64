// Event versions in the read model: the committed version-1 log, projected
// into PostgreSQL, reads back exactly as the projector wrote it before
// ComponentMoved had a version 2; a record of a version no code knows is set
// aside, never applied.
#include <gtest/gtest.h>

#include "events/envelope.hpp"
#include "events/ids.hpp"
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

// Writes the read model the fixture projects to (run once, by hand, with the
// code that wrote version 1).
TEST_F(UpcastReadModel, DISABLED_WriteV1ReadModel) {
  const auto stats = project(fixture_events());
  ASSERT_EQ(stats.dead_letters, 0);
  std::ofstream(kFixtures / "events_v1.read_model.txt", std::ios::binary) << dump();
}

TEST_F(UpcastReadModel, VersionOneLogProjectsToTheCommittedReadModel) {
  const auto stats = project(fixture_events());
  EXPECT_EQ(stats.dead_letters, 0);
  EXPECT_EQ(stats.malformed, 0);
  EXPECT_EQ(dump(), read_file(kFixtures / "events_v1.read_model.txt"));
}

}  // namespace
}  // namespace pw::test::upcast
