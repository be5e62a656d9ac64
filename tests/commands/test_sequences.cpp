// Generated command sequences (valid and invalid mixed): every accepted event
// survives its JSON codec, folding the events from scratch gives the state
// built incrementally, and the snapshot of that state round-trips.
#include <map>
#include <random>
#include <set>

#include "commands/components.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  Command next(const SiteState& s, CommandMeta& m) {
    m = meta();
    if (chance(2)) m.tenant = kOtherTenant;
    if (chance(8)) m.expectedVersion = pick(0, 12);
    if (!s.exists || chance(1)) return CreateSite{site(), pick_of(kNames), kSubdomain};
    if (s.pages.size() < 3 && chance(50)) return create_page(s);
    if (chance(12)) return lifecycle(s);
    int roll = pick(0, 99);
    if (roll < 8) return create_page(s);
    if (roll < 13) return update_site(s);
    if (roll < 20) return update_page(s);
    if (roll < 25) return ChangePageSlug{page_id(s), pick_of(kSlugs)};
    const PageState* some = page_of(s, page_id(s));
    if (roll < 55 || (some && some->index.size() < 3)) return add_component(s);
    if (roll < 72) return update_props(s);
    if (roll < 87) return move_component(s);
    if (roll < 93) return RemoveComponent{page_id(s), component_id(s)};
    return PublishPage{page_id(s)};
  }

 private:
  static inline const std::vector<std::string> kNames = {"Acme", "Acme Inc", "", "Ünïcödé"};
  static inline const std::vector<std::string> kTitles = {
      "Home", "About", "About", "Contact us", "日本語", "", "Blog / News"};
  static inline const std::vector<std::string> kSlugs = {"",          "about",    "about-2",
                                                         "blog/news", "Bad Slug", "contact"};

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }
  template <class T>
  const T& pick_of(const std::vector<T>& v) {
    return v[static_cast<size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }

  PageId page_id(const SiteState& s) {
    if (s.pages.empty() || chance(5)) return page("p" + std::to_string(pick(0, 9)));
    auto it = s.pages.begin();
    std::advance(it, pick(0, static_cast<int>(s.pages.size()) - 1));
    return it->first;
  }

  const PageState* page_of(const SiteState& s, const PageId& id) { return find_page(s, id); }

  ComponentId component_id(const SiteState& s, const PageId* on = nullptr) {
    PageId id = on ? *on : page_id(s);
    const PageState* p = page_of(s, id);
    if (!p || p->index.empty() || chance(5)) return ComponentId{"c" + std::to_string(pick(0, 40))};
    auto it = p->index.begin();
    std::advance(it, pick(0, static_cast<int>(p->index.size()) - 1));
    return it->first;
  }

  json props_for(const std::string& type) {
    if (chance(5)) return json{{"bogus", 1}};
    if (type == "Section") return chance(50) ? json::object() : json{{"padding", "small"}};
    if (type == "Columns") return json{{"count", pick(2, 4)}};
    if (type == "Heading")
      return json{{"text", "Title " + std::to_string(pick(0, 9))}, {"level", pick(1, 6)}};
    if (type == "Text") return json{{"text", "Some *markdown*"}};
    if (type == "Image")
      return json{{"src", chance(10) ? "javascript:alert(1)" : "/img.png"}, {"alt", "a"}};
    if (type == "Button") return json{{"label", "Go"}, {"href", "https://acme.test"}};
    if (type == "Hero") return json{{"title", "Hero"}, {"subtitle", "Sub"}};
    if (type == "Card") return json{{"title", "Card"}, {"href", "/x"}, {"body", "b"}};
    return json{{"size", "small"}};
  }

  json patch_for(const std::string& type) {
    if (chance(5)) return json{{"bogus", 2}};
    if (type == "Columns") return json{{"count", pick(2, 4)}};
    if (type == "Heading")
      return chance(50) ? json{{"level", nullptr}}
                        : json{{"level", pick(1, 6)}, {"align", "center"}};
    if (type == "Section") return json{{"padding", chance(50) ? json("large") : json(nullptr)}};
    if (type == "Image") return json{{"caption", "c" + std::to_string(pick(0, 3))}};
    if (type == "Button") return json{{"variant", chance(50) ? "primary" : "secondary"}};
    if (type == "Text") return json{{"text", chance(10) ? json(nullptr) : json("t")}};
    if (type == "Hero") return json{{"ctaLabel", "Go"}, {"ctaHref", chance(20) ? "data:x" : "/go"}};
    if (type == "Card") return json{{"image", nullptr}};
    return json{{"size", chance(50) ? "large" : "medium"}};
  }

  Command create_page(const SiteState& s) {
    CreatePage c;
    c.pageId = chance(10) ? page_id(s) : page("p" + std::to_string(pick(0, 9)));
    c.title = pick_of(kTitles);
    if (chance(40)) c.slug = pick_of(kSlugs);
    if (chance(30)) c.description = "About this page";
    return c;
  }

  // Page lifecycle, templates and design tokens, valid and invalid mixed.
  Command lifecycle(const SiteState& s) {
    switch (pick(0, 8)) {
      case 0:
        return DeletePage{page_id(s)};
      case 1:
      case 2:
        return RestorePage{page_id(s), chance(40) ? std::optional(pick_of(kSlugs)) : std::nullopt};
      case 3:
        return UnpublishPage{page_id(s)};
      case 4: {
        DuplicatePage d{page("d" + std::to_string(pick(0, 9))), page_id(s)};
        if (chance(30)) d.title = pick_of(kTitles);
        if (chance(30)) d.slug = pick_of(kSlugs);
        return d;
      }
      case 5:
        return SaveTemplate{make_template_id(site(), "t" + std::to_string(pick(0, 4))), page_id(s),
                            chance(10) ? "" : "Template", std::nullopt};
      case 6:
        return DeleteTemplate{make_template_id(site(), "t" + std::to_string(pick(0, 4)))};
      case 7: {
        UpdateDesignTokens u;
        u.tokens = json{{"colors", {{"primary", chance(20) ? "red" : (chance(50) ? "#123" : "#abcdef")}}}};
        if (chance(30)) u.tokens["theme"] = chance(20) ? "neon" : "dark";
        return u;
      }
      default: {
        // A page from a template: content as the gateway puts it, sometimes invalid.
        CreatePage c;
        c.pageId = page("p" + std::to_string(pick(0, 9)));
        c.title = pick_of(kTitles);
        const std::string type = chance(15) ? "Carousel" : "Section";
        c.content = json::array(
            {{{"id", "t1"}, {"type", type}, {"props", json::object()},
              {"slots", {{"children", json::array({{{"id", chance(10) ? "t1" : "t2"},
                                                     {"type", "Heading"},
                                                     {"props", props_for("Heading")},
                                                     {"slots", json::object()}}})}}}}});
        c.templateId = "landing";
        return c;
      }
    }
  }

  Command update_site(const SiteState&) {
    UpdateSiteSettings u;
    if (chance(50)) u.name = pick_of(kNames);
    if (chance(40))
      u.seo = SiteSeoPatch{"%s | Acme", std::nullopt, chance(20) ? "javascript:x" : "/og.png"};
    if (chance(40)) u.settings = json{{"theme", chance(50) ? json("dark") : json(nullptr)}};
    return u;
  }

  Command update_page(const SiteState& s) {
    UpdatePageMetadata u;
    u.pageId = page_id(s);
    if (chance(60)) u.title = pick_of(kTitles);
    if (chance(30)) u.description = "d" + std::to_string(pick(0, 2));
    if (chance(30)) u.seo = PageSeoPatch{chance(50), std::nullopt, std::nullopt};
    return u;
  }

  // A parent on the page (a container most of the time), or none.
  std::optional<ComponentId> parent_on(const SiteState& s, const PageId& pid) {
    const PageState* p = page_of(s, pid);
    if (chance(35) || (p && p->index.empty() && !chance(5))) return std::nullopt;
    if (p && chance(85)) {
      std::vector<const ComponentId*> containers;
      for (const auto& [id, loc] : p->index) {
        const Component* c = find_component(*p, id);
        if (!c->slots.empty()) containers.push_back(&id);
      }
      if (!containers.empty())
        return *containers[static_cast<size_t>(pick(0, static_cast<int>(containers.size()) - 1))];
    }
    return component_id(s, &pid);
  }

  Command add_component(const SiteState& s) {
    static const std::vector<std::string> kTypes = {"Section", "Section", "Columns", "Heading",
                                                    "Text",    "Image",   "Button",  "Hero",
                                                    "Card",    "Spacer",  "Carousel"};
    AddComponent a;
    a.pageId = page_id(s);
    a.componentId = ComponentId{"c" + std::to_string(pick(0, 40))};
    a.type = pick_of(kTypes);
    if (!chance(10)) a.props = props_for(a.type);
    a.parentId = parent_on(s, a.pageId);
    if (a.parentId && chance(30))
      a.slot = chance(50) ? "children" : "column" + std::to_string(pick(1, 4));
    if (chance(30)) a.index = chance(5) ? -1 : pick(0, 4);
    return a;
  }

  Command update_props(const SiteState& s) {
    UpdateComponentProps u;
    u.pageId = page_id(s);
    u.componentId = component_id(s, &u.pageId);
    const PageState* p = page_of(s, u.pageId);
    const Component* c = p ? find_component(*p, u.componentId) : nullptr;
    u.patch = patch_for(c ? c->type : "Spacer");
    return u;
  }

  Command move_component(const SiteState& s) {
    MoveComponent mv;
    mv.pageId = page_id(s);
    mv.componentId = component_id(s, &mv.pageId);
    mv.parentId = parent_on(s, mv.pageId);
    if (mv.parentId && chance(20)) mv.slot = "column" + std::to_string(pick(1, 3));
    mv.index = chance(3) ? -1 : pick(0, 3);
    return mv;
  }

  std::mt19937 rng_;
};

void check_invariants(const SiteState& s) {
  std::set<std::string> slugs;
  for (const auto& [id, p] : s.pages) {
    ASSERT_EQ(site_of(id), s.id);
    if (p.status != PageStatus::deleted) {
      ASSERT_TRUE(slugs.insert(p.slug).second) << p.slug;
    }
    ASSERT_LE(p.index.size(), kMaxComponentsPerPage);
    for (const auto& [cid, loc] : p.index) {
      const Component* c = find_component(p, cid);
      ASSERT_NE(c, nullptr);
      ASSERT_LE(component_depth(p, cid), kMaxTreeDepth);
      auto r = loaded_schemas().validate_component_props(c->type, c->props);
      ASSERT_TRUE(r.ok()) << c->type << " " << c->props.dump();
      auto slots = component_slots(c->type, c->props);
      ASSERT_EQ(c->slots.size(), slots.size());
    }
  }
  SiteState rebuilt = s;
  rebuild_indexes(rebuilt);
  ASSERT_EQ(rebuilt, s);
}

TEST(Sequences, FoldEqualsIncrementalState) {
  constexpr int kSequences = 300;
  constexpr int kCommands = 200;
  size_t accepted = 0, rejected = 0, events_total = 0;
  std::map<std::string, size_t> by_code;
  std::map<std::string, size_t> accepted_by_type;
  for (int seq = 0; seq < kSequences; ++seq) {
    Generator gen(static_cast<uint32_t>(seq) * 7919u + 1u);
    SiteState state;
    std::vector<DomainEvent> log;
    for (int i = 0; i < kCommands; ++i) {
      CommandMeta m;
      Command cmd = gen.next(state, m);

      auto decoded = command_from_json(command_type(cmd), json::parse(command_to_json(cmd).dump()));
      ASSERT_TRUE(decoded.ok()) << command_type(cmd) << " " << decoded.error().message;
      ASSERT_EQ(*decoded, cmd);

      auto result = decide(loaded_schemas(), state, m, cmd);
      if (!result) {
        ++rejected;
        ++by_code[errc_code(result.error().code)];
        ASSERT_NE(result.error().code, Errc::internal) << result.error().message;
        ASSERT_FALSE(result.error().details.empty());
        continue;
      }
      ++accepted;
      ++accepted_by_type[std::string(command_type(cmd))];
      for (const auto& e : *result) {
        auto back =
            event_from_json(event_type(e), event_schema_version(e), json::parse(event_data(e).dump()));
        ASSERT_TRUE(back.ok()) << event_type(e) << ": " << back.error().message;
        ASSERT_EQ(*back, e) << event_type(e);
        apply(state, *back);
        log.push_back(std::move(*back));
      }
    }
    events_total += log.size();
    ASSERT_EQ(state.version, static_cast<int64_t>(log.size()));

    SiteState folded;
    for (const auto& e : log) apply(folded, e);
    ASSERT_EQ(folded, state) << "sequence " << seq;

    auto restored = site_state_from_json(json::parse(site_state_to_json(state).dump()));
    ASSERT_TRUE(restored.ok()) << restored.error().message;
    ASSERT_EQ(*restored, state) << "sequence " << seq;
    check_invariants(state);
    if (HasFatalFailure()) return;
  }
  // The generator must exercise both outcomes and most rejections.
  EXPECT_GT(accepted, 20000u);
  EXPECT_GT(rejected, 5000u);
  for (const char* code : {"VALIDATION_ERROR", "NOT_FOUND", "VERSION_CONFLICT", "SLUG_TAKEN",
                           "DUPLICATE", "UNPROCESSABLE"})
    EXPECT_GT(by_code[code], 0u) << code;
  for (const char* type : {"DeletePage", "RestorePage", "UnpublishPage", "DuplicatePage",
                           "SaveTemplate", "DeleteTemplate", "UpdateDesignTokens"})
    EXPECT_GT(accepted_by_type[type], 0u) << type;
  RecordProperty("events", static_cast<int>(events_total));
  RecordProperty("accepted", static_cast<int>(accepted));
  RecordProperty("rejected", static_cast<int>(rejected));
}

}  // namespace
}  // namespace pw::domain::test
