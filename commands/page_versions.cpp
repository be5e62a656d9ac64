#include "commands/page_versions.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "commands/components.hpp"
#include "commands/deciders.hpp"

namespace pw::domain {
using nlohmann::json;

namespace {

template <class Stop, class Applied>
Result<std::optional<PageAt>> fold(const std::optional<PageAt>& start, const PageId& page,
                                   std::span<const TimedEvent> events, Stop stop, Applied applied) {
  SiteState s;
  int64_t at = 0;
  if (start) {
    s.pages.emplace(page, start->page);
    rebuild_indexes(s);
    at = start->at;
  }
  try {
    for (const auto& te : events) {
      const PageState* before = find_page(s, page);
      if (stop(te, before)) break;
      const int64_t version = before ? before->version : 0;
      apply(s, te.event);
      // Only versions date the page: a label names a version, it is no edit.
      const PageState* after = find_page(s, page);
      if (after && after->version != version) at = te.at;
      applied(s, at);
    }
  } catch (const std::logic_error& e) {
    return make_error(Errc::internal, std::string("the page's history does not fold: ") + e.what());
  }
  auto it = s.pages.find(page);
  if (it == s.pages.end()) return std::optional<PageAt>();
  return std::optional<PageAt>(PageAt{std::move(it->second), at});
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Fixed-width decimal field at s[pos, pos+n), or -1.
int64_t digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// ---- diff ----

using Key = std::pair<std::string, std::string>;  // (parent id, slot); top level ("", "")

struct Node {
  const Component* c = nullptr;
  ComponentPlace place;
};

struct Flat {
  std::unordered_map<std::string, Node> nodes;
  std::vector<std::string> order;                 // pre-order
  std::map<Key, std::vector<std::string>> lists;  // every list in order
};

void flatten(const std::vector<Component>& list, const std::optional<ComponentId>& parent,
             const std::string& slot, Flat& f) {
  auto& ids = f.lists[Key{parent ? parent->value : std::string(), slot}];
  for (size_t i = 0; i < list.size(); ++i) {
    const Component& c = list[i];
    f.nodes[c.id.value] = Node{&c, ComponentPlace{parent, slot, static_cast<int64_t>(i)}};
    f.order.push_back(c.id.value);
    ids.push_back(c.id.value);
    for (const auto& [name, children] : c.slots) flatten(children, c.id, name, f);
  }
}

Flat flatten(const PageState& p) {
  Flat f;
  f.lists[Key{}];
  flatten(p.content, std::nullopt, std::string(), f);
  return f;
}

Key key_of(const ComponentPlace& p) { return Key{p.parentId ? p.parentId->value : std::string(), p.slot}; }

// Indexes (into `seq`) of one longest strictly increasing subsequence.
std::vector<size_t> longest_increasing(const std::vector<size_t>& seq) {
  std::vector<size_t> tails, prev(seq.size(), SIZE_MAX);
  for (size_t i = 0; i < seq.size(); ++i) {
    auto it = std::lower_bound(tails.begin(), tails.end(), seq[i],
                               [&](size_t t, size_t v) { return seq[t] < v; });
    if (it != tails.begin()) prev[i] = *(it - 1);
    if (it == tails.end())
      tails.push_back(i);
    else
      *it = i;
  }
  std::vector<size_t> out;
  for (size_t i = tails.empty() ? SIZE_MAX : tails.back(); i != SIZE_MAX; i = prev[i]) out.push_back(i);
  std::reverse(out.begin(), out.end());
  return out;
}

void metadata_changes(const PageState& a, const PageState& b, std::vector<MetadataChange>& out) {
  auto add = [&](const char* field, json before, json after) {
    if (before != after) out.push_back({field, std::move(before), std::move(after)});
  };
  add("title", a.title, b.title);
  add("slug", a.slug, b.slug);
  add("description", a.description, b.description);
  add("status", page_status_name(a.status), page_status_name(b.status));
  add("seo.noIndex", a.seo.noIndex, b.seo.noIndex);
  add("seo.canonical", a.seo.canonical, b.seo.canonical);
  add("seo.ogImage", a.seo.ogImage, b.seo.ogImage);
}

Error bad_diff(std::string message) {
  return make_error(Errc::unprocessable, "the diff does not fit the page: " + message, {{"diff", message}});
}

Result<void> apply_metadata(PageState& p, const MetadataChange& m) {
  try {
    if (m.field == "title") p.title = m.after.get<std::string>();
    else if (m.field == "slug") p.slug = m.after.get<std::string>();
    else if (m.field == "description") p.description = m.after.get<std::string>();
    else if (m.field == "seo.noIndex") p.seo.noIndex = m.after.get<bool>();
    else if (m.field == "seo.canonical") p.seo.canonical = m.after.get<std::string>();
    else if (m.field == "seo.ogImage") p.seo.ogImage = m.after.get<std::string>();
    else if (m.field == "status") {
      auto s = page_status_from_name(m.after.get<std::string>());
      if (!s) return bad_diff("unknown status");
      p.status = *s;
    } else {
      return bad_diff("unknown metadata field " + m.field);
    }
  } catch (const json::exception&) {
    return bad_diff("wrong type for " + m.field);
  }
  return {};
}

struct Built {
  std::string type;
  json props;
};

class TreeBuilder {
 public:
  TreeBuilder(std::unordered_map<std::string, Built>& nodes, std::map<Key, std::vector<std::string>>& lists)
      : nodes_(nodes), lists_(lists) {}

  Result<std::vector<Component>> build(const Key& key, int depth) {
    std::vector<Component> out;
    auto it = lists_.find(key);
    if (it == lists_.end()) return out;
    used_.insert(key);
    if (depth > kMaxTreeDepth) return bad_diff("nested too deeply");
    for (const auto& id : it->second) {
      auto n = nodes_.find(id);
      if (n == nodes_.end()) return bad_diff("component " + id + " is placed but not present");
      if (!placed_.insert(id).second) return bad_diff("component " + id + " is placed twice");
      Component c{ComponentId{id}, n->second.type, n->second.props, {}};
      for (std::string_view slot : component_slots(c.type, c.props)) {
        auto children = build(Key{id, std::string(slot)}, depth + 1);
        if (!children) return children.error();
        c.slots.emplace(std::string(slot), std::move(children).value());
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  // Every component placed and no list left behind in a slot nobody has.
  Result<void> finish() const {
    if (placed_.size() != nodes_.size()) return bad_diff("a component has no place");
    for (const auto& [key, ids] : lists_)
      if (!ids.empty() && !used_.contains(key)) return bad_diff("a list has no parent slot: " + key.first + "/" + key.second);
    return {};
  }

 private:
  std::unordered_map<std::string, Built>& nodes_;
  std::map<Key, std::vector<std::string>>& lists_;
  std::set<std::string> placed_;
  std::set<Key> used_;
};

json place_fields(json j, const ComponentPlace& p) {
  j["parentId"] = p.parentId ? json(p.parentId->value) : json(nullptr);
  j["slot"] = p.parentId ? json(p.slot) : json(nullptr);
  j["index"] = p.index;
  return j;
}

json entry_to_json(const ComponentEntry& e) {
  return place_fields(json{{"id", e.id.value}, {"type", e.type}, {"props", e.props}}, e.place);
}

}  // namespace

Result<std::optional<PageAt>> page_at_version(const PageId& page, std::span<const TimedEvent> events,
                                              int64_t version) {
  return page_at_version_from(std::nullopt, page, events, version, 0, {});
}

Result<std::optional<PageAt>> page_at_version_from(const std::optional<PageAt>& start, const PageId& page,
                                                   std::span<const TimedEvent> events, int64_t version, int64_t every,
                                                   const std::function<void(const PageAt&)>& checkpoint) {
  if (version < 1 || (start && start->page.version > version)) return std::optional<PageAt>();
  int64_t last_checkpoint = start ? start->page.version : 0;
  auto folded = fold(
      start, page, events, [&](const TimedEvent&, const PageState* p) { return p && p->version == version; },
      [&](const SiteState& s, int64_t at) {
        if (every <= 0 || !checkpoint) return;
        const PageState* p = find_page(s, page);
        if (p && p->version % every == 0 && p->version != last_checkpoint) {
          last_checkpoint = p->version;
          checkpoint(PageAt{*p, at});
        }
      });
  if (!folded) return folded.error();
  if (*folded && (*folded)->page.version != version) return std::optional<PageAt>();
  return folded;
}

Result<std::optional<PageAt>> page_at_instant(const PageId& page, std::span<const TimedEvent> events, int64_t at) {
  return fold(
      std::nullopt, page, events, [&](const TimedEvent& te, const PageState*) { return te.at > at; },
      [](const SiteState&, int64_t) {});
}

std::optional<int64_t> parse_rfc3339_micros(std::string_view s) {
  // date-time = YYYY-MM-DD "T" hh:mm:ss [.frac] ("Z" / ±hh:mm)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  const int64_t y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2), h = digits(s, 11, 2),
                mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
    return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0)) return std::nullopt;
  size_t pos = 19;
  int64_t micros = 0;
  if (s[pos] == '.') {
    size_t n = 0;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n)
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int64_t oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || pos + 3 >= s.size() || s[pos + 3] != ':') return std::nullopt;
    offset = (oh * 60 + om) * 60 * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  // A leap second (:60) is counted as the next second's start.
  const int64_t seconds = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                          h * 3600 + mi * 60 + sec - offset;
  return seconds * 1000000 + micros;
}

PageDiff diff_pages(const PageState& from, const PageState& to) {
  PageDiff diff;
  metadata_changes(from, to, diff.metadata);
  const Flat a = flatten(from), b = flatten(to);
  auto same = [&](const std::string& id) {
    auto x = a.nodes.find(id), y = b.nodes.find(id);
    return x != a.nodes.end() && y != b.nodes.end() && x->second.c->type == y->second.c->type;
  };
  for (const auto& id : a.order)
    if (!same(id)) {
      const Node& n = a.nodes.at(id);
      diff.removed.push_back({n.c->id, n.c->type, n.c->props, n.place});
    }
  // Kept components that stayed in their list: those off the longest run in
  // their old order moved.
  std::set<std::string> reordered;
  for (const auto& [key, ids] : b.lists) {
    std::vector<size_t> old_index;
    std::vector<const std::string*> stayed;
    for (const auto& id : ids) {
      if (!same(id)) continue;
      const Node& n = a.nodes.at(id);
      if (key_of(n.place) != key) continue;
      old_index.push_back(static_cast<size_t>(n.place.index));
      stayed.push_back(&id);
    }
    std::vector<bool> in_run(stayed.size(), false);
    for (size_t i : longest_increasing(old_index)) in_run[i] = true;
    for (size_t i = 0; i < stayed.size(); ++i)
      if (!in_run[i]) reordered.insert(*stayed[i]);
  }
  for (const auto& id : b.order) {
    const Node& n = b.nodes.at(id);
    if (!same(id)) {
      diff.added.push_back({n.c->id, n.c->type, n.c->props, n.place});
      continue;
    }
    const Node& old = a.nodes.at(id);
    if (key_of(old.place) != key_of(n.place) || reordered.contains(id))
      diff.moved.push_back({n.c->id, old.place, n.place});
    if (old.c->props != n.c->props) diff.changed.push_back({n.c->id, merge_patch_diff(old.c->props, n.c->props)});
  }
  return diff;
}

Result<PageState> apply_page_diff(const PageState& from, const PageDiff& diff) {
  PageState out = from;
  for (const auto& m : diff.metadata)
    if (auto r = apply_metadata(out, m); !r) return r.error();

  const Flat a = flatten(from);
  std::unordered_map<std::string, Built> nodes;
  for (const auto& [id, n] : a.nodes) nodes.emplace(id, Built{n.c->type, n.c->props});
  std::set<std::string> placed_anew;  // added or moved: placed by index, not kept in order
  for (const auto& r : diff.removed) {
    auto it = nodes.find(r.id.value);
    if (it == nodes.end() || it->second.type != r.type) return bad_diff("removes absent " + r.id.value);
    nodes.erase(it);
  }
  for (const auto& e : diff.added) {
    if (!nodes.emplace(e.id.value, Built{e.type, e.props}).second) return bad_diff("adds present " + e.id.value);
    placed_anew.insert(e.id.value);
  }
  for (const auto& c : diff.changed) {
    auto it = nodes.find(c.id.value);
    if (it == nodes.end()) return bad_diff("changes absent " + c.id.value);
    it->second.props.merge_patch(c.patch);
  }
  for (const auto& mv : diff.moved) {
    if (!nodes.contains(mv.id.value)) return bad_diff("moves absent " + mv.id.value);
    placed_anew.insert(mv.id.value);
  }
  // The components that kept their list, in their old order; then those
  // placed anew go in at their final indexes, lowest first.
  std::map<Key, std::vector<std::string>> lists;
  lists[Key{}];
  for (const auto& [key, ids] : a.lists) {
    auto& list = lists[key];
    for (const auto& id : ids)
      if (nodes.contains(id) && !placed_anew.contains(id)) list.push_back(id);
  }
  std::vector<std::pair<const std::string*, const ComponentPlace*>> anew;
  for (const auto& e : diff.added) anew.emplace_back(&e.id.value, &e.place);
  for (const auto& mv : diff.moved) anew.emplace_back(&mv.id.value, &mv.to);
  std::stable_sort(anew.begin(), anew.end(), [](const auto& x, const auto& y) { return x.second->index < y.second->index; });
  for (const auto& [id, place] : anew) {
    auto& list = lists[key_of(*place)];
    if (place->index < 0 || static_cast<size_t>(place->index) > list.size())
      return bad_diff("index " + std::to_string(place->index) + " out of range for " + *id);
    list.insert(list.begin() + place->index, *id);
  }
  TreeBuilder builder(nodes, lists);
  auto content = builder.build(Key{}, 1);
  if (!content) return content.error();
  if (auto r = builder.finish(); !r) return r.error();
  out.content = std::move(content).value();
  rebuild_index(out);
  return out;
}

bool same_content_and_metadata(const PageState& a, const PageState& b) {
  return a.title == b.title && a.slug == b.slug && a.description == b.description && a.seo == b.seo &&
         a.status == b.status && a.content == b.content;
}

json page_diff_to_json(const PageDiff& diff) {
  json metadata = json::array();
  for (const auto& m : diff.metadata) metadata.push_back({{"field", m.field}, {"before", m.before}, {"after", m.after}});
  json added = json::array(), removed = json::array(), moved = json::array(), changed = json::array();
  for (const auto& e : diff.added) added.push_back(entry_to_json(e));
  for (const auto& e : diff.removed) removed.push_back(entry_to_json(e));
  for (const auto& m : diff.moved)
    moved.push_back({{"id", m.id.value}, {"from", place_fields(json::object(), m.from)}, {"to", place_fields(json::object(), m.to)}});
  for (const auto& c : diff.changed) changed.push_back({{"id", c.id.value}, {"patch", c.patch}});
  return json{{"metadata", std::move(metadata)},
              {"components",
               {{"added", std::move(added)}, {"removed", std::move(removed)}, {"moved", std::move(moved)},
                {"changed", std::move(changed)}}}};
}

}  // namespace pw::domain
