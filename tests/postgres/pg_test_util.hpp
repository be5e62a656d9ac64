#pragma once
// Fixture for the postgres tests: a scratch database per test on the server
// named by PW_TEST_PG (owner conninfo), dropped afterwards. The reader's
// conninfo is PW_TEST_PG_READER, else the owner's with user=pagewright_reader.
// Without a server the tests skip, except under CI=true, where they fail.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <map>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "events/ids.hpp"
#include "projections/pg.hpp"
#include "projections/provision.hpp"

namespace pw::test {

// conninfo (URI or key=value) with some parameters replaced.
inline std::string conninfo_with(const std::string& conninfo,
                                 const std::map<std::string, std::string>& overrides) {
  auto out = projections::conninfo_with(conninfo, {overrides.begin(), overrides.end()});
  if (!out) throw std::invalid_argument(out.error().message);
  return *out;
}

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = env("PW_TEST_PG");
    if (admin_.empty()) {
      if (env("CI") == "true") {
        GTEST_FAIL() << "PW_TEST_PG is not set; CI runs the postgres tests against a server "
                        "(ops/test starts one with ops/pg)";
      }
      GTEST_SKIP() << "PW_TEST_PG is not set (owner conninfo, e.g. from `ops/pg start && ops/pg url`)";
    }
    std::string reader = env("PW_TEST_PG_READER");
    if (reader.empty()) reader = conninfo_with(admin_, {{"user", "pagewright_reader"}});

    std::string id = uuid_v4();
    std::erase(id, '-');
    const std::string db = "pw_test_" + id.substr(0, 16);
    pqxx::connection c(admin_);
    pqxx::nontransaction(c).exec("CREATE DATABASE " + c.quote_name(db));
    db_ = db;
    owner_ = conninfo_with(admin_, {{"dbname", db_}});
    reader_ = conninfo_with(reader, {{"dbname", db_}});
  }

  void TearDown() override {
    if (!db_.empty()) drop_database(db_);
  }

  // Drops a database this test made. FORCE: a test that failed may leave a
  // child process connected. A connection of another role (the reader's, a
  // child process's) that just closed can still be exiting on the server, and
  // the owner may not terminate it: the drop is retried until it is gone.
  void drop_database(const std::string& name) const {
    pqxx::connection c(admin_);
    for (int attempt = 1;; ++attempt) {
      try {
        pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + c.quote_name(name) + " WITH (FORCE)");
        return;
      } catch (const pqxx::insufficient_privilege&) {
        if (attempt == 100) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  static long count(pqxx::transaction_base& t, const std::string& sql) {
    return t.exec1(sql)[0].as<long>();
  }

  std::string admin_;   // PW_TEST_PG, for creating and dropping databases
  std::string db_;      // this test's scratch database
  std::string owner_;   // conninfos into db_
  std::string reader_;
};

// A sites row of `tenant`, named `name` (its subdomain is its id). The
// transaction must be scoped to that tenant (projections::with_tenant):
// row-level security binds the owner too.
inline void insert_site(pqxx::work& t, const std::string& tenant, const std::string& site, const std::string& name) {
  t.exec_params(
      "INSERT INTO sites (tenant_id, site_id, subdomain, name, version, created_at, updated_at) "
      "VALUES ($1, $2, $2, $3, 1, now(), now())",
      tenant, site, name);
}

}  // namespace pw::test
