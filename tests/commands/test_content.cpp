// Puck documents: the tree ⇄ document conversion, the ReplacePageContent
// decider's rules, documents as Puck writes them, and a property test over
// random trees and edits.
#include <gmock/gmock.h>

#include <fstream>
#include <random>
#include <set>

#include "commands/components.hpp"
#include "commands/puck_document.hpp"
#include "fixtures.hpp"

#ifndef PW_PUCK_FIXTURES
#error "PW_PUCK_FIXTURES must name tests/commands/fixtures/puck"
#endif

namespace pw::domain::test {
namespace {

json fixture(const std::string& name) {
  std::ifstream in(std::string(PW_PUCK_FIXTURES) + "/" + name);
  EXPECT_TRUE(in) << name;
  return json::parse(in);
}

const PageState& home_of(const SiteState& s) { return s.pages.at(home()); }

json document_of(const SiteState& s, const PageId& p = home()) {
  return puck_document(s.pages.at(p).title, s.pages.at(p).content);
}

ReplacePageContent replace(json document, PageId on = home()) { return ReplacePageContent{std::move(on), std::move(document)}; }

// ---------------------------------------------------------------------------
// Conversion

TEST(PuckDocument, WritesInlineSlotsWithIdsInProps) {
  const json d = document_of(sample());
  EXPECT_EQ(d["root"], (json{{"props", {{"title", "Home"}}}}));
  EXPECT_EQ(d["zones"], json::object());
  ASSERT_EQ(d["content"].size(), 3u);
  const json& sec = d["content"][0];
  EXPECT_EQ(sec["type"], "Section");
  EXPECT_EQ(sec["props"]["id"], "sec");
  ASSERT_EQ(sec["props"]["children"].size(), 2u);
  EXPECT_EQ(sec["props"]["children"][0], (json{{"type", "Heading"}, {"props", {{"id", "h1"}, {"text", "Welcome"}}}}));
  const json& cols = d["content"][1];
  EXPECT_EQ(cols["props"]["count"], 2);
  EXPECT_EQ(cols["props"]["column1"][0]["props"]["id"], "btn");
  EXPECT_EQ(cols["props"]["column2"], json::array());
  EXPECT_FALSE(cols["props"].contains("column3")) << "only the slots the props define";
  EXPECT_EQ(d["content"][2]["props"], (json{{"id", "txt"}, {"text", "*hi*"}}));
}

TEST(PuckDocument, ReadsBackTheSameTree) {
  const SiteState s = sample();
  auto back = read_puck_document(loaded_schemas(), document_of(s), "seed");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->content, home_of(s).content);
  EXPECT_EQ(back->title, "Home");
  EXPECT_EQ(back->pointers.at(ComponentId{"btn"}), "/content/1/props/column1/0");
}

TEST(PuckDocument, FixturesAsPuckWritesThem) {
  auto inline_doc = read_puck_document(loaded_schemas(), fixture("inline-slots-0.20.json"), "seed");
  ASSERT_TRUE(inline_doc.ok()) << inline_doc.error().message << " "
                               << (inline_doc.error().details.empty() ? "" : inline_doc.error().details[0].field);
  ASSERT_EQ(inline_doc->content.size(), 3u);
  const Component& cols = inline_doc->content[1];
  EXPECT_EQ(cols.id.value, "Columns-c41e7d09-3a5b-4f62-8e1d-2b7a9c0f5e38");
  EXPECT_EQ(cols.props, (json{{"count", 2}, {"gap", "medium"}})) << "Puck's empty column3/column4 are no slots";
  EXPECT_EQ(cols.slots.size(), 2u);
  EXPECT_EQ(cols.slots.at("column2")[0].type, "Image");

  auto zones_doc = read_puck_document(loaded_schemas(), fixture("dropzones-0.18.json"), "seed");
  ASSERT_TRUE(zones_doc.ok()) << zones_doc.error().message;
  ASSERT_EQ(zones_doc->content.size(), 2u);
  EXPECT_EQ(zones_doc->content[0].slots.at("children")[0].props, (json{{"text", "About us"}}));
  EXPECT_EQ(zones_doc->pointers.at(ComponentId{"Text-6e0c3a8d-7f2b-4d1e-8c5a-3b9f0e6d2c17"}),
            "/zones/Columns-8b2e5f1c-4d7a-4c0e-9a3b-6f1d8e2c5a70:column1/0");
  // The same tree written back is the inline shape.
  const json written = puck_document(*zones_doc->title, zones_doc->content);
  EXPECT_EQ(written["content"][0]["props"]["children"][0]["props"]["text"], "About us");
  EXPECT_EQ(written["zones"], json::object());

  auto fresh = read_puck_document(loaded_schemas(), fixture("inline-slots-0.19-new-items.json"), "cmd-7");
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  const ComponentId made = fresh->content[1].id;
  EXPECT_THAT(made.value, ::testing::MatchesRegex("c[0-9a-f]{15}"));
  auto again = read_puck_document(loaded_schemas(), fixture("inline-slots-0.19-new-items.json"), "cmd-7");
  EXPECT_EQ(again->content[1].id, made) << "ids derive from the command";
  auto other = read_puck_document(loaded_schemas(), fixture("inline-slots-0.19-new-items.json"), "cmd-8");
  EXPECT_NE(other->content[1].id, made);
}

struct Bad {
  std::string name;
  json doc;
  Errc code;
  std::string field;
};
void PrintTo(const Bad& b, std::ostream* os) { *os << b.name; }

json heading(const std::string& id, json extra = json::object()) {
  json props{{"id", id}, {"text", "T"}};
  props.update(extra);
  return json{{"type", "Heading"}, {"props", props}};
}
json section(const std::string& id, json children) {
  return json{{"type", "Section"}, {"props", {{"id", id}, {"children", std::move(children)}}}};
}
json doc(json content, json zones = json::object()) {
  return json{{"root", {{"props", {{"title", "Home"}}}}}, {"content", std::move(content)}, {"zones", std::move(zones)}};
}
json nested(int depth) {
  json c = heading("leaf");
  for (int i = depth - 1; i >= 1; --i) c = section("s" + std::to_string(i), json::array({c}));
  return doc(json::array({c}));
}

class BadDocument : public ::testing::TestWithParam<Bad> {};

TEST_P(BadDocument, IsRefusedWithAPointer) {
  const Bad& b = GetParam();
  auto r = read_puck_document(loaded_schemas(), b.doc, "seed");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(errc_code(r.error().code), std::string(errc_code(b.code))) << r.error().message;
  ASSERT_FALSE(r.error().details.empty());
  EXPECT_EQ(r.error().details[0].field, b.field) << r.error().details[0].message;
}

std::vector<Bad> bad_documents() {
  json many = json::array();
  for (size_t i = 0; i <= kMaxComponentsPerPage; ++i) many.push_back(json{{"type", "Spacer"}, {"props", json::object()}});
  return {
      {"NotAnObject", json::array(), Errc::validation_error, ""},
      {"UnknownTopLevelField", json{{"content", json::array()}, {"extra", 1}}, Errc::validation_error, "/extra"},
      {"ContentMissing", json{{"root", json::object()}}, Errc::validation_error, "/content"},
      {"ContentNotArray", json{{"content", json::object()}}, Errc::validation_error, "/content"},
      {"ComponentUnknownField", doc({{{"type", "Spacer"}, {"props", json::object()}, {"readOnly", true}}}),
       Errc::validation_error, "/content/0/readOnly"},
      {"TypeMissing", doc({{{"props", json::object()}}}), Errc::validation_error, "/content/0/type"},
      {"PropsNotObject", doc({{{"type", "Spacer"}, {"props", 3}}}), Errc::validation_error, "/content/0/props"},
      {"IdNotString", doc({{{"type", "Spacer"}, {"props", {{"id", 5}}}}}), Errc::validation_error,
       "/content/0/props/id"},
      {"SlotNotArray", doc({{{"type", "Section"}, {"props", {{"id", "s"}, {"children", "x"}}}}}),
       Errc::validation_error, "/content/0/props/children"},
      {"RootUnknownProp", json{{"root", {{"props", {{"title", "x"}, {"theme", "y"}}}}}, {"content", json::array()}},
       Errc::validation_error, "/root/props/theme"},
      {"TitleNotString", json{{"root", {{"props", {{"title", 1}}}}}, {"content", json::array()}},
       Errc::validation_error, "/root/props/title"},
      {"UnknownType", doc({section("s", {heading("h"), {{"type", "Marquee"}, {"props", json::object()}}})}),
       Errc::unprocessable, "/content/0/props/children/1/type"},
      {"InvalidNestedProp", doc({section("s", {heading("h"), heading("h2", {{"level", 9}})})}), Errc::unprocessable,
       "/content/0/props/children/1/props/level"},
      {"MissingRequiredProp", doc({{{"type", "Button"}, {"props", {{"id", "b"}, {"label", "x"}}}}}),
       Errc::unprocessable, "/content/0/props/href"},
      {"UnsafeUrl", doc({{{"type", "Button"}, {"props", {{"id", "b"}, {"label", "x"}, {"href", "javascript:x"}}}}}),
       Errc::unprocessable, "/content/0/props/href"},
      {"LeafWithSlot", doc({{{"type", "Heading"}, {"props", {{"id", "h"}, {"text", "x"}, {"children", json::array()}}}}}),
       Errc::unprocessable, "/content/0/props/children"},
      {"ColumnBeyondCount",
       doc({{{"type", "Columns"}, {"props", {{"id", "c"}, {"count", 2}, {"column3", {heading("h")}}}}}}),
       Errc::unprocessable, "/content/0/props/column3"},
      {"DuplicateId", doc({heading("h"), section("s", {heading("h")})}), Errc::unprocessable,
       "/content/1/props/children/0/props/id"},
      {"BadId", doc({heading("has space")}), Errc::unprocessable, "/content/0/props/id"},
      {"TooDeep", nested(kMaxTreeDepth + 1), Errc::unprocessable,
       [] {
         std::string p = "/content/0";
         for (int i = 1; i <= kMaxTreeDepth; ++i) p += "/props/children/0";
         return p;
       }()},
      {"TooMany", doc(many), Errc::unprocessable, "/content"},
      {"ZoneOfNoComponent", doc(json::array(), {{"ghost:children", {heading("h")}}}), Errc::unprocessable,
       "/zones/ghost:children"},
      {"SlotTwice", doc({section("s", {heading("h")})}, {{"s:children", {heading("h2")}}}), Errc::unprocessable,
       "/content/0/props/children"},
      {"ZoneNotArray", doc(json::array(), {{"x:children", 1}}), Errc::validation_error, "/zones/x:children"},
      {"TooLarge",
       doc([] {
         json list = json::array();
         for (int i = 0; i < 60; ++i)
           list.push_back({{"type", "Text"}, {"props", {{"id", "t" + std::to_string(i)}, {"text", std::string(19000, 'a')}}}});
         return list;
       }()),
       Errc::payload_too_large, "/content"},
  };
}

INSTANTIATE_TEST_SUITE_P(Puck, BadDocument, ::testing::ValuesIn(bad_documents()),
                         [](const auto& info) { return info.param.name; });

TEST(PuckDocument, DeepestAllowedNestingReads) {
  auto r = read_puck_document(loaded_schemas(), nested(kMaxTreeDepth), "seed");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().details[0].field);
}

TEST(PuckDocument, PointerTokensAreEscaped) {
  EXPECT_EQ(pointer_token("a/b~c"), "a~1b~0c");
  EXPECT_EQ(document_field("/content/0", "props.items.2.src"), "/content/0/props/items/2/src");
  EXPECT_EQ(document_field("/content/0", "pageId"), "/content/0");
}

// ---------------------------------------------------------------------------
// The decider's rules

const PageState& home_page(const SiteState& s) { return s.pages.at(home()); }

// sample()'s home, edited: img removed, txt moved into sec first, h1's text
// changed, a new Spacer (no id) appended, the title changed.
json edited_home() {
  json d = document_of(sample());
  d["root"]["props"]["title"] = "Start";
  json& sec = d["content"][0]["props"];
  json txt = d["content"][2];
  sec["children"] = json::array({txt, sec["children"][0]});
  sec["children"][1]["props"]["text"] = "Hello";
  d["content"].erase(2);
  d["content"].push_back({{"type", "Spacer"}, {"props", {{"size", "large"}}}});
  return d;
}

SiteState cols3_with_b3() {
  return with(sample(), {UpdateComponentProps{home(), ComponentId{"cols"}, {{"count", 3}}},
                         add("b3", "Button", {{"label", "x"}, {"href", "/x"}}, "cols", "column3")});
}

SiteState deleted_home() {
  SiteState s = sample();
  s.pages.at(home()).status = PageStatus::deleted;
  rebuild_indexes(s);
  return s;
}

ComponentId fresh_spacer_id() {
  auto r = read_puck_document(loaded_schemas(), edited_home(), meta().commandId.value);
  return r->content.back().id;
}

std::vector<Rule> content_rules() {
  const PageId h = home();
  return {
      ok("IdenticalDocumentAppendsNothing", sample, replace(document_of(sample())), {}),
      ok("IdenticalWithIfMatch", sample, replace(document_of(sample())), {}, meta(7)),
      ok("EditsBecomeComponentEvents", sample, replace(edited_home()),
         Events{PageMetadataUpdated{h, std::string("Start"), std::nullopt, std::nullopt},
                ComponentRemoved{h, ComponentId{"img"}},
                ComponentMoved{h, ComponentId{"txt"}, ComponentId{"sec"}, "children", 0, ComponentPosition{std::nullopt, "", 2}},
                ComponentPropsUpdated{h, ComponentId{"h1"}, {{"text", "Hello"}}, {{"text", "Hello"}}},
                ComponentAdded{h, fresh_spacer_id(), "Spacer", {{"size", "large"}}, std::nullopt, "", 2}}),
      ok("RemovingASubtreeIsOneRemove", sample,
         replace([] {
           json d = document_of(sample());
           d["content"].erase(0);
           return d;
         }()),
         Events{ComponentRemoved{h, ComponentId{"sec"}}}),
      ok("ZonesShapeIsRead", sample,
         replace([] {
           json d = document_of(sample());
           json children = d["content"][0]["props"]["children"];
           d["content"][0]["props"].erase("children");
           d["zones"]["sec:children"] = children;
           return d;
         }()),
         {}),
      ok("MoveOutOfARemovedParentThenRemoveIt", sample,
         replace([] {
           json d = document_of(sample());
           json h1 = d["content"][0]["props"]["children"][0];
           d["content"][0] = h1;
           return d;
         }()),
         Events{ComponentMoved{h, ComponentId{"h1"}, std::nullopt, "", 0, ComponentPosition{ComponentId{"sec"}, "children", 0}},
                ComponentRemoved{h, ComponentId{"sec"}}}),
      ok("FewerColumnsWaitForTheirSlotToEmpty", cols3_with_b3,
         replace([] {
           json d = document_of(cols3_with_b3());
           json b3 = d["content"][1]["props"]["column3"][0];
           d["content"][1]["props"].erase("column3");
           d["content"][1]["props"]["count"] = 2;
           d["content"].push_back(b3);
           return d;
         }()),
         Events{ComponentMoved{h, ComponentId{"b3"}, std::nullopt, "", 3, ComponentPosition{ComponentId{"cols"}, "column3", 0}},
                ComponentPropsUpdated{h, ComponentId{"cols"}, {{"count", 2}}, {{"count", 2}}}}),
      no("IfMatchMismatch", sample, replace(document_of(sample())), Errc::version_conflict, "version", meta(3)),
      no("OtherTenant", sample, replace(document_of(sample())), Errc::not_found, "siteId", other_tenant()),
      no("UnknownPage", sample, replace(document_of(sample()), page("nope")), Errc::not_found, "pageId"),
      no("DeletedPage", deleted_home, replace(document_of(sample())), Errc::unprocessable, "pageId"),
      no("TypeCannotChange", sample,
         replace([] {
           json d = document_of(sample());
           d["content"][2] = {{"type", "Heading"}, {"props", {{"id", "txt"}, {"text", "x"}}}};
           return d;
         }()),
         Errc::unprocessable, "/content/2/props/id"),
      no("InvalidPropsPointer", sample,
         replace([] {
           json d = document_of(sample());
           d["content"][0]["props"]["children"][0]["props"]["level"] = 9;
           return d;
         }()),
         Errc::unprocessable, "/content/0/props/children/0/props/level"),
      no("EmptyTitle", sample,
         replace([] {
           json d = document_of(sample());
           d["root"]["props"]["title"] = "";
           return d;
         }()),
         Errc::validation_error, "/root/props/title"),
      no("ShapeIs400", sample, replace(json{{"content", json::array()}, {"data", 1}}), Errc::validation_error, "/data"),
  };
}

class ContentRules : public ::testing::TestWithParam<Rule> {};
TEST_P(ContentRules, Decide) { expect_decides(GetParam()); }
INSTANTIATE_TEST_SUITE_P(ReplacePageContent, ContentRules, ::testing::ValuesIn(content_rules()),
                         [](const auto& info) { return info.param.name; });

TEST(ReplacePageContent, RefusalAppendsNothingEvenAfterValidEdits) {
  // The first edits are fine, the last is not: the command is refused whole.
  json d = edited_home();
  d["content"].push_back({{"type", "Button"}, {"props", {{"label", "x"}, {"href", "javascript:alert(1)"}}}});
  auto r = decide(loaded_schemas(), sample(), meta(), replace(d));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unprocessable);
  EXPECT_EQ(r.error().details[0].field, "/content/3/props/href");
}

TEST(ReplacePageContent, FullPageReplacedByAnother) {
  // 2,000 components in, 2,000 others out: removals come first, so the page
  // never holds more than the limit.
  SiteState s = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt}});
  json first = doc(json::array());
  for (size_t i = 0; i < kMaxComponentsPerPage; ++i) first["content"].push_back(heading("a" + std::to_string(i)));
  run(s, replace(first));
  ASSERT_EQ(home_page(s).index.size(), kMaxComponentsPerPage);
  json second = doc(json::array());
  for (size_t i = 0; i < kMaxComponentsPerPage; ++i) second["content"].push_back(heading("b" + std::to_string(i)));
  Events e = run(s, replace(second));
  EXPECT_EQ(e.size(), 2 * kMaxComponentsPerPage);
  EXPECT_EQ(document_of(s)["content"], second["content"]);
}

// ---------------------------------------------------------------------------
// Property: random trees and random edits

class RandomTrees {
 public:
  explicit RandomTrees(uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }

  json leaf_props(const std::string& type) {
    if (type == "Heading") return {{"text", "H" + std::to_string(pick(5))}, {"level", 1 + pick(6)}};
    if (type == "Text") return {{"text", "text " + std::to_string(pick(5))}};
    if (type == "Button") return {{"label", "B" + std::to_string(pick(3))}, {"href", "/p" + std::to_string(pick(3))}};
    if (type == "Spacer") return chance(50) ? json::object() : json{{"size", "small"}};
    if (type == "Section") return chance(50) ? json::object() : json{{"padding", "large"}};
    return {{"count", 2 + pick(3)}};  // Columns
  }

  Component make(int depth) {
    static const std::vector<std::string> kTypes{"Heading", "Text", "Button", "Spacer", "Section", "Columns"};
    Component c;
    c.id = ComponentId{"r" + std::to_string(next_++)};
    c.type = kTypes[static_cast<size_t>(pick(depth >= 4 ? 4 : 6))];
    c.props = leaf_props(c.type);
    for (std::string_view slot : component_slots(c.type, c.props)) {
      auto& list = c.slots[std::string(slot)];
      const int n = pick(3);
      for (int i = 0; i < n; ++i) list.push_back(make(depth + 1));
    }
    return c;
  }

  std::vector<Component> tree() {
    std::vector<Component> out;
    const int n = 1 + pick(5);
    for (int i = 0; i < n; ++i) out.push_back(make(1));
    return out;
  }

  // Every list of the tree, with the depth of its members.
  void lists(std::vector<Component>& list, int depth, std::vector<std::pair<std::vector<Component>*, int>>& out) {
    out.emplace_back(&list, depth);
    for (auto& c : list)
      for (auto& [name, children] : c.slots) lists(children, depth + 1, out);
  }

  static int height(const Component& c) { return subtree_height(c); }

  // Random edits of a copy: removals, moves, props changes, new components
  // (some to be sent without an id), Columns' count up or down.
  std::vector<Component> edit(std::vector<Component> t, std::set<std::string>& no_id) {
    const int edits = 1 + pick(6);
    for (int e = 0; e < edits; ++e) {
      std::vector<std::pair<std::vector<Component>*, int>> all;
      lists(t, 1, all);
      auto [list, depth] = all[static_cast<size_t>(pick(static_cast<int>(all.size())))];
      const int what = pick(6);
      if (what == 0 && !list->empty()) {
        list->erase(list->begin() + pick(static_cast<int>(list->size())));
      } else if (what == 1 && !list->empty()) {
        // Take one out and put it into another list outside its own subtree.
        const size_t at = static_cast<size_t>(pick(static_cast<int>(list->size())));
        Component moved = (*list)[at];
        list->erase(list->begin() + static_cast<std::ptrdiff_t>(at));
        std::vector<std::pair<std::vector<Component>*, int>> targets;
        lists(t, 1, targets);
        auto [to, to_depth] = targets[static_cast<size_t>(pick(static_cast<int>(targets.size())))];
        if (to_depth + height(moved) - 1 > 8) to = &t;
        to->insert(to->begin() + pick(static_cast<int>(to->size()) + 1), std::move(moved));
      } else if (what == 2 && !list->empty()) {
        Component& c = (*list)[static_cast<size_t>(pick(static_cast<int>(list->size())))];
        if (c.type != "Columns") c.props = leaf_props(c.type);
      } else if (what == 3 && !list->empty()) {
        Component& c = (*list)[static_cast<size_t>(pick(static_cast<int>(list->size())))];
        if (c.type == "Columns") {
          const int count = 2 + pick(3);
          // Children of columns that go away move to the top level.
          std::vector<Component> orphans;
          for (auto it = c.slots.begin(); it != c.slots.end();)
            if (it->first > "column" + std::to_string(count)) {
              for (auto& child : it->second) orphans.push_back(child);
              it = c.slots.erase(it);
            } else {
              ++it;
            }
          c.props["count"] = count;
          for (std::string_view s : component_slots(c.type, c.props)) c.slots.try_emplace(std::string(s));
          for (auto& o : orphans) t.push_back(std::move(o));  // c may live in t: touched last
        }
      } else if (depth <= 6) {
        Component c = make(depth);
        if (chance(40)) no_id.insert(c.id.value);
        list->insert(list->begin() + pick(static_cast<int>(list->size()) + 1), std::move(c));
      }
    }
    return t;
  }

 private:
  std::mt19937 rng_;
  int next_ = 0;
};

// A document with the ids of `no_id` left out (Puck's new items, as a client may send them).
void strip_ids(json& list, const std::set<std::string>& no_id) {
  for (auto& c : list) {
    json& props = c["props"];
    if (no_id.contains(props["id"].get<std::string>())) props.erase("id");
    for (auto& [key, value] : props.items())
      if (value.is_array() && !value.empty() && value[0].is_object() && value[0].contains("type")) strip_ids(value, no_id);
  }
}

// The per-component command that appends `e`.
Command command_for(const DomainEvent& e) {
  return std::visit(
      [](const auto& x) -> Command {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ComponentAdded>) {
          AddComponent a{x.pageId, x.componentId, x.type, x.props, x.parentId, std::nullopt, x.index};
          if (x.parentId) a.slot = x.slot;
          return a;
        } else if constexpr (std::is_same_v<T, ComponentPropsUpdated>) {
          return UpdateComponentProps{x.pageId, x.componentId, x.patch};
        } else if constexpr (std::is_same_v<T, ComponentMoved>) {
          return MoveComponent{x.pageId, x.componentId, x.parentId,
                               x.parentId ? std::optional<std::string>(x.slot) : std::nullopt, x.index};
        } else if constexpr (std::is_same_v<T, ComponentRemoved>) {
          return RemoveComponent{x.pageId, x.componentId};
        } else if constexpr (std::is_same_v<T, PageMetadataUpdated>) {
          return UpdatePageMetadata{x.pageId, x.title, std::nullopt, std::nullopt};
        } else {
          ADD_FAILURE() << "an event no component endpoint appends";
          return PublishPage{};
        }
      },
      e);
}

size_t count_ids(const std::vector<Component>& list) {
  size_t n = 0;
  for (const auto& c : list) {
    ++n;
    for (const auto& [name, children] : c.slots) n += count_ids(children);
  }
  return n;
}

TEST(ReplacePageContentProperty, RandomTreesAndEdits) {
  std::map<std::string, int> seen;  // event types over all seeds: every kind of edit was tried
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomTrees gen(seed);
    SiteState s = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt}});
    const std::vector<Component> start = gen.tree();

    // tree → document → tree is the identity.
    const json start_doc = puck_document("Home", start);
    auto read = read_puck_document(loaded_schemas(), start_doc, "x");
    ASSERT_TRUE(read.ok()) << read.error().message << " " << read.error().details[0].field;
    ASSERT_EQ(read->content, start);

    // The first PUT builds the tree from nothing: adds only.
    CommandMeta m1 = meta(1);
    m1.commandId = CommandId{"put-1-" + std::to_string(seed)};
    const Events built = run(s, replace(start_doc), m1);
    ASSERT_EQ(home_page(s).content, start);
    EXPECT_EQ(built.size(), count_ids(start));

    std::set<std::string> no_id;
    const std::vector<Component> target = gen.edit(start, no_id);
    json target_doc = puck_document(seed % 3 == 0 ? "Renamed" : "Home", target);
    strip_ids(target_doc["content"], no_id);
    CommandMeta m2 = meta(home_page(s).version);
    m2.commandId = CommandId{"put-2-" + std::to_string(seed)};
    const SiteState before = s;
    auto decided = decide(loaded_schemas(), before, m2, replace(target_doc));
    ASSERT_TRUE(decided.ok()) << decided.error().message << " " << decided.error().details[0].field << ": "
                              << decided.error().details[0].message << "\n" << target_doc.dump();
    for (const auto& e : *decided) apply(s, e);

    // PUT then GET gives the normalised document.
    auto normalised = read_puck_document(loaded_schemas(), target_doc, m2.commandId.value);
    ASSERT_TRUE(normalised.ok());
    EXPECT_EQ(document_of(s), puck_document(*normalised->title, normalised->content));

    // The per-component endpoints, given the same edits, append the same events.
    SiteState replay = before;
    Events one_by_one;
    for (const auto& e : *decided) {
      auto r = decide(loaded_schemas(), replay, meta(), command_for(e));
      ASSERT_TRUE(r.ok()) << r.error().message;
      for (const auto& x : *r) {
        apply(replay, x);
        one_by_one.push_back(x);
      }
    }
    EXPECT_EQ(one_by_one, *decided);
    EXPECT_EQ(replay, s);

    // Few edits: each kept component moves and changes props at most once,
    // every new one is one add, every dropped subtree one remove.
    std::map<std::string, int> moves, updates;
    size_t adds = 0;
    for (const auto& e : *decided) {
      ++seen[std::string(event_type(e))];
      if (auto* mv = std::get_if<ComponentMoved>(&e)) ++moves[mv->componentId.value];
      if (auto* up = std::get_if<ComponentPropsUpdated>(&e)) ++updates[up->componentId.value];
      if (std::holds_alternative<ComponentAdded>(e)) ++adds;
    }
    for (const auto& [id, n] : moves) EXPECT_EQ(n, 1) << id;
    for (const auto& [id, n] : updates) EXPECT_EQ(n, 1) << id;
    size_t fresh = 0;
    for (const auto& [id, loc] : home_page(s).index)
      if (!home_page(before).index.contains(id)) ++fresh;
    EXPECT_EQ(adds, fresh);

    // The same document again appends nothing.
    CommandMeta m3 = meta(home_page(s).version);
    m3.commandId = CommandId{"put-3-" + std::to_string(seed)};
    auto again = decide(loaded_schemas(), s, m3, replace(document_of(s)));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->empty());
    if (HasFailure()) return;
  }
  for (const char* type : {"ComponentAdded", "ComponentRemoved", "ComponentMoved", "ComponentPropsUpdated",
                           "PageMetadataUpdated"})
    EXPECT_GT(seen[type], 10) << type;
}

}  // namespace
}  // namespace pw::domain::test
