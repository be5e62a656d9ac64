// Folding: what apply does to the state beyond what decide checks.
#include <stdexcept>

#include "commands/components.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

std::vector<std::string> ids(const std::vector<Component>& list) {
  std::vector<std::string> out;
  for (const auto& c : list) out.push_back(c.id.value);
  return out;
}

using Ids = std::vector<std::string>;

TEST(Apply, SampleTreeAndVersions) {
  SiteState s = sample();
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.version, 9);
  const PageState& h = s.pages.at(home());
  EXPECT_EQ(h.version, 7);
  EXPECT_EQ(s.pages.at(about()).version, 1);
  EXPECT_EQ(ids(h.content), (Ids{"sec", "cols", "txt"}));
  EXPECT_EQ(ids(h.content[0].slots.at("children")), (Ids{"h1", "img"}));
  EXPECT_EQ(h.content[1].slots.size(), 2u);
  EXPECT_EQ(ids(h.content[1].slots.at("column1")), (Ids{"btn"}));
  EXPECT_TRUE(h.content[2].slots.empty());
  EXPECT_EQ(h.index.size(), 6u);
  EXPECT_EQ(h.index.at(ComponentId{"btn"}), (ComponentLoc{ComponentId{"cols"}, "column1"}));
  EXPECT_EQ(component_depth(h, ComponentId{"h1"}), 2);
  EXPECT_EQ(s.slugs.at(""), home());
  EXPECT_EQ(s.slugs.at("about"), about());
}

TEST(Apply, MoveIndexIsRelativeToListWithoutTheComponent) {
  SiteState s = sample();
  MoveComponent mv{home(), ComponentId{"sec"}, std::nullopt, std::nullopt, 1};
  run(s, mv);
  EXPECT_EQ(ids(s.pages.at(home()).content), (Ids{"cols", "sec", "txt"}));
}

TEST(Apply, MoveSubtreeKeepsDescendantsIndexed) {
  SiteState s = sample();
  run(s, MoveComponent{home(), ComponentId{"sec"}, ComponentId{"cols"}, "column2", 0});
  const PageState& h = s.pages.at(home());
  EXPECT_EQ(component_depth(h, ComponentId{"img"}), 3);
  ASSERT_NE(find_component(h, ComponentId{"img"}), nullptr);
  PageState rebuilt = h;
  rebuild_index(rebuilt);
  EXPECT_EQ(rebuilt.index, h.index);
}

TEST(Apply, RemoveDropsTheSubtreeFromTheIndex) {
  SiteState s = sample();
  run(s, RemoveComponent{home(), ComponentId{"sec"}});
  const PageState& h = s.pages.at(home());
  EXPECT_EQ(ids(h.content), (Ids{"cols", "txt"}));
  EXPECT_EQ(h.index.size(), 3u);
  EXPECT_FALSE(h.index.contains(ComponentId{"h1"}));
  // The removed ids are free again.
  run(s, add("h1", "Heading", {{"text", "again"}}));
}

TEST(Apply, ColumnsSlotsFollowCount) {
  SiteState s = sample();
  run(s, UpdateComponentProps{home(), ComponentId{"cols"}, {{"count", 4}}});
  const Component* cols = find_component(s.pages.at(home()), ComponentId{"cols"});
  ASSERT_NE(cols, nullptr);
  EXPECT_EQ(cols->slots.size(), 4u);
  EXPECT_TRUE(cols->slots.at("column4").empty());
  run(s, UpdateComponentProps{home(), ComponentId{"cols"}, {{"count", 2}}});
  cols = find_component(s.pages.at(home()), ComponentId{"cols"});
  EXPECT_EQ(cols->slots.size(), 2u);
  EXPECT_EQ(ids(cols->slots.at("column1")), (Ids{"btn"}));
}

TEST(Apply, SlugChangeFreesTheOldSlug) {
  SiteState s = sample();
  run(s, ChangePageSlug{about(), "team"});
  EXPECT_FALSE(s.slugs.contains("about"));
  EXPECT_EQ(s.slugs.at("team"), about());
  run(s, CreatePage{page("p2"), "About", std::nullopt, std::nullopt});
  EXPECT_EQ(s.pages.at(page("p2")).slug, "about");
}

TEST(Apply, PublishMarksTheCurrentVersion) {
  SiteState s = sample();
  run(s, PublishPage{about()});
  const PageState& p = s.pages.at(about());
  EXPECT_EQ(p.status, PageStatus::published);
  EXPECT_EQ(p.publishedVersion, 2);
  EXPECT_EQ(p.version, 2);
  run(s, UpdatePageMetadata{about(), "New", std::nullopt, std::nullopt});
  EXPECT_EQ(s.pages.at(about()).status, PageStatus::published);  // live copy stays published
  EXPECT_EQ(s.pages.at(about()).version, 3);
}

TEST(Apply, EvolveLeavesItsInputAlone) {
  SiteState s = sample();
  SiteState next = evolve(s, PageMetadataUpdated{about(), "X", std::nullopt, std::nullopt});
  EXPECT_EQ(s.pages.at(about()).title, "About");
  EXPECT_EQ(next.pages.at(about()).title, "X");
  EXPECT_EQ(next.version, s.version + 1);
}

TEST(Apply, EventsThatDoNotFitThrow) {
  SiteState s = sample();
  EXPECT_THROW(apply(s, ComponentRemoved{home(), ComponentId{"nope"}}), std::logic_error);
  EXPECT_THROW(apply(s, PagePublished{page("nope"), 1}), std::logic_error);
  EXPECT_THROW(apply(s, PageCreated{page("p9"), "X", "about", ""}), std::logic_error);
  EXPECT_THROW(apply(s, SiteCreated{site(), kTenant, "A", "acme"}), std::logic_error);
  ComponentMoved into_own_child{home(), ComponentId{"sec"}, ComponentId{"h1"}, "children", 0};
  EXPECT_THROW(apply(s, into_own_child), std::logic_error);
}

TEST(Apply, AggregateVersions) {
  SiteState s = sample();
  EXPECT_EQ(aggregate_version(s, AggregateRef{"site", site().value}), 9);
  EXPECT_EQ(aggregate_version(s, AggregateRef{"page", home().value}), 7);
  EXPECT_EQ(aggregate_version(s, AggregateRef{"page", page("nope").value}), 0);
}

}  // namespace
}  // namespace pw::domain::test
