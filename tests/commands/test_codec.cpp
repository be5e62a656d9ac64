// JSON codecs: every command, event and snapshot round-trips; decoding is strict.
#include <gmock/gmock.h>

#include <set>

#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

std::vector<Command> all_commands() {
  return {
      CreateSite{site(), "Acme", "acme"},
      UpdateSiteSettings{},
      UpdateSiteSettings{"Acme 2", SiteSeoPatch{"%s | Acme", "desc", "/og.png"},
                         json{{"theme", {{"dark", true}}}, {"drop", nullptr}}},
      UpdateSiteSettings{std::nullopt, SiteSeoPatch{}, std::nullopt},
      CreatePage{home(), "Home", std::nullopt, std::nullopt},
      CreatePage{about(), "About", std::string(""), std::string("d")},
      UpdatePageMetadata{about(), "T", "D",
                         PageSeoPatch{true, "https://acme.test/about", "/og.png"}},
      UpdatePageMetadata{about(), std::nullopt, std::nullopt,
                         PageSeoPatch{false, std::nullopt, std::nullopt}},
      ChangePageSlug{about(), "company/about"},
      add("h1", "Heading", {{"text", "Hi"}, {"level", 2}}, "sec", "children", 0),
      AddComponent{home(), ComponentId{"sp"}, "Spacer", std::nullopt, std::nullopt, std::nullopt,
                   std::nullopt},
      UpdateComponentProps{home(), ComponentId{"h1"}, {{"level", nullptr}, {"text", "x"}}},
      MoveComponent{home(), ComponentId{"h1"}, ComponentId{"cols"}, "column2", 1},
      MoveComponent{home(), ComponentId{"h1"}, std::nullopt, std::nullopt, 0},
      RemoveComponent{home(), ComponentId{"h1"}},
      PublishPage{about()},
      RequestDeployment{make_deployment_id(site(), "d1"), "staging", "blue-green"},
      StartDeployment{make_deployment_id(site(), "d1"), "builder-1"},
      CompleteDeployment{DeploymentSucceeded{make_deployment_id(site(), "d1"), std::string(64, 'f'),
                                             "/sites/acme/", DeploymentReport{3, 4, 9, 1234, 5, 6, 7, 20},
                                             {"rendered 3"}}},
      FailDeployment{DeploymentFailed{make_deployment_id(site(), "d1"), "disk full", {}}},
      RollbackDeployment{make_deployment_id(site(), "d0")},
      DeletePage{about()},
      RestorePage{about()},
      RestorePage{about(), "about-old"},
      UnpublishPage{about()},
      DuplicatePage{page("d1"), about()},
      DuplicatePage{page("d1"), about(), "Team", "team"},
      SaveTemplate{make_template_id(site(), "t1"), home(), "Landing", "A start"},
      DeleteTemplate{make_template_id(site(), "t1")},
      UpdateDesignTokens{{{"theme", "dark"}, {"colors", {{"primary", "#000"}}}}},
      [] {
        CreatePage c{page("p9"), "From template", std::nullopt, std::nullopt};
        c.content = json::array({{{"id", "h"}, {"type", "Heading"}, {"props", {{"text", "x"}}},
                                  {"slots", json::object()}}});
        c.templateId = "landing";
        return c;
      }(),
      LabelVersion{home(), 3, "launch"},
      RestorePageVersion{home(), 2, "T", "s", "d", PageSeo{true, "/c", ""},
                         json::parse(R"([{"id":"a","type":"Spacer","props":{},"slots":{}}])")},
      RequestPreview{make_preview_id(site(), "p1"), std::vector<PageId>{home(), about()}, 3600},
      RequestPreview{make_preview_id(site(), "p2"), std::nullopt, std::nullopt},
      CompletePreview{PreviewReady{make_preview_id(site(), "p1"), std::string(64, 'e')}},
      FailPreview{PreviewFailed{make_preview_id(site(), "p1"), "render failed", {"page p: boom"}}},
      UploadAsset{AssetUploaded{make_asset_id(site(), std::string(64, 'a')), std::string(64, 'a'), "image/png", 10,
                                 2000, 1000, "a.png", {{480, 240, std::string(64, 'b'), 5}}}},
      DeleteAsset{make_asset_id(site(), std::string(64, 'a'))},
      ReplacePageContent{home(), json{{"root", {{"props", {{"title", "T"}}}}},
                                      {"content", json::array({{{"type", "Spacer"}, {"props", {{"id", "s"}}}}})},
                                      {"zones", json::object()}}},
  };
}

std::vector<DomainEvent> all_events() {
  ComponentAdded top;
  top.pageId = home();
  top.componentId = ComponentId{"sp"};
  top.type = "Spacer";
  ComponentAdded nested = top;
  nested.parentId = ComponentId{"sec"};
  nested.slot = "children";
  nested.index = 3;
  nested.props = {{"size", "large"}};
  return {
      SiteCreated{site(), kTenant, "Acme", "acme"},
      SiteSettingsUpdated{site(), std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      SiteSettingsUpdated{site(), "A", SiteSeo{"t", "d", "/o.png"}, json{{"k", {1, 2.5, "x"}}},
                          std::nullopt},  // version 1
      SiteSettingsUpdated{site(), std::nullopt, std::nullopt, std::nullopt,
                          json{{"k", nullptr}, {"n", {{"x", 1}}}}},
      PageCreated{home(), "Home", "", ""},
      PageMetadataUpdated{about(), "T", "D", PageSeo{true, "/c", "/o"}},
      PageMetadataUpdated{about(), std::nullopt, std::nullopt, std::nullopt},
      PageSlugChanged{about(), "team", "about"},
      top,
      nested,
      ComponentPropsUpdated{home(), ComponentId{"h1"}, {{"level", nullptr}}, {{"text", "x"}}},
      ComponentMoved{home(), ComponentId{"h1"}, ComponentId{"cols"}, "column1", 2},
      ComponentMoved{home(), ComponentId{"h1"}, std::nullopt, "", 0},
      ComponentMoved{home(), ComponentId{"h1"}, std::nullopt, "", 1, ComponentPosition{ComponentId{"sec"}, "children", 0}},
      ComponentRemoved{home(), ComponentId{"h1"}},
      PagePublished{about(), 4},
      DeploymentRequested{make_deployment_id(site(), "d1"), "production", "all-at-once"},
      DeploymentStarted{make_deployment_id(site(), "d1"), "builder-1"},
      DeploymentSucceeded{make_deployment_id(site(), "d1"), std::string(64, 'f'), "/sites/acme/",
                          DeploymentReport{3, 4, 9, 1234, 5, 6, 7, 20}, {"a", "b"}},
      DeploymentFailed{make_deployment_id(site(), "d1"), "render failed", {"page p: boom"}},
      DeploymentRolledBack{make_deployment_id(site(), "d0"), "production", make_deployment_id(site(), "d1")},
      DeploymentsPruned{site(), {make_deployment_id(site(), "d0")}},
      PageDeleted{about()},
      PageRestored{about(), "about"},
      PageUnpublished{about()},
      PageDuplicated{page("d1"), about(), "About (copy)", "about-copy", "d", PageSeo{true, "/c", ""},
                     json::array({{{"id", "c1"}, {"type", "Spacer"}, {"props", json::object()},
                                   {"slots", json::object()}}})},
      TemplateSaved{make_template_id(site(), "t1"), home(), "Landing", "", json::array()},
      TemplateDeleted{make_template_id(site(), "t1")},
      DesignTokensUpdated{site(), {{"colors", {{"primary", "#000"}}}}},
      [] {
        PageCreated e{page("p9"), "From template", "from-template", ""};
        e.content = json::array({{{"id", "h"}, {"type", "Heading"}, {"props", {{"text", "x"}}},
                                  {"slots", json::object()}}});
        e.templateId = "landing";
        return e;
      }(),
      PageVersionLabelled{home(), 3, "launch"},
      PageVersionRestored{home(), 2, "T", "s", "old", "d", PageSeo{true, "/c", ""},
                          json::parse(R"([{"id":"a","type":"Spacer","props":{},"slots":{}}])")},
      PreviewRequested{make_preview_id(site(), "p1"), std::vector<PageId>{about()}, "2026-11-23T10:00:00.000000Z"},
      PreviewRequested{make_preview_id(site(), "p2"), std::nullopt, "2026-11-23T10:00:00.000000Z"},
      PreviewReady{make_preview_id(site(), "p1"), std::string(64, 'e')},
      PreviewFailed{make_preview_id(site(), "p1"), "expired", {}},
      AssetUploaded{make_asset_id(site(), std::string(64, 'a')), std::string(64, 'a'), "image/webp", 10, 300, 200,
                    "", {}},
      AssetDeleted{make_asset_id(site(), std::string(64, 'a'))},
  };
}

TEST(CommandCodec, EveryCommandRoundTrips) {
  std::set<std::string> types;
  for (const auto& c : all_commands()) {
    std::string text = command_to_json(c).dump();
    auto back = command_from_json(command_type(c), json::parse(text));
    ASSERT_TRUE(back.ok()) << command_type(c) << ": " << back.error().message;
    EXPECT_EQ(*back, c) << text;
    types.insert(std::string(command_type(c)));
  }
  EXPECT_EQ(types.size(), std::variant_size_v<Command>);
}

Error decode_error(std::string_view type, const json& body) {
  auto r = command_from_json(type, body);
  EXPECT_FALSE(r.ok()) << body.dump();
  return r.ok() ? Error{} : r.error();
}

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;

auto detail(std::string field, std::string message) {
  return AllOf(Field(&ErrorDetail::field, field), Field(&ErrorDetail::message, message));
}

TEST(CommandCodec, IsStrict) {
  const std::string pid = home().value;
  auto e = decode_error("CreatePage", {{"pageId", pid}, {"title", "x"}, {"bogus", 1}});
  EXPECT_EQ(e.code, Errc::validation_error);
  EXPECT_THAT(e.details, Contains(detail("bogus", "unknown field")));

  e = decode_error("CreatePage", {{"pageId", pid}, {"title", 5}});
  EXPECT_THAT(e.details, Contains(detail("title", "must be a string")));

  e = decode_error("CreatePage", {{"pageId", pid}});
  EXPECT_THAT(e.details, Contains(detail("title", "is required")));

  e = decode_error("CreatePage", {{"pageId", pid}, {"title", nullptr}});
  EXPECT_THAT(e.details, Contains(detail("title", "is required")));

  e = decode_error("UpdatePageMetadata",
                   {{"pageId", pid}, {"seo", {{"noIndex", "yes"}, {"x", 1}}}});
  EXPECT_THAT(e.details, Contains(detail("seo.noIndex", "must be a boolean")));
  EXPECT_THAT(e.details, Contains(detail("seo.x", "unknown field")));

  e = decode_error("UpdateSiteSettings", {{"seo", "x"}, {"settings", 1}});
  EXPECT_THAT(e.details, Contains(detail("seo", "must be an object")));
  EXPECT_THAT(e.details, Contains(detail("settings", "must be an object")));

  e = decode_error("MoveComponent", {{"pageId", pid}, {"componentId", "a"}, {"index", 1.5}});
  EXPECT_THAT(e.details, Contains(detail("index", "must be an integer")));
  e = decode_error("MoveComponent", {{"pageId", pid}, {"componentId", "a"}, {"index", "1"}});
  EXPECT_THAT(e.details, Contains(detail("index", "must be an integer")));

  e = decode_error(
      "AddComponent",
      {{"pageId", pid}, {"componentId", "a"}, {"type", "Text"}, {"props", json::array()}});
  EXPECT_THAT(e.details, Contains(detail("props", "must be an object")));

  e = decode_error("UpdateComponentProps", {{"pageId", pid}, {"componentId", "a"}, {"patch", 1}});
  EXPECT_THAT(e.details, Contains(detail("patch", "must be an object")));

  e = decode_error("PublishPage", json::array());
  EXPECT_THAT(e.details, Contains(detail("", "must be an object")));

  e = decode_error("DeleteEverything", json::object());
  EXPECT_THAT(e.details, Contains(Field(&ErrorDetail::field, "type")));
}

TEST(CommandCodec, ReportsEveryProblem) {
  auto e = decode_error("CreateSite", {{"siteId", 1}, {"name", true}});
  EXPECT_EQ(e.details.size(), 3u);
}

TEST(CommandCodec, NullMeansAbsent) {
  auto r = command_from_json(
      "CreatePage",
      {{"pageId", home().value}, {"title", "x"}, {"slug", nullptr}, {"description", nullptr}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<CreatePage>(*r), (CreatePage{home(), "x", std::nullopt, std::nullopt}));
}

TEST(CommandCodec, MetaRoundTrips) {
  for (auto expected : {std::optional<int64_t>{}, std::optional<int64_t>{42}}) {
    CommandMeta m = meta(expected);
    auto back = command_meta_from_json(json::parse(command_meta_to_json(m).dump()));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, m);
  }
  EXPECT_FALSE(command_meta_from_json(json{{"commandId", "x"}}).ok());
}

TEST(CommandCodec, AggregateOfCommand) {
  EXPECT_EQ(aggregate_of(meta(), Command{PublishPage{about()}}),
            (AggregateRef{"page", about().value}));
  EXPECT_EQ(aggregate_of(meta(), Command{UpdateSiteSettings{}}),
            (AggregateRef{"site", site().value}));
}

TEST(EventCodec, EveryEventRoundTrips) {
  std::set<std::string> types;
  for (const auto& e : all_events()) {
    std::string text = event_data(e).dump();
    auto back = event_from_json(event_type(e), event_schema_version(e), json::parse(text));
    ASSERT_TRUE(back.ok()) << event_type(e) << ": " << back.error().message;
    EXPECT_EQ(*back, e) << text;
    types.insert(std::string(event_type(e)));
  }
  EXPECT_EQ(types.size(), std::variant_size_v<DomainEvent>);
}

TEST(EventCodec, TypesAndAggregates) {
  EXPECT_EQ(event_type(PageCreated{}), "PageCreated");
  EXPECT_EQ(event_type(ComponentPropsUpdated{}), "ComponentPropsUpdated");
  EXPECT_EQ(aggregate_of(SiteCreated{site(), kTenant, "A", "a"}),
            (AggregateRef{"site", site().value}));
  EXPECT_EQ(aggregate_of(SiteSettingsUpdated{site(), "x", std::nullopt, std::nullopt, std::nullopt}),
            (AggregateRef{"site", site().value}));
  EXPECT_EQ(aggregate_of(ComponentRemoved{home(), ComponentId{"x"}}),
            (AggregateRef{"page", home().value}));
}

TEST(EventCodec, IsStrict) {
  json data = event_data(PagePublished{about(), 2});
  data["extra"] = 1;
  auto r = event_from_json("PagePublished", 1, data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "extra");

  r = event_from_json("PagePublished", 1, json{{"pageId", about().value}, {"version", "2"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "version");

  json added = event_data(ComponentAdded{home(), ComponentId{"a"}, "Spacer", json::object(),
                                         ComponentId{"sec"}, "children", 0});
  added.erase("slot");
  r = event_from_json("ComponentAdded", 1, added);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "slot");

  r = event_from_json("PageExploded", 1, json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details[0].field, "type");
}

TEST(EventCodec, OnlyKnownSchemaVersions) {
  json data = event_data(PagePublished{about(), 2});
  EXPECT_FALSE(event_from_json("PagePublished", 0, data).ok());
  EXPECT_FALSE(event_from_json("PagePublished", kEventSchemaVersion + 1, data).ok());
  EXPECT_TRUE(event_from_json("PagePublished", kEventSchemaVersion, data).ok());
}

TEST(Snapshot, RoundTripsExactly) {
  SiteState s = sample();
  run(s, UpdateSiteSettings{"A", SiteSeoPatch{"t", "d", "/o"},
                            json{{"nav", {{"items", {1, 2, 3}}}}, {"ratio", 0.75}}});
  run(s, PublishPage{about()});
  run(s, UpdatePageMetadata{about(), std::nullopt, std::nullopt, PageSeoPatch{true, "/c", "/o"}});
  for (const SiteState& st : {SiteState{}, acme(), s, deep(32)}) {
    std::string text = site_state_to_json(st).dump();
    auto back = site_state_from_json(json::parse(text));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, st);
    EXPECT_EQ(site_state_to_json(*back).dump(), text);
  }
  const PageState& h = s.pages.at(home());
  auto page_back = page_state_from_json(json::parse(page_state_to_json(h).dump()));
  ASSERT_TRUE(page_back.ok());
  EXPECT_EQ(*page_back, h);
}

TEST(Snapshot, RejectsInconsistentState) {
  json j = site_state_to_json(sample());
  json& content = j["pages"][0]["content"];
  content.push_back(content[0]);  // the same ids twice
  auto r = site_state_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::validation_error);

  j = site_state_to_json(sample());
  j["pages"][1]["slug"] = j["pages"][0]["slug"];
  EXPECT_FALSE(site_state_from_json(j).ok());

  j = site_state_to_json(sample());
  j["pages"][0]["status"] = "archived";
  EXPECT_FALSE(site_state_from_json(j).ok());

  j = site_state_to_json(sample());
  j["bogus"] = true;
  EXPECT_FALSE(site_state_from_json(j).ok());
}

}  // namespace
}  // namespace pw::domain::test
