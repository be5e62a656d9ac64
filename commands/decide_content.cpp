// ReplacePageContent: a Puck document becomes the fewest component edits that
// turn the page's tree into it (add, update props, move, remove; ids kept where
// they match), plus the title when it changed. Each edit is decided by the
// per-component decider on a scratch copy of the page and applied there before
// the next, so every event is exactly the one that edit's own endpoint would
// have appended, under the same rules; the command takes all or none.
//
// Order: the title; removals of subtrees that keep nothing; then the document
// in pre-order, each list left to right (a new component is added, a kept one
// moved unless it belongs to the longest run already in order, its props
// updated); then removals of what held kept components; then props updates
// that had to wait until a slot they drop was emptied (Columns' count going
// down). An intermediate state is checked by the same limits as the final one,
// so a document at a limit that also empties a container whose children it
// keeps could be refused where a different order would pass.
#include <algorithm>
#include <unordered_set>

#include "commands/components.hpp"
#include "commands/decide_common.hpp"
#include "commands/deciders.hpp"
#include "commands/puck_document.hpp"

namespace pw::domain::detail {
namespace {

using nlohmann::json;

// RFC 7386 patch from `from` to `to` (objects member by member, anything else whole).
json merge_diff(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json patch = json::object();
  for (const auto& [key, value] : from.items())
    if (!to.contains(key)) patch[key] = nullptr;
  for (const auto& [key, value] : to.items()) {
    const auto it = from.find(key);
    if (it == from.end()) patch[key] = value;
    else if (*it != value) patch[key] = merge_diff(*it, value);
  }
  return patch;
}

bool subtree_has(const Component& c, const std::unordered_set<ComponentId>& ids) {
  for (const auto& [name, children] : c.slots)
    for (const auto& child : children)
      if (ids.contains(child.id) || subtree_has(child, ids)) return true;
  return false;
}

// Indices (into `values`) of a longest strictly increasing subsequence.
std::vector<size_t> longest_increasing(const std::vector<size_t>& values) {
  std::vector<size_t> tails;                       // index into values of the smallest tail per length
  std::vector<size_t> prev(values.size(), SIZE_MAX);
  for (size_t i = 0; i < values.size(); ++i) {
    auto it = std::lower_bound(tails.begin(), tails.end(), values[i],
                               [&](size_t t, size_t v) { return values[t] < v; });
    if (it != tails.begin()) prev[i] = *(it - 1);
    if (it == tails.end()) tails.push_back(i);
    else *it = i;
  }
  std::vector<size_t> out;
  for (size_t i = tails.empty() ? SIZE_MAX : tails.back(); i != SIZE_MAX; i = prev[i]) out.push_back(i);
  std::reverse(out.begin(), out.end());
  return out;
}

class ContentEdit {
 public:
  ContentEdit(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const PageState& page,
              PuckContent doc)
      : schemas_(schemas), page_(page.id), doc_(std::move(doc)) {
    // Only what the component deciders read: the site's identity and this page.
    scratch_.exists = s.exists;
    scratch_.tenant = s.tenant;
    scratch_.id = s.id;
    scratch_.subdomain = s.subdomain;
    scratch_.name = s.name;
    scratch_.version = s.version;
    scratch_.pages.emplace(page.id, page);
    meta_ = m;
    meta_.expectedVersion.reset();  // If-Match was checked once, for the whole document
  }

  Decision run() {
    index_document(doc_.content, ComponentId{}, std::string());
    if (auto e = check_types()) return *e;
    if (doc_.title && *doc_.title != page().title) {
      UpdatePageMetadata title{page_, doc_.title, std::nullopt, std::nullopt};
      if (auto e = step(title, "/root/props/title", false)) return *e;
    }
    std::vector<ComponentId> later;
    std::vector<ComponentId> now;
    removal_roots(page().content, now, later);
    for (const auto& id : now)
      if (auto e = step(RemoveComponent{page_, id}, "/content", false)) return *e;
    if (auto e = place(doc_.content, std::nullopt, std::string())) return *e;
    for (const auto& id : later)
      if (auto e = step(RemoveComponent{page_, id}, "/content", false)) return *e;
    for (const auto& id : deferred_)
      if (auto e = update_props(id)) return *e;
    if (page().content != doc_.content)
      return make_error(Errc::internal, "the edits do not reach the document",
                        {{"/content", "please report this document"}});
    return std::move(events_);
  }

 private:
  struct DocPlace {
    const Component* c = nullptr;
    ComponentId parent;
    std::string slot;
  };

  const PageState& page() const { return scratch_.pages.at(page_); }

  const std::string& pointer(const ComponentId& id) const {
    static const std::string kContent = "/content";
    auto it = doc_.pointers.find(id);
    return it == doc_.pointers.end() ? kContent : it->second;
  }

  // A kept id names the same component: its type cannot change in place.
  std::optional<Error> check_types() const {
    std::vector<ErrorDetail> details;
    for (const auto& [id, where] : doc_.pointers) {
      const Component* now = find_component(page(), id);
      if (!now) continue;
      const std::string& type = wanted_.at(id).c->type;
      if (now->type != type)
        details.push_back({where + "/props/id", "component '" + id.value + "' is a " + now->type +
                                                    " on this page; a new " + type + " needs another id"});
    }
    if (details.empty()) return std::nullopt;
    std::sort(details.begin(), details.end(), [](const auto& a, const auto& b) { return a.field < b.field; });
    return make_error(Errc::unprocessable, "a component's type cannot change", std::move(details));
  }

  void index_document(const std::vector<Component>& list, const ComponentId& parent, const std::string& slot) {
    for (const auto& c : list) {
      wanted_.emplace(c.id, DocPlace{&c, parent, slot});
      ids_.insert(c.id);
      for (const auto& [name, children] : c.slots) index_document(children, c.id, name);
    }
  }

  // Components the document drops, topmost only: those whose subtree keeps
  // nothing go at once, the others once what they keep has moved out.
  void removal_roots(const std::vector<Component>& list, std::vector<ComponentId>& now,
                     std::vector<ComponentId>& later) const {
    for (const auto& c : list) {
      if (ids_.contains(c.id)) {
        for (const auto& [name, children] : c.slots) removal_roots(children, now, later);
      } else {
        (subtree_has(c, ids_) ? later : now).push_back(c.id);
      }
    }
  }

  // The document's list at parent/slot, in order.
  std::optional<Error> place(const std::vector<Component>& want, const std::optional<ComponentId>& parent,
                             const std::string& slot) {
    const ComponentId parent_id = parent.value_or(ComponentId{});
    const auto stay = in_order(want, parent_id, slot);
    for (size_t i = 0; i < want.size(); ++i) {
      const Component& d = want[i];
      const std::string& where = pointer(d.id);
      const std::optional<std::string> slot_arg = parent ? std::optional<std::string>(slot) : std::nullopt;
      if (!page().index.contains(d.id)) {
        AddComponent add{page_, d.id, d.type, d.props, parent, slot_arg, after(want, i, parent_id, slot, d.id)};
        if (auto e = step(add, where, true)) return e;
      } else {
        if (!stay.contains(d.id)) {
          MoveComponent move{page_, d.id, parent, slot_arg, after(want, i, parent_id, slot, d.id)};
          if (auto e = step(move, where, true)) return e;
        }
        if (drops_filled_slot(d)) deferred_.push_back(d.id);
        else if (auto e = update_props(d.id)) return e;
      }
      for (const auto& [name, children] : d.slots)
        if (auto e = place(children, d.id, name)) return e;
    }
    return std::nullopt;
  }

  // The kept members of `want` already in this list that keep their order
  // (the longest run): they need no move.
  std::unordered_set<ComponentId> in_order(const std::vector<Component>& want, const ComponentId& parent,
                                           const std::string& slot) const {
    std::vector<ComponentId> members;
    std::vector<size_t> positions;
    const std::vector<Component>* list = child_list(page(), parent, slot);
    if (!list) return {};
    for (const auto& d : want) {
      auto loc = page().index.find(d.id);
      if (loc == page().index.end() || loc->second.parent != parent || loc->second.slot != slot) continue;
      auto it = std::find_if(list->begin(), list->end(), [&](const Component& x) { return x.id == d.id; });
      members.push_back(d.id);
      positions.push_back(static_cast<size_t>(it - list->begin()));
    }
    std::unordered_set<ComponentId> out;
    for (size_t i : longest_increasing(positions)) out.insert(members[i]);
    return out;
  }

  // Where want[i] goes: right after want[i-1] (first when i is 0), counted in
  // the list without the component itself (a move's index is after taking
  // it out).
  int64_t after(const std::vector<Component>& want, size_t i, const ComponentId& parent, const std::string& slot,
                const ComponentId& self) const {
    if (i == 0) return 0;
    const std::vector<Component>* list = child_list(page(), parent, slot);
    int64_t at = 0;
    for (const auto& x : *list) {
      if (x.id == self) continue;
      ++at;
      if (x.id == want[i - 1].id) return at;
    }
    return at;  // unreachable: want[i-1] was placed in this list
  }

  bool drops_filled_slot(const Component& d) const {
    const Component* now = find_component(page(), d.id);
    for (const auto& [name, children] : now->slots)
      if (!children.empty() && !has_slot(d.type, d.props, name)) return true;
    return false;
  }

  std::optional<Error> update_props(const ComponentId& id) {
    const Component* now = find_component(page(), id);
    const Component& d = *wanted_.at(id).c;
    if (now->props == d.props) return std::nullopt;
    json patch = merge_diff(now->props, d.props);
    json check = now->props;
    check.merge_patch(patch);
    if (check != d.props)
      return unprocessable(pointer(id) + "/props", "null inside an object cannot be stored: leave the member out");
    return step(UpdateComponentProps{page_, id, std::move(patch)}, pointer(id), true);
  }

  // One edit, decided and applied; a refusal names the document's fields.
  template <class C>
  std::optional<Error> step(const C& edit, const std::string& where, bool component_fields) {
    auto r = [&] {
      if constexpr (requires { decide_cmd(schemas_, scratch_, meta_, edit); })
        return decide_cmd(schemas_, scratch_, meta_, edit);
      else
        return decide_cmd(scratch_, meta_, edit);
    }();
    if (!r) {
      Error e = r.error();
      for (auto& d : e.details) d.field = component_fields ? document_field(where, d.field) : where;
      return e;
    }
    for (auto& event : *r) {
      apply(scratch_, event);
      events_.push_back(std::move(event));
    }
    return std::nullopt;
  }

  const Schemas& schemas_;
  SiteState scratch_;
  CommandMeta meta_;
  PageId page_;
  PuckContent doc_;
  std::unordered_map<ComponentId, DocPlace> wanted_;
  std::unordered_set<ComponentId> ids_;
  std::vector<ComponentId> deferred_;
  Events events_;
};

}  // namespace

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const ReplacePageContent& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  auto doc = read_puck_document(schemas, c.document, m.commandId.value);
  if (!doc) return doc.error();
  return ContentEdit(schemas, s, m, **page, std::move(doc).value()).run();
}

}  // namespace pw::domain::detail
