// The switch of `pagewright rebuild --shadow` on a real server
// (projections/shadow.hpp): sessions that prepared their statements against the
// old tables read and write the new ones after it, the reader reads the new
// schema under the same row-level security, a writer's transaction never runs
// across it, and nothing switches while the shadow is behind.
#include <future>

#include "events/log.hpp"
#include "projections/shadow.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using projections::hold_off_switch;
using projections::ShadowBuild;
using projections::with_tenant;

void set_offset(pqxx::work& t, int64_t next) {
  t.exec_params(
      "INSERT INTO projection_offsets VALUES ('read-models', 'pagewright.events', 0, $1) "
      "ON CONFLICT (projector, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
      next);
}

std::vector<std::string> schemas_like(const std::string& conninfo, const std::string& pattern) {
  pqxx::connection c(conninfo);
  pqxx::read_transaction t(c);
  std::vector<std::string> out;
  for (const auto& r : t.exec_params("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1", pattern))
    out.push_back(r[0].as<std::string>());
  return out;
}

// The live read model (public) holds site "s1" named "old" at offset 5; the
// shadow is made, migrated and given "s1" named "new" at offset `shadow_at`.
class ShadowSwitch : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    pqxx::connection c(owner_);
    pqxx::work t(c);
    with_tenant(t, "a");
    insert_site(t, "a", "s1", "old");
    set_offset(t, 5);
    t.exec("INSERT INTO dead_letter_retries (dl_partition, dl_offset, topic, log_partition, log_offset, outcome) "
           "VALUES (0, 7, 'pagewright.events', 0, 3, 'applied')");
    t.commit();
  }

  std::unique_ptr<ShadowBuild> open_shadow(int64_t shadow_at) {
    auto build = ShadowBuild::open(owner_);
    EXPECT_TRUE(build.ok()) << build.error().message;
    if (!build.ok()) return nullptr;
    auto prepared = (*build)->prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.error().message;
    if (!prepared.ok()) return nullptr;
    pqxx::connection c((*build)->shadow_conninfo());
    pqxx::work t(c);
    with_tenant(t, "a");
    insert_site(t, "a", "s1", "new");
    set_offset(t, shadow_at);
    t.commit();
    return std::move(build).value();
  }
};

TEST_F(ShadowSwitch, PreparedStatementsOfOpenSessionsReadTheNewTablesAfterTheSwitch) {
  // A reader session as the gateway's pool keeps them: statements prepared
  // (and executed, so planned) against the old tables.
  pqxx::connection reader(reader_);
  reader.prepare("site_name", "SELECT name FROM sites WHERE site_id = $1");
  auto read_name = [&](pqxx::connection& c, const std::string& tenant) {
    pqxx::work t(c);
    with_tenant(t, tenant);
    auto rows = t.exec_prepared("site_name", "s1");
    t.commit();
    return rows.empty() ? std::string("(none)") : rows[0][0].as<std::string>();
  };
  for (int i = 0; i < 6; ++i) ASSERT_EQ(read_name(reader, "a"), "old");  // past the generic-plan threshold

  auto build = open_shadow(5);
  ASSERT_TRUE(build);
  EXPECT_EQ(read_name(reader, "a"), "old") << "the shadow is not read before the switch";
  auto live = build->lock_live();
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ(*live, (projections::StoredOffsets{{0, 5}}));
  auto old = build->commit_switch(*live, false);
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->rfind("pagewright_old_", 0), 0u) << *old;

  EXPECT_EQ(read_name(reader, "a"), "new");
  pqxx::connection fresh(reader_);
  fresh.prepare("site_name", "SELECT name FROM sites WHERE site_id = $1");
  EXPECT_EQ(read_name(fresh, "a"), "new");
  // Row-level security holds in the new schema: another tenant, or none, sees nothing.
  EXPECT_EQ(read_name(fresh, "b"), "(none)");
  {
    pqxx::read_transaction t(fresh);
    EXPECT_EQ(count(t, "SELECT count(*) FROM sites"), 0) << "no tenant set";
  }
  // The old model is kept under its new name, and the operators' retries came along.
  EXPECT_EQ(schemas_like(owner_, "pagewright_%"), std::vector<std::string>{*old});
  pqxx::connection owner(owner_);
  pqxx::work t(owner);
  with_tenant(t, "a");
  EXPECT_EQ(t.exec1("SELECT name FROM " + t.quote_name(*old) + ".sites")[0].as<std::string>(), "old");
  EXPECT_EQ(count(t, "SELECT count(*) FROM dead_letter_retries WHERE dl_offset = 7"), 1);
  EXPECT_EQ(count(t, "SELECT count(*) FROM schema_migrations"),
            count(t, "SELECT count(*) FROM " + t.quote_name(*old) + ".schema_migrations"));
}

TEST_F(ShadowSwitch, AWriterTransactionRunsWhollyBeforeOrWhollyAfterTheSwitch) {
  auto build = open_shadow(6);
  ASSERT_TRUE(build);
  // Writers as the projector: prepared statements, the switch lock first.
  auto writer = [&] {
    auto c = std::make_unique<pqxx::connection>(owner_);
    c->prepare("add_site",
               "INSERT INTO sites (tenant_id, site_id, subdomain, name, version, created_at, updated_at) "
               "VALUES ('a', $1, $1, $1, 1, now(), now())");
    c->prepare("offset", "UPDATE projection_offsets SET next_offset = next_offset + 1 WHERE projector = 'read-models'");
    return c;
  };
  auto before = writer();
  auto after = writer();
  // Planned against the old tables.
  {
    pqxx::work t(*after);
    with_tenant(t, "a");
    t.exec_prepared("add_site", "warm-up");
    t.abort();
  }

  pqxx::work open_batch(*before);
  hold_off_switch(open_batch);
  auto locking = std::async(std::launch::async, [&] { return build->lock_live(); });
  EXPECT_EQ(locking.wait_for(300ms), std::future_status::timeout) << "the switch waits for an open batch";
  with_tenant(open_batch, "a");
  open_batch.exec_prepared("add_site", "before");
  open_batch.exec_prepared("offset");
  open_batch.commit();
  auto live = locking.get();
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ(*live, (projections::StoredOffsets{{0, 6}}));

  auto next_batch = std::async(std::launch::async, [&] {
    pqxx::work t(*after);
    hold_off_switch(t);
    with_tenant(t, "a");
    t.exec_prepared("add_site", "after");
    t.exec_prepared("offset");
    t.commit();
  });
  EXPECT_EQ(next_batch.wait_for(300ms), std::future_status::timeout) << "a batch waits for the switch";
  auto old = build->commit_switch(*live, false);
  ASSERT_TRUE(old.ok()) << old.error().message;
  next_batch.get();

  pqxx::connection owner(owner_);
  pqxx::work t(owner);
  with_tenant(t, "a");
  const std::string old_sites = t.quote_name(*old) + ".sites";
  EXPECT_EQ(count(t, "SELECT count(*) FROM " + old_sites + " WHERE site_id = 'before'"), 1);
  EXPECT_EQ(count(t, "SELECT count(*) FROM " + old_sites + " WHERE site_id = 'after'"), 0);
  EXPECT_EQ(count(t, "SELECT count(*) FROM sites WHERE site_id = 'after'"), 1) << "written into the new model";
  EXPECT_EQ(count(t, "SELECT next_offset FROM projection_offsets"), 7) << "from the shadow's offset on";
  EXPECT_EQ(count(t, "SELECT next_offset FROM " + t.quote_name(*old) + ".projection_offsets"), 6);
}

TEST_F(ShadowSwitch, NothingSwitchesWhileTheShadowIsBehindTheLiveModel) {
  auto build = open_shadow(4);  // live is at 5
  ASSERT_TRUE(build);
  auto live = build->lock_live();
  ASSERT_TRUE(live.ok()) << live.error().message;
  auto refused = build->commit_switch(*live, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not hold every live position"), std::string::npos);
  EXPECT_EQ(schemas_like(owner_, "pagewright_%"), std::vector<std::string>{"pagewright_shadow"});
  pqxx::connection c(reader_);
  pqxx::work t(c);
  with_tenant(t, "a");
  EXPECT_EQ(t.exec1("SELECT name FROM sites")[0].as<std::string>(), "old");
}

TEST_F(ShadowSwitch, OneShadowRebuildAtATimeAndAnInterruptedOneIsContinued) {
  auto first = open_shadow(3);
  ASSERT_TRUE(first);
  auto second = ShadowBuild::open(owner_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("another `pagewright rebuild --shadow` is running"), std::string::npos)
      << second.error().message;
  first.reset();  // the process ends: its session lock goes (once its backend has exited)
  auto again = ShadowBuild::open(owner_);
  for (int i = 0; i < 100 && !again.ok(); ++i) {
    std::this_thread::sleep_for(20ms);
    again = ShadowBuild::open(owner_);
  }
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE((*again)->prepare().ok());
  auto kept = (*again)->shadow_offsets();
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ(*kept, (projections::StoredOffsets{{0, 3}})) << "what the interrupted run stored is continued";
}

class ShadowOfNothing : public PgTest {};

TEST_F(ShadowOfNothing, AShadowRebuildOfADatabaseNeverMigratedIsAClearErrorAndMakesNothing) {
  auto build = ShadowBuild::open(owner_);
  ASSERT_FALSE(build.ok());
  EXPECT_EQ(build.error().code, Errc::validation_error);
  EXPECT_NE(build.error().message.find("never migrated"), std::string::npos) << build.error().message;
  EXPECT_NE(build.error().message.find("pagewright migrate"), std::string::npos) << build.error().message;
  EXPECT_TRUE(schemas_like(owner_, "pagewright_%").empty());
}

}  // namespace
}  // namespace pw::test
