#include "projections/provision.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <pqxx/pqxx>

namespace pw::projections {
namespace {

std::string literal(const std::string& s) {
  // standard_conforming_strings is on (the default since 9.1): only quotes double.
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string role_sql(const char* role, const std::string& password, const char* rights) {
  return std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") + role +
         "') THEN CREATE ROLE " + role + "; END IF; END $$; ALTER ROLE " + role + " " + rights +
         " PASSWORD " + literal(password);
}

}  // namespace

Result<void> check_database_name(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 63 && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::islower(c) || std::isdigit(c) || c == '_';
                     });
  if (!plain) return make_error(Errc::validation_error, "database name: 1 to 63 of a-z, 0-9 and _, not starting with a digit");
  return {};
}

std::vector<std::string> provision_sql(const Provision& p) {
  return {
      role_sql(kOwnerRole, p.owner_password, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS"),
      role_sql(kReaderRole, p.reader_password, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS"),
      // Lets an owner login run queries as the reader (SET ROLE), e.g. a
      // gateway given only the owner's conninfo.
      std::string("GRANT ") + kReaderRole + " TO " + kOwnerRole,
      "CREATE DATABASE " + p.database + " OWNER " + kOwnerRole,
  };
}

Result<void> provision(const std::string& admin, const Provision& p) {
  if (auto ok = check_database_name(p.database); !ok) return ok;
  try {
    pqxx::connection conn(admin);
    pqxx::nontransaction txn(conn);
    txn.exec("SET client_min_messages TO warning");
    const auto statements = provision_sql(p);
    for (size_t i = 0; i + 1 < statements.size(); ++i) txn.exec(statements[i]);
    if (txn.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", p.database).empty())
      txn.exec(statements.back());
    return {};
  } catch (const pqxx::broken_connection& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  } catch (const pqxx::insufficient_privilege& e) {
    return make_error(Errc::forbidden, std::string("postgres: provisioning needs a superuser, or a role with "
                                                   "CREATEROLE and CREATEDB: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("postgres: ") + e.what());
  }
}

std::string provisioning_hint() {
  return std::string("create the roles (") + kOwnerRole + ", " + kReaderRole +
         ") and the database once, as a PostgreSQL superuser: `pagewright migrate --provision --pg "
         "'<superuser conninfo>'`, or `pagewright migrate --provision --print` for the SQL to hand "
         "to your DBA (README, \"Bring your own PostgreSQL\")";
}

Result<void> check_roles(const std::string& conninfo) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::read_transaction txn(conn);
    if (txn.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", kReaderRole).empty())
      return make_error(Errc::unavailable, std::string("PostgreSQL has no role ") + kReaderRole +
                                               " (queries run as it); " + provisioning_hint());
    return {};
  } catch (const pqxx::broken_connection& e) {
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what() +
                                             " (on a server Pagewright has not used yet, " + provisioning_hint() + ")");
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("postgres: ") + e.what());
  }
}

Result<std::string> conninfo_with(const std::string& conninfo,
                                  const std::vector<std::pair<std::string, std::string>>& overrides) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? err : "invalid conninfo";
    PQfreemem(err);
    return make_error(Errc::validation_error, "conninfo: " + msg);
  }
  auto quote = [](const std::string& v) {
    const bool plain = !v.empty() && v.find_first_of(" '\\\t\n") == std::string::npos;
    if (plain) return v;
    std::string q = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') q += '\\';
      q += c;
    }
    return q + "'";
  };
  auto overridden = [&](const char* key) {
    return std::any_of(overrides.begin(), overrides.end(), [&](const auto& kv) { return kv.first == key; });
  };
  std::string out;
  for (auto* o = opts; o->keyword != nullptr; ++o)
    if (o->val != nullptr && *o->val != '\0' && !overridden(o->keyword))
      out += std::string(o->keyword) + "=" + quote(o->val) + " ";
  PQconninfoFree(opts);
  for (const auto& [k, v] : overrides) out += k + "=" + quote(v) + " ";
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace pw::projections
