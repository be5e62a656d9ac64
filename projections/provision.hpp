#pragma once
// Bringing your own PostgreSQL: the roles and database Pagewright needs,
// created once over a superuser's connection (or printed for a DBA to run),
// and the check that names that fix when they are missing.
//
//   pagewright_owner   owns the database and the tables; runs migrations and
//                      the projectors; may SET ROLE pagewright_reader
//   pagewright_reader  SELECT only (the migrations grant it); queries run as it
#include <string>
#include <vector>

#include "events/result.hpp"

namespace pw::projections {

inline constexpr const char* kOwnerRole = "pagewright_owner";
inline constexpr const char* kReaderRole = "pagewright_reader";

struct Provision {
  std::string database = "pagewright";
  std::string owner_password;
  std::string reader_password;
};

// Refuses a database name that would need quoting (it also lands in conninfos).
Result<void> check_database_name(const std::string& name);

// The statements provision() runs, in order, each on its own: idempotent, and
// they (re)set both roles' passwords. CREATE DATABASE comes last and is only
// run when the database is missing.
std::vector<std::string> provision_sql(const Provision& p);

// Runs provision_sql over `admin` (a superuser, or a role with CREATEROLE and
// CREATEDB that may grant the owner role to itself).
Result<void> provision(const std::string& admin, const Provision& p);

// Errc::unavailable naming the fix when the server lacks the reader role,
// which every migration grants to and every query runs as.
Result<void> check_roles(const std::string& conninfo);

// How to create what is missing, for messages that end in a connection error.
std::string provisioning_hint();

// `conninfo` (URI or key=value) with some parameters replaced, as key=value.
Result<std::string> conninfo_with(const std::string& conninfo,
                                  const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace pw::projections
