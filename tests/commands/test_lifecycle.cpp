// Page lifecycle, templates and design tokens: one row per decider rule, then
// the rules a row cannot show (fresh ids, one detail per token, versions).
#include <gmock/gmock.h>

#include <functional>
#include <ostream>
#include <set>

#include "commands/components.hpp"
#include "commands/content.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

const SiteId& other_site() {
  static const SiteId id = site_id_for_subdomain("other");
  return id;
}

TemplateId tpl(std::string_view suffix) { return make_template_id(site(), suffix); }

SiteState about_deleted() { return with(sample(), {DeletePage{about()}}); }
SiteState about_published() { return with(sample(), {PublishPage{about()}}); }
// about deleted, and another page took its slug meanwhile.
SiteState about_slug_taken() {
  return with(about_deleted(), {CreatePage{page("p1"), "New about", std::string("about"), std::nullopt}});
}
SiteState about_copied() {
  return with(sample(), {DuplicatePage{page("d1"), about()}});
}
SiteState with_template() {
  return with(sample(), {SaveTemplate{tpl("t1"), home(), "Landing", std::nullopt}});
}
SiteState template_deleted() { return with(with_template(), {DeleteTemplate{tpl("t1")}}); }

UpdateSiteSettings settings_patch(json patch) {
  UpdateSiteSettings u;
  u.settings = std::move(patch);
  return u;
}

json heading(std::string id, json props) {
  return json{{"id", std::move(id)}, {"type", "Heading"}, {"props", std::move(props)}, {"slots", json::object()}};
}
json section(std::string id, json children, std::string slot = "children") {
  return json{{"id", std::move(id)}, {"type", "Section"}, {"props", json::object()},
              {"slots", {{std::move(slot), std::move(children)}}}};
}
CreatePage from_template(json content) {
  CreatePage c{page("p1"), "From a template", std::string("start"), std::nullopt};
  c.content = std::move(content);
  c.templateId = "landing";
  return c;
}
PageCreated created_from_template(json content) {
  PageCreated e{page("p1"), "From a template", "start", ""};
  e.content = std::move(content);
  e.templateId = "landing";
  return e;
}

UpdateDesignTokens tokens(json t) { return UpdateDesignTokens{std::move(t)}; }

const json kTokens = {{"theme", "dark"},
                      {"colors", {{"primary", "#0f766e"}, {"brand-2", "#abc"}}},
                      {"typography", {{"body", "Inter, sans-serif"}, {"scale", "1.25"}}},
                      {"spacing", {{"md", "1rem"}}},
                      {"radii", {{"button", "999px"}}}};

std::vector<Rule> rules() {
  using E = Errc;
  return {
      // --- DeletePage ---------------------------------------------------------------------
      ok("delete_page", sample, DeletePage{about()}, {PageDeleted{about()}}),
      ok("delete_published_page", about_published, DeletePage{about()}, {PageDeleted{about()}}),
      no("delete_deleted_page", about_deleted, DeletePage{about()}, E::unprocessable, "pageId"),
      no("delete_missing_page", sample, DeletePage{page("nope")}, E::not_found, "pageId"),
      no("delete_page_of_other_tenant", sample, DeletePage{about()}, E::not_found, "siteId",
         other_tenant()),
      no("delete_page_id_of_other_site", sample, DeletePage{make_page_id(other_site(), "x")},
         E::validation_error, "pageId"),
      no("delete_if_match_mismatch", sample, DeletePage{about()}, E::version_conflict, "version",
         meta(7)),
      ok("delete_if_match", sample, DeletePage{about()}, {PageDeleted{about()}}, meta(1)),
      ok("deleted_page_frees_its_slug", about_deleted,
         CreatePage{page("p1"), "X", std::string("about"), std::nullopt},
         {PageCreated{page("p1"), "X", "about", ""}}),

      // --- a deleted page takes no edits (422 naming the page) ----------------------------
      no("retitle_deleted", about_deleted, UpdatePageMetadata{about(), "X", std::nullopt, std::nullopt},
         E::unprocessable, "pageId"),
      no("change_slug_of_deleted", about_deleted, ChangePageSlug{about(), "x"}, E::unprocessable,
         "pageId"),
      no("add_to_deleted", about_deleted,
         add("x", "Spacer", json::object(), std::nullopt, std::nullopt, std::nullopt, about()),
         E::unprocessable, "pageId"),
      no("patch_on_deleted", [] { return with(sample(), {DeletePage{home()}}); },
         UpdateComponentProps{home(), ComponentId{"h1"}, {{"level", 1}}}, E::unprocessable, "pageId"),
      no("move_on_deleted", [] { return with(sample(), {DeletePage{home()}}); },
         MoveComponent{home(), ComponentId{"txt"}, std::nullopt, std::nullopt, 0}, E::unprocessable,
         "pageId"),
      no("remove_on_deleted", [] { return with(sample(), {DeletePage{home()}}); },
         RemoveComponent{home(), ComponentId{"txt"}}, E::unprocessable, "pageId"),
      no("publish_deleted", about_deleted, PublishPage{about()}, E::unprocessable, "pageId"),
      no("unpublish_deleted", about_deleted, UnpublishPage{about()}, E::unprocessable, "pageId"),

      // --- RestorePage --------------------------------------------------------------------
      ok("restore_at_old_slug", about_deleted, RestorePage{about()}, {PageRestored{about(), "about"}}),
      ok("restore_published_then_deleted_as_draft",
         [] { return with(about_published(), {DeletePage{about()}}); }, RestorePage{about()},
         {PageRestored{about(), "about"}}),
      no("restore_not_deleted", sample, RestorePage{about()}, E::unprocessable, "pageId"),
      no("restore_slug_taken_meanwhile", about_slug_taken, RestorePage{about()}, E::slug_taken,
         "slug"),
      ok("restore_with_new_slug", about_slug_taken, RestorePage{about(), "about-old"},
         {PageRestored{about(), "about-old"}}),
      no("restore_with_new_slug_taken", about_slug_taken, RestorePage{about(), ""}, E::slug_taken,
         "slug"),
      no("restore_with_invalid_slug", about_deleted, RestorePage{about(), "Not A Slug"},
         E::validation_error, "slug"),
      no("restore_missing", sample, RestorePage{page("nope")}, E::not_found, "pageId"),
      no("restore_other_tenant", about_deleted, RestorePage{about()}, E::not_found, "siteId",
         other_tenant()),
      no("restore_if_match_mismatch", about_deleted, RestorePage{about()}, E::version_conflict,
         "version", meta(1)),
      ok("restore_if_match", about_deleted, RestorePage{about()}, {PageRestored{about(), "about"}},
         meta(2)),

      // --- UnpublishPage ------------------------------------------------------------------
      ok("unpublish", about_published, UnpublishPage{about()}, {PageUnpublished{about()}}),
      no("unpublish_draft", sample, UnpublishPage{about()}, E::unprocessable, "pageId"),
      no("unpublish_twice", [] { return with(about_published(), {UnpublishPage{about()}}); },
         UnpublishPage{about()}, E::unprocessable, "pageId"),
      no("unpublish_missing", sample, UnpublishPage{page("nope")}, E::not_found, "pageId"),
      ok("republish_after_unpublish", [] { return with(about_published(), {UnpublishPage{about()}}); },
         PublishPage{about()}, {PagePublished{about(), 4}}),

      // --- DuplicatePage ------------------------------------------------------------------
      ok("duplicate_gets_copy_slug_and_title", sample, DuplicatePage{page("d1"), about()},
         {PageDuplicated{page("d1"), about(), "About (copy)", "about-copy", "Who we are", PageSeo{},
                         json::array()}}),
      ok("duplicate_again_counts_up", about_copied, DuplicatePage{page("d2"), about()},
         {PageDuplicated{page("d2"), about(), "About (copy)", "about-copy-2", "Who we are",
                         PageSeo{}, json::array()}}),
      ok("duplicate_with_title_and_slug", sample, DuplicatePage{page("d1"), about(), "Team", "team"},
         {PageDuplicated{page("d1"), about(), "Team", "team", "Who we are", PageSeo{}, json::array()}}),
      no("duplicate_slug_taken", sample, DuplicatePage{page("d1"), about(), std::nullopt, "about"},
         E::slug_taken, "slug"),
      no("duplicate_slug_invalid", sample, DuplicatePage{page("d1"), about(), std::nullopt, "A B"},
         E::validation_error, "slug"),
      no("duplicate_title_empty", sample, DuplicatePage{page("d1"), about(), "", std::nullopt},
         E::validation_error, "title"),
      no("duplicate_source_missing", sample, DuplicatePage{page("d1"), page("nope")}, E::not_found,
         "sourcePageId"),
      no("duplicate_source_deleted", about_deleted, DuplicatePage{page("d1"), about()},
         E::unprocessable, "sourcePageId"),
      no("duplicate_source_of_other_site", sample,
         DuplicatePage{page("d1"), make_page_id(other_site(), "x")}, E::validation_error,
         "sourcePageId"),
      no("duplicate_new_id_exists", sample, DuplicatePage{home(), about()}, E::duplicate, "pageId"),
      no("duplicate_other_tenant", sample, DuplicatePage{page("d1"), about()}, E::not_found,
         "siteId", other_tenant()),
      no("duplicate_if_match_is_new_page", sample, DuplicatePage{page("d1"), about()},
         E::version_conflict, "version", meta(1)),

      // --- CreatePage with a template's content -------------------------------------------
      ok("create_from_template", acme,
         from_template(json::array({section("s", json::array({heading("h", {{"text", "Hi"}})}))})),
         {created_from_template(
             json::array({section("s", json::array({heading("h", {{"text", "Hi"}})}))}))}),
      ok("create_from_template_adds_missing_slots", acme,
         from_template(json::array({json{{"id", "s"}, {"type", "Section"}, {"props", json::object()},
                                         {"slots", json::object()}}})),
         {created_from_template(json::array({section("s", json::array())}))}),
      no("template_unknown_type", acme,
         from_template(json::array({json{{"id", "x"}, {"type", "Marquee"}, {"props", json::object()},
                                         {"slots", json::object()}}})),
         E::unprocessable, "content[0].type"),
      no("template_invalid_props", acme,
         from_template(json::array({section("s", json::array({heading("h", json::object())}))})),
         E::unprocessable, "content[0].slots.children[0].props.text"),
      no("template_unknown_slot", acme,
         from_template(json::array({section("s", json::array(), "sidebar")})), E::unprocessable,
         "content[0].slots.sidebar"),
      no("template_duplicate_ids", acme,
         from_template(json::array({heading("h", {{"text", "a"}}), heading("h", {{"text", "b"}})})),
         E::unprocessable, "content[1].id"),
      no("template_bad_id", acme, from_template(json::array({heading("a b", {{"text", "a"}})})),
         E::unprocessable, "content[0].id"),
      no("template_not_components", acme, from_template(json::array({42})), E::unprocessable,
         "content[0]"),
      no("template_unsafe_url", acme,
         from_template(json::array({json{{"id", "b"}, {"type", "Button"},
                                         {"props", {{"label", "x"}, {"href", "javascript:x"}}},
                                         {"slots", json::object()}}})),
         E::unprocessable, "content[0].props.href"),

      // --- SaveTemplate / DeleteTemplate --------------------------------------------------
      ok("save_template", sample, SaveTemplate{tpl("t1"), about(), "About page", "Who we are"},
         {TemplateSaved{tpl("t1"), about(), "About page", "Who we are", json::array()}}),
      no("save_template_name_empty", sample, SaveTemplate{tpl("t1"), about(), "", std::nullopt},
         E::validation_error, "name"),
      no("save_template_id_of_other_site", sample,
         SaveTemplate{make_template_id(other_site(), "t1"), about(), "X", std::nullopt},
         E::validation_error, "templateId"),
      no("save_template_id_malformed", sample, SaveTemplate{TemplateId{"landing"}, about(), "X", std::nullopt},
         E::validation_error, "templateId"),
      no("save_template_exists", with_template, SaveTemplate{tpl("t1"), about(), "X", std::nullopt},
         E::duplicate, "templateId"),
      no("save_template_page_missing", sample, SaveTemplate{tpl("t1"), page("nope"), "X", std::nullopt},
         E::not_found, "pageId"),
      no("save_template_page_deleted", about_deleted, SaveTemplate{tpl("t1"), about(), "X", std::nullopt},
         E::unprocessable, "pageId"),
      no("save_template_other_tenant", sample, SaveTemplate{tpl("t1"), about(), "X", std::nullopt},
         E::not_found, "siteId", other_tenant()),
      ok("delete_template", with_template, DeleteTemplate{tpl("t1")}, {TemplateDeleted{tpl("t1")}}),
      no("delete_template_missing", sample, DeleteTemplate{tpl("t1")}, E::not_found, "templateId"),
      no("delete_template_twice", template_deleted, DeleteTemplate{tpl("t1")}, E::not_found,
         "templateId"),
      no("delete_built_in_template_id", sample, DeleteTemplate{TemplateId{"landing"}},
         E::validation_error, "templateId"),
      no("delete_template_other_tenant", with_template, DeleteTemplate{tpl("t1")}, E::not_found,
         "siteId", other_tenant()),

      // --- UpdateDesignTokens ---------------------------------------------------------------
      ok("set_tokens", acme, tokens(kTokens), {DesignTokensUpdated{site(), kTokens}}),
      ok("same_tokens_is_noop", [] { return with(acme(), {tokens(kTokens)}); }, tokens(kTokens), {}),
      ok("empty_tokens_clear_the_set", [] { return with(acme(), {tokens(kTokens)}); },
         tokens(json::object()), {DesignTokensUpdated{site(), json::object()}}),
      no("token_colour_not_hex", acme, tokens({{"colors", {{"primary", "red"}}}}), E::unprocessable,
         "colors.primary"),
      no("token_unknown_theme", acme, tokens({{"theme", "neon"}}), E::unprocessable, "theme"),
      no("token_unknown_group", acme, tokens({{"shadows", json::object()}}), E::unprocessable,
         "shadows"),
      no("token_css_injection", acme,
         tokens({{"colors", {{"primary", "#000;} body{background:url(javascript:x)"}}}}),
         E::unprocessable, "colors.primary"),
      no("tokens_not_object", acme, tokens(json::array()), E::validation_error, "tokens"),
      no("tokens_other_tenant", acme, tokens(kTokens), E::not_found, "siteId", other_tenant()),
      no("tokens_if_match_mismatch", acme, tokens(kTokens), E::version_conflict, "version", meta(5)),
      no("design_tokens_in_settings", acme,
         settings_patch({{"designTokens", {{"colors", {{"primary", "red"}}}}}}), E::unprocessable,
         "settings.designTokens"),
      ok("design_tokens_removed_from_settings", acme, settings_patch({{"designTokens", nullptr}}), {}),
  };
}

class LifecycleRule : public ::testing::TestWithParam<Rule> {};

TEST_P(LifecycleRule, Decides) { expect_decides(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Lifecycle, LifecycleRule, ::testing::ValuesIn(rules()),
                         [](const auto& info) { return info.param.name; });

std::vector<std::string> fields_of(const Error& e) {
  std::vector<std::string> out;
  for (const auto& d : e.details) out.push_back(d.field);
  return out;
}

TEST(Lifecycle, DeletedPageDetailsSayItIsDeleted) {
  auto r = decide(loaded_schemas(), about_deleted(), meta(), UpdatePageMetadata{about(), "X", std::nullopt, std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unprocessable);
  EXPECT_THAT(r.error().details[0].message, ::testing::HasSubstr("deleted"));
}

TEST(Lifecycle, DeleteRestoreFoldsStatusAndSlugs) {
  SiteState s = about_published();
  run(s, DeletePage{about()});
  const PageState& p = s.pages.at(about());
  EXPECT_EQ(p.status, PageStatus::deleted);
  EXPECT_EQ(p.publishedVersion, 0);
  EXPECT_FALSE(s.slugs.contains("about"));
  run(s, RestorePage{about()});
  EXPECT_EQ(s.pages.at(about()).status, PageStatus::draft);
  EXPECT_EQ(s.slugs.at("about"), about());
  // Back to taking edits.
  run(s, UpdatePageMetadata{about(), "Again", std::nullopt, std::nullopt});
  EXPECT_EQ(s.pages.at(about()).title, "Again");
}

TEST(Lifecycle, DuplicateCopiesContentUnderFreshDeterministicIds) {
  const SiteState s = sample();
  const DuplicatePage cmd{page("d1"), home()};
  auto first = decide(loaded_schemas(), s, meta(), cmd);
  auto again = decide(loaded_schemas(), s, meta(), cmd);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);  // a repeated command copies to the same ids

  SiteState after = s;
  for (const auto& e : *first) apply(after, e);
  const PageState& src = s.pages.at(home());
  const PageState& copy = after.pages.at(page("d1"));
  EXPECT_EQ(copy.slug, "copy");  // the home page's copy
  EXPECT_EQ(copy.title, "Home (copy)");
  EXPECT_EQ(copy.status, PageStatus::draft);
  EXPECT_EQ(copy.version, 1);
  ASSERT_EQ(copy.index.size(), src.index.size());
  for (const auto& [id, loc] : copy.index) EXPECT_FALSE(src.index.contains(id)) << id.value;
  // Same tree once the ids are mapped the way the decider maps them.
  EXPECT_EQ(copy.content, with_fresh_ids(src.content, page("d1").value));
  // A copy made by another command (another new page id) gets other ids.
  auto other = decide(loaded_schemas(), s, meta(), DuplicatePage{page("d2"), home()});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(std::get<PageDuplicated>((*other)[0]).content, std::get<PageDuplicated>((*first)[0]).content);
}

TEST(Lifecycle, CopySlugFitsTheLimit) {
  const std::string long_slug(200, 'a');
  SiteState s = with(acme(), {CreatePage{page("p1"), "Long", long_slug, std::nullopt}});
  run(s, DuplicatePage{page("d1"), page("p1")});
  const std::string& slug = s.pages.at(page("d1")).slug;
  EXPECT_EQ(slug.size(), 200u);
  EXPECT_TRUE(slug.ends_with("-copy"));
}

TEST(Lifecycle, TemplateKeepsThePagesContentAndOutlivesIt) {
  SiteState s = with_template();
  const TemplateState* t = find_template(s, tpl("t1"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->content, content_to_json(s.pages.at(home()).content));
  EXPECT_EQ(t->version, 1);
  run(s, DeletePage{home()});
  EXPECT_FALSE(find_template(s, tpl("t1"))->deleted);
  run(s, DeleteTemplate{tpl("t1")});
  EXPECT_TRUE(find_template(s, tpl("t1"))->deleted);
  EXPECT_EQ(aggregate_version(s, AggregateRef{"template", tpl("t1").value}), 2);
}

TEST(Lifecycle, InvalidTokensGetOneDetailPerField) {
  json bad = {{"theme", "neon"},
              {"colors", {{"primary", "red"}, {"accent", "#12345"}, {"ok", "#fff"}, {"Bad_Name", "#000"}}},
              {"typography", {{"scale", "3"}, {"line-height", 2}, {"weight", "400"}}},
              {"spacing", {{"md", "10 px"}, {"lg", std::string(65536, '1')}}},
              {"radii", {{std::string(65536, 'a'), "4px"}}},
              {"shadows", json::object()}};
  auto r = decide(loaded_schemas(), acme(), meta(), tokens(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unprocessable);
  const auto fields = fields_of(r.error());
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "theme", "colors.primary", "colors.accent", "colors.Bad_Name",
                          "typography.scale", "typography.line-height", "typography.weight",
                          "spacing.md", "spacing.lg", "radii." + std::string(48, 'a') + "…",
                          "shadows"));
  for (const auto& d : r.error().details) {
    if (d.field == "colors.primary") {
      EXPECT_THAT(d.message, ::testing::HasSubstr("hex colour"));
    } else if (d.field == "colors.Bad_Name") {
      EXPECT_THAT(d.message, ::testing::HasSubstr("unknown token name"));
    } else if (d.field == "spacing.md") {
      EXPECT_THAT(d.message, ::testing::HasSubstr("length"));
    }
  }
}

TEST(Lifecycle, LongTokenValuesAreRefusedWithoutARegexRun) {
  // 1 MiB in one value: refused by its maxLength before any pattern sees it.
  auto r = decide(loaded_schemas(), acme(), meta(), tokens({{"typography", {{"body", std::string(1 << 20, 'a')}}}}));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().details.size(), 1u);
  EXPECT_EQ(r.error().details[0].field, "typography.body");
  EXPECT_THAT(r.error().details[0].message, ::testing::HasSubstr("at most 200"));
}

TEST(Lifecycle, ContentOverTheComponentLimitIsRefused) {
  json many = json::array();
  for (size_t i = 0; i <= kMaxComponentsPerPage; ++i)
    many.push_back(json{{"id", "s" + std::to_string(i)}, {"type", "Spacer"}, {"props", json::object()},
                        {"slots", json::object()}});
  auto r = decide(loaded_schemas(), acme(), meta(), from_template(many));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unprocessable);
  EXPECT_EQ(fields_of(r.error()), std::vector<std::string>{"content"});
}

TEST(Lifecycle, ManyBadComponentsGiveBoundedDetails) {
  json many = json::array();
  for (int i = 0; i < 500; ++i) many.push_back(heading("h" + std::to_string(i), json::object()));
  auto r = decide(loaded_schemas(), acme(), meta(), from_template(many));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.size(), kMaxContentDetails + 1);
  EXPECT_THAT(r.error().details.back().message, ::testing::HasSubstr("400 more"));
}

}  // namespace
}  // namespace pw::domain::test
