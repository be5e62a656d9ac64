// Component commands: AddComponent, UpdateComponentProps, MoveComponent, RemoveComponent.
#include <algorithm>

#include "commands/components.hpp"
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

std::optional<Error> check_component_id(const char* field, const ComponentId& id) {
  if (!is_valid_component_id(id.value)) return invalid(field, "must match ^[A-Za-z0-9_-]{1,64}$");
  return std::nullopt;
}

std::optional<Error> check_position(const std::optional<ComponentId>& parent,
                                    const std::optional<std::string>& slot,
                                    std::optional<int64_t> index) {
  if (parent)
    if (auto e = check_component_id("parentId", *parent)) return e;
  if (slot && !parent) return invalid("slot", "requires parentId");
  if (slot && !is_valid_component_id(*slot))
    return invalid("slot", "must match ^[A-Za-z0-9_-]{1,64}$");
  if (index && *index < 0) return invalid("index", "must not be negative");
  return std::nullopt;
}

struct Target {
  std::optional<ComponentId> parent;
  std::string slot;
  const std::vector<Component>* list = nullptr;
  int parentDepth = 0;  // 0 = top level
};

// The list a parentId/slot pair names; a missing parent or slot is a domain
// rule (UNPROCESSABLE), unlike the addressed component itself (NOT_FOUND).
Result<Target> resolve_target(const PageState& p, const std::optional<ComponentId>& parentId,
                              const std::optional<std::string>& slot) {
  if (!parentId) return Target{std::nullopt, std::string(), &p.content, 0};
  const Component* parent = find_component(p, *parentId);
  if (!parent) return unprocessable("parentId", "no such component on this page");
  auto slots = component_slots(parent->type, parent->props);
  if (slots.empty()) return unprocessable("parentId", parent->type + " has no slots");
  std::string name = slot ? *slot : std::string(slots.front());
  auto it = parent->slots.find(name);
  if (!has_slot(parent->type, parent->props, name) || it == parent->slots.end())
    return unprocessable("slot", parent->type + " has no slot '" + name + "'");
  return Target{parentId, std::move(name), &it->second, component_depth(p, *parentId)};
}

std::optional<Error> check_index(int64_t index, size_t size) {
  if (static_cast<uint64_t>(index) > size)
    return unprocessable("index", "must be between 0 and " + std::to_string(size));
  return std::nullopt;
}

// The page's content after a change that adds `added` bytes and takes `removed`.
std::optional<Error> check_content_bytes(const PageState& p, size_t added, size_t removed) {
  const size_t after = p.contentBytes + added - removed;
  if (after <= kMaxPageContentBytes) return std::nullopt;
  return reject(Errc::payload_too_large, "props",
                "the page's content would be " + std::to_string(after) +
                    " bytes serialized; the limit is " + std::to_string(kMaxPageContentBytes));
}

Result<const Component*> load_component(const PageState& p, const ComponentId& id) {
  const Component* c = find_component(p, id);
  if (!c) return reject(Errc::not_found, "componentId", "component not found");
  return c;
}

}  // namespace

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const AddComponent& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_component_id("componentId", c.componentId)) return *e;
  if (c.props && !c.props->is_object()) return invalid("props", "must be an object");
  if (auto e = check_position(c.parentId, c.slot, c.index)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;

  if (p.index.contains(c.componentId))
    return reject(Errc::duplicate, "componentId", "component id exists on this page");
  if (p.index.size() >= kMaxComponentsPerPage)
    return unprocessable(
        "pageId", "a page holds at most " + std::to_string(kMaxComponentsPerPage) + " components");
  nlohmann::json props = c.props.value_or(nlohmann::json::object());
  if (auto r = schemas.validate_component_props(c.type, props); !r) return r.error();
  auto target = resolve_target(p, c.parentId, c.slot);
  if (!target) return target.error();
  if (target->parentDepth + 1 > kMaxTreeDepth)
    return unprocessable(
        "parentId", "the tree would be deeper than " + std::to_string(kMaxTreeDepth) + " levels");
  int64_t index = c.index.value_or(static_cast<int64_t>(target->list->size()));
  if (auto e = check_index(index, target->list->size())) return *e;
  const size_t comma = target->list->empty() ? 0 : 1;
  if (auto e = check_content_bytes(p, component_own_bytes(c.componentId, c.type, props) + comma, 0))
    return *e;
  return one(ComponentAdded{c.pageId, c.componentId, c.type, std::move(props),
                            std::move(target->parent), std::move(target->slot), index});
}

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const UpdateComponentProps& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_component_id("componentId", c.componentId)) return *e;
  if (!c.patch.is_object()) return invalid("patch", "must be an object");
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  auto comp = load_component(**page, c.componentId);
  if (!comp) return comp.error();
  const Component& cur = **comp;

  nlohmann::json props = cur.props;
  props.merge_patch(c.patch);
  if (props == cur.props) return Events{};
  if (auto r = schemas.validate_component_props(cur.type, props); !r) return r.error();
  // Fewer columns must not orphan content.
  for (const auto& [name, children] : cur.slots)
    if (!children.empty() && !has_slot(cur.type, props, name))
      return unprocessable("props.count", "slot '" + name + "' is not empty");
  if (auto e = check_content_bytes(**page, component_own_bytes(cur.id, cur.type, props),
                                   component_own_bytes(cur.id, cur.type, cur.props)))
    return *e;
  return one(ComponentPropsUpdated{c.pageId, c.componentId, c.patch, std::move(props)});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const MoveComponent& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_component_id("componentId", c.componentId)) return *e;
  if (auto e = check_position(c.parentId, c.slot, c.index)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  auto comp = load_component(p, c.componentId);
  if (!comp) return comp.error();

  if (c.parentId && *c.parentId == c.componentId)
    return unprocessable("parentId", "cannot move a component into itself");
  auto target = resolve_target(p, c.parentId, c.slot);
  if (!target) return target.error();
  if (c.parentId) {
    for (const ComponentId* up = &*c.parentId; !up->empty(); up = &p.index.at(*up).parent)
      if (*up == c.componentId)
        return unprocessable("parentId", "cannot move a component into its own descendant");
  }
  if (target->parentDepth + subtree_height(**comp) > kMaxTreeDepth)
    return unprocessable(
        "parentId", "the tree would be deeper than " + std::to_string(kMaxTreeDepth) + " levels");
  const ComponentLoc& from = p.index.at(c.componentId);
  bool same_list =
      from.parent == target->parent.value_or(ComponentId{}) && from.slot == target->slot;
  size_t size_after = target->list->size() - (same_list ? 1 : 0);
  if (auto e = check_index(c.index, size_after)) return *e;
  const auto& from_list = from.parent.empty() ? p.content : find_component(p, from.parent)->slots.at(from.slot);
  const int64_t from_index = std::find_if(from_list.begin(), from_list.end(),
                                          [&](const Component& x) { return x.id == c.componentId; }) -
                             from_list.begin();
  if (same_list && from_index == c.index) return Events{};
  ComponentPosition was{from.parent.empty() ? std::nullopt : std::optional(from.parent), from.slot, from_index};
  return one(ComponentMoved{c.pageId, c.componentId, std::move(target->parent),
                            std::move(target->slot), c.index, std::move(was)});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const RemoveComponent& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_component_id("componentId", c.componentId)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  auto comp = load_component(**page, c.componentId);
  if (!comp) return comp.error();
  return one(ComponentRemoved{c.pageId, c.componentId});
}

}  // namespace pw::domain::detail
