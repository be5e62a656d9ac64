#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

namespace fs = std::filesystem;
using Migrate = PgTest;

std::vector<std::string> sql_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".sql") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> recorded(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::read_transaction t(c);
  std::vector<std::string> names;
  for (const auto& row : t.exec("SELECT name FROM schema_migrations ORDER BY name")) {
    names.push_back(row[0].as<std::string>());
  }
  return names;
}

TEST_F(Migrate, AppliesEverythingOnceThenNothing) {
  const auto expected = sql_files(projections::sql_dir());
  ASSERT_FALSE(expected.empty());

  std::vector<std::string> heard;
  auto first = projections::migrate(owner_, [&](const std::string& n) { heard.push_back(n); });
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(expected.size()));
  EXPECT_EQ(heard, expected);
  EXPECT_EQ(recorded(owner_), expected);

  auto second = projections::migrate(owner_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, 0);

  pqxx::connection c(owner_);
  pqxx::read_transaction t(c);
  for (const char* table : {"sites", "pages", "page_events", "projection_offsets"}) {
    EXPECT_EQ(count(t, std::string("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                   "AND tablename = '") + table + "' AND tableowner = 'pagewright_owner'"),
              1)
        << table;
  }
}

// ANALYZE keeps no statistics on the envelope, which no query filters on
// (0011); the other columns of page_events keep theirs.
TEST_F(Migrate, PageEventsKeepNoStatisticsOnTheEnvelope) {
  ASSERT_TRUE(projections::migrate(owner_).ok());
  pqxx::connection c(owner_);
  pqxx::work t(c);
  auto target = [&](const std::string& column) {
    return t.exec_params1("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'page_events'::regclass "
                          "AND attname = $1",
                          column)[0]
        .as<int>();
  };
  EXPECT_EQ(target("envelope"), 0);
}

// Every other column keeps a small sample (0012), so an ANALYZE reads 3,000
// rows of page_events, not 30,000: a column added later must say so too.
TEST_F(Migrate, PageEventsAreAnalysedFromASmallSample) {
  ASSERT_TRUE(projections::migrate(owner_).ok());
  pqxx::connection c(owner_);
  pqxx::work t(c);
  auto columns = t.exec(
      "SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'page_events'::regclass "
      "AND attnum > 0 AND NOT attisdropped AND attname <> 'envelope' ORDER BY attnum");
  ASSERT_GE(columns.size(), 12u);
  for (const auto& col : columns) EXPECT_EQ(col[1].as<int>(), 10) << col[0].as<std::string>();
  // The planner still has statistics to plan with.
  t.exec("SELECT set_config('pagewright.tenant', 't', true)");
  t.exec("INSERT INTO page_events (tenant_id, site_id, seq, type, occurred_at, actor, command_id, envelope) "
         "SELECT 't', 's' || (i % 7), i, 'PageCreated', now(), 'u', 'c' || i, '{}' FROM generate_series(1, 500) i");
  t.exec("ANALYZE page_events");
  // (pg_stats hides a table under row-level security from its owner: the
  // planner's estimate shows the statistics instead.) 500 rows over 7 sites
  // are about 71 a site; without statistics the planner guesses 1 in 200.
  const auto plan = nlohmann::json::parse(
      t.exec1("EXPLAIN (FORMAT JSON) SELECT * FROM page_events WHERE site_id = 's1'")[0].as<std::string>());
  const auto rows = plan[0]["Plan"]["Plan Rows"].get<double>();
  EXPECT_GT(rows, 50);
  EXPECT_LT(rows, 100);
}

TEST_F(Migrate, ConcurrentRunnersApplyEachFileOnce) {
  const int files = static_cast<int>(sql_files(projections::sql_dir()).size());
  std::vector<Result<int>> results(4, Result<int>(0));
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back([&r, this] { r = projections::migrate(owner_); });
  for (auto& t : threads) t.join();
  int total = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    total += *r;
  }
  EXPECT_EQ(total, files);
}

// A failing file leaves nothing of itself behind and names itself; the files
// before it stay applied.
TEST_F(Migrate, FailingFileRollsBackAndIsReported) {
  const fs::path dir = fs::temp_directory_path() / ("pw_sql_" + db_);
  fs::create_directories(dir);
  std::ofstream(dir / "0001_good.sql") << "CREATE TABLE good (x int);";
  std::ofstream(dir / "0002_bad.sql") << "CREATE TABLE half (x int); SELECT no_such_column FROM good;";
  ::setenv("PW_SQL_DIR", dir.c_str(), 1);
  auto r = projections::migrate(owner_);
  ::unsetenv("PW_SQL_DIR");
  fs::remove_all(dir);

  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0002_bad.sql"), std::string::npos) << r.error().message;
  EXPECT_EQ(recorded(owner_), std::vector<std::string>{"0001_good.sql"});
  pqxx::connection c(owner_);
  pqxx::read_transaction t(c);
  EXPECT_EQ(count(t, "SELECT count(*) FROM pg_tables WHERE tablename IN ('good', 'half')"), 1);
}

TEST_F(Migrate, UnreachableServerIsUnavailable) {
  auto r = projections::migrate(conninfo_with(owner_, {{"host", "127.0.0.1"}, {"port", "1"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
}

}  // namespace
}  // namespace pw::test
