#include "projections/batch.hpp"

#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "commands/deciders.hpp"
#include "commands/state.hpp"
#include "events/hash_chain.hpp"
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

// A page the batch touched: its state as folded so far (a one-page site
// state, what domain::apply folds a page event into) and what the stored row
// holds in the unique slug index.
struct PageRow {
  d::SiteState state;
  std::string tenant;
  std::string site_id;
  bool indexed = false;       // the stored row is in pages_slug_unique (not deleted)
  std::string stored_slug;
  bool dirty = false;         // edited by the batch
  std::string updated_at;     // when its last edit happened
};

// A Postgres array literal, built element by element, for the multi-row
// statements (one parameter per column: INSERT ... SELECT FROM unnest(...)).
class ArrayParam {
 public:
  void text(std::string_view v) {
    // libpq passes parameters as C strings: a NUL would cut the literal.
    if (v.find('\0') != std::string_view::npos) throw RecordError("text holds U+0000, which Postgres cannot store");
    open();
    out_ += '"';
    // Copied in runs between the characters the literal escapes: envelopes
    // are most of the bytes, and a character at a time was a tenth of the
    // projector's instructions.
    out_.reserve(out_.size() + v.size() + 3);
    size_t run = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != '"' && v[i] != '\\') continue;
      out_.append(v.data() + run, i - run);
      out_ += '\\';
      run = i;
    }
    out_.append(v.data() + run, v.size() - run);
    out_ += '"';
  }
  void number(int64_t v) {
    open();
    out_ += std::to_string(v);
  }
  void null() {
    open();
    out_ += "NULL";
  }
  std::string str() const { return out_.empty() ? "{}" : out_ + "}"; }

 private:
  void open() { out_ += out_.empty() ? '{' : ','; }
  std::string out_;
};

// Column arrays of page_events rows of one tenant.
struct EventColumns {
  ArrayParam site_id, page_id, seq, type, occurred_at, actor, command_id, envelope, log_partition, log_offset,
      page_version, hash;
};

// What a handler of one event needs to know about it.
struct Event {
  const log::Record& rec;
  const Envelope& env;
  const d::DomainEvent& event;
  SiteRow& site;
};

// The page an event edits, if it is a page event.
const std::string* page_of(const d::DomainEvent& event, std::string& scratch) {
  auto agg = d::aggregate_of(event);
  if (agg.type != "page") return nullptr;
  scratch = std::move(agg.id);
  return &scratch;
}

}  // namespace

std::string record_position(const log::Record& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

void prepare_batch_statements(pqxx::connection& c) {
  c.prepare("pw_sites_get",
            "SELECT site_id, version, name, seo::text, settings::text, design_tokens::text FROM sites "
            "WHERE site_id = ANY($1::text[])");
  c.prepare("pw_site_insert",
            "INSERT INTO sites (tenant_id, site_id, subdomain, name, seo, version, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)");
  c.prepare("pw_sites_update",
            "UPDATE sites SET name = u.name, seo = u.seo::jsonb, settings = u.settings::jsonb, version = u.version, "
            "updated_at = u.updated_at, design_tokens = u.design_tokens::jsonb "
            "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], "
            "$7::text[]) AS u(site_id, name, seo, settings, version, updated_at, design_tokens) "
            "WHERE sites.site_id = u.site_id");
  c.prepare("pw_events_insert",
            "INSERT INTO page_events (tenant_id, site_id, page_id, seq, type, occurred_at, actor, "
            "command_id, envelope, log_partition, log_offset, page_version, hash) "
            "SELECT $1, u.site_id, u.page_id, u.seq, u.type, u.occurred_at, u.actor, u.command_id, "
            "u.envelope::jsonb, u.log_partition, u.log_offset, u.page_version, u.hash "
            "FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], "
            "$8::text[], $9::text[], $10::int[], $11::bigint[], $12::bigint[], $13::text[]) AS u(site_id, page_id, "
            "seq, type, occurred_at, actor, command_id, envelope, log_partition, log_offset, page_version, hash)");
  c.prepare("pw_pages_get",
            "SELECT page_id, slug, title, description, seo::text, status, version, published_version, "
            "content::text FROM pages WHERE page_id = ANY($1::text[])");
  // Takes pages out of the unique slug index before their new rows go in.
  c.prepare("pw_pages_unindex", "UPDATE pages SET status = 'deleted' WHERE page_id = ANY($1::text[])");
  const std::string upsert =
      "INSERT INTO pages (tenant_id, page_id, site_id, slug, title, description, seo, status, "
      "version, published_version, content, updated_at) "
      "SELECT $1, u.page_id, u.site_id, u.slug, u.title, u.description, u.seo::jsonb, u.status, u.version, "
      "u.published_version, u.content::jsonb, u.updated_at "
      "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], "
      "$9::bigint[], $10::bigint[], $11::text[], $12::timestamptz[]) AS u(page_id, site_id, slug, title, "
      "description, seo, status, version, published_version, content, updated_at) "
      "ON CONFLICT (page_id) DO UPDATE SET slug = EXCLUDED.slug, title = EXCLUDED.title, "
      "description = EXCLUDED.description, seo = EXCLUDED.seo, status = EXCLUDED.status, "
      "version = EXCLUDED.version, published_version = EXCLUDED.published_version, "
      "content = EXCLUDED.content, updated_at = EXCLUDED.updated_at";
  c.prepare("pw_pages_upsert", upsert);
  // The same, returning each row as page_in_tenant renders it (migration
  // 0010), for the reads that wait for this commit (log::RecentPages).
  c.prepare("pw_pages_upsert_returning",
            upsert +
                " RETURNING page_id, site_id, slug, title, description, seo::text, status, version, "
                "published_version, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
                "content::text");
  prepare_deployment_statements(c);
  prepare_template_statements(c);
  prepare_asset_statements(c);
}

struct ReadModelBatch::State {
  State(pqxx::work& t, bool return_pages) : txn(t), return_pages(return_pages) {}

  pqxx::work& txn;
  const bool return_pages;
  std::vector<log::PageRowText> written_pages;  // as Postgres returned them, when return_pages
  std::string tenant;  // the tenant the transaction is scoped to
  std::unordered_map<std::string, SiteRow> sites;
  std::unordered_map<std::string, PageRow> pages;
  // Tenants in the order the batch met them, and their page_events rows.
  std::vector<std::string> tenants;
  std::unordered_map<std::string, EventColumns> events;

  void scope(const std::string& t) {
    if (t == tenant) return;
    with_tenant(txn, t);
    tenant = t;
  }

  // The tenant's sites and pages the batch names: one query each. A site or
  // page belongs to the tenant of the first event that names it; an event of
  // another tenant then fails the check in project().
  void load_tenant(const std::string& t, const std::vector<std::string>& site_ids,
                   const std::vector<std::string>& page_ids) {
    scope(t);
    if (!site_ids.empty()) {
      ArrayParam ids;
      for (const auto& id : site_ids) ids.text(id);
      for (const auto& row : txn.exec_prepared("pw_sites_get", ids.str())) {
        SiteRow& site = sites.at(row[0].as<std::string>());
        site.exists = true;
        site.version = row[1].as<int64_t>();
        site.name = row[2].as<std::string>();
        site.seo = parse_json(row[3]);
        site.settings = parse_json(row[4]);
        site.design_tokens = parse_json(row[5]);
      }
    }
    if (!page_ids.empty()) {
      ArrayParam ids;
      for (const auto& id : page_ids) ids.text(id);
      for (const auto& row : txn.exec_prepared("pw_pages_get", ids.str())) load_page(row);
    }
  }

  void load_page(const pqxx::row& row) {
    const std::string page_id = row[0].as<std::string>();
    PageRow& page = pages.at(page_id);
    json j{{"pageId", page_id},
           {"slug", row[1].as<std::string>()},
           {"title", row[2].as<std::string>()},
           {"description", row[3].as<std::string>()},
           {"seo", parse_json(row[4])},
           {"status", row[5].as<std::string>()},
           {"version", row[6].as<int64_t>()},
           {"publishedVersion", row[7].as<int64_t>()},
           {"content", parse_json(row[8])}};
    auto state = d::page_state_from_json(j);
    if (!state.ok()) throw RecordError("stored page " + page_id + ": " + state.error().message);
    page.indexed = state->status != d::PageStatus::deleted;
    page.stored_slug = state->slug;
    page.state.pages.emplace(PageId{page_id}, std::move(state).value());
    d::rebuild_indexes(page.state);
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

  void record_event(const Event& e, const std::string* page_id) {
    auto [it, fresh] = events.try_emplace(e.env.tenant_id);
    if (fresh) tenants.push_back(e.env.tenant_id);
    EventColumns& c = it->second;
    c.site_id.text(e.env.site_id);
    if (page_id) {
      c.page_id.text(*page_id);
      c.page_version.number(e.env.aggregate.version);
    } else {
      c.page_id.null();
      c.page_version.null();
    }
    c.seq.number(e.env.seq);
    c.type.text(e.env.type);
    c.occurred_at.text(e.env.occurred_at);
    c.actor.text(e.env.actor);
    c.command_id.text(e.env.command_id);
    c.envelope.text(e.rec.value);
    c.log_partition.number(e.rec.partition);
    c.log_offset.number(e.rec.offset);
    // The jsonb column keeps the event's meaning, not its bytes: the hash of
    // the exact bytes is kept beside it for the audit log.
    c.hash.text(sha256_hex(e.rec.value));
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
    // Now, not with the batch's rows: the pages, templates and assets of the
    // site reference it.
    scope(e.env.tenant_id);
    txn.exec_prepared("pw_site_insert", e.env.tenant_id, e.env.site_id, created.subdomain, created.name,
                      site.seo.dump(), e.env.seq, e.env.occurred_at);
    site.exists = true;
    site.name = created.name;
    site.version = e.env.seq;
    site.updated_at = e.env.occurred_at;
    site.dirty = false;
  }

  // Folds a page event into the page's state; returns the page after it.
  PageRow& fold_page(const Event& e) {
    std::string scratch;
    const std::string& page_id = *page_of(e.event, scratch);
    PageRow& page = pages.at(page_id);
    if (page.state.id.value.empty()) {
      page.state.exists = true;
      page.state.id = SiteId{e.env.site_id};
      page.state.tenant = TenantId{e.env.tenant_id};
      page.site_id = e.env.site_id;
    }
    try {
      d::apply(page.state, e.event);
    } catch (const std::logic_error& err) {
      throw RecordError(record_position(e.rec) + ": " + err.what());
    }
    const d::PageState& p = page.state.pages.at(PageId{page_id});
    if (p.version != e.env.aggregate.version)
      throw RecordError(record_position(e.rec) + ": page version " + std::to_string(p.version) +
                        " but the envelope says " + std::to_string(e.env.aggregate.version));
    return page;
  }

  // A page edit: the page row becomes the folded page when the batch is written.
  void edit_page(const Event& e) {
    PageRow& page = fold_page(e);
    page.dirty = true;
    page.updated_at = e.env.occurred_at;
  }

  void write_events(const std::string& t) {
    const EventColumns& c = events.at(t);
    txn.exec_prepared("pw_events_insert", t, c.site_id.str(), c.page_id.str(), c.seq.str(), c.type.str(),
                      c.occurred_at.str(), c.actor.str(), c.command_id.str(), c.envelope.str(),
                      c.log_partition.str(), c.log_offset.str(), c.page_version.str(), c.hash.str());
  }

  // Each page the batch edited, as it stands after the batch. The decider
  // kept slugs unique after every event, so the final rows are unique among
  // themselves; but a stored row may still hold a slug another page now
  // takes (a swap through a third slug), so pages whose indexed slug changes
  // leave the index first.
  void write_pages(const std::string& t) {
    ArrayParam unindex, page_id, site_id, slug, title, description, seo, status, version, published, content,
        updated_at;
    bool any = false, moved = false;
    for (const auto& [id, page] : pages) {
      if (!page.dirty || page.tenant != t) continue;
      const d::PageState& p = page.state.pages.at(PageId{id});
      if (page.indexed && (p.status == d::PageStatus::deleted || p.slug != page.stored_slug)) {
        unindex.text(id);
        moved = true;
      }
      json tree = json::array();
      for (const auto& component : p.content) tree.push_back(d::component_to_json(component));
      page_id.text(id);
      site_id.text(page.site_id);
      slug.text(p.slug);
      title.text(p.title);
      description.text(p.description);
      seo.text(d::page_seo_to_json(p.seo).dump());
      status.text(d::page_status_name(p.status));
      version.number(p.version);
      published.number(p.publishedVersion);
      content.text(tree.dump());
      updated_at.text(page.updated_at);
      any = true;
    }
    if (!any) return;
    if (moved) txn.exec_prepared("pw_pages_unindex", unindex.str());
    auto rows = txn.exec_prepared(return_pages ? "pw_pages_upsert_returning" : "pw_pages_upsert", t, page_id.str(),
                                  site_id.str(), slug.str(), title.str(), description.str(), seo.str(), status.str(),
                                  version.str(), published.str(), content.str(), updated_at.str());
    for (const auto& row : rows) {
      written_pages.push_back(log::page_row_text(row, true));
      written_pages.back().tenant = t;
    }
  }

  void write_sites(const std::string& t) {
    ArrayParam site_id, name, seo, settings, version, updated_at, tokens;
    bool any = false;
    for (const auto& [id, site] : sites) {
      if (!site.dirty || site.tenant != t) continue;
      site_id.text(id);
      name.text(site.name);
      seo.text(site.seo.dump());
      settings.text(site.settings.dump());
      version.number(site.version);
      updated_at.text(site.updated_at);
      tokens.text(site.design_tokens.dump());
      any = true;
    }
    if (any)
      txn.exec_prepared("pw_sites_update", site_id.str(), name.str(), seo.str(), settings.str(), version.str(),
                        updated_at.str(), tokens.str());
  }
};

namespace {

// What each event type does to the read models, one handler per type and no
// catch-all: a new event type does not compile until it is projected here
// (the static_asserts below say so at the point of the mistake).
struct Projection {
  ReadModelBatch::State& s;
  const Event& e;

  // The rare rows (deployments, templates, assets) are written as their event
  // is folded, under its tenant.
  template <class E>
  void now(void (*write)(pqxx::work&, const Envelope&, const E&), const E& x) const {
    s.scope(e.env.tenant_id);
    write(s.txn, e.env, x);
  }

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

  void operator()(const d::DeploymentRequested& x) const { now(project_deployment, x); }
  void operator()(const d::DeploymentStarted& x) const { now(project_deployment, x); }
  void operator()(const d::DeploymentSucceeded& x) const { now(project_deployment, x); }
  void operator()(const d::DeploymentFailed& x) const { now(project_deployment, x); }
  void operator()(const d::DeploymentRolledBack& x) const { now(project_deployment, x); }
  void operator()(const d::DeploymentsPruned& x) const { now(project_deployment, x); }

  void operator()(const d::TemplateSaved& x) const { now(project_template, x); }
  void operator()(const d::TemplateDeleted& x) const { now(project_template, x); }
  void operator()(const d::AssetUploaded& x) const { now(project_asset, x); }
  void operator()(const d::AssetDeleted& x) const { now(project_asset, x); }

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

ReadModelBatch::ReadModelBatch(pqxx::work& txn, bool return_pages)
    : s_(std::make_unique<State>(txn, return_pages)) {}
ReadModelBatch::~ReadModelBatch() = default;

void ReadModelBatch::load(const std::vector<DecodedEvent>& events) {
  std::vector<std::string> order;  // tenants, first met first
  std::unordered_map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> named;
  std::string scratch;
  for (const auto& e : events) {
    auto [it, fresh] = named.try_emplace(e.env.tenant_id);
    if (fresh) order.push_back(e.env.tenant_id);
    auto [site, new_site] = s_->sites.try_emplace(e.env.site_id);
    if (new_site) {
      site->second.tenant = e.env.tenant_id;
      it->second.first.push_back(e.env.site_id);
    }
    if (const std::string* page_id = page_of(e.event, scratch)) {
      auto [page, new_page] = s_->pages.try_emplace(*page_id);
      if (new_page) {
        page->second.tenant = e.env.tenant_id;
        it->second.second.push_back(*page_id);
      }
    }
  }
  for (const auto& t : order) s_->load_tenant(t, named[t].first, named[t].second);
}

bool ReadModelBatch::project(const DecodedEvent& decoded) {
  const log::Record& rec = *decoded.rec;
  const Envelope& env = decoded.env;
  SiteRow& site = s_->sites.at(env.site_id);
  if (site.tenant != env.tenant_id) throw RecordError(record_position(rec) + ": tenant differs from the site's");
  const Event e{rec, env, decoded.event, site};
  if (!State::in_sequence(e)) return false;
  std::string scratch;
  const std::string* page_id = page_of(decoded.event, scratch);
  if (page_id && s_->pages.at(*page_id).tenant != env.tenant_id)
    throw RecordError(record_position(rec) + ": tenant differs from the page's");
  s_->record_event(e, page_id);
  if (!std::holds_alternative<d::SiteCreated>(decoded.event)) State::advance_site(e);
  std::visit(Projection{*s_, e}, decoded.event);
  return true;
}

// page_events first: Postgres names a record's own bad data (a \u0000 in its
// envelope) there, before the page rows made from it.
void ReadModelBatch::write() {
  for (const auto& t : s_->tenants) {
    s_->scope(t);
    s_->write_events(t);
    s_->write_pages(t);
    s_->write_sites(t);
  }
}

std::vector<log::PageRowText> ReadModelBatch::take_written_pages() { return std::move(s_->written_pages); }

}  // namespace pw::projections
