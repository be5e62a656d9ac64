#include "commands/state.hpp"

#include <charconv>

namespace pw::domain {
using codec::ObjectReader;
using nlohmann::json;

namespace {

constexpr int kSnapshotVersion = 1;
// Deeper than any valid tree (kMaxTreeDepth); bounds recursion on bad input.
constexpr int kMaxDecodeDepth = 64;

std::optional<Component> component_from_json(const json& j, const std::string& prefix,
                                             std::vector<ErrorDetail>& errors, int depth,
                                             size_t& count) {
  if (depth > kMaxDecodeDepth) {
    errors.push_back({prefix, "nested too deeply"});
    return std::nullopt;
  }
  ObjectReader r(j, prefix + ".", errors, {"id", "type", "props", "slots"});
  if (!r.is_object()) return std::nullopt;
  Component c;
  c.id = r.id<ComponentId>("id");
  c.type = r.str("type");
  if (const json* p = r.object("props")) c.props = *p;
  ++count;
  if (const json* slots = r.object("slots")) {
    for (const auto& [name, list] : slots->items()) {
      std::string field = r.field("slots.") + name;
      if (!list.is_array()) {
        errors.push_back({field, "must be an array"});
        continue;
      }
      auto& children = c.slots[name];
      children.reserve(list.size());
      for (size_t i = 0; i < list.size(); ++i) {
        auto child = component_from_json(list[i], field + "[" + std::to_string(i) + "]", errors,
                                         depth + 1, count);
        if (child) children.push_back(std::move(*child));
      }
    }
  }
  return c;
}

void read_content(ObjectReader& r, std::vector<Component>& out, std::vector<ErrorDetail>& errors,
                  size_t& count) {
  const json* list = r.array("content");
  if (!list) return;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    auto c = component_from_json((*list)[i], r.field("content") + "[" + std::to_string(i) + "]",
                                 errors, 1, count);
    if (c) out.push_back(std::move(*c));
  }
}

// Snapshots from before labels have none; labels are written only when present.
void read_labels(ObjectReader& r, const json& j, PageState& p) {
  if (!j.is_object() || !j.contains("labels")) return;
  const json* labels = r.object("labels");
  if (!labels) return;
  for (const auto& [version, label] : labels->items()) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), v);
    if (ec != std::errc{} || end != version.data() + version.size() || v < 1 || !label.is_string()) {
      r.fail("labels", "must map versions to labels");
      return;
    }
    p.labels[v] = label.get<std::string>();
  }
}

std::optional<PageState> read_page(const json& j, const std::string& prefix,
                                   std::vector<ErrorDetail>& errors) {
  ObjectReader r(j, prefix, errors,
                 {"pageId", "slug", "title", "description", "seo", "status", "version",
                  "publishedVersion", "content", "labels", "publishedAssets"});
  if (!r.is_object()) return std::nullopt;
  PageState p;
  p.id = r.id<PageId>("pageId");
  p.slug = r.str("slug");
  p.title = r.str("title");
  p.description = r.str("description");
  if (auto seo = codec::read_page_seo(r, "seo", true)) p.seo = *seo;
  auto status = r.str("status");
  if (auto s = page_status_from_name(status))
    p.status = *s;
  else if (r.is_object() && j.contains("status"))
    r.fail("status", "must be draft, published or deleted");
  p.version = r.i64("version");
  p.publishedVersion = r.i64("publishedVersion");
  size_t count = 0;
  read_content(r, p.content, errors, count);
  rebuild_index(p);
  if (p.index.size() != count) r.fail("content", "component ids are not unique");
  read_labels(r, j, p);
  if (j.contains("publishedAssets"))  // written only when present
    if (const json* ids = r.array("publishedAssets"))
      for (const auto& id : *ids) {
        if (id.is_string()) p.publishedAssets.insert(id.get<std::string>());
        else r.fail("publishedAssets", "must be an array of asset ids");
      }
  return p;
}

json template_to_json(const TemplateState& t) {
  return json{{"templateId", t.id.value},       {"sourcePageId", t.sourcePageId.value},
              {"name", t.name},                 {"description", t.description},
              {"content", t.content},           {"version", t.version},
              {"deleted", t.deleted}};
}

void read_templates(ObjectReader& r, const json& j, SiteState& s,
                    std::vector<ErrorDetail>& errors) {
  if (!j.contains("templates")) return;  // snapshots from before templates
  const json* list = r.array("templates");
  if (!list) return;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string prefix = "templates[" + std::to_string(i) + "].";
    ObjectReader t((*list)[i], prefix, errors,
                   {"templateId", "sourcePageId", "name", "description", "content", "version",
                    "deleted"});
    if (!t.is_object()) continue;
    TemplateState st;
    st.id = t.id<TemplateId>("templateId");
    st.sourcePageId = t.id<PageId>("sourcePageId");
    st.name = t.str("name");
    st.description = t.str("description");
    if (const json* c = t.array("content")) st.content = *c;
    st.version = t.i64("version");
    st.deleted = t.boolean("deleted");
    TemplateId id = st.id;
    if (!s.templates.emplace(id, std::move(st)).second)
      errors.push_back({prefix + "templateId", "duplicate template id"});
  }
}

json deployment_to_json(const DeploymentState& d) {
  return json{{"deploymentId", d.id.value},
              {"environment", d.environment},
              {"status", deployment_status_name(d.status)},
              {"version", d.version},
              {"succeededAt", d.succeededAt},
              {"pruned", d.pruned}};
}

void read_deployments(ObjectReader& r, const json& j, SiteState& s,
                      std::vector<ErrorDetail>& errors) {
  if (!j.contains("deployments")) return;  // snapshots from before deployments
  const json* list = r.array("deployments");
  if (!list) return;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string prefix = "deployments[" + std::to_string(i) + "].";
    ObjectReader d(
        (*list)[i], prefix, errors,
        {"deploymentId", "environment", "status", "version", "succeededAt", "pruned"});
    if (!d.is_object()) continue;
    DeploymentState st;
    st.id = d.id<DeploymentId>("deploymentId");
    st.environment = d.str("environment");
    auto status = deployment_status_from_name(d.str("status"));
    if (!status) d.fail("status", "unknown deployment status");
    st.status = status.value_or(DeploymentStatus::queued);
    st.version = d.i64("version");
    st.succeededAt = d.i64("succeededAt");
    st.pruned = d.boolean("pruned");
    DeploymentId id = st.id;
    if (!s.deployments.emplace(id, std::move(st)).second)
      errors.push_back({prefix + "deploymentId", "duplicate deployment id"});
  }
}

void read_environments(ObjectReader& r, const json& j, SiteState& s,
                       std::vector<ErrorDetail>& errors) {
  if (!j.contains("environments")) return;
  const json* envs = r.object("environments");
  if (!envs) return;
  for (const auto& [name, v] : envs->items()) {
    ObjectReader e(v, "environments." + name + ".", errors, {"live", "previous"});
    s.environments[name] = EnvironmentState{e.id<DeploymentId>("live"),
                                            e.id<DeploymentId>("previous")};
  }
}

json preview_to_json(const PreviewState& p) {
  return json{{"previewId", p.id.value},
              {"status", preview_status_name(p.status)},
              {"expiresAt", p.expiresAt},
              {"version", p.version}};
}

void read_previews(ObjectReader& r, const json& j, SiteState& s, std::vector<ErrorDetail>& errors) {
  if (!j.contains("previews")) return;  // snapshots from before previews
  const json* list = r.array("previews");
  if (!list) return;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string prefix = "previews[" + std::to_string(i) + "].";
    ObjectReader d((*list)[i], prefix, errors, {"previewId", "status", "expiresAt", "version"});
    if (!d.is_object()) continue;
    PreviewState st;
    st.id = d.id<PreviewId>("previewId");
    auto status = preview_status_from_name(d.str("status"));
    if (!status) d.fail("status", "unknown preview status");
    st.status = status.value_or(PreviewStatus::requested);
    st.expiresAt = d.str("expiresAt");
    st.version = d.i64("version");
    PreviewId id = st.id;
    if (!s.previews.emplace(id, std::move(st)).second) errors.push_back({prefix + "previewId", "duplicate preview id"});
  }
}

}  // namespace

json component_to_json(const Component& c) {
  json slots = json::object();
  for (const auto& [name, children] : c.slots) {
    json list = json::array();
    for (const auto& child : children) list.push_back(component_to_json(child));
    slots[name] = std::move(list);
  }
  return json{
      {"id", c.id.value}, {"type", c.type}, {"props", c.props}, {"slots", std::move(slots)}};
}

json content_to_json(const std::vector<Component>& content) {
  json list = json::array();
  for (const auto& c : content) list.push_back(component_to_json(c));
  return list;
}

Result<std::vector<Component>> content_from_json(const json& j, const std::string& prefix) {
  std::vector<ErrorDetail> errors;
  std::vector<Component> out;
  if (!j.is_array()) return codec::validation_error("invalid content", {{prefix, "must be an array"}});
  out.reserve(j.size());
  size_t count = 0;
  for (size_t i = 0; i < j.size(); ++i) {
    auto c = component_from_json(j[i], prefix + "[" + std::to_string(i) + "]", errors, 1, count);
    if (c) out.push_back(std::move(*c));
  }
  if (!errors.empty()) return codec::validation_error("invalid content", std::move(errors));
  return out;
}

namespace {
void read_assets(ObjectReader& r, const json& j, SiteState& s, std::vector<ErrorDetail>& errors) {
  if (!j.contains("assets")) return;  // snapshots from before assets, or of sites without any
  const json* list = r.array("assets");
  if (!list) return;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string prefix = "assets[" + std::to_string(i) + "].";
    ObjectReader a((*list)[i], prefix, errors, {"asset", "version", "deleted"});
    if (!a.is_object()) continue;
    AssetState st;
    if (const json* body = a.object("asset")) {
      ObjectReader b(*body, prefix + "asset.", errors, codec::asset_uploaded_fields());
      st.asset = codec::read_asset_uploaded(b);
    }
    st.version = a.i64("version");
    st.deleted = a.boolean("deleted");
    const AssetId id = st.asset.assetId;
    if (!s.assets.emplace(id, std::move(st)).second) errors.push_back({prefix + "asset.assetId", "duplicate asset id"});
  }
}
}  // namespace

json page_state_to_json(const PageState& p) {
  json content = content_to_json(p.content);
  json j{{"pageId", p.id.value},
         {"slug", p.slug},
         {"title", p.title},
         {"description", p.description},
         {"seo", page_seo_to_json(p.seo)},
         {"status", page_status_name(p.status)},
         {"version", p.version},
         {"publishedVersion", p.publishedVersion},
         {"content", std::move(content)}};
  if (!p.labels.empty()) {
    json labels = json::object();
    for (const auto& [version, label] : p.labels) labels[std::to_string(version)] = label;
    j["labels"] = std::move(labels);
  }
  if (!p.publishedAssets.empty()) j["publishedAssets"] = p.publishedAssets;
  return j;
}

Result<PageState> page_state_from_json(const json& j) {
  std::vector<ErrorDetail> errors;
  auto p = read_page(j, "", errors);
  if (!errors.empty()) return codec::validation_error("invalid page snapshot", std::move(errors));
  return std::move(*p);
}

json site_state_to_json(const SiteState& s) {
  json pages = json::array();
  for (const auto& [id, page] : s.pages) pages.push_back(page_state_to_json(page));
  json deployments = json::array();
  for (const auto& [id, d] : s.deployments) deployments.push_back(deployment_to_json(d));
  json environments = json::object();
  for (const auto& [name, e] : s.environments)
    environments[name] = json{{"live", e.live.value}, {"previous", e.previous.value}};
  json templates = json::array();
  for (const auto& [id, t] : s.templates) templates.push_back(template_to_json(t));
  json previews = json::array();
  for (const auto& [id, p] : s.previews) previews.push_back(preview_to_json(p));
  json out{{"snapshotVersion", kSnapshotVersion},
              {"exists", s.exists},
              {"tenantId", s.tenant.value},
              {"siteId", s.id.value},
              {"subdomain", s.subdomain},
              {"name", s.name},
              {"seo", site_seo_to_json(s.seo)},
              {"settings", s.settings},
              {"version", s.version},
              {"pages", std::move(pages)},
              {"deployments", std::move(deployments)},
              {"environments", std::move(environments)},
              {"designTokens", s.designTokens},
              {"templates", std::move(templates)}};
  if (!previews.empty()) out["previews"] = std::move(previews);
  json assets = json::array();
  for (const auto& [id, a] : s.assets)
    assets.push_back(json{{"asset", codec::asset_uploaded_to_json(a.asset)}, {"version", a.version},
                          {"deleted", a.deleted}});
  if (!assets.empty()) out["assets"] = std::move(assets);
  return out;
}

Result<SiteState> site_state_from_json(const json& j) {
  std::vector<ErrorDetail> errors;
  ObjectReader r(j, "", errors,
                 {"snapshotVersion", "exists", "tenantId", "siteId", "subdomain", "name", "seo",
                  "settings", "version", "pages", "deployments", "environments", "designTokens",
                  "templates", "previews", "assets"});
  if (r.is_object() && r.i64("snapshotVersion") != kSnapshotVersion &&
      j.contains("snapshotVersion"))
    r.fail("snapshotVersion", "unsupported snapshot version");
  SiteState s;
  s.exists = r.boolean("exists");
  s.tenant = r.id<TenantId>("tenantId");
  s.id = r.id<SiteId>("siteId");
  s.subdomain = r.str("subdomain");
  s.name = r.str("name");
  if (auto seo = codec::read_site_seo(r, "seo", true)) s.seo = *seo;
  if (const json* settings = r.object("settings")) s.settings = *settings;
  s.version = r.i64("version");
  if (const json* pages = r.array("pages")) {
    for (size_t i = 0; i < pages->size(); ++i) {
      std::string prefix = "pages[" + std::to_string(i) + "].";
      auto p = read_page((*pages)[i], prefix, errors);
      if (!p) continue;
      PageId id = p->id;
      if (!s.pages.emplace(id, std::move(*p)).second)
        errors.push_back({prefix + "pageId", "duplicate page id"});
    }
  }
  read_deployments(r, j, s, errors);
  read_environments(r, j, s, errors);
  if (j.is_object() && j.contains("designTokens"))  // snapshots from before design tokens
    if (const json* t = r.object("designTokens")) s.designTokens = *t;
  read_templates(r, j, s, errors);
  read_previews(r, j, s, errors);
  read_assets(r, j, s, errors);
  rebuild_indexes(s);
  size_t live = 0;
  for (const auto& [id, page] : s.pages) live += page.status != PageStatus::deleted;
  if (s.slugs.size() != live) errors.push_back({"pages", "slugs are not unique"});
  if (!errors.empty()) return codec::validation_error("invalid site snapshot", std::move(errors));
  return s;
}

}  // namespace pw::domain
