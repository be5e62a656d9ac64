// One row per decider rule: starting state, command, expected rejection or events.
#include <gmock/gmock.h>

#include <functional>
#include <ostream>

#include "commands/components.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

const SiteId& other_site() {
  static const SiteId id = site_id_for_subdomain("other");
  return id;
}

SiteState about_deleted() {
  SiteState s = sample();
  s.pages.at(about()).status = PageStatus::deleted;
  rebuild_indexes(s);
  return s;
}

SiteState about_published() { return with(sample(), {PublishPage{about()}}); }

SiteState with_settings() {
  UpdateSiteSettings u;
  u.settings = json{{"a", 1}, {"b", 2}};
  return with(acme(), {u});
}

SiteState h1_level3() {
  return with(sample(), {UpdateComponentProps{home(), ComponentId{"h1"}, {{"level", 3}}}});
}

SiteState cols3_filled() {
  return with(sample(), {UpdateComponentProps{home(), ComponentId{"cols"}, {{"count", 3}}},
                         add("b3", "Button", {{"label", "x"}, {"href", "/x"}}, "cols", "column3")});
}

SiteState nested_sections() {
  return with(sample(), {add("inner", "Section", json::object(), "sec")});
}

SiteState full_page() {
  static const SiteState s = [] {
    SiteState st = with(acme(), {CreatePage{home(), "Home", std::string(), std::nullopt}});
    for (size_t i = 0; i < kMaxComponentsPerPage; ++i)
      run(st, add("sp" + std::to_string(i), "Spacer", json::object()));
    return st;
  }();
  return s;
}

SiteState deep32() { return deep(32); }
SiteState deep31() { return deep(31); }
SiteState deep31_with_pair() {
  return with(deep(31),
              {add("x", "Section", json::object()), add("y", "Heading", {{"text", "y"}}, "x")});
}

CreateSite create_site(std::string subdomain, std::string name = "Acme") {
  return CreateSite{site_id_for_subdomain(subdomain), std::move(name), std::move(subdomain)};
}
CommandMeta meta_of_subdomain(const std::string& subdomain) {
  return meta_for(site_id_for_subdomain(subdomain));
}

UpdateSiteSettings rename(std::string name) {
  UpdateSiteSettings u;
  u.name = std::move(name);
  return u;
}

UpdatePageMetadata retitle(PageId p, std::string title) {
  UpdatePageMetadata u;
  u.pageId = std::move(p);
  u.title = std::move(title);
  return u;
}

UpdatePageMetadata page_seo(PageSeoPatch seo) {
  UpdatePageMetadata u;
  u.pageId = about();
  u.seo = std::move(seo);
  return u;
}

CreatePage create_page(std::string suffix, std::string title, std::optional<std::string> slug,
                       std::optional<std::string> description = std::nullopt) {
  return CreatePage{page(suffix), std::move(title), std::move(slug), std::move(description)};
}

MoveComponent move(std::string id, std::optional<std::string> parent,
                   std::optional<std::string> slot, int64_t index) {
  MoveComponent mv;
  mv.pageId = home();
  mv.componentId = ComponentId{std::move(id)};
  if (parent) mv.parentId = ComponentId{*parent};
  mv.slot = std::move(slot);
  mv.index = index;
  return mv;
}

UpdateComponentProps patch(std::string id, json p) {
  return UpdateComponentProps{home(), ComponentId{std::move(id)}, std::move(p)};
}

ComponentAdded added(std::string id, std::string type, json props,
                     std::optional<std::string> parent, std::string slot, int64_t index) {
  ComponentAdded e;
  e.pageId = home();
  e.componentId = ComponentId{std::move(id)};
  e.type = std::move(type);
  e.props = std::move(props);
  if (parent) e.parentId = ComponentId{*parent};
  e.slot = std::move(slot);
  e.index = index;
  return e;
}

// A position: no parent = top level.
ComponentPosition at(std::optional<std::string> parent, std::string slot, int64_t index) {
  return ComponentPosition{parent ? std::optional(ComponentId{*parent}) : std::nullopt, std::move(slot), index};
}

ComponentMoved moved(std::string id, std::optional<std::string> parent, std::string slot,
                     int64_t index, ComponentPosition from) {
  ComponentMoved e;
  e.pageId = home();
  e.componentId = ComponentId{std::move(id)};
  if (parent) e.parentId = ComponentId{*parent};
  e.slot = std::move(slot);
  e.index = index;
  e.from = std::move(from);
  return e;
}

Rule unsafe_url(std::string name, std::string type, json props, std::string field) {
  return no(std::move(name), sample, add("u", std::move(type), std::move(props)),
            Errc::unprocessable, std::move(field));
}

const json kHeading = {{"text", "Hi"}};
const json kButton = {{"label", "Go"}, {"href", "/go"}};

std::vector<Rule> rules() {
  using E = Errc;
  const std::string s201(201, 'a');
  std::string e200;
  for (int i = 0; i < 200; ++i) e200 += "\xc3\xa9";  // 200 × 'é' = 400 bytes
  std::string sub63(63, 'a');
  return {
      // --- the site: existence, tenant, routing ---------------------------------------
      no("site_missing", empty_site, rename("X"), E::not_found, "siteId"),
      no("site_of_other_tenant", acme, rename("X"), E::not_found, "siteId", other_tenant()),
      no("page_cmd_site_of_other_tenant", sample, retitle(about(), "X"), E::not_found, "siteId",
         other_tenant()),
      no("command_routed_to_other_site", acme, rename("X"), E::validation_error, "siteId",
         meta_for(other_site())),

      // --- CreateSite ----------------------------------------------------------------------
      ok("create_site", empty_site, create_site("acme"),
         {SiteCreated{site(), kTenant, "Acme", "acme"}}),
      no("create_site_subdomain_taken", acme, create_site("acme"), E::slug_taken, "subdomain"),
      no("create_site_subdomain_taken_by_other_tenant", acme, create_site("acme"), E::slug_taken,
         "subdomain", other_tenant()),
      no("create_site_id_not_of_subdomain", empty_site, CreateSite{other_site(), "Acme", "acme"},
         E::validation_error, "siteId", meta_for(other_site())),
      no("create_site_routed_elsewhere", empty_site, create_site("acme"), E::validation_error,
         "siteId", meta_for(other_site())),
      no("subdomain_leading_dash", empty_site, create_site("-acme"), E::validation_error,
         "subdomain", meta_of_subdomain("-acme")),
      no("subdomain_trailing_dash", empty_site, create_site("acme-"), E::validation_error,
         "subdomain", meta_of_subdomain("acme-")),
      no("subdomain_double_dash", empty_site, create_site("ac--me"), E::validation_error,
         "subdomain", meta_of_subdomain("ac--me")),
      no("subdomain_uppercase", empty_site, create_site("Acme"), E::validation_error, "subdomain",
         meta_of_subdomain("Acme")),
      no("subdomain_underscore", empty_site, create_site("ac_me"), E::validation_error, "subdomain",
         meta_of_subdomain("ac_me")),
      no("subdomain_empty", empty_site, create_site(""), E::validation_error, "subdomain",
         meta_of_subdomain("")),
      no("subdomain_64_chars", empty_site, create_site(std::string(64, 'a')), E::validation_error,
         "subdomain", meta_of_subdomain(std::string(64, 'a'))),
      ok("subdomain_63_chars", empty_site, create_site(sub63),
         {SiteCreated{site_id_for_subdomain(sub63), kTenant, "Acme", sub63}},
         meta_of_subdomain(sub63)),
      no("site_name_empty", empty_site, create_site("acme", ""), E::validation_error, "name"),
      no("site_name_201_chars", empty_site, create_site("acme", s201), E::validation_error, "name"),
      ok("site_name_200_multibyte_chars", empty_site, create_site("acme", e200),
         {SiteCreated{site(), kTenant, e200, "acme"}}),
      no("create_site_if_match_mismatch", empty_site, create_site("acme"), E::version_conflict,
         "version", meta(1)),

      // --- UpdateSiteSettings ----------------------------------------------------------------
      ok("rename_site", acme, rename("Acme Inc"),
         {SiteSettingsUpdated{site(), "Acme Inc", std::nullopt, std::nullopt, std::nullopt}}),
      ok("rename_site_to_same_name_is_noop", acme, rename("Acme"), {}),
      ok("empty_settings_update_is_noop", acme, UpdateSiteSettings{}, {}),
      ok("site_seo_is_partial", acme,
         UpdateSiteSettings{std::nullopt, SiteSeoPatch{"%s | Acme", std::nullopt, std::nullopt},
                            std::nullopt},
         {SiteSettingsUpdated{site(), std::nullopt, SiteSeo{"%s | Acme", "", ""}, std::nullopt,
                              std::nullopt}}),
      no("site_og_image_javascript", acme,
         UpdateSiteSettings{std::nullopt,
                            SiteSeoPatch{std::nullopt, std::nullopt, "javascript:alert(1)"},
                            std::nullopt},
         E::unprocessable, "seo.ogImage"),
      ok("site_settings_merge_patch", with_settings,
         UpdateSiteSettings{std::nullopt, std::nullopt, json{{"b", nullptr}, {"c", 3}}},
         {SiteSettingsUpdated{site(), std::nullopt, std::nullopt, std::nullopt,
                              json{{"b", nullptr}, {"c", 3}}}}),
      no("site_settings_not_object", acme,
         UpdateSiteSettings{std::nullopt, std::nullopt, json::array()}, E::validation_error,
         "settings"),
      no("site_rename_too_long", acme, rename(s201), E::validation_error, "name"),
      ok("site_if_match", acme, rename("B"),
         {SiteSettingsUpdated{site(), "B", std::nullopt, std::nullopt, std::nullopt}}, meta(1)),
      no("site_if_match_mismatch", acme, rename("B"), E::version_conflict, "version", meta(5)),

      // --- CreatePage ------------------------------------------------------------------------
      ok("create_page", acme, create_page("p1", "Pricing", "pricing", "Plans"),
         {PageCreated{page("p1"), "Pricing", "pricing", "Plans"}}),
      ok("slug_from_title", acme, create_page("p1", "Hello, World!  2024", std::nullopt),
         {PageCreated{page("p1"), "Hello, World!  2024", "hello-world-2024", ""}}),
      ok("slug_from_title_taken_gets_suffix", sample, create_page("p1", "About", std::nullopt),
         {PageCreated{page("p1"), "About", "about-2", ""}}),
      ok("slug_from_title_suffix_counts_up",
         [] { return with(sample(), {create_page("p1", "About", std::nullopt)}); },
         create_page("p2", "ABOUT", std::nullopt),
         {PageCreated{page("p2"), "ABOUT", "about-3", ""}}),
      ok("slug_from_non_ascii_title", acme, create_page("p1", "日本語", std::nullopt),
         {PageCreated{page("p1"), "日本語", "page", ""}}),
      no("explicit_slug_taken", sample, create_page("p1", "X", "about"), E::slug_taken, "slug"),
      no("home_slug_taken", sample, create_page("p1", "X", ""), E::slug_taken, "slug"),
      ok("home_slug", acme, create_page("p1", "Home", ""),
         {PageCreated{page("p1"), "Home", "", ""}}),
      ok("nested_slug", acme, create_page("p1", "Start", "docs/getting-started"),
         {PageCreated{page("p1"), "Start", "docs/getting-started", ""}}),
      no("slug_uppercase", acme, create_page("p1", "X", "About"), E::validation_error, "slug"),
      no("slug_double_dash", acme, create_page("p1", "X", "a--b"), E::validation_error, "slug"),
      no("slug_leading_dash", acme, create_page("p1", "X", "-a"), E::validation_error, "slug"),
      no("slug_leading_slash", acme, create_page("p1", "X", "/a"), E::validation_error, "slug"),
      no("slug_trailing_slash", acme, create_page("p1", "X", "a/"), E::validation_error, "slug"),
      no("slug_empty_segment", acme, create_page("p1", "X", "a//b"), E::validation_error, "slug"),
      no("slug_space", acme, create_page("p1", "X", "a b"), E::validation_error, "slug"),
      no("slug_201_chars", acme, create_page("p1", "X", s201), E::validation_error, "slug"),
      no("title_empty", acme, create_page("p1", "", "x"), E::validation_error, "title"),
      no("title_301_chars", acme, create_page("p1", std::string(301, 't'), "x"),
         E::validation_error, "title"),
      no("description_too_long", acme, create_page("p1", "X", "x", std::string(1001, 'd')),
         E::validation_error, "description"),
      no("page_id_of_other_site", acme,
         CreatePage{make_page_id(other_site(), "p1"), "X", std::nullopt, std::nullopt},
         E::validation_error, "pageId"),
      no("page_id_malformed", acme, CreatePage{PageId{"nope"}, "X", std::nullopt, std::nullopt},
         E::validation_error, "pageId"),
      no("page_id_exists", sample, CreatePage{about(), "X", "x", std::nullopt}, E::duplicate,
         "pageId"),
      ok("deleted_pages_free_their_slug", about_deleted, create_page("p1", "X", "about"),
         {PageCreated{page("p1"), "X", "about", ""}}),
      ok("create_page_if_match_zero", acme, create_page("p1", "X", "x"),
         {PageCreated{page("p1"), "X", "x", ""}}, meta(0)),
      no("create_page_if_match_mismatch", acme, create_page("p1", "X", "x"), E::version_conflict,
         "version", meta(2)),
      no("create_page_site_missing", empty_site, create_page("p1", "X", "x"), E::not_found,
         "siteId"),

      // --- UpdatePageMetadata ----------------------------------------------------------------
      ok("retitle_page", sample, retitle(about(), "About us"),
         {PageMetadataUpdated{about(), "About us", std::nullopt, std::nullopt}}),
      ok("retitle_page_same_is_noop", sample, retitle(about(), "About"), {}),
      ok("page_seo_is_partial", sample, page_seo(PageSeoPatch{true, std::nullopt, std::nullopt}),
         {PageMetadataUpdated{about(), std::nullopt, std::nullopt, PageSeo{true, "", ""}}}),
      no("page_canonical_javascript", sample,
         page_seo(PageSeoPatch{std::nullopt, " JavaScript:alert(1)", std::nullopt}),
         E::unprocessable, "seo.canonical"),
      no("page_og_image_data_url", sample,
         page_seo(PageSeoPatch{std::nullopt, std::nullopt, "data:image/png;base64,AA=="}),
         E::unprocessable, "seo.ogImage"),
      no("page_missing", sample, retitle(page("nope"), "X"), E::not_found, "pageId"),
      no("page_deleted", about_deleted, retitle(about(), "X"), E::unprocessable, "pageId"),
      ok("page_if_match_is_page_version", sample, retitle(about(), "X"),
         {PageMetadataUpdated{about(), "X", std::nullopt, std::nullopt}}, meta(1)),
      no("page_if_match_is_not_site_version", sample, retitle(about(), "X"), E::version_conflict,
         "version", meta(9)),
      no("page_title_too_long", sample, retitle(about(), std::string(301, 't')),
         E::validation_error, "title"),

      // --- ChangePageSlug ----------------------------------------------------------------------
      ok("change_slug", sample, ChangePageSlug{about(), "company/about"},
         {PageSlugChanged{about(), "company/about", "about"}}),
      ok("change_slug_same_is_noop", sample, ChangePageSlug{about(), "about"}, {}),
      no("change_slug_taken", sample, ChangePageSlug{about(), ""}, E::slug_taken, "slug"),
      no("change_slug_invalid", sample, ChangePageSlug{about(), "Bad Slug"}, E::validation_error,
         "slug"),
      no("change_slug_page_missing", sample, ChangePageSlug{page("nope"), "x"}, E::not_found,
         "pageId"),

      // --- PublishPage -----------------------------------------------------------------------
      ok("publish_draft", sample, PublishPage{about()}, {PagePublished{about(), 2}}),
      no("publish_unchanged_published_page", about_published, PublishPage{about()},
         E::unprocessable, "pageId"),
      ok("republish_after_edit", [] { return with(about_published(), {retitle(about(), "New")}); },
         PublishPage{about()}, {PagePublished{about(), 4}}),
      no("publish_missing_page", sample, PublishPage{page("nope")}, E::not_found, "pageId"),

      // --- AddComponent ----------------------------------------------------------------------
      ok("add_top_level_appends", sample, add("sp", "Spacer", json::object()),
         {added("sp", "Spacer", json::object(), std::nullopt, "", 3)}),
      ok("add_at_index_0", sample,
         add("sp", "Spacer", json::object(), std::nullopt, std::nullopt, 0),
         {added("sp", "Spacer", json::object(), std::nullopt, "", 0)}),
      ok("add_without_props", sample,
         AddComponent{home(), ComponentId{"sp"}, "Spacer", std::nullopt, std::nullopt, std::nullopt,
                      std::nullopt},
         {added("sp", "Spacer", json::object(), std::nullopt, "", 3)}),
      ok("add_into_section_default_slot", sample, add("h2", "Heading", kHeading, "sec"),
         {added("h2", "Heading", kHeading, "sec", "children", 2)}),
      ok("add_into_columns_default_slot", sample, add("b2", "Button", kButton, "cols"),
         {added("b2", "Button", kButton, "cols", "column1", 1)}),
      ok("add_into_named_slot", sample, add("b2", "Button", kButton, "cols", "column2"),
         {added("b2", "Button", kButton, "cols", "column2", 0)}),
      no("add_into_slot_beyond_count", sample, add("b2", "Button", kButton, "cols", "column3"),
         E::unprocessable, "slot"),
      no("add_into_unknown_slot", sample, add("b2", "Button", kButton, "sec", "sidebar"),
         E::unprocessable, "slot"),
      no("add_slot_malformed", sample, add("b2", "Button", kButton, "sec", "a b"),
         E::validation_error, "slot"),
      no("add_parent_missing", sample, add("b2", "Button", kButton, "nope"), E::unprocessable,
         "parentId"),
      no("add_parent_without_slots", sample, add("b2", "Button", kButton, "h1"), E::unprocessable,
         "parentId"),
      no("add_slot_without_parent", sample, add("b2", "Button", kButton, std::nullopt, "children"),
         E::validation_error, "slot"),
      no("add_duplicate_id", sample, add("h1", "Heading", kHeading), E::duplicate, "componentId"),
      no("add_id_with_space", sample, add("a b", "Heading", kHeading), E::validation_error,
         "componentId"),
      no("add_id_65_chars", sample, add(std::string(65, 'a'), "Heading", kHeading),
         E::validation_error, "componentId"),
      ok("add_id_64_chars", sample, add(std::string(64, 'a'), "Spacer", json::object()),
         {added(std::string(64, 'a'), "Spacer", json::object(), std::nullopt, "", 3)}),
      no("add_parent_id_invalid", sample, add("b2", "Button", kButton, "a/b"), E::validation_error,
         "parentId"),
      no("add_unknown_type", sample, add("c1", "Carousel", json::object()), E::unprocessable,
         "type"),
      no("add_missing_required_prop", sample, add("h2", "Heading", json::object()),
         E::unprocessable, "props.text"),
      no("add_unknown_prop", sample, add("h2", "Heading", {{"text", "x"}, {"bogus", 1}}),
         E::unprocessable, "props.bogus"),
      no("add_prop_wrong_type", sample, add("h2", "Heading", {{"text", "x"}, {"level", "x"}}),
         E::unprocessable, "props.level"),
      no("add_prop_out_of_range", sample, add("h2", "Heading", {{"text", "x"}, {"level", 7}}),
         E::unprocessable, "props.level"),
      no("add_columns_count_5", sample, add("c2", "Columns", {{"count", 5}}), E::unprocessable,
         "props.count"),
      no("add_heading_text_301", sample, add("h2", "Heading", {{"text", std::string(301, 'x')}}),
         E::unprocessable, "props.text"),
      no("add_props_not_object", sample, add("h2", "Heading", json::array()), E::validation_error,
         "props"),
      unsafe_url("image_src_javascript", "Image", {{"src", "javascript:alert(1)"}, {"alt", ""}},
                 "props.src"),
      unsafe_url("image_src_javascript_mixed_case_leading_space", "Image",
                 {{"src", "  JaVaScRiPt:alert(1)"}, {"alt", ""}}, "props.src"),
      unsafe_url("image_src_javascript_with_tab", "Image",
                 {{"src", "java\tscript:alert(1)"}, {"alt", ""}}, "props.src"),
      // Control characters are refused as unstorable text before any URL rule.
      no("image_src_leading_control", sample,
         add("u", "Image", {{"src", "\x01javascript:alert(1)"}, {"alt", ""}}), E::validation_error,
         "props.src"),
      unsafe_url("image_src_data", "Image", {{"src", "data:image/svg+xml,<svg/>"}, {"alt", ""}},
                 "props.src"),
      unsafe_url("image_src_vbscript", "Image", {{"src", "VBScript:msgbox"}, {"alt", ""}},
                 "props.src"),
      unsafe_url("button_href_javascript", "Button", {{"label", "x"}, {"href", "javascript:x"}},
                 "props.href"),
      unsafe_url("hero_cta_href_javascript", "Hero", {{"title", "x"}, {"ctaHref", "javascript:x"}},
                 "props.ctaHref"),
      unsafe_url("hero_image_data", "Hero", {{"title", "x"}, {"image", "data:x"}}, "props.image"),
      unsafe_url("card_href_file", "Card", {{"title", "x"}, {"href", "file:///etc/passwd"}},
                 "props.href"),
      unsafe_url("card_image_javascript", "Card", {{"title", "x"}, {"image", "javascript:x"}},
                 "props.image"),
      ok("button_href_relative_and_mailto", sample,
         add("b2", "Button", {{"label", "Mail"}, {"href", "mailto:hi@acme.test"}}),
         {added("b2", "Button", {{"label", "Mail"}, {"href", "mailto:hi@acme.test"}}, std::nullopt,
                "", 3)}),
      no("add_index_beyond_end", sample,
         add("sp", "Spacer", json::object(), std::nullopt, std::nullopt, 4), E::unprocessable,
         "index"),
      no("add_index_negative", sample,
         add("sp", "Spacer", json::object(), std::nullopt, std::nullopt, -1), E::validation_error,
         "index"),
      no("add_deeper_than_32", deep32, add("x", "Spacer", json::object(), "s32"), E::unprocessable,
         "parentId"),
      ok("add_at_depth_32", deep31, add("x", "Spacer", json::object(), "s31"),
         {added("x", "Spacer", json::object(), "s31", "children", 0)}),
      no("add_beyond_2000_components", full_page, add("one-more", "Spacer", json::object()),
         E::unprocessable, "pageId"),
      no("add_to_missing_page", sample,
         add("x", "Spacer", json::object(), std::nullopt, std::nullopt, std::nullopt, page("nope")),
         E::not_found, "pageId"),
      ok("add_if_match_page_version", sample, add("sp", "Spacer", json::object()),
         {added("sp", "Spacer", json::object(), std::nullopt, "", 3)}, meta(7)),
      no("add_if_match_mismatch", sample, add("sp", "Spacer", json::object()), E::version_conflict,
         "version", meta(6)),

      // --- UpdateComponentProps --------------------------------------------------------------
      ok("patch_props", sample, patch("h1", {{"level", 1}}),
         {ComponentPropsUpdated{
             home(), ComponentId{"h1"}, {{"level", 1}}, {{"text", "Welcome"}, {"level", 1}}}}),
      ok("patch_null_removes", h1_level3, patch("h1", {{"level", nullptr}}),
         {ComponentPropsUpdated{
             home(), ComponentId{"h1"}, {{"level", nullptr}}, {{"text", "Welcome"}}}}),
      no("patch_removes_required", sample, patch("h1", {{"text", nullptr}}), E::unprocessable,
         "props.text"),
      no("patch_adds_unknown_prop", sample, patch("h1", {{"bogus", true}}), E::unprocessable,
         "props.bogus"),
      ok("patch_same_is_noop", sample, patch("h1", {{"text", "Welcome"}}), {}),
      no("patch_missing_component", sample, patch("nope", {{"text", "x"}}), E::not_found,
         "componentId"),
      no("patch_not_object", sample, patch("h1", json::array()), E::validation_error, "patch"),
      ok("patch_more_columns", sample, patch("cols", {{"count", 3}}),
         {ComponentPropsUpdated{home(), ComponentId{"cols"}, {{"count", 3}}, {{"count", 3}}}}),
      no("patch_fewer_columns_orphans_content", cols3_filled, patch("cols", {{"count", 2}}),
         E::unprocessable, "props.count"),
      ok("patch_fewer_columns_empty_slot",
         [] {
           return with(sample(), {patch("cols", {{"count", 3}})});
         },
         patch("cols", {{"count", 2}}),
         {ComponentPropsUpdated{home(), ComponentId{"cols"}, {{"count", 2}}, {{"count", 2}}}}),
      no("patch_href_javascript", sample, patch("btn", {{"href", "javascript:alert(1)"}}),
         E::unprocessable, "props.href"),
      no("patch_if_match_mismatch", sample, patch("h1", {{"level", 1}}), E::version_conflict,
         "version", meta(3)),

      // --- MoveComponent ----------------------------------------------------------------------
      no("move_into_itself", sample, move("sec", "sec", std::nullopt, 0), E::unprocessable,
         "parentId"),
      no("move_into_descendant", nested_sections, move("sec", "inner", std::nullopt, 0),
         E::unprocessable, "parentId"),
      no("move_parent_missing", sample, move("h1", "nope", std::nullopt, 0), E::unprocessable,
         "parentId"),
      no("move_parent_without_slots", sample, move("img", "h1", std::nullopt, 0), E::unprocessable,
         "parentId"),
      no("move_unknown_slot", sample, move("h1", "cols", "column4", 0), E::unprocessable, "slot"),
      no("move_missing_component", sample, move("nope", std::nullopt, std::nullopt, 0),
         E::not_found, "componentId"),
      no("move_index_beyond_list_after_removal", sample, move("sec", std::nullopt, std::nullopt, 3),
         E::unprocessable, "index"),
      ok("move_to_end_of_same_list", sample, move("sec", std::nullopt, std::nullopt, 2),
         {moved("sec", std::nullopt, "", 2, at(std::nullopt, "", 0))}),
      ok("move_to_same_position_is_noop", sample, move("txt", std::nullopt, std::nullopt, 2), {}),
      ok("move_to_other_parent", sample, move("img", "cols", "column2", 0),
         {moved("img", "cols", "column2", 0, at("sec", "children", 1))}),
      ok("move_default_slot", sample, move("h1", "cols", std::nullopt, 1),
         {moved("h1", "cols", "column1", 1, at("sec", "children", 0))}),
      ok("move_to_top_level", sample, move("h1", std::nullopt, std::nullopt, 0),
         {moved("h1", std::nullopt, "", 0, at("sec", "children", 0))}),
      no("move_slot_without_parent", sample, move("h1", std::nullopt, "children", 0),
         E::validation_error, "slot"),
      no("move_index_negative", sample, move("h1", std::nullopt, std::nullopt, -1),
         E::validation_error, "index"),
      no("move_deeper_than_32", deep31_with_pair, move("x", "s31", std::nullopt, 0),
         E::unprocessable, "parentId"),
      ok("move_to_depth_32", deep31_with_pair, move("y", "s31", std::nullopt, 0),
         {moved("y", "s31", "children", 0, at("x", "children", 0))}),

      // --- RemoveComponent --------------------------------------------------------------------
      ok("remove_subtree", sample, RemoveComponent{home(), ComponentId{"sec"}},
         {ComponentRemoved{home(), ComponentId{"sec"}}}),
      no("remove_missing", sample, RemoveComponent{home(), ComponentId{"nope"}}, E::not_found,
         "componentId"),
      no("remove_invalid_id", sample, RemoveComponent{home(), ComponentId{""}}, E::validation_error,
         "componentId"),
  };
}

class RuleTest : public ::testing::TestWithParam<Rule> {};

TEST_P(RuleTest, Decides) { expect_decides(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Deciders, RuleTest, ::testing::ValuesIn(rules()),
                         [](const auto& info) { return info.param.name; });

TEST(Rules, VersionConflictReportsCurrentVersion) {
  auto r = decide(loaded_schemas(), sample(), meta(2), retitle(about(), "X"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::version_conflict);
  ASSERT_EQ(r.error().details.size(), 1u);
  EXPECT_EQ(r.error().details[0].field, "version");
  EXPECT_NE(r.error().details[0].message.find("current version is 1"), std::string::npos);
}

TEST(Rules, NoopStillChecksVersion) {
  auto r = decide(loaded_schemas(), sample(), meta(5), retitle(about(), "About"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::version_conflict);
}

TEST(Rules, InvalidPropsListEveryProblem) {
  auto r = decide(loaded_schemas(), sample(), meta(), add("h2", "Heading", {{"level", 9}, {"bogus", 1}}));
  ASSERT_FALSE(r.ok());
  std::vector<std::string> fields;
  for (const auto& d : r.error().details) fields.push_back(d.field);
  EXPECT_THAT(fields, ::testing::IsSupersetOf({"props.text", "props.level", "props.bogus"}));
}

}  // namespace
}  // namespace pw::domain::test
