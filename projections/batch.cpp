#include "projections/batch.hpp"

#include <type_traits>
#include <unordered_map>
#include <variant>

#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "projections/assets.hpp"
#include "projections/deployments.hpp"
#include "projections/pg.hpp"
#include "projections/templates.hpp"

namespace pw::projections {
namespace {

using json = nlohmann::json;
namespace d = domain;

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

// What a handler of one event needs to know about it.
struct Event {
  const log::Record& rec;
  const Envelope& env;
  const d::DomainEvent& event;
  SiteRow& site;
};

}  // namespace

std::string record_position(const log::Record& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

void prepare_batch_statements(pqxx::connection& c) {
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
}

struct ReadModelBatch::State {
  explicit State(pqxx::work& t) : txn(t) {}

  pqxx::work& txn;
  std::string tenant;  // the tenant the transaction is scoped to
  std::unordered_map<std::string, SiteRow> sites;
  // One-page site states: what domain::apply folds a page event into.
  std::unordered_map<std::string, d::SiteState> pages;

  void scope(const std::string& t) {
    if (t == tenant) return;
    with_tenant(txn, t);
    tenant = t;
  }

  SiteRow& site_of(const Envelope& env) {
    auto [it, fresh] = sites.try_emplace(env.site_id);
    SiteRow& site = it->second;
    if (fresh) load_site(env, site);
    return site;
  }

  void load_site(const Envelope& env, SiteRow& site) {
    site.tenant = env.tenant_id;
    auto r = txn.exec_prepared("pw_site_get", env.site_id);
    if (r.empty()) return;
    site.exists = true;
    site.version = r[0][0].as<int64_t>();
    site.name = r[0][1].as<std::string>();
    site.seo = parse_json(r[0][2]);
    site.settings = parse_json(r[0][3]);
    site.design_tokens = parse_json(r[0][4]);
  }

  // The site's next event: applies if it is exactly version + 1.
  static bool in_sequence(const Event& e) {
    if (e.env.seq <= e.site.version) return false;  // applied before (offsets were reset or raced)
    if (e.env.seq != e.site.version + 1)
      throw RecordError(record_position(e.rec) + ": seq gap: site " + e.env.site_id + " event seq " +
                        std::to_string(e.env.seq) + " but the read model is at " +
                        std::to_string(e.site.version));
    return true;
  }

  void record_event(const Event& e) {
    const auto agg = d::aggregate_of(e.event);
    const bool page_event = agg.type == "page";
    txn.exec_prepared("pw_event_insert", e.env.tenant_id, e.env.site_id, page_event ? agg.id : std::string(),
                      e.env.seq, e.env.type, e.env.occurred_at, e.env.actor, e.env.command_id, e.rec.value,
                      e.rec.partition, e.rec.offset, page_event ? e.env.aggregate.version : int64_t{0});
  }

  // Every event but SiteCreated moves an existing site to its seq.
  static void advance_site(const Event& e) {
    if (!e.site.exists) throw RecordError(record_position(e.rec) + ": event of unknown site " + e.env.site_id);
    e.site.version = e.env.seq;
    e.site.updated_at = e.env.occurred_at;
    e.site.dirty = true;
  }

  void create_site(const Event& e, const d::SiteCreated& created) {
    if (e.site.exists) throw RecordError(record_position(e.rec) + ": site exists");
    if (created.tenant.value != e.env.tenant_id)
      throw RecordError(record_position(e.rec) + ": SiteCreated tenant differs from the envelope's");
    SiteRow& site = e.site;
    site.seo = d::site_seo_to_json(d::SiteSeo{});
    txn.exec_prepared("pw_site_insert", e.env.tenant_id, e.env.site_id, created.subdomain, created.name,
                      site.seo.dump(), e.env.seq, e.env.occurred_at);
    site.exists = true;
    site.name = created.name;
    site.version = e.env.seq;
    site.updated_at = e.env.occurred_at;
    site.dirty = false;
  }

  d::SiteState& page_state_of(const Event& e, const std::string& page_id) {
    auto [it, fresh] = pages.try_emplace(page_id);
    d::SiteState& state = it->second;
    if (!fresh) return state;
    state.exists = true;
    state.id = SiteId{e.env.site_id};
    state.tenant = TenantId{e.env.tenant_id};
    auto r = txn.exec_prepared("pw_page_get", page_id);
    if (r.empty()) return state;
    const auto& row = r[0];
    json j{{"pageId", page_id},
           {"slug", row[0].as<std::string>()},
           {"title", row[1].as<std::string>()},
           {"description", row[2].as<std::string>()},
           {"seo", parse_json(row[3])},
           {"status", row[4].as<std::string>()},
           {"version", row[5].as<int64_t>()},
           {"publishedVersion", row[6].as<int64_t>()},
           {"content", parse_json(row[7])}};
    auto page = d::page_state_from_json(j);
    if (!page.ok()) throw RecordError("stored page " + page_id + ": " + page.error().message);
    state.pages.emplace(PageId{page_id}, std::move(page).value());
    d::rebuild_indexes(state);
    return state;
  }

  // Folds a page event into the page's state; returns the page after it.
  const d::PageState& fold_page(const Event& e) {
    const auto agg = d::aggregate_of(e.event);
    d::SiteState& state = page_state_of(e, agg.id);
    try {
      d::apply(state, e.event);
    } catch (const std::logic_error& err) {
      throw RecordError(record_position(e.rec) + ": " + err.what());
    }
    const d::PageState& p = state.pages.at(PageId{agg.id});
    if (p.version != e.env.aggregate.version)
      throw RecordError(record_position(e.rec) + ": page version " + std::to_string(p.version) +
                        " but the envelope says " + std::to_string(e.env.aggregate.version));
    return p;
  }

  // A page edit: the page row becomes the folded page.
  void edit_page(const Event& e) {
    const d::PageState& p = fold_page(e);
    json content = json::array();
    for (const auto& c : p.content) content.push_back(d::component_to_json(c));
    // Written per event, in stream order, so the slug index sees the same
    // sequence of states the decider checked.
    txn.exec_prepared("pw_page_upsert", e.env.tenant_id, p.id.value, e.env.site_id, p.slug, p.title,
                      p.description, d::page_seo_to_json(p.seo).dump(),
                      std::string(d::page_status_name(p.status)), p.version, p.publishedVersion,
                      content.dump(), e.env.occurred_at);
  }

  void write_sites() {
    for (auto& [id, site] : sites) {
      if (!site.dirty) continue;
      scope(site.tenant);
      txn.exec_prepared("pw_site_update", id, site.name, site.seo.dump(), site.settings.dump(), site.version,
                        site.updated_at, site.design_tokens.dump());
      site.dirty = false;
    }
  }
};

namespace {

// What each event type does to the read models, one handler per type and no
// catch-all: a new event type does not compile until it is projected here
// (the static_asserts below say so at the point of the mistake).
struct Projection {
  ReadModelBatch::State& s;
  const Event& e;

  void operator()(const d::SiteCreated& x) const { s.create_site(e, x); }
  void operator()(const d::SiteSettingsUpdated& x) const {
    if (x.name) e.site.name = *x.name;
    if (x.seo) e.site.seo = d::site_seo_to_json(*x.seo);
    d::fold_settings(e.site.settings, x);
  }
  void operator()(const d::DesignTokensUpdated& x) const { e.site.design_tokens = x.tokens; }

  void operator()(const d::PageCreated&) const { s.edit_page(e); }
  void operator()(const d::PageMetadataUpdated&) const { s.edit_page(e); }
  void operator()(const d::PageSlugChanged&) const { s.edit_page(e); }
  void operator()(const d::ComponentAdded&) const { s.edit_page(e); }
  void operator()(const d::ComponentPropsUpdated&) const { s.edit_page(e); }
  void operator()(const d::ComponentMoved&) const { s.edit_page(e); }
  void operator()(const d::ComponentRemoved&) const { s.edit_page(e); }
  void operator()(const d::PagePublished&) const { s.edit_page(e); }
  void operator()(const d::PageDeleted&) const { s.edit_page(e); }
  void operator()(const d::PageRestored&) const { s.edit_page(e); }
  void operator()(const d::PageUnpublished&) const { s.edit_page(e); }
  void operator()(const d::PageDuplicated&) const { s.edit_page(e); }
  void operator()(const d::PageVersionRestored&) const { s.edit_page(e); }
  // A label is a save point, not an edit: the page row (updatedAt, and so the
  // order of page lists) stays as its last version left it.
  void operator()(const d::PageVersionLabelled&) const { s.fold_page(e); }

  void operator()(const d::DeploymentRequested& x) const { project_deployment(s.txn, e.env, x); }
  void operator()(const d::DeploymentStarted& x) const { project_deployment(s.txn, e.env, x); }
  void operator()(const d::DeploymentSucceeded& x) const { project_deployment(s.txn, e.env, x); }
  void operator()(const d::DeploymentFailed& x) const { project_deployment(s.txn, e.env, x); }
  void operator()(const d::DeploymentRolledBack& x) const { project_deployment(s.txn, e.env, x); }
  void operator()(const d::DeploymentsPruned& x) const { project_deployment(s.txn, e.env, x); }

  void operator()(const d::TemplateSaved& x) const { project_template(s.txn, e.env, x); }
  void operator()(const d::TemplateDeleted& x) const { project_template(s.txn, e.env, x); }
  void operator()(const d::AssetUploaded& x) const { project_asset(s.txn, e.env, x); }
  void operator()(const d::AssetDeleted& x) const { project_asset(s.txn, e.env, x); }

  // Previews live in the build pool's deploy store; the read models keep
  // only their history (page_events).
  void operator()(const d::PreviewRequested&) const {}
  void operator()(const d::PreviewReady&) const {}
  void operator()(const d::PreviewFailed&) const {}
};

template <class Visitor, class Variant>
inline constexpr bool handles_every = false;
template <class Visitor, class... Ts>
inline constexpr bool handles_every<Visitor, std::variant<Ts...>> = (std::is_invocable_v<const Visitor&, const Ts&> && ...);
struct NotAnEvent {};
static_assert(handles_every<Projection, d::DomainEvent>, "an event type has no handler in Projection");
static_assert(!std::is_invocable_v<const Projection&, const NotAnEvent&>,
              "Projection must not have a catch-all handler");

}  // namespace

ReadModelBatch::ReadModelBatch(pqxx::work& txn) : s_(std::make_unique<State>(txn)) {}
ReadModelBatch::~ReadModelBatch() = default;

bool ReadModelBatch::project(const log::Record& rec, const Envelope& env, const d::DomainEvent& event) {
  s_->scope(env.tenant_id);
  SiteRow& site = s_->site_of(env);
  if (site.tenant != env.tenant_id) throw RecordError(record_position(rec) + ": tenant differs from the site's");
  const Event e{rec, env, event, site};
  if (!State::in_sequence(e)) return false;
  s_->record_event(e);
  if (!std::holds_alternative<d::SiteCreated>(event)) State::advance_site(e);
  std::visit(Projection{*s_, e}, event);
  return true;
}

void ReadModelBatch::write() { s_->write_sites(); }

}  // namespace pw::projections
