#include "projections/pg.hpp"

#include "events/read_model_switch.hpp"
#include "projections/provision.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <vector>

namespace pw::projections {
namespace fs = std::filesystem;

namespace {

// Advisory lock key every migrator takes, so concurrent runs apply each file once.
constexpr long long kMigrationLock = 0x70775f6d69677261;  // "pw_migra"

Result<std::vector<fs::path>> migration_files(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".sql") files.push_back(it->path());
  }
  if (ec) return make_error(Errc::internal, "cannot read " + dir.string() + ": " + ec.message());
  // An empty directory is a misconfiguration, not an up-to-date database.
  if (files.empty()) return make_error(Errc::internal, "no *.sql migrations in " + dir.string());
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

Result<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) return make_error(Errc::internal, "cannot read " + p.string());
  return s.str();
}

}  // namespace

std::string sql_dir() {
  if (const char* d = std::getenv("PW_SQL_DIR"); d && *d) return d;
  return PW_SQL_DIR;
}

Result<int> migrate(const std::string& conninfo,
                    const std::function<void(const std::string&)>& on_applied) {
  auto files = migration_files(sql_dir());
  if (!files) return files.error();
  // Migrations grant to the reader role; without it they fail half-way with
  // "role does not exist", which says nothing of the fix.
  if (auto roles = check_roles(conninfo); !roles) return roles.error();
  std::string current;
  try {
    pqxx::connection conn(conninfo);
    // "already exists, skipping" and the like would go to stderr otherwise.
    pqxx::nontransaction(conn).exec("SET client_min_messages TO warning");
    int applied = 0;
    for (const auto& file : *files) {
      current = file.filename().string();
      auto sql = slurp(file);
      if (!sql) return sql.error();
      pqxx::work txn(conn);
      txn.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
      txn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      if (!txn.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", current).empty()) continue;
      txn.exec(*sql);
      txn.exec_params("INSERT INTO schema_migrations (name) VALUES ($1)", current);
      txn.commit();
      ++applied;
      if (on_applied) on_applied(current);
    }
    return applied;
  } catch (const pqxx::broken_connection& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::internal, (current.empty() ? "" : current + ": ") + e.what());
  }
}

void with_tenant(pqxx::transaction_base& txn, const std::string& tenant) {
  txn.exec_params("SELECT set_config('pagewright.tenant', $1, true)", tenant);
}

void hold_off_switch(pqxx::transaction_base& txn) {
  txn.exec_params("SELECT pg_advisory_xact_lock_shared($1)", log::kReadModelSwitchLock);
}

Result<std::string> in_schema(const std::string& conninfo, const std::string& schema) {
  return conninfo_with(conninfo, {{"options", "-csearch_path=" + schema}});
}

}  // namespace pw::projections
