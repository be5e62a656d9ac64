#pragma once
// PostgreSQL plumbing of the read models: schema migrations and the per-
// transaction tenant that row-level security checks (DESIGN.md, decision 11).
#include <functional>
#include <string>

#include "events/result.hpp"

namespace pqxx {
class transaction_base;
}

namespace pw::projections {

// Applies every schemas/sql/*.sql (or $PW_SQL_DIR/*.sql) not yet recorded in
// schema_migrations, in name order, each in its own transaction; returns how
// many it applied. Safe to run concurrently: the runners serialise on a lock.
// on_applied, if given, hears each file name once it is committed.
Result<int> migrate(const std::string& conninfo,
                    const std::function<void(const std::string&)>& on_applied = {});

// The directory migrate reads.
std::string sql_dir();

// Scopes the transaction to one tenant: until it ends, row-level security
// shows and accepts only that tenant's rows. May be called again to switch.
void with_tenant(pqxx::transaction_base& txn, const std::string& tenant);

// Writers of the active read model call this first in each transaction,
// before touching a table: it waits while `pagewright rebuild --shadow`
// switches schemas, so a transaction runs wholly before the switch (on the old
// tables) or wholly after it (on the new ones), never across it.
void hold_off_switch(pqxx::transaction_base& txn);

// `conninfo` whose sessions find the read model's tables in `schema` (its
// search_path), e.g. the shadow a rebuild fills.
Result<std::string> in_schema(const std::string& conninfo, const std::string& schema);

}  // namespace pw::projections
