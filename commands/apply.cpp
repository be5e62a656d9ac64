#include <algorithm>
#include <stdexcept>

#include "commands/assets.hpp"
#include "commands/components.hpp"
#include "commands/deciders.hpp"
#include "events/envelope.hpp"

namespace pw::domain {
namespace {

[[noreturn]] void corrupt(const std::string& what) {
  throw std::logic_error("event does not fit the site state: " + what);
}

PageState& touch_page(SiteState& s, const PageId& id) {
  auto it = s.pages.find(id);
  if (it == s.pages.end()) corrupt("unknown page " + id.value);
  ++it->second.version;
  return it->second;
}

std::vector<Component>& list_at(PageState& p, const std::optional<ComponentId>& parent,
                                const std::string& slot) {
  auto* list = child_list(p, parent.value_or(ComponentId{}), slot);
  if (!list) corrupt("no list at " + parent.value_or(ComponentId{}).value + "/" + slot);
  return *list;
}

std::vector<Component>::iterator position_of(std::vector<Component>& list, const ComponentId& id) {
  auto it = std::find_if(list.begin(), list.end(), [&](const Component& c) { return c.id == id; });
  if (it == list.end()) corrupt("component " + id.value + " not in its list");
  return it;
}

// Slots follow the type and props (Columns.count); only empty slots go away.
void reconcile_slots(Component& c) {
  auto want = component_slots(c.type, c.props);
  for (auto it = c.slots.begin(); it != c.slots.end();) {
    if (std::find(want.begin(), want.end(), it->first) != want.end()) {
      ++it;
    } else {
      if (!it->second.empty()) corrupt("slot " + it->first + " of " + c.id.value + " is not empty");
      it = c.slots.erase(it);
    }
  }
  for (std::string_view name : want) c.slots.try_emplace(std::string(name));
}

void unindex(PageState& p, const Component& c) {
  p.index.erase(c.id);
  for (const auto& [name, children] : c.slots)
    for (const auto& child : children) unindex(p, child);
}

void on(SiteState& s, const SiteCreated& e) {
  if (s.exists) corrupt("site exists");
  s.exists = true;
  s.id = e.siteId;
  s.tenant = e.tenant;
  s.name = e.name;
  s.subdomain = e.subdomain;
}

void on(SiteState& s, const SiteSettingsUpdated& e) {
  if (e.name) s.name = *e.name;
  if (e.seo) s.seo = *e.seo;
  fold_settings(s.settings, e);
}

// A content array an event carries (the decider checked it).
std::vector<Component> event_content(const nlohmann::json& content, const PageId& page) {
  if (content.empty()) return {};
  auto parsed = content_from_json(content);
  if (!parsed) corrupt("content of " + page.value + ": " + parsed.error().message);
  return std::move(parsed).value();
}

void on(SiteState& s, const PageCreated& e) {
  PageState p;
  p.id = e.pageId;
  p.slug = e.slug;
  p.title = e.title;
  p.description = e.description;
  p.version = 1;
  p.content = event_content(e.content, e.pageId);
  rebuild_index(p);
  if (s.pages.contains(e.pageId)) corrupt("page exists " + e.pageId.value);
  if (!s.slugs.emplace(e.slug, e.pageId).second) corrupt("slug taken " + e.slug);
  s.pages.emplace(e.pageId, std::move(p));
}

void on(SiteState& s, const PageMetadataUpdated& e) {
  PageState& p = touch_page(s, e.pageId);
  if (e.title) p.title = *e.title;
  if (e.description) p.description = *e.description;
  if (e.seo) p.seo = *e.seo;
}

void on(SiteState& s, const PageSlugChanged& e) {
  PageState& p = touch_page(s, e.pageId);
  if (!s.slugs.emplace(e.slug, e.pageId).second) corrupt("slug taken " + e.slug);
  s.slugs.erase(p.slug);
  p.slug = e.slug;
}

void on(SiteState& s, const ComponentAdded& e) {
  PageState& p = touch_page(s, e.pageId);
  auto& list = list_at(p, e.parentId, e.slot);
  if (e.index < 0 || static_cast<size_t>(e.index) > list.size()) corrupt("index out of range");
  if (!p.index.emplace(e.componentId, ComponentLoc{e.parentId.value_or(ComponentId{}), e.slot})
           .second)
    corrupt("duplicate component " + e.componentId.value);
  Component c{e.componentId, e.type, e.props, {}};
  reconcile_slots(c);
  p.contentBytes += component_own_bytes(c.id, c.type, c.props) + (list.empty() ? 0 : 1);
  list.insert(list.begin() + e.index, std::move(c));
}

void on(SiteState& s, const ComponentPropsUpdated& e) {
  PageState& p = touch_page(s, e.pageId);
  Component* c = find_component(p, e.componentId);
  if (!c) corrupt("unknown component " + e.componentId.value);
  const size_t before = component_own_bytes(c->id, c->type, c->props);
  c->props = e.props;
  reconcile_slots(*c);
  p.contentBytes = p.contentBytes - before + component_own_bytes(c->id, c->type, c->props);
}

void on(SiteState& s, const ComponentMoved& e) {
  PageState& p = touch_page(s, e.pageId);
  auto loc = p.index.find(e.componentId);
  if (loc == p.index.end()) corrupt("unknown component " + e.componentId.value);
  // Validate everything before the first mutation.
  if (e.parentId)
    for (const ComponentId* up = &*e.parentId; !up->empty(); up = &p.index.at(*up).parent)
      if (*up == e.componentId) corrupt("move into own subtree");
  auto& from = list_at(p, loc->second.parent, loc->second.slot);
  auto pos = position_of(from, e.componentId);
  const auto& to_check = list_at(p, e.parentId, e.slot);
  size_t size_after = to_check.size() - (&to_check == &from ? 1 : 0);
  if (e.index < 0 || static_cast<size_t>(e.index) > size_after) corrupt("index out of range");

  Component moving = std::move(*pos);
  from.erase(pos);
  if (!from.empty()) --p.contentBytes;  // the comma that separated it
  auto& to = list_at(p, e.parentId, e.slot);  // `from` shifted; look it up again
  if (!to.empty()) ++p.contentBytes;
  to.insert(to.begin() + e.index, std::move(moving));
  loc->second = ComponentLoc{e.parentId.value_or(ComponentId{}), e.slot};
}

void on(SiteState& s, const ComponentRemoved& e) {
  PageState& p = touch_page(s, e.pageId);
  auto loc = p.index.find(e.componentId);
  if (loc == p.index.end()) corrupt("unknown component " + e.componentId.value);
  auto& list = list_at(p, loc->second.parent, loc->second.slot);
  auto pos = position_of(list, e.componentId);
  unindex(p, *pos);
  p.contentBytes -= component_bytes(*pos) + (list.size() > 1 ? 1 : 0);
  list.erase(pos);
}

void on(SiteState& s, const PagePublished& e) {
  PageState& p = touch_page(s, e.pageId);
  p.status = PageStatus::published;
  p.publishedVersion = e.version;
  p.publishedAssets = assets_used(p.content, p.seo);
}

void on(SiteState& s, const PageDeleted& e) {
  PageState& p = touch_page(s, e.pageId);
  if (p.status == PageStatus::deleted) corrupt("page already deleted " + e.pageId.value);
  if (auto it = s.slugs.find(p.slug); it != s.slugs.end() && it->second == p.id) s.slugs.erase(it);
  p.status = PageStatus::deleted;
  p.publishedVersion = 0;
  p.publishedAssets.clear();
}

void on(SiteState& s, const PageRestored& e) {
  PageState& p = touch_page(s, e.pageId);
  if (p.status != PageStatus::deleted) corrupt("page not deleted " + e.pageId.value);
  if (!s.slugs.emplace(e.slug, e.pageId).second) corrupt("slug taken " + e.slug);
  p.slug = e.slug;
  p.status = PageStatus::draft;
}

void on(SiteState& s, const PageUnpublished& e) {
  PageState& p = touch_page(s, e.pageId);
  if (p.status != PageStatus::published) corrupt("page not published " + e.pageId.value);
  p.status = PageStatus::draft;
  p.publishedVersion = 0;
  p.publishedAssets.clear();
}

void on(SiteState& s, const PageDuplicated& e) {
  PageState p;
  p.id = e.pageId;
  p.slug = e.slug;
  p.title = e.title;
  p.description = e.description;
  p.seo = e.seo;
  p.version = 1;
  p.content = event_content(e.content, e.pageId);
  rebuild_index(p);
  if (s.pages.contains(e.pageId)) corrupt("page exists " + e.pageId.value);
  if (!s.slugs.emplace(e.slug, e.pageId).second) corrupt("slug taken " + e.slug);
  s.pages.emplace(e.pageId, std::move(p));
}

void on(SiteState& s, const TemplateSaved& e) {
  TemplateState t{e.templateId, e.sourcePageId, e.name, e.description, e.content, 1, false};
  if (!s.templates.emplace(e.templateId, std::move(t)).second)
    corrupt("template exists " + e.templateId.value);
}

void on(SiteState& s, const TemplateDeleted& e) {
  auto it = s.templates.find(e.templateId);
  if (it == s.templates.end() || it->second.deleted) corrupt("unknown template " + e.templateId.value);
  ++it->second.version;
  it->second.deleted = true;
}

void on(SiteState& s, const DesignTokensUpdated& e) { s.designTokens = e.tokens; }

DeploymentState& touch_deployment(SiteState& s, const DeploymentId& id) {
  auto it = s.deployments.find(id);
  if (it == s.deployments.end()) corrupt("unknown deployment " + id.value);
  ++it->second.version;
  return it->second;
}

void on(SiteState& s, const DeploymentRequested& e) {
  DeploymentState d;
  d.id = e.deploymentId;
  d.environment = e.environment;
  d.version = 1;
  if (!s.deployments.emplace(e.deploymentId, std::move(d)).second)
    corrupt("deployment exists " + e.deploymentId.value);
}

void on(SiteState& s, const DeploymentStarted& e) {
  touch_deployment(s, e.deploymentId).status = DeploymentStatus::building;
}

void on(SiteState& s, const DeploymentSucceeded& e) {
  DeploymentState& d = touch_deployment(s, e.deploymentId);
  d.status = DeploymentStatus::succeeded;
  d.succeededAt = s.version + 1;
  EnvironmentState& env = s.environments[d.environment];
  env.previous = env.live;
  env.live = d.id;
}

void on(SiteState& s, const DeploymentFailed& e) {
  touch_deployment(s, e.deploymentId).status = DeploymentStatus::failed;
}

void on(SiteState& s, const DeploymentRolledBack& e) {
  DeploymentState& d = touch_deployment(s, e.deploymentId);
  if (d.status != DeploymentStatus::succeeded || d.pruned) corrupt("rollback to an unusable deploy");
  EnvironmentState& env = s.environments[e.environment];
  env.previous = env.live;
  env.live = d.id;
}

void on(SiteState& s, const DeploymentsPruned& e) {
  for (const auto& id : e.deploymentIds) {
    auto it = s.deployments.find(id);
    if (it == s.deployments.end()) corrupt("unknown deployment " + id.value);
    it->second.pruned = true;
  }
}

// A label is not an edit: the page's version stays.
void on(SiteState& s, const PageVersionLabelled& e) {
  auto it = s.pages.find(e.pageId);
  if (it == s.pages.end()) corrupt("unknown page " + e.pageId.value);
  PageState& p = it->second;
  if (e.version < 1 || e.version > p.version) corrupt("label on unknown version");
  std::erase_if(p.labels, [&](const auto& kv) { return kv.second == e.label; });
  p.labels[e.version] = e.label;
}

void on(SiteState& s, const PageVersionRestored& e) {
  PageState& p = touch_page(s, e.pageId);
  auto content = content_from_json(e.content);
  if (!content.ok()) corrupt("restored content: " + content.error().message);
  if (e.slug != p.slug) {
    if (!s.slugs.emplace(e.slug, e.pageId).second) corrupt("slug taken " + e.slug);
    s.slugs.erase(p.slug);
  }
  p.slug = e.slug;
  p.title = e.title;
  p.description = e.description;
  p.seo = e.seo;
  p.content = std::move(content).value();
  rebuild_index(p);
}

PreviewState& touch_preview(SiteState& s, const PreviewId& id) {
  auto it = s.previews.find(id);
  if (it == s.previews.end()) corrupt("unknown preview " + id.value);
  ++it->second.version;
  return it->second;
}

void on(SiteState& s, const PreviewRequested& e) {
  // Previews that expired more than the longest lifetime before this one
  // expires had expired when it was requested: they are forgotten.
  if (auto until = parse_rfc3339(e.expiresAt)) {
    const auto horizon = *until - std::chrono::seconds(kMaxPreviewTtlSeconds);
    std::erase_if(s.previews, [&](const auto& kv) {
      auto at = parse_rfc3339(kv.second.expiresAt);
      return at && *at < horizon;
    });
  }
  PreviewState p;
  p.id = e.previewId;
  p.expiresAt = e.expiresAt;
  p.version = 1;
  if (!s.previews.emplace(e.previewId, std::move(p)).second) corrupt("preview exists " + e.previewId.value);
}

void on(SiteState& s, const PreviewReady& e) { touch_preview(s, e.previewId).status = PreviewStatus::ready; }

void on(SiteState& s, const PreviewFailed& e) { touch_preview(s, e.previewId).status = PreviewStatus::failed; }

void on(SiteState& s, const AssetUploaded& e) {
  AssetState& a = s.assets[e.assetId];
  a.asset = e;
  a.deleted = false;
  ++a.version;
}

void on(SiteState& s, const AssetDeleted& e) {
  auto it = s.assets.find(e.assetId);
  if (it == s.assets.end() || it->second.deleted) corrupt("unknown asset " + e.assetId.value);
  it->second.deleted = true;
  ++it->second.version;
}

}  // namespace

void apply(SiteState& state, const DomainEvent& event) {
  // Every alternative needs its own `on` overload, or this does not compile.
  std::visit([&](const auto& e) { on(state, e); }, event);
  ++state.version;
}

SiteState evolve(SiteState state, const DomainEvent& event) {
  apply(state, event);
  return state;
}

}  // namespace pw::domain
