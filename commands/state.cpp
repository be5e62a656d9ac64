#include "commands/state.hpp"

#include <algorithm>

#include "commands/components.hpp"
#include "commands/validation.hpp"

namespace pw::domain {

std::string_view page_status_name(PageStatus s) {
  switch (s) {
    case PageStatus::draft:
      return "draft";
    case PageStatus::published:
      return "published";
    case PageStatus::deleted:
      return "deleted";
  }
  return "draft";
}

std::string_view deployment_status_name(DeploymentStatus s) {
  switch (s) {
    case DeploymentStatus::queued:
      return "queued";
    case DeploymentStatus::building:
      return "building";
    case DeploymentStatus::succeeded:
      return "succeeded";
    case DeploymentStatus::failed:
      return "failed";
  }
  return "queued";
}

std::optional<DeploymentStatus> deployment_status_from_name(std::string_view s) {
  for (auto st : {DeploymentStatus::queued, DeploymentStatus::building, DeploymentStatus::succeeded,
                  DeploymentStatus::failed})
    if (deployment_status_name(st) == s) return st;
  return std::nullopt;
}

const DeploymentState* find_deployment(const SiteState& s, const DeploymentId& id) {
  auto it = s.deployments.find(id);
  return it == s.deployments.end() ? nullptr : &it->second;
}

const TemplateState* find_template(const SiteState& s, const TemplateId& id) {
  auto it = s.templates.find(id);
  return it == s.templates.end() ? nullptr : &it->second;
}
std::string_view preview_status_name(PreviewStatus s) {
  switch (s) {
    case PreviewStatus::requested:
      return "requested";
    case PreviewStatus::ready:
      return "ready";
    case PreviewStatus::failed:
      return "failed";
  }
  return "requested";
}

std::optional<PreviewStatus> preview_status_from_name(std::string_view s) {
  for (auto st : {PreviewStatus::requested, PreviewStatus::ready, PreviewStatus::failed})
    if (preview_status_name(st) == s) return st;
  return std::nullopt;
}

const PreviewState* find_preview(const SiteState& s, const PreviewId& id) {
  auto it = s.previews.find(id);
  return it == s.previews.end() ? nullptr : &it->second;
}

const AssetState* find_asset(const SiteState& s, const AssetId& id) {
  auto it = s.assets.find(id);
  return it == s.assets.end() ? nullptr : &it->second;
}

std::optional<PageStatus> page_status_from_name(std::string_view s) {
  if (s == "draft") return PageStatus::draft;
  if (s == "published") return PageStatus::published;
  if (s == "deleted") return PageStatus::deleted;
  return std::nullopt;
}

const PageState* find_page(const SiteState& s, const PageId& id) {
  auto it = s.pages.find(id);
  return it == s.pages.end() ? nullptr : &it->second;
}

const std::vector<Component>* child_list(const PageState& p, const ComponentId& parent,
                                         const std::string& slot) {
  if (parent.empty()) return &p.content;
  const Component* c = find_component(p, parent);
  if (!c) return nullptr;
  auto it = c->slots.find(slot);
  return it == c->slots.end() ? nullptr : &it->second;
}

std::vector<Component>* child_list(PageState& p, const ComponentId& parent,
                                   const std::string& slot) {
  return const_cast<std::vector<Component>*>(child_list(std::as_const(p), parent, slot));
}

const Component* find_component(const PageState& p, const ComponentId& id) {
  auto it = p.index.find(id);
  if (it == p.index.end()) return nullptr;
  const auto* list = child_list(p, it->second.parent, it->second.slot);
  if (!list) return nullptr;
  auto c = std::find_if(list->begin(), list->end(), [&](const Component& x) { return x.id == id; });
  return c == list->end() ? nullptr : &*c;
}

Component* find_component(PageState& p, const ComponentId& id) {
  return const_cast<Component*>(find_component(std::as_const(p), id));
}

int component_depth(const PageState& p, const ComponentId& id) {
  int depth = 0;
  const ComponentId* cur = &id;
  while (!cur->empty()) {
    auto it = p.index.find(*cur);
    if (it == p.index.end()) return 0;
    ++depth;
    cur = &it->second.parent;
  }
  return depth;
}


size_t component_bytes(const Component& c) {
  size_t n = component_own_bytes(c.id, c.type, c.props);
  for (const auto& [name, children] : c.slots) n += content_bytes(children) - 2;  // "[]" is in own
  return n;
}

size_t component_own_bytes(const ComponentId& id, std::string_view type,
                           const nlohmann::json& props) {
  // {"id":…,"props":…,"slots":{"a":[],"b":[]},"type":…}
  constexpr size_t kPunctuation = std::string_view(R"({"id":,"props":,"slots":{},"type":})").size();
  size_t n = kPunctuation + json_string_bytes(id.value) + json_string_bytes(type) + json_bytes(props);
  const auto slots = component_slots(type, props);
  for (size_t i = 0; i < slots.size(); ++i) n += (i ? 1 : 0) + json_string_bytes(slots[i]) + 3;  // :[]
  return n;
}

size_t content_bytes(const std::vector<Component>& list) {
  size_t n = 2 + (list.empty() ? 0 : list.size() - 1);
  for (const auto& c : list) n += component_bytes(c);
  return n;
}

int subtree_height(const Component& c) {
  int below = 0;
  for (const auto& [name, children] : c.slots)
    for (const auto& child : children) below = std::max(below, subtree_height(child));
  return below + 1;
}

namespace {
void index_list(PageState& p, const std::vector<Component>& list, const ComponentId& parent,
                const std::string& slot) {
  for (const auto& c : list) {
    p.index[c.id] = ComponentLoc{parent, slot};
    for (const auto& [name, children] : c.slots) index_list(p, children, c.id, name);
  }
}
}  // namespace

void rebuild_index(PageState& p) {
  p.index.clear();
  index_list(p, p.content, ComponentId{}, std::string());
  p.contentBytes = content_bytes(p.content);
}

void rebuild_indexes(SiteState& s) {
  s.slugs.clear();
  for (auto& [id, page] : s.pages) {
    rebuild_index(page);
    if (page.status != PageStatus::deleted) s.slugs[page.slug] = id;
  }
}

int64_t aggregate_version(const SiteState& s, const AggregateRef& ref) {
  if (ref.type == "site") return ref.id == s.id.value ? s.version : 0;
  if (ref.type == "template") {
    const TemplateState* t = find_template(s, TemplateId{ref.id});
    return t ? t->version : 0;
  }
  if (ref.type == "deployment") {
    const DeploymentState* d = find_deployment(s, DeploymentId{ref.id});
    return d ? d->version : 0;
  }
  if (ref.type == "asset") {
    const AssetState* a = find_asset(s, AssetId{ref.id});
    return a ? a->version : 0;
  }
  if (ref.type == "preview") {
    const PreviewState* p = find_preview(s, PreviewId{ref.id});
    return p ? p->version : 0;
  }
  const PageState* p = find_page(s, PageId{ref.id});
  return p ? p->version : 0;
}

}  // namespace pw::domain
