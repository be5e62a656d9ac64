// Tenant isolation of the read models (DESIGN.md, decision 11): enforced by
// row-level security for the reader and, because it is FORCEd, the owner too.
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using projections::with_tenant;

const char* const kTenantTables[] = {"sites", "pages", "page_events"};

void insert_page(pqxx::work& t, const std::string& tenant, const std::string& site,
                 const std::string& page, const std::string& slug, const std::string& status = "draft") {
  t.exec_params(
      "INSERT INTO pages (tenant_id, page_id, site_id, slug, title, status, version, updated_at) "
      "VALUES ($1, $2, $3, $4, $4, $5, 1, now())",
      tenant, page, site, slug, status);
}

void insert_event(pqxx::work& t, const std::string& tenant, const std::string& site,
                  const std::string& page, int seq) {
  t.exec_params(
      "INSERT INTO page_events (tenant_id, site_id, page_id, seq, type, occurred_at, actor, command_id, envelope) "
      "VALUES ($1, $2, $3, $4, 'PageCreated', now(), 'user-1', $5, '{}')",
      tenant, site, page, seq, "cmd-" + std::to_string(seq));
}

// Tenant a: one site with two pages; tenant b: one site with one page.
class Rls : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    pqxx::connection c(owner_);
    pqxx::work t(c);
    with_tenant(t, "a");
    insert_site(t, "a", "site-a", "site-a");
    insert_page(t, "a", "site-a", "site-a.p1", "about");
    insert_page(t, "a", "site-a", "site-a.p2", "contact");
    insert_event(t, "a", "site-a", "site-a.p1", 1);
    insert_event(t, "a", "site-a", "site-a.p2", 2);
    with_tenant(t, "b");  // one transaction may switch tenants, as the projector does
    insert_site(t, "b", "site-b", "site-b");
    insert_page(t, "b", "site-b", "site-b.p1", "about");
    insert_event(t, "b", "site-b", "site-b.p1", 1);
    t.exec("INSERT INTO projection_offsets VALUES ('read-models', 'pagewright.events', 0, 3)");
    t.commit();
  }

  // Runs sql as the reader with tenant a and expects a permission error.
  void expect_denied(const std::string& conninfo, const std::string& sql) {
    pqxx::connection c(conninfo);
    pqxx::work t(c);
    with_tenant(t, "a");
    EXPECT_THROW(t.exec(sql), pqxx::insufficient_privilege) << sql;
  }

  std::string snapshot_of_b() {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    with_tenant(t, "b");
    return t.exec1(
                "SELECT (SELECT json_agg(s ORDER BY site_id) FROM sites s)::text ||"
                " (SELECT json_agg(p ORDER BY page_id) FROM pages p)::text ||"
                " (SELECT json_agg(e ORDER BY seq) FROM page_events e)::text")[0]
        .as<std::string>();
  }
};

TEST_F(Rls, ReaderWithoutTenantSeesNothing) {
  pqxx::connection c(reader_);
  {
    pqxx::work t(c);
    for (const char* table : kTenantTables) EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table), 0) << table;
    EXPECT_EQ(count(t, "SELECT count(*) FROM pages WHERE tenant_id = 'a'"), 0);
  }
  {
    pqxx::work t(c);
    with_tenant(t, "a");
    t.commit();
  }
  // The tenant was transaction-local: the next transaction starts blind again.
  pqxx::work t(c);
  for (const char* table : kTenantTables) EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table), 0) << table;
}

TEST_F(Rls, ReaderSeesOnlyItsTenant) {
  pqxx::connection c(reader_);
  pqxx::work t(c);
  with_tenant(t, "a");
  EXPECT_EQ(count(t, "SELECT count(*) FROM sites"), 1);
  EXPECT_EQ(count(t, "SELECT count(*) FROM pages"), 2);
  EXPECT_EQ(count(t, "SELECT count(*) FROM page_events"), 2);
  for (const char* table : kTenantTables) {
    EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table + " WHERE tenant_id <> 'a'"), 0) << table;
    EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table + " WHERE tenant_id = 'b'"), 0) << table;
    EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table + " WHERE site_id = 'site-b'"), 0) << table;
  }
  EXPECT_EQ(count(t, "SELECT count(*) FROM pages WHERE page_id = 'site-b.p1'"), 0);
  EXPECT_EQ(count(t, "SELECT count(*) FROM pages WHERE slug = 'about'"), 1);
  // Offsets are not tenant data: queries read them to wait for a position.
  EXPECT_EQ(count(t, "SELECT next_offset FROM projection_offsets"), 3);
}

TEST_F(Rls, ReaderCannotWrite) {
  const std::string before = snapshot_of_b();
  for (const char* sql : {
           "UPDATE pages SET title = 'x' WHERE tenant_id = 'b'",
           "UPDATE pages SET title = 'x'",
           "DELETE FROM pages WHERE tenant_id = 'b'",
           "DELETE FROM page_events",
           "UPDATE sites SET name = 'x'",
           "DELETE FROM sites",
           "TRUNCATE pages",
           "INSERT INTO sites (tenant_id, site_id, subdomain, name, version, created_at, updated_at)"
           " VALUES ('a', 'site-c', 'c', 'c', 1, now(), now())",
           "UPDATE projection_offsets SET next_offset = 0",
           "DELETE FROM schema_migrations",
       }) {
    expect_denied(reader_, sql);
  }
  EXPECT_EQ(snapshot_of_b(), before);
}

TEST_F(Rls, ReaderCannotEscapeRls) {
  for (const char* sql : {
           "SET ROLE pagewright_owner",
           "SET SESSION AUTHORIZATION pagewright_owner",
           "ALTER TABLE pages DISABLE ROW LEVEL SECURITY",
           "ALTER TABLE pages NO FORCE ROW LEVEL SECURITY",
           "DROP POLICY tenant_isolation ON pages",
           "CREATE POLICY open ON pages USING (true)",
           // With row_security off, a query RLS would filter is an error, not a bypass.
           "SET LOCAL row_security = off; SELECT * FROM pages",
       }) {
    expect_denied(reader_, sql);
  }
  pqxx::connection c(reader_);
  pqxx::work t(c);
  EXPECT_FALSE(t.exec1("SELECT pg_has_role('pagewright_owner', 'MEMBER')")[0].as<bool>());
  EXPECT_FALSE(t.exec1("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user")[0].as<bool>());
}

// FORCE binds the table owner as well: the projector sees and writes only the
// tenant it set, so a mix-up between tenants fails instead of leaking.
TEST_F(Rls, OwnerIsBoundByTheTenantItSets) {
  pqxx::connection c(owner_);
  {
    pqxx::work t(c);
    for (const char* table : kTenantTables) EXPECT_EQ(count(t, std::string("SELECT count(*) FROM ") + table), 0) << table;
  }
  {
    pqxx::work t(c);
    with_tenant(t, "a");
    EXPECT_THROW(insert_page(t, "b", "site-b", "site-b.p9", "other"), pqxx::insufficient_privilege);
  }
  {
    pqxx::work t(c);
    with_tenant(t, "a");
    EXPECT_EQ(t.exec("UPDATE pages SET title = 'x' WHERE tenant_id = 'b'").affected_rows(), 0u);
    EXPECT_THROW(t.exec("UPDATE pages SET tenant_id = 'b' WHERE page_id = 'site-a.p1'"),
                 pqxx::insufficient_privilege);
  }
  {
    pqxx::work t(c);
    EXPECT_THROW(t.exec("COPY pages FROM STDIN"), pqxx::feature_not_supported);
  }
}

// `pagewright status` reads every tenant's deployments through the
// operator_status policy: only the owner, only in a transaction that asks for
// it, only reading; the reader gains nothing by asking the same.
TEST_F(Rls, OnlyTheOwnerReadsDeploymentsAcrossTenantsAndOnlyWhenItAsks) {
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    for (const char* tenant : {"a", "b"}) {
      with_tenant(t, tenant);
      t.exec_params("INSERT INTO deployments (tenant_id, deployment_id, site_id, environment, strategy, version, "
                    "requested_by, requested_at, updated_at) "
                    "VALUES ($1, $2, $3, 'production', 'all-at-once', 1, 'user-1', now(), now())",
                    tenant, std::string("site-") + tenant + ".d1", std::string("site-") + tenant);
    }
    t.commit();
  }
  const std::string ask = "SELECT set_config('pagewright.operator', 'status', true)";
  pqxx::connection owner(owner_);
  {
    pqxx::work t(owner);
    EXPECT_EQ(count(t, "SELECT count(*) FROM deployments"), 0) << "not without asking";
  }
  {
    pqxx::work t(owner);
    t.exec(ask);
    EXPECT_EQ(count(t, "SELECT count(*) FROM deployments"), 2);
    // Reading, not writing: an update sees no row of a tenant it did not set.
    EXPECT_EQ(t.exec("UPDATE deployments SET status = 'failed'").affected_rows(), 0u);
  }
  {
    pqxx::work t(owner);
    EXPECT_EQ(count(t, "SELECT count(*) FROM deployments"), 0) << "asked for one transaction only";
  }
  pqxx::connection reader(reader_);
  pqxx::work t(reader);
  t.exec(ask);
  EXPECT_EQ(count(t, "SELECT count(*) FROM deployments"), 0);
  with_tenant(t, "a");
  EXPECT_EQ(count(t, "SELECT count(*) FROM deployments"), 1);
}

TEST_F(Rls, SlugIsUniquePerSiteAmongPagesNotDeleted) {
  pqxx::connection c(owner_);
  auto attempt = [&](const std::string& sql) {
    pqxx::work t(c);
    with_tenant(t, "a");
    t.exec(sql);
    t.commit();
  };
  // site-a.p1 holds "about"
  EXPECT_THROW(attempt("INSERT INTO pages (tenant_id, page_id, site_id, slug, title, version, updated_at)"
                       " VALUES ('a', 'site-a.p3', 'site-a', 'about', 't', 1, now())"),
               pqxx::unique_violation);
  EXPECT_THROW(attempt("UPDATE pages SET slug = 'about' WHERE page_id = 'site-a.p2'"), pqxx::unique_violation);

  attempt("UPDATE pages SET status = 'deleted' WHERE page_id = 'site-a.p1'");
  attempt("UPDATE pages SET slug = 'about' WHERE page_id = 'site-a.p2'");
  attempt("INSERT INTO pages (tenant_id, page_id, site_id, slug, title, status, version, updated_at)"
          " VALUES ('a', 'site-a.p4', 'site-a', 'about', 't', 'deleted', 1, now())");
  // Restoring the deleted page would make two live "about"s.
  EXPECT_THROW(attempt("UPDATE pages SET status = 'draft' WHERE page_id = 'site-a.p1'"), pqxx::unique_violation);
  // Slugs are per site (site-b, seeded, has its own "about"); the home page's slug is empty.
  attempt("INSERT INTO pages (tenant_id, page_id, site_id, slug, title, version, updated_at)"
          " VALUES ('a', 'site-a.home', 'site-a', '', 'Home', 1, now())");
  EXPECT_THROW(attempt("INSERT INTO pages (tenant_id, page_id, site_id, slug, title, version, updated_at)"
                       " VALUES ('a', 'site-a.home2', 'site-a', '', 'Home', 1, now())"),
               pqxx::unique_violation);
}

}  // namespace
}  // namespace pw::test
