#include "projections/shadow.hpp"

#include <ctime>
#include <pqxx/pqxx>

#include "events/log.hpp"
#include "events/read_model_switch.hpp"
#include "projections/pg.hpp"
#include "projections/provision.hpp"

namespace pw::projections {
namespace {

// Session lock of the one shadow rebuild a database may have at a time.
constexpr long long kShadowBuildLock = 0x70775f736861646f;  // "pw_shado"

const std::string kEvents(log::kEventsTopic);

Error postgres_error(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr)
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr)
    return make_error(Errc::forbidden, std::string("postgres: ") + e.what());
  return make_error(Errc::internal, std::string("postgres: ") + e.what());
}

StoredOffsets read_offsets(pqxx::transaction_base& t, const std::string& schema, const std::string& projector) {
  StoredOffsets out;
  const auto rows = t.exec_params("SELECT partition, next_offset FROM " + t.quote_name(schema) +
                                      ".projection_offsets WHERE projector = $1 AND topic = $2",
                                  projector, kEvents);
  for (const auto& r : rows) out[r[0].as<int32_t>()] = r[1].as<int64_t>();
  return out;
}

// pagewright_old_<UTC time>, unused so far.
std::string old_schema_name(pqxx::transaction_base& t) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%dt%H%M%Sz", &utc);
  std::string name = std::string(kOldSchemaPrefix) + stamp;
  for (int n = 2; !t.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", name).empty(); ++n)
    name = std::string(kOldSchemaPrefix) + stamp + "_" + std::to_string(n);
  return name;
}

// The operators' record of dead-letter retries is no projection of the log:
// it goes with the read model it describes. Columns by name, so a shadow
// migrated past the live schema still takes what the live one has.
void carry_retries(pqxx::transaction_base& t, const std::string& from) {
  const auto cols = t.exec_params(
      "SELECT string_agg(quote_ident(o.column_name), ', ' ORDER BY o.ordinal_position) "
      "FROM information_schema.columns o JOIN information_schema.columns n "
      "ON n.table_schema = 'public' AND n.table_name = o.table_name AND n.column_name = o.column_name "
      "WHERE o.table_schema = $1 AND o.table_name = 'dead_letter_retries'",
      from);
  if (cols.empty() || cols[0][0].is_null()) return;
  const std::string list = cols[0][0].as<std::string>();
  t.exec("INSERT INTO public.dead_letter_retries (" + list + ") SELECT " + list + " FROM " + t.quote_name(from) +
         ".dead_letter_retries ON CONFLICT DO NOTHING");
}

}  // namespace

bool holds_all(const StoredOffsets& shadow, const StoredOffsets& live) {
  for (const auto& [partition, offset] : live) {
    const auto it = shadow.find(partition);
    if (offset > (it == shadow.end() ? 0 : it->second)) return false;
  }
  return true;
}

struct ShadowBuild::Db {
  explicit Db(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
  std::unique_ptr<pqxx::work> switching;  // the switch transaction, while open
};

ShadowBuild::~ShadowBuild() { abort_switch(); }

Result<std::unique_ptr<ShadowBuild>> ShadowBuild::open(const std::string& conninfo, std::string projector) {
  std::unique_ptr<ShadowBuild> self(new ShadowBuild());
  self->projector_ = std::move(projector);
  auto shadow = in_schema(conninfo, kShadowSchema);
  if (!shadow) return shadow.error();
  self->shadow_conninfo_ = *shadow;
  try {
    self->db_ = std::make_unique<Db>(conninfo);
    auto& c = self->db_->conn;
    {
      pqxx::read_transaction t(c);
      const auto row = t.exec1(
          "SELECT to_regclass('public.projection_offsets') IS NOT NULL "
          "AND to_regclass('public.schema_migrations') IS NOT NULL, "
          "(SELECT pg_has_role(current_user, nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = 'public'), "
          "has_database_privilege(current_database(), 'CREATE'), current_database(), current_user");
      const std::string db = row[3].as<std::string>();
      const std::string user = row[4].as<std::string>();
      if (!row[0].as<bool>())
        return make_error(Errc::validation_error,
                          "database " + db + " has no read model to rebuild beside (it was never migrated): "
                          "run `pagewright migrate` first, or `pagewright rebuild` without --shadow to build "
                          "it in place");
      if (row[1].is_null() || !row[1].as<bool>() || !row[2].as<bool>())
        return make_error(Errc::forbidden,
                          "role " + user + " may not replace the read model of " + db +
                              ": it must own the schema public and may create schemas (as a superuser: "
                              "ALTER SCHEMA public OWNER TO " + user + "; GRANT CREATE ON DATABASE " + db +
                              " TO " + user + ")");
    }
    pqxx::nontransaction n(c);
    n.exec("SET client_min_messages TO warning");
    if (!n.exec_params1("SELECT pg_try_advisory_lock($1)", kShadowBuildLock)[0].as<bool>())
      return make_error(Errc::unavailable, "another `pagewright rebuild --shadow` is running on this database");
  } catch (const std::exception& e) {
    return postgres_error(e);
  }
  return self;
}

Result<void> ShadowBuild::prepare() {
  try {
    pqxx::nontransaction n(db_->conn);
    n.exec(std::string("CREATE SCHEMA IF NOT EXISTS ") + kShadowSchema);
    // The migrations grant SELECT on each table; reading a schema's tables
    // also needs USAGE on it (public grants it to everyone, a new schema to
    // nobody but its owner).
    n.exec(std::string("GRANT USAGE ON SCHEMA ") + kShadowSchema + " TO " + kReaderRole);
  } catch (const std::exception& e) {
    return postgres_error(e);
  }
  if (auto migrated = migrate(shadow_conninfo_); !migrated)
    return make_error(migrated.error().code, "migrating the shadow: " + migrated.error().message);
  return {};
}

Result<StoredOffsets> ShadowBuild::lock_live() {
  abort_switch();
  try {
    db_->switching = std::make_unique<pqxx::work>(db_->conn);
    auto& t = *db_->switching;
    // A live batch holds the lock shared for one transaction; a longer wait
    // means something else is stuck, and the rebuild had better try again.
    t.exec("SET LOCAL lock_timeout = '10s'");
    t.exec_params("SELECT pg_advisory_xact_lock($1)", log::kReadModelSwitchLock);
    return read_offsets(t, kActiveSchema, projector_);
  } catch (const std::exception& e) {
    abort_switch();
    if (dynamic_cast<const pqxx::sql_error*>(&e) != nullptr &&
        static_cast<const pqxx::sql_error&>(e).sqlstate() == "55P03")
      return make_error(Errc::unavailable, "the live projection held the switch lock for 10 s");
    return postgres_error(e);
  }
}

Result<StoredOffsets> ShadowBuild::shadow_offsets() {
  try {
    if (db_->switching) return read_offsets(*db_->switching, kShadowSchema, projector_);
    pqxx::read_transaction t(db_->conn);
    return read_offsets(t, kShadowSchema, projector_);
  } catch (const std::exception& e) {
    abort_switch();
    return postgres_error(e);
  }
}

Result<std::string> ShadowBuild::commit_switch(const StoredOffsets& live, bool drop_old) {
  if (!db_->switching) return make_error(Errc::internal, "commit_switch without lock_live");
  std::string old;
  try {
    auto& t = *db_->switching;
    if (!holds_all(read_offsets(t, kShadowSchema, projector_), live)) {
      abort_switch();
      return make_error(Errc::unavailable, "the shadow does not hold every live position yet");
    }
    old = old_schema_name(t);
    t.exec("ALTER SCHEMA public RENAME TO " + t.quote_name(old));
    t.exec(std::string("ALTER SCHEMA ") + kShadowSchema + " RENAME TO public");
    carry_retries(t, old);
    t.commit();
    db_->switching.reset();
  } catch (const std::exception& e) {
    abort_switch();
    return postgres_error(e);
  }
  if (!drop_old) return old;
  try {
    pqxx::work t(db_->conn);
    // Waits for statements still reading the old tables (none can start).
    t.exec("SET LOCAL lock_timeout = '60s'");
    t.exec("DROP SCHEMA " + t.quote_name(old) + " CASCADE");
    t.commit();
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, "switched, but dropping " + old + " failed (drop it later): " + e.what());
  }
  return old;
}

void ShadowBuild::abort_switch() {
  if (!db_ || !db_->switching) return;
  try {
    db_->switching->abort();
  } catch (const std::exception&) {
    // A broken connection rolled it back already.
  }
  db_->switching.reset();
}

}  // namespace pw::projections
