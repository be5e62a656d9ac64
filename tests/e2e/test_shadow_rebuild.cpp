// `pagewright rebuild --shadow` beside a running `pagewright serve`: the read
// model is rebuilt into a new schema and switched to while editors edit and
// read. No request gets a 5xx, and no read that waited for an acknowledged
// position (X-Pagewright-After) sees state older than that position, before,
// during or after the switch; the live projection then writes the new schema.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;


std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ShadowRebuild : public ServeTest {
 protected:
  ShadowRebuild() : ServeTest("shadow") {}
  void SetUp() override {
    ServeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tokens_ = make_tokens(kSecret, db_);
    serve_err_ = data_ / "serve.err";
  }
  uint16_t start_serve() {
    // Load, not abuse: the test edits and reads as fast as it can.
    return ServeTest::start_serve({"--rate-limit-tenant", "off"});
  }

  std::vector<std::string> rebuild_args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{PW_BINARY, "rebuild", "--shadow", "--log", log_uri()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  CliRun run_cli(std::vector<std::string> args, const std::string& pg) {
    return test::run_cli(std::move(args), {"PW_PG=" + pg}, data_ / "cli.err");
  }

  // Creates a site with one page for tenant `token`'s; returns the page id.
  std::string make_page(HttpClient& http, const std::string& token, const std::string& subdomain) {
    auto site = http.send_json("POST", "/v1/sites", token, {{"name", "Shop"}, {"subdomain", subdomain}});
    EXPECT_EQ(site.status, 201) << site.body;
    const std::string site_id = site.json()["data"].value("siteId", "");
    auto page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", token, {{"title", "Home"}});
    EXPECT_EQ(page.status, 201) << page.body;
    return page.json()["data"].value("pageId", "");
  }

  // PATCHes the page's description; returns {version, position} acknowledged.
  std::pair<int64_t, std::string> edit(HttpClient& http, const std::string& page, int64_t version, int n) {
    auto r = http.send_json("PATCH", "/v1/pages/" + page, tokens_.editor, {{"description", "edit " + std::to_string(n)}},
                            {{"If-Match", "\"" + std::to_string(version) + "\""}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {version, ""};
    return {r.json()["data"].value("version", int64_t{0}), r.json()["data"].value("position", "")};
  }

  int64_t version_of(HttpClient& http, const std::string& page, const std::string& after) {
    auto r = http.get("/v1/pages/" + page, tokens_.viewer, {{"X-Pagewright-After", after}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json()["data"].value("version", int64_t{0}) : -1;
  }

  // The other tenant's new site and page, read back with X-Pagewright-After.
  void expect_another_tenant_edit_visible(HttpClient& http) {
    auto site = http.send_json("POST", "/v1/sites", tokens_.other_tenant,
                               {{"name", "Other"}, {"subdomain", "other-" + db_.substr(8, 8)}});
    ASSERT_EQ(site.status, 201) << site.body;
    const std::string id = site.json()["data"].value("siteId", "");
    auto read = http.get("/v1/sites/" + id, tokens_.other_tenant,
                         {{"X-Pagewright-After", site.json()["data"].value("position", "")}});
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json()["data"].value("name", ""), "Other");
  }

  std::vector<std::string> schemas_like(const std::string& pattern) {
    pqxx::connection c(owner_);
    pqxx::read_transaction t(c);
    std::vector<std::string> out;
    for (const auto& r : t.exec_params("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1", pattern))
      out.push_back(r[0].as<std::string>());
    return out;
  }

  long query_long(const std::string& sql) {
    pqxx::connection c(owner_);
    pqxx::read_transaction t(c);
    const auto r = t.exec1(sql);
    return r[0].is_null() ? -1 : r[0].as<long>();
  }

  Tokens tokens_;
};

TEST_F(ShadowRebuild, EditsAndReadsGoOnThroughTheSwitchWithNo5xxAndNoReadOlderThanAnAcknowledgedPosition) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << slurp(data_ / "serve.err");
  HttpClient http("127.0.0.1", port);
  const std::string page = make_page(http, tokens_.admin, "shadow-" + db_.substr(8, 8));
  ASSERT_FALSE(page.empty());
  // A history worth rebuilding.
  int64_t version = 1;
  std::string position;
  for (int n = 0; n < 300; ++n) std::tie(version, position) = edit(http, page, version, n);
  ASSERT_FALSE(HasFailure());

  struct Acked {
    int64_t version;
    std::string position;
  };
  std::mutex mu;
  Acked acked{version, position};
  std::atomic<bool> done{false};
  std::atomic<int> server_errors{0}, stale_reads{0}, reads{0}, edits{0}, other_failures{0};
  std::string first_problem;
  auto note = [&](const std::string& what) {
    std::lock_guard lock(mu);
    if (first_problem.empty()) first_problem = what;
  };

  std::thread editor([&] {
    HttpClient h("127.0.0.1", port);
    int64_t v = version;
    for (int n = 300; !done; ++n) {
      auto r = h.send_json("PATCH", "/v1/pages/" + page, tokens_.editor, {{"description", "edit " + std::to_string(n)}},
                           {{"If-Match", "\"" + std::to_string(v) + "\""}});
      if (r.status >= 500) {
        ++server_errors;
        note("edit: " + std::to_string(r.status) + " " + r.body);
        continue;
      }
      if (r.status != 200) {
        ++other_failures;
        note("edit: " + std::to_string(r.status) + " " + r.body);
        continue;
      }
      v = r.json()["data"].value("version", int64_t{0});
      ++edits;
      std::lock_guard lock(mu);
      acked = {v, r.json()["data"].value("position", "")};
    }
  });
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      HttpClient h("127.0.0.1", port);
      while (!done) {
        Acked want;
        {
          std::lock_guard lock(mu);
          want = acked;
        }
        auto r = h.get("/v1/pages/" + page, tokens_.viewer, {{"X-Pagewright-After", want.position}});
        ++reads;
        if (r.status >= 500) {
          ++server_errors;
          note("read: " + std::to_string(r.status) + " " + r.body);
        } else if (r.status != 200) {
          ++other_failures;
          note("read: " + std::to_string(r.status) + " " + r.body);
        } else if (r.json()["data"].value("version", int64_t{0}) < want.version) {
          ++stale_reads;
          note("read version " + std::to_string(r.json()["data"].value("version", int64_t{0})) +
               " after acknowledged " + std::to_string(want.version) + " at " + want.position);
        }
        auto list = h.get("/v1/sites", tokens_.viewer);
        if (list.status >= 500) {
          ++server_errors;
          note("list: " + std::to_string(list.status) + " " + list.body);
        }
      }
    });
  }

  std::this_thread::sleep_for(500ms);
  const int reads_before = reads;
  const CliRun rebuilt = run_cli(rebuild_args(), owner_);
  const int reads_during = reads - reads_before;
  std::this_thread::sleep_for(1s);  // and on past the switch
  done = true;
  editor.join();
  for (auto& r : readers) r.join();

  EXPECT_EQ(rebuilt.status, 0) << rebuilt.out << rebuilt.err;
  std::cout << rebuilt.out << "  under load: " << reads << " reads, " << edits << " edits\n";
  EXPECT_NE(rebuilt.out.find("switched to the new read model"), std::string::npos) << rebuilt.out;
  EXPECT_EQ(server_errors, 0) << first_problem;
  EXPECT_EQ(stale_reads, 0) << first_problem;
  EXPECT_EQ(other_failures, 0) << first_problem;
  EXPECT_GT(reads_during, 0) << "queries were served while the shadow was built";
  EXPECT_GT(edits, 0);

  const auto old = schemas_like("pagewright_%");
  ASSERT_EQ(old.size(), 1u) << "the old read model is kept, the shadow is gone";
  EXPECT_EQ(old[0].rfind("pagewright_old_", 0), 0u) << old[0];
  // The live projection writes the new model only: the old one stands still.
  const std::string old_offsets = "SELECT sum(next_offset) FROM " + old[0] + ".projection_offsets";
  const long old_before = query_long(old_offsets);
  const long new_before = query_long("SELECT sum(next_offset) FROM public.projection_offsets");
  EXPECT_GE(new_before, old_before);
  Acked last;
  {
    std::lock_guard lock(mu);
    last = acked;
  }
  auto [v, pos] = edit(http, page, last.version, 100000);
  EXPECT_EQ(version_of(http, page, pos), v);
  expect_another_tenant_edit_visible(http);
  EXPECT_EQ(query_long(old_offsets), old_before);
  EXPECT_GT(query_long("SELECT sum(next_offset) FROM public.projection_offsets"), new_before);
}

TEST_F(ShadowRebuild, AnInterruptedShadowRebuildLeavesTheLiveModelUntouchedAndRunsAgain) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << slurp(data_ / "serve.err");
  HttpClient http("127.0.0.1", port);
  const std::string page = make_page(http, tokens_.admin, "shadow-" + db_.substr(8, 8));
  ASSERT_FALSE(page.empty());
  int64_t version = 1;
  std::string position;
  for (int n = 0; n < 600; ++n) std::tie(version, position) = edit(http, page, version, n);
  ASSERT_FALSE(HasFailure());
  const long public_oid = query_long("SELECT oid::bigint FROM pg_namespace WHERE nspname = 'public'");

  // One record per transaction, so there is time to interrupt it mid-way.
  Child rebuild = spawn(rebuild_args({"--batch", "1"}), {"PW_PG=" + owner_}, (data_ / "rebuild.err").string());
  ASSERT_GT(rebuild.pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  long shadow_progress = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    if (query_long("SELECT count(to_regclass('pagewright_shadow.projection_offsets'))") == 1)
      shadow_progress = query_long("SELECT coalesce(sum(next_offset), 0) FROM pagewright_shadow.projection_offsets");
    if (shadow_progress > 0) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(shadow_progress, 0) << "the shadow never started: " << slurp(data_ / "rebuild.err");
  ASSERT_EQ(stop(rebuild, 30s), 130) << "it must be interrupted mid-way, not finished: "
                                     << slurp(data_ / "rebuild.err");
  EXPECT_NE(slurp(data_ / "rebuild.err").find("the live read model is untouched"), std::string::npos);

  EXPECT_EQ(query_long("SELECT oid::bigint FROM pg_namespace WHERE nspname = 'public'"), public_oid);
  EXPECT_EQ(schemas_like("pagewright_%"), std::vector<std::string>{"pagewright_shadow"});
  EXPECT_EQ(version_of(http, page, position), version);
  std::tie(version, position) = edit(http, page, version, 1000);
  EXPECT_EQ(version_of(http, page, position), version);

  const CliRun again = run_cli(rebuild_args(), owner_);
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_NE(query_long("SELECT oid::bigint FROM pg_namespace WHERE nspname = 'public'"), public_oid);
  const auto old = schemas_like("pagewright_%");
  ASSERT_EQ(old.size(), 1u);
  // The rebuilt model holds what the old one held.
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, "t-" + db_);
    for (const std::string table : {"sites", "pages", "page_events"}) {
      const std::string sql = "SELECT count(*) FROM (SELECT * FROM public." + table + " EXCEPT SELECT * FROM " +
                              old[0] + "." + table + ") d";
      EXPECT_EQ(count(t, sql), 0) << table;
      EXPECT_EQ(count(t, "SELECT count(*) FROM public." + table), count(t, "SELECT count(*) FROM " + old[0] + "." + table))
          << table;
    }
  }
  EXPECT_EQ(version_of(http, page, position), version);
  std::tie(version, position) = edit(http, page, version, 1001);
  EXPECT_EQ(version_of(http, page, position), version);
  expect_another_tenant_edit_visible(http);

  // Once more with --drop-old: the model it replaces is gone, the earlier one stays.
  const CliRun dropping = run_cli(rebuild_args({"--drop-old"}), owner_);
  ASSERT_EQ(dropping.status, 0) << dropping.out << dropping.err;
  EXPECT_NE(dropping.out.find("was dropped"), std::string::npos) << dropping.out;
  EXPECT_EQ(schemas_like("pagewright_%"), old);
  std::tie(version, position) = edit(http, page, version, 1002);
  EXPECT_EQ(version_of(http, page, position), version);
}

TEST_F(ShadowRebuild, BadInvocationsAreClearErrorsAndChangeNothing) {
  // A database that was never migrated has no live read model to rebuild beside.
  const CliRun never = run_cli(rebuild_args(), owner_);
  EXPECT_EQ(never.status, 2) << never.out << never.err;
  EXPECT_NE(never.err.find("never migrated"), std::string::npos) << never.err;
  EXPECT_NE(never.err.find("pagewright migrate"), std::string::npos) << never.err;
  EXPECT_TRUE(schemas_like("pagewright_%").empty());

  const CliRun drop_alone = run_cli({PW_BINARY, "rebuild", "--drop-old", "--log", "local:" + (data_ / "x").string()}, owner_);
  EXPECT_EQ(drop_alone.status, 2);
  EXPECT_NE(drop_alone.err.find("--drop-old goes with --shadow"), std::string::npos) << drop_alone.err;

  // Migrated, but no log where it says.
  ASSERT_TRUE(projections::migrate(owner_).ok());
  const CliRun no_log = run_cli({PW_BINARY, "rebuild", "--shadow", "--log", "local:" + (data_ / "nowhere").string()},
                                owner_);
  EXPECT_EQ(no_log.status, 1) << no_log.err;
  EXPECT_NE(no_log.err.find("no local log at"), std::string::npos) << no_log.err;
  EXPECT_TRUE(schemas_like("pagewright_%").empty());
}

}  // namespace
}  // namespace pw::test
