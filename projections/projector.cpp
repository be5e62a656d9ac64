#include "projections/projector.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <stdexcept>
#include <unordered_map>

#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "events/dead_letter.hpp"
#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "projections/deployments.hpp"
#include "projections/pg.hpp"
#include "projections/assets.hpp"
#include "projections/templates.hpp"

namespace pw::projections {
namespace {

using json = nlohmann::json;
const std::string kEvents(log::kEventsTopic);

// A record that cannot be applied, whatever is retried; aborts the transaction.
struct BatchError : std::runtime_error {
  explicit BatchError(const std::string& m) : std::runtime_error(m) {}
};

// Postgres errors that a record's own data causes: invalid data (22, e.g.
// \u0000 in jsonb), constraint violations (23) and program limits (54, e.g. a
// row too large). Anything else (the connection, serialization, a trigger, a
// missing grant or row-level security refusing the role — the projector checks
// a record's tenant itself — or the schema not fitting this code) may pass, or
// is the operator's to fix: setting records aside for it would empty the read
// model for good.
bool record_sqlstate(const std::string& state) {
  const std::string_view cls = std::string_view(state).substr(0, 2);
  return cls == "22" || cls == "23" || cls == "54";
}

std::string where(const log::Record& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

// The site row as the batch has made it so far.
struct SiteRow {
  bool exists = false;
  int64_t version = 0;  // seq of the last applied event
  std::string tenant;
  std::string name;
  json seo = json::object();
  json settings = json::object();
  json design_tokens = json::object();
  std::string updated_at;
  bool dirty = false;  // differs from the stored row
};

json parse_json(const pqxx::field& f) { return json::parse(f.c_str()); }

}  // namespace

struct Projector::Db {
  explicit Db(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

Projector::Projector(log::EventLog& log, std::string conninfo, ProjectorConfig config)
    : log_(log), conninfo_(std::move(conninfo)), config_(std::move(config)) {}

Projector::~Projector() { close(); }

Result<std::unique_ptr<Projector>> Projector::create(log::EventLog& log, std::string conninfo,
                                                     ProjectorConfig config) {
  if (config.name.empty()) return make_error(Errc::validation_error, "projector name is required");
  if (config.max_batch == 0) return make_error(Errc::validation_error, "max_batch must be > 0");
  std::unique_ptr<Projector> self(new Projector(log, std::move(conninfo), std::move(config)));
  if (auto c = self->connect(); !c.ok()) return c.error();
  auto* raw = self.get();
  log::RebalanceListener listener{
      [raw](const std::vector<log::TopicPartition>& tps) {
        std::vector<int32_t> ps;
        for (const auto& tp : tps)
          if (tp.topic == kEvents) ps.push_back(tp.partition);
        raw->seek_to_stored(ps);
      },
      [raw](const std::vector<log::TopicPartition>& tps) {
        // Nothing to commit: every batch already stored its offsets.
        for (const auto& tp : tps) raw->needs_seek_.erase(tp.partition);
      }};
  auto consumer = log.subscribe(self->config_.group, {kEvents}, std::move(listener));
  if (!consumer.ok()) return consumer.error();
  self->consumer_ = std::move(consumer).value();
  return self;
}

Result<void> Projector::connect() {
  try {
    auto db = std::make_unique<Db>(conninfo_);
    auto& c = db->conn;
    c.prepare("pw_offset_get",
              "SELECT next_offset FROM projection_offsets "
              "WHERE projector = $1 AND topic = $2 AND partition = $3");
    c.prepare("pw_offset_init",
              "INSERT INTO projection_offsets (projector, topic, partition, next_offset) "
              "VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING");
    c.prepare("pw_offset_lock",
              "SELECT next_offset FROM projection_offsets "
              "WHERE projector = $1 AND topic = $2 AND partition = $3 FOR UPDATE");
    c.prepare("pw_offset_set",
              "UPDATE projection_offsets SET next_offset = $4 "
              "WHERE projector = $1 AND topic = $2 AND partition = $3");
    c.prepare("pw_site_get",
              "SELECT version, name, seo::text, settings::text, design_tokens::text FROM sites "
              "WHERE site_id = $1");
    c.prepare("pw_site_insert",
              "INSERT INTO sites (tenant_id, site_id, subdomain, name, seo, version, created_at, "
              "updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)");
    c.prepare("pw_site_update",
              "UPDATE sites SET name = $2, seo = $3::jsonb, settings = $4::jsonb, version = $5, "
              "updated_at = $6, design_tokens = $7::jsonb WHERE site_id = $1");
    c.prepare("pw_event_insert",
              "INSERT INTO page_events (tenant_id, site_id, page_id, seq, type, occurred_at, actor, "
              "command_id, envelope, log_partition, log_offset, page_version) "
              "VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9::jsonb, $10, $11, NULLIF($12, 0))");
    c.prepare("pw_page_get",
              "SELECT slug, title, description, seo::text, status, version, published_version, "
              "content::text FROM pages WHERE page_id = $1");
    c.prepare("pw_page_upsert",
              "INSERT INTO pages (tenant_id, page_id, site_id, slug, title, description, seo, status, "
              "version, published_version, content, updated_at) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11::jsonb, $12) "
              "ON CONFLICT (page_id) DO UPDATE SET slug = EXCLUDED.slug, title = EXCLUDED.title, "
              "description = EXCLUDED.description, seo = EXCLUDED.seo, status = EXCLUDED.status, "
              "version = EXCLUDED.version, published_version = EXCLUDED.published_version, "
              "content = EXCLUDED.content, updated_at = EXCLUDED.updated_at");
    prepare_deployment_statements(c);
    prepare_template_statements(c);
    prepare_asset_statements(c);
    db_ = std::move(db);
    return {};
  } catch (const std::exception& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  }
}

void Projector::seek_to_stored(const std::vector<int32_t>& partitions) {
  if (partitions.empty()) return;
  for (int32_t p : partitions) needs_seek_.insert(p);
  if (!db_ && !connect().ok()) return;
  std::map<int32_t, int64_t> offsets;
  try {
    pqxx::read_transaction t(db_->conn);
    for (int32_t p : partitions) {
      auto r = t.exec_prepared("pw_offset_get", config_.name, kEvents, p);
      offsets[p] = r.empty() ? 0 : r[0][0].as<int64_t>();
    }
    t.commit();
  } catch (const pqxx::broken_connection&) {
    db_.reset();
    return;
  } catch (const std::exception&) {
    return;
  }
  for (const auto& [p, offset] : offsets)
    if (consumer_ && consumer_->seek({kEvents, p}, offset).ok()) needs_seek_.erase(p);
}

std::vector<log::TopicPartition> Projector::assignment() const {
  return consumer_ ? consumer_->assignment() : std::vector<log::TopicPartition>{};
}

void Projector::close() {
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
  db_.reset();
}

Result<size_t> Projector::run_once(std::chrono::milliseconds timeout) {
  if (!consumer_) return make_error(Errc::unavailable, "projector is closed");
  auto polled = consumer_->poll(timeout, config_.max_batch);
  if (!polled.ok()) return polled.error();
  // Partitions whose stored offset could not be read: what was polled for them
  // may start anywhere, so it is dropped and re-read after the seek.
  if (!needs_seek_.empty()) {
    std::vector<int32_t> retry(needs_seek_.begin(), needs_seek_.end());
    std::erase_if(*polled, [&](const log::Record& r) { return needs_seek_.contains(r.partition); });
    seek_to_stored(retry);
    if (!needs_seek_.empty() && polled->empty())
      return make_error(Errc::unavailable, "cannot read the stored offsets of the projection");
  }
  if (polled->empty()) return size_t{0};
  if (!db_) {
    if (auto c = connect(); !c.ok()) {
      std::vector<int32_t> ps;
      for (const auto& r : *polled) ps.push_back(r.partition);
      for (int32_t p : ps) needs_seek_.insert(p);
      return c.error();
    }
  }
  auto applied = apply_batch(*polled);
  // A record that can never apply: find it, set it aside, keep the rest.
  if (!applied.ok() && applied.error().code == Errc::unprocessable) applied = isolate(*polled);
  if (!applied.ok()) {
    ++stats_.failures;
    // Nothing of the batch is in Postgres (or, after an in-doubt commit,
    // all of it is; or, while isolating, a prefix): re-read where the stored
    // offsets say.
    std::set<int32_t> ps;
    for (const auto& r : *polled) ps.insert(r.partition);
    seek_to_stored(std::vector<int32_t>(ps.begin(), ps.end()));
  }
  return applied;
}

Result<size_t> Projector::isolate(const std::vector<log::Record>& records) {
  size_t applied = 0;
  for (const auto& r : records) {
    if (!db_) {
      if (auto c = connect(); !c.ok()) return c.error();
    }
    auto one = apply_batch({r});
    if (one.ok()) {
      applied += *one;
      continue;
    }
    if (one.error().code != Errc::unprocessable) return one.error();
    if (auto aside = set_aside(r, one.error().message); !aside.ok()) return aside.error();
  }
  return applied;
}

Result<void> Projector::set_aside(const log::Record& r, const std::string& reason) {
  // The dead letter is durable before the offset passes the record: a crash
  // in between sets it aside again (at least once), never loses it.
  const auto letter = log::dead_letter_for(r, config_.pool, config_.group, reason);
  if (auto appended = log::append_dead_letter(log_, letter); !appended.ok()) return appended.error();
  try {
    // Only the offset moves: the site's version stays where it was, so the
    // site's later events meet a gap and are set aside too (quarantine).
    pqxx::work txn(db_->conn);
    txn.exec_prepared("pw_offset_init", config_.name, kEvents, r.partition);
    auto row = txn.exec_prepared1("pw_offset_lock", config_.name, kEvents, r.partition);
    if (row[0].as<int64_t>() <= r.offset)
      txn.exec_prepared("pw_offset_set", config_.name, kEvents, r.partition, r.offset + 1);
    txn.commit();
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("projector: passing a dead letter: ") + e.what());
  }
  ++stats_.dead_letters;
  std::cerr << "projector " << config_.name << ": set aside " << where(r) << " in " << log::kDeadLetterTopic
            << ": " << letter.reason << "\n";
  return {};
}

Result<size_t> Projector::apply_batch(const std::vector<log::Record>& records) {
  size_t applied = 0;
  int64_t skipped = 0;
  // Whether the statements running are a record's (a failure is then that
  // record's, unless the server or session says it is theirs).
  bool in_records = false;
  try {
    pqxx::work txn(db_->conn);
    // Lock this projection's offset rows of the batch's partitions: a second
    // instance of the same projection waits here, then skips what we applied.
    std::map<int32_t, int64_t> stored, next;
    for (const auto& r : records) {
      if (r.topic != kEvents) throw BatchError("unexpected topic " + where(r));
      if (stored.contains(r.partition)) continue;
      txn.exec_prepared("pw_offset_init", config_.name, kEvents, r.partition);
      auto row = txn.exec_prepared1("pw_offset_lock", config_.name, kEvents, r.partition);
      stored[r.partition] = next[r.partition] = row[0].as<int64_t>();
    }

    std::string tenant;  // the tenant the transaction is scoped to
    auto scope = [&](const std::string& t) {
      if (t != tenant) {
        with_tenant(txn, t);
        tenant = t;
      }
    };
    std::unordered_map<std::string, SiteRow> sites;
    // One-page site states: what domain::apply folds a page event into.
    std::unordered_map<std::string, domain::SiteState> pages;

    in_records = true;
    for (const auto& rec : records) {
      if (rec.offset < stored[rec.partition]) {
        ++skipped;
        continue;
      }
      next[rec.partition] = std::max(next[rec.partition], rec.offset + 1);
      auto env = decode(rec.value);
      if (!env.ok()) throw BatchError(where(rec) + ": " + env.error().message);
      auto event = domain::event_from_json(env->type, env->schema_version, env->data);
      if (!event.ok()) throw BatchError(where(rec) + ": " + env->type + ": " + event.error().message);
      scope(env->tenant_id);

      auto [sit, fresh] = sites.try_emplace(env->site_id);
      SiteRow& site = sit->second;
      if (fresh) {
        auto r = txn.exec_prepared("pw_site_get", env->site_id);
        if (!r.empty()) {
          site.exists = true;
          site.version = r[0][0].as<int64_t>();
          site.name = r[0][1].as<std::string>();
          site.seo = parse_json(r[0][2]);
          site.settings = parse_json(r[0][3]);
          site.design_tokens = parse_json(r[0][4]);
        }
        site.tenant = env->tenant_id;
      }
      if (site.tenant != env->tenant_id)
        throw BatchError(where(rec) + ": tenant differs from the site's");
      if (env->seq <= site.version) {  // applied before (offsets were reset or raced)
        ++skipped;
        continue;
      }
      if (env->seq != site.version + 1)
        throw BatchError(where(rec) + ": seq gap: site " + env->site_id + " event seq " +
                         std::to_string(env->seq) + " but the read model is at " + std::to_string(site.version));

      auto agg = domain::aggregate_of(*event);
      const bool page_event = agg.type == "page";
      txn.exec_prepared("pw_event_insert", env->tenant_id, env->site_id,
                        page_event ? agg.id : std::string(), env->seq, env->type, env->occurred_at,
                        env->actor, env->command_id, rec.value, rec.partition, rec.offset,
                        page_event ? env->aggregate.version : int64_t{0});

      if (const auto* created = std::get_if<domain::SiteCreated>(&*event)) {
        if (site.exists) throw BatchError(where(rec) + ": site exists");
        if (created->tenant.value != env->tenant_id)
          throw BatchError(where(rec) + ": SiteCreated tenant differs from the envelope's");
        site.seo = domain::site_seo_to_json(domain::SiteSeo{});
        txn.exec_prepared("pw_site_insert", env->tenant_id, env->site_id, created->subdomain,
                          created->name, site.seo.dump(), env->seq, env->occurred_at);
        site.exists = true;
        site.name = created->name;
        site.version = env->seq;
        site.updated_at = env->occurred_at;
        site.dirty = false;
        ++applied;
        continue;
      }
      if (!site.exists)
        throw BatchError(where(rec) + ": event of unknown site " + env->site_id);
      site.version = env->seq;
      site.updated_at = env->occurred_at;
      site.dirty = true;
      if (const auto* upd = std::get_if<domain::SiteSettingsUpdated>(&*event)) {
        if (upd->name) site.name = *upd->name;
        if (upd->seo) site.seo = domain::site_seo_to_json(*upd->seo);
        domain::fold_settings(site.settings, *upd);
      }
      if (const auto* tokens = std::get_if<domain::DesignTokensUpdated>(&*event))
        site.design_tokens = tokens->tokens;

      project_deployment(txn, *env, *event);
      project_template(txn, *env, *event);
      project_asset(txn, *env, *event);

      if (page_event) {
        auto [pit, new_page] = pages.try_emplace(agg.id);
        domain::SiteState& state = pit->second;
        const PageId page_id{agg.id};
        if (new_page) {
          state.exists = true;
          state.id = SiteId{env->site_id};
          state.tenant = TenantId{env->tenant_id};
          auto r = txn.exec_prepared("pw_page_get", agg.id);
          if (!r.empty()) {
            const auto& row = r[0];
            json j{{"pageId", agg.id},
                   {"slug", row[0].as<std::string>()},
                   {"title", row[1].as<std::string>()},
                   {"description", row[2].as<std::string>()},
                   {"seo", parse_json(row[3])},
                   {"status", row[4].as<std::string>()},
                   {"version", row[5].as<int64_t>()},
                   {"publishedVersion", row[6].as<int64_t>()},
                   {"content", parse_json(row[7])}};
            auto page = domain::page_state_from_json(j);
            if (!page.ok())
              throw BatchError("stored page " + agg.id + ": " + page.error().message);
            state.pages.emplace(page_id, std::move(page).value());
            domain::rebuild_indexes(state);
          }
        }
        try {
          domain::apply(state, *event);
        } catch (const std::logic_error& e) {
          throw BatchError(where(rec) + ": " + e.what());
        }
        const domain::PageState& p = state.pages.at(page_id);
        if (p.version != env->aggregate.version)
          throw BatchError(where(rec) + ": page version " + std::to_string(p.version) +
                                               " but the envelope says " +
                                               std::to_string(env->aggregate.version));
        // A label is a save point, not an edit: the page row (updatedAt, and
        // so the order of page lists) stays as its last version left it.
        if (std::holds_alternative<domain::PageVersionLabelled>(*event)) {
          ++applied;
          continue;
        }
        json content = json::array();
        for (const auto& c : p.content) content.push_back(domain::component_to_json(c));
        // Written per event, in stream order, so the slug index sees the same
        // sequence of states the decider checked.
        txn.exec_prepared("pw_page_upsert", env->tenant_id, agg.id, env->site_id, p.slug, p.title,
                          p.description, domain::page_seo_to_json(p.seo).dump(),
                          std::string(domain::page_status_name(p.status)), p.version,
                          p.publishedVersion, content.dump(), env->occurred_at);
      }
      ++applied;
    }

    for (auto& [id, site] : sites) {
      if (!site.dirty) continue;
      scope(site.tenant);
      txn.exec_prepared("pw_site_update", id, site.name, site.seo.dump(), site.settings.dump(),
                        site.version, site.updated_at, site.design_tokens.dump());
    }
    in_records = false;
    for (const auto& [p, offset] : next)
      if (offset != stored[p]) txn.exec_prepared("pw_offset_set", config_.name, kEvents, p, offset);
    txn.commit();
  } catch (const BatchError& e) {
    return make_error(Errc::unprocessable, std::string("projector: ") + e.what());
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: commit in doubt: ") + e.what());
  } catch (const pqxx::transaction_rollback& e) {  // serialization failure, deadlock
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    const bool record = in_records && record_sqlstate(e.sqlstate()) && db_->conn.is_open();
    return make_error(record ? Errc::unprocessable : Errc::unavailable,
                      std::string("projector: postgres refused it: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    // A record's data the read model cannot hold (e.g. text that is not UTF-8).
    return make_error(in_records ? Errc::unprocessable : Errc::internal, std::string("projector: ") + e.what());
  } catch (const std::exception& e) {
    // Not the record's fault (memory, a library's misuse): retried with backoff.
    return make_error(Errc::unavailable, std::string("projector: ") + e.what());
  }
  ++stats_.batches;
  stats_.events += static_cast<int64_t>(applied);
  stats_.skipped += skipped;
  return applied;
}

}  // namespace pw::projections
