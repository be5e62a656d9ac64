// Versions and time travel: folding a page's own events to a version or an
// instant, labels, restoring a version, and diffs between versions (random
// edit sequences check the properties; examples pin the shapes and errors).
#include <map>
#include <random>

#include "commands/page_versions.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

bool same_content_and_page_metadata(const PageState& a, const PageState& b) {
  return a.title == b.title && a.slug == b.slug && a.description == b.description && a.seo == b.seo &&
         a.content == b.content;
}

// Edits of the home page (and a rival page that claims slugs), mostly valid.
class PageEdits {
 public:
  explicit PageEdits(uint32_t seed) : rng_(seed) {}

  Command next(const SiteState& s) {
    const PageState& p = s.pages.at(home());
    const int roll = pick(0, 99);
    if (roll < 8) {
      UpdatePageMetadata u{home(), std::nullopt, std::nullopt, std::nullopt};
      if (chance(70)) u.title = "Title " + std::to_string(pick(0, 5));
      if (chance(40)) u.description = "d" + std::to_string(pick(0, 3));
      if (chance(30)) u.seo = PageSeoPatch{chance(50), "/c" + std::to_string(pick(0, 2)), std::nullopt};
      return u;
    }
    if (roll < 12) return ChangePageSlug{home(), pick(0, 3) == 0 ? std::string() : "s" + std::to_string(pick(0, 4))};
    if (roll < 14) return ChangePageSlug{about(), "s" + std::to_string(pick(0, 4))};
    if (roll < 17) return PublishPage{home()};
    if (roll < 20) return LabelVersion{home(), pick(1, static_cast<int>(p.version)), "L" + std::to_string(pick(0, 6))};
    if (roll < 45 || p.index.size() < 3) return add_component(p);
    if (roll < 65) return UpdateComponentProps{home(), any_component(p), patch()};
    if (roll < 88) {
      MoveComponent mv{home(), any_component(p), container(p), std::nullopt, pick(0, 3)};
      return mv;
    }
    return RemoveComponent{home(), any_component(p)};
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }

  ComponentId any_component(const PageState& p) {
    auto it = p.index.begin();
    std::advance(it, pick(0, static_cast<int>(p.index.size()) - 1));
    return it->first;
  }
  std::optional<ComponentId> container(const PageState& p) {
    if (chance(35)) return std::nullopt;
    std::vector<ComponentId> sections;
    for (const auto& [id, loc] : p.index)
      if (find_component(p, id)->type == "Section") sections.push_back(id);
    if (sections.empty()) return std::nullopt;
    return sections[static_cast<size_t>(pick(0, static_cast<int>(sections.size()) - 1))];
  }
  json patch() {
    switch (pick(0, 3)) {
      case 0: return json{{"text", "T" + std::to_string(pick(0, 9))}};
      case 1: return json{{"padding", chance(50) ? json("large") : json(nullptr)}};
      case 2: return json{{"level", pick(1, 6)}};
      default: return json{{"align", chance(50) ? json("center") : json(nullptr)}};
    }
  }
  Command add_component(const PageState& p) {
    static const std::vector<std::pair<std::string, json>> kTypes = {
        {"Section", json::object()},
        {"Heading", {{"text", "Hello"}, {"level", 2}}},
        {"Text", {{"text", "Some *text*"}}},
        {"Section", {{"padding", "small"}}}};
    const auto& [type, props] = kTypes[static_cast<size_t>(pick(0, 3))];
    return add("c" + std::to_string(next_id_++), type, props,
               [&]() -> std::optional<std::string> {
                 auto c = container(p);
                 return c ? std::optional<std::string>(c->value) : std::nullopt;
               }(),
               std::nullopt, chance(50) ? std::optional<int64_t>(pick(0, 2)) : std::nullopt);
  }

  std::mt19937 rng_;
  int next_id_ = 0;
};

// A home page with a random history: its own events (timed one second
// apart) and its state after each version.
struct History {
  SiteState site;
  std::vector<TimedEvent> events;
  std::map<int64_t, PageState> at_version;
  std::map<int64_t, int64_t> version_at;  // when each version was made
};

constexpr int64_t kStart = 1'700'000'000'000'000;  // µs

RestorePageVersion restore_command(const PageState& target, int64_t version) {
  json content = json::array();
  for (const auto& c : target.content) content.push_back(component_to_json(c));
  return RestorePageVersion{home(), version, target.title, target.slug, target.description, target.seo, content};
}

History random_history(uint32_t seed, int commands) {
  History h;
  h.site = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt},
                         CreatePage{about(), "About", std::string("about"), std::nullopt}});
  PageEdits gen(seed);
  std::mt19937 rng(seed);
  auto record = [&](const Events& events) {
    for (const auto& e : events) {
      apply(h.site, e);
      if (aggregate_of(e) != AggregateRef{"page", home().value}) continue;
      h.events.push_back({kStart + static_cast<int64_t>(h.events.size()) * 1'000'000, e});
      const PageState& p = h.site.pages.at(home());
      h.at_version.try_emplace(p.version, p);
      h.version_at.try_emplace(p.version, h.events.back().at);
    }
  };
  // The home page's creation is its version 1.
  Events created{PageCreated{home(), "Home", std::string(), std::string()}};
  SiteState before = with(acme(), {CreatePage{about(), "About", std::string("about"), std::nullopt}});
  h.site = before;
  record(created);
  for (int i = 0; i < commands; ++i) {
    Command c = gen.next(h.site);
    // Now and then restore a random earlier version, folded from the history.
    if (std::uniform_int_distribution<int>(0, 19)(rng) == 0) {
      const int64_t v = std::uniform_int_distribution<int64_t>(1, h.site.pages.at(home()).version)(rng);
      auto target = page_at_version(home(), h.events, v);
      if (target.ok() && *target) c = restore_command((*target)->page, v);
    }
    auto r = decide(loaded_schemas(), h.site, meta(), c);
    if (r) record(*r);
  }
  return h;
}

TEST(Versions, FoldToEveryVersionEqualsTheStateThen) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    History h = random_history(seed, 120);
    const int64_t last = h.site.pages.at(home()).version;
    ASSERT_GT(last, 40) << "seed " << seed;
    for (int64_t v = 1; v <= last; ++v) {
      auto folded = page_at_version(home(), h.events, v);
      ASSERT_TRUE(folded.ok()) << folded.error().message;
      ASSERT_TRUE(folded->has_value()) << "seed " << seed << " version " << v;
      // Labels are save points named later; the rest is exactly as it was.
      PageState want = h.at_version.at(v), got = (*folded)->page;
      EXPECT_EQ((*folded)->at, h.version_at.at(v));
      want.labels.clear();
      got.labels.clear();
      ASSERT_EQ(got, want) << "seed " << seed << " version " << v;
    }
    for (int64_t v : {int64_t{0}, int64_t{-1}, last + 1}) {
      auto none = page_at_version(home(), h.events, v);
      ASSERT_TRUE(none.ok());
      EXPECT_FALSE(none->has_value()) << v;
    }
  }
}

TEST(Versions, FoldFromACheckpointEqualsTheFoldFromScratch) {
  History h = random_history(11, 200);
  const int64_t last = h.site.pages.at(home()).version;
  std::map<int64_t, PageAt> checkpoints;
  auto all = page_at_version_from(std::nullopt, home(), h.events, last, 16,
                                  [&](const PageAt& at) { checkpoints.emplace(at.page.version, at); });
  ASSERT_TRUE(all.ok() && all->has_value());
  ASSERT_EQ(checkpoints.size(), static_cast<size_t>(last / 16));
  for (const auto& [v, at] : checkpoints) {
    EXPECT_EQ(at.page.version, v);
    EXPECT_EQ(at.at, h.version_at.at(v));
    // The events after the checkpoint's: those the page made after it.
    size_t first = 0;
    while (first < h.events.size() && h.events[first].at <= at.at) ++first;
    for (int64_t target = v; target <= std::min(last, v + 40); ++target) {
      auto from = page_at_version_from(at, home(), std::span(h.events).subspan(first), target, 0, {});
      auto scratch = page_at_version(home(), h.events, target);
      ASSERT_TRUE(from.ok() && from->has_value() && scratch.ok() && scratch->has_value()) << v << "→" << target;
      PageState a = (*from)->page, b = (*scratch)->page;
      a.labels.clear();
      b.labels.clear();
      EXPECT_EQ(a, b) << v << "→" << target;
      EXPECT_EQ((*from)->at, (*scratch)->at);
    }
    auto earlier = page_at_version_from(at, home(), std::span(h.events).subspan(first), v - 1, 0, {});
    ASSERT_TRUE(earlier.ok());
    EXPECT_FALSE(earlier->has_value());  // a checkpoint cannot go back
  }
}

TEST(Versions, FoldToAnInstantTakesEveryEventUpToIt) {
  History h = random_history(7, 80);
  for (size_t i = 0; i < h.events.size(); ++i) {
    // Half a second after event i: exactly events 0..i.
    auto folded = page_at_instant(home(), h.events, h.events[i].at + 500'000);
    ASSERT_TRUE(folded.ok());
    ASSERT_TRUE(folded->has_value());
    SiteState s;
    for (size_t k = 0; k <= i; ++k) apply(s, h.events[k].event);
    EXPECT_EQ((*folded)->page, s.pages.at(home())) << i;
    EXPECT_EQ((*folded)->at, h.version_at.at(s.pages.at(home()).version)) << i;  // labels do not date it
  }
  auto before = page_at_instant(home(), h.events, kStart - 1);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->has_value());
  auto exact = page_at_instant(home(), h.events, kStart);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->has_value());
}

TEST(Versions, RestoreMakesContentAndMetadataThoseOfTheVersion) {
  for (uint32_t seed = 100; seed < 130; ++seed) {
    History h = random_history(seed, 60);
    std::mt19937 rng(seed);
    for (int round = 0; round < 10; ++round) {
      const PageState& now = h.site.pages.at(home());
      const int64_t v = std::uniform_int_distribution<int64_t>(1, now.version)(rng);
      auto target = page_at_version(home(), h.events, v);
      ASSERT_TRUE(target.ok() && target->has_value());
      SiteState s = h.site;
      const PageState& then = (*target)->page;
      auto r = decide(loaded_schemas(), s, meta(), restore_command(then, v));
      ASSERT_TRUE(r.ok()) << r.error().message << " " << r.error().details[0].field;
      const int64_t before = s.pages.at(home()).version;
      for (const auto& e : *r) apply(s, e);
      const PageState& after = s.pages.at(home());
      EXPECT_TRUE(same_content_and_page_metadata(after, then)) << "seed " << seed << " v" << v;
      if (same_content_and_page_metadata(now, then)) {
        EXPECT_TRUE(r->empty());
      } else {
        ASSERT_EQ(r->size(), 1u);  // one new version
        EXPECT_EQ(after.version, before + 1);
        EXPECT_EQ(after.status, now.status);
      }
    }
  }
}

TEST(Versions, DiffAppliedToTheFirstVersionGivesTheSecond) {
  size_t moved = 0, added = 0, removed = 0, changed = 0, metadata = 0;
  for (uint32_t seed = 200; seed < 240; ++seed) {
    History h = random_history(seed, 100);
    std::mt19937 rng(seed);
    const int64_t last = h.site.pages.at(home()).version;
    for (int round = 0; round < 30; ++round) {
      const int64_t a = std::uniform_int_distribution<int64_t>(1, last)(rng);
      const int64_t b = std::uniform_int_distribution<int64_t>(1, last)(rng);
      const PageState& from = h.at_version.at(a);
      const PageState& to = h.at_version.at(b);
      PageDiff d = diff_pages(from, to);
      auto applied = apply_page_diff(from, d);
      ASSERT_TRUE(applied.ok()) << "seed " << seed << " " << a << "→" << b << ": " << applied.error().message;
      ASSERT_TRUE(same_content_and_metadata(*applied, to)) << "seed " << seed << " " << a << "→" << b << "\n"
                                                          << page_diff_to_json(d).dump();
      if (a == b) {
        EXPECT_EQ(d, PageDiff{});
      }
      moved += d.moved.size();
      added += d.added.size();
      removed += d.removed.size();
      changed += d.changed.size();
      metadata += d.metadata.size();
    }
  }
  // The sequences exercise every kind of change.
  EXPECT_GT(moved, 100u);
  EXPECT_GT(added, 100u);
  EXPECT_GT(removed, 100u);
  EXPECT_GT(changed, 100u);
  EXPECT_GT(metadata, 100u);
}

TEST(Versions, DiffShape) {
  SiteState s = sample();
  const PageState a = s.pages.at(home());
  run(s, UpdatePageMetadata{home(), "Start", std::nullopt, std::nullopt});
  run(s, UpdateComponentProps{home(), ComponentId{"h1"}, {{"text", "Hi"}, {"level", 3}}});
  run(s, MoveComponent{home(), ComponentId{"txt"}, std::nullopt, std::nullopt, 0});
  run(s, RemoveComponent{home(), ComponentId{"cols"}});
  run(s, add("sp", "Spacer", json::object(), "sec", std::nullopt, 1));
  const PageState b = s.pages.at(home());
  json d = page_diff_to_json(diff_pages(a, b));
  EXPECT_EQ(d["metadata"], json::parse(R"([{"field":"title","before":"Home","after":"Start"}])"));
  const json& c = d["components"];
  EXPECT_EQ(c["changed"], json::parse(R"([{"id":"h1","patch":{"text":"Hi","level":3}}])"));
  EXPECT_EQ(c["moved"], json::parse(R"([{"id":"txt","from":{"parentId":null,"slot":null,"index":2},
                                          "to":{"parentId":null,"slot":null,"index":0}}])"));
  ASSERT_EQ(c["removed"].size(), 2u);  // the Columns and the Button inside it
  EXPECT_EQ(c["removed"][0]["id"], "cols");
  EXPECT_EQ(c["removed"][1]["id"], "btn");
  EXPECT_EQ(c["removed"][1]["parentId"], "cols");
  EXPECT_EQ(c["removed"][1]["slot"], "column1");
  EXPECT_EQ(c["added"], json::parse(R"([{"id":"sp","type":"Spacer","props":{},"parentId":"sec",
                                          "slot":"children","index":1}])"));
}

TEST(Versions, DiffThatDoesNotFitIsRefused) {
  const PageState a = sample().pages.at(home());
  PageDiff d;
  d.removed.push_back({ComponentId{"nope"}, "Text", json::object(), {}});
  EXPECT_EQ(apply_page_diff(a, d).error().code, Errc::unprocessable);
  PageDiff far;
  far.added.push_back({ComponentId{"x"}, "Spacer", json::object(), {std::nullopt, "", 9}});
  EXPECT_EQ(apply_page_diff(a, far).error().code, Errc::unprocessable);
}

TEST(Versions, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339_micros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_micros("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(parse_rfc3339_micros("2026-11-22T05:30:48.123456Z"),
            parse_rfc3339_micros("2026-11-22T07:30:48.123456789+02:00"));
  EXPECT_EQ(parse_rfc3339_micros("2024-02-29t00:00:00z"), int64_t{1709164800} * 1'000'000);
  for (const char* bad : {"", "yesterday", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T24:00:00Z",
                          "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0200", "2024-1-01T00:00:00Z",
                          "2024-01-01T00:00:00Z ", "0000-01-01T00:00:00Z", "2024-01-01T00:00:00.1234567890Z"})
    EXPECT_FALSE(parse_rfc3339_micros(bad).has_value()) << bad;
}

// ---- labels ----

Error refused(const SiteState& s, const Command& c) {
  auto r = decide(loaded_schemas(), s, meta(), c);
  EXPECT_FALSE(r.ok()) << command_type(c);
  return r ? Error{} : r.error();
}

TEST(Versions, LabelIsASavePointNotAnEdit) {
  SiteState s = sample();
  const int64_t v = s.pages.at(home()).version;
  const int64_t site_version = s.version;
  Events e = run(s, LabelVersion{home(), 2, "first draft"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(event_type(e[0]), "PageVersionLabelled");
  EXPECT_EQ(s.pages.at(home()).version, v);  // not a new page version
  EXPECT_EQ(s.version, site_version + 1);     // but an event of the site's stream
  EXPECT_EQ(s.pages.at(home()).labels, (std::map<int64_t, std::string>{{2, "first draft"}}));
  EXPECT_TRUE(run(s, LabelVersion{home(), 2, "first draft"}).empty());  // the same again: nothing
  run(s, LabelVersion{home(), 2, "renamed"});                            // a version has one label
  EXPECT_EQ(s.pages.at(home()).labels, (std::map<int64_t, std::string>{{2, "renamed"}}));
  // Labels survive the snapshot codec.
  auto back = site_state_from_json(json::parse(site_state_to_json(s).dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(Versions, LabelRefusals) {
  SiteState s = sample();
  run(s, LabelVersion{home(), 3, "launch"});
  const int64_t v = s.pages.at(home()).version;
  auto dup = refused(s, LabelVersion{home(), 4, "launch"});
  EXPECT_EQ(dup.code, Errc::duplicate);
  EXPECT_EQ(dup.details.at(0).field, "label");
  for (int64_t unknown : {int64_t{0}, int64_t{-2}, v + 1}) {
    auto e = refused(s, LabelVersion{home(), unknown, "x"});
    EXPECT_EQ(e.code, Errc::not_found) << unknown;
    EXPECT_EQ(e.details.at(0).field, "version");
  }
  for (const std::string& bad : {std::string(), std::string(101, 'a'), std::string("a\x01")}) {
    auto e = refused(s, LabelVersion{home(), 1, bad});
    EXPECT_EQ(e.code, Errc::validation_error);
    EXPECT_EQ(e.details.at(0).field, "label");
  }
  EXPECT_TRUE(decide(loaded_schemas(), s, meta(), LabelVersion{home(), 1, std::string(100, 'a')}).ok());
  EXPECT_EQ(refused(s, LabelVersion{page("ghost"), 1, "x"}).code, Errc::not_found);
}

// ---- restore ----

TEST(Versions, RestoreRefusals) {
  SiteState s = sample();
  run(s, ChangePageSlug{about(), "about-us"});
  auto v2 = s.pages.at(about());  // version 2: slug about-us
  run(s, ChangePageSlug{about(), "team"});
  run(s, ChangePageSlug{home(), "about-us"});  // another page takes the old slug
  auto taken = refused(s, RestorePageVersion{about(), 2, v2.title, v2.slug, v2.description, v2.seo, json::array()});
  EXPECT_EQ(taken.code, Errc::slug_taken);
  EXPECT_EQ(taken.details.at(0).field, "slug");

  auto unknown = refused(s, RestorePageVersion{about(), 9, "About", "x", "", {}, json::array()});
  EXPECT_EQ(unknown.code, Errc::not_found);
  EXPECT_EQ(unknown.details.at(0).field, "version");

  auto bad_content = refused(
      s, RestorePageVersion{about(), 1, "About", "about", "", {}, json::parse(R"([{"id":"a","type":"Carousel","props":{},"slots":{}}])")});
  EXPECT_EQ(bad_content.code, Errc::unprocessable);
  EXPECT_EQ(bad_content.details.at(0).field, "content[0].type");
  auto twice = refused(s, RestorePageVersion{about(), 1, "About", "about", "", {},
                                             json::parse(R"([{"id":"a","type":"Spacer","props":{},"slots":{}},
                                                            {"id":"a","type":"Spacer","props":{},"slots":{}}])")});
  EXPECT_EQ(twice.code, Errc::duplicate);
  EXPECT_EQ(twice.details.at(0).field, "content[1].id");

  SiteState deleted = s;
  deleted.pages.at(about()).status = PageStatus::deleted;
  auto gone = refused(deleted, RestorePageVersion{about(), 1, "About", "about", "", {}, json::array()});
  EXPECT_EQ(gone.code, Errc::unprocessable);
  EXPECT_EQ(gone.details.at(0).field, "pageId");
}

TEST(Versions, NewEventsAndCommandsRoundTrip) {
  const DomainEvent events[] = {
      PageVersionLabelled{home(), 3, "launch"},
      PageVersionRestored{home(), 2, "T", "s", "old", "d", PageSeo{true, "/c", ""},
                          json::parse(R"([{"id":"a","type":"Spacer","props":{},"slots":{}}])")}};
  for (const auto& e : events) {
    auto back = event_from_json(event_type(e), event_schema_version(e), json::parse(event_data(e).dump()));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, e);
    EXPECT_EQ(aggregate_of(e), (AggregateRef{"page", home().value}));
  }
  const Command commands[] = {LabelVersion{home(), 1, "x"},
                              RestorePageVersion{home(), 2, "T", "", "", {}, json::array()}};
  for (const auto& c : commands) {
    auto back = command_from_json(command_type(c), json::parse(command_to_json(c).dump()));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, c);
  }
}

}  // namespace
}  // namespace pw::domain::test
