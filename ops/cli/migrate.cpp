#include <iostream>
#include <random>

#include "ops/cli/cli.hpp"
#include "events/logging.hpp"
#include "projections/pg.hpp"
#include "projections/provision.hpp"

namespace pw::cli {
namespace {

struct MigrateOptions {
  std::string pg;
  bool provision = false;
  bool print = false;
  std::string database = "pagewright";
  std::string owner_password;
  std::string reader_password;
};

std::string random_password() {
  // hex: safe in conninfos, URIs and SQL literals without escaping
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 24; ++i) {
    const unsigned byte = rd() & 0xff;
    out += "0123456789abcdef"[byte >> 4];
    out += "0123456789abcdef"[byte & 0xf];
  }
  return out;
}

int apply_migrations(const std::string& conninfo) {
  auto applied = projections::migrate(conninfo, [](const std::string& name) { std::cout << "applied " << name << "\n"; });
  if (!applied) {
    logging::error("migrations", {{"error", applied.error().message}});
    return 1;
  }
  std::cout << *applied << " migration(s) applied from " << projections::sql_dir() << "\n";
  return 0;
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int print_sql(const projections::Provision& p) {
  std::cout << "-- Run as a PostgreSQL superuser (psql -v ON_ERROR_STOP=1). Skip the last\n"
               "-- statement if the database exists. Then: PW_PG=<owner conninfo> pagewright migrate\n";
  for (const auto& statement : projections::provision_sql(p)) std::cout << statement << ";\n";
  return 0;
}

int provision(const MigrateOptions& o, projections::Provision p) {
  if (auto made = projections::provision(o.pg, p); !made) {
    logging::error("provision", {{"error", made.error().message}});
    return 1;
  }
  auto owner = projections::conninfo_with(o.pg, {{"user", projections::kOwnerRole},
                                                 {"password", p.owner_password},
                                                 {"dbname", p.database}});
  auto reader = projections::conninfo_with(o.pg, {{"user", projections::kReaderRole},
                                                  {"password", p.reader_password},
                                                  {"dbname", p.database}});
  if (!owner || !reader) {
    logging::error("provision", {{"error", (owner ? reader.error() : owner.error()).message}});
    return 1;
  }
  if (int rc = apply_migrations(*owner); rc != 0) return rc;
  // For the roles' environment (never argv: ps shows it to every local user).
  std::cout << "export PW_PG=" << shell_quoted(*owner) << "\n"
            << "export PW_PG_READER=" << shell_quoted(*reader) << "\n";
  return 0;
}

}  // namespace

Runner add_migrate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "migrate", "Apply the read-model migrations (schemas/sql, or PW_SQL_DIR) not yet applied; "
                 "with --provision, first create the roles and the database on a server of your own");
  auto o = std::make_shared<MigrateOptions>();
  cmd->add_option("--pg", o->pg,
                  "libpq conninfo of the owner role, e.g. the output of `ops/pg url`; with --provision, "
                  "a superuser's (any database)")
      ->envname("PW_PG");
  cmd->add_flag("--provision", o->provision,
                "create (or update) the roles pagewright_owner and pagewright_reader and the database, "
                "then migrate it and print the roles' conninfos");
  cmd->add_flag("--print", o->print, "with --provision: print the SQL instead of running it");
  cmd->add_option("--database", o->database, "with --provision: the database to create")->capture_default_str();
  cmd->add_option("--owner-password", o->owner_password, "with --provision (default: random)")
      ->envname("PW_OWNER_PASSWORD");
  cmd->add_option("--reader-password", o->reader_password, "with --provision (default: random)")
      ->envname("PW_READER_PASSWORD");
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    if (!o->provision) {
      if (o->print) return logging::error("--print goes with --provision"), 2;
      if (o->pg.empty()) return logging::error("--pg (or PW_PG) is required"), 2;
      return apply_migrations(o->pg);
    }
    if (auto name = projections::check_database_name(o->database); !name)
      return logging::error("--" + name.error().message), 2;
    projections::Provision p{o->database,
                             o->owner_password.empty() ? random_password() : o->owner_password,
                             o->reader_password.empty() ? random_password() : o->reader_password};
    if (o->print) return print_sql(p);
    if (o->pg.empty()) return logging::error("--provision: --pg (or PW_PG) names a superuser's connection"), 2;
    return provision(*o, std::move(p));
  };
}

}  // namespace pw::cli
