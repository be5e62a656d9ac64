// The editing lifecycle through the handler: deleting, restoring, unpublishing
// and duplicating pages, templates, design tokens — and what each refuses.
// Every test of bad input ends by proving another tenant's next edit still
// becomes visible (a read with X-Pagewright-After).
#include <fstream>
#include <set>

#include "gateway/templates.hpp"
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

using Headers = std::vector<std::pair<std::string, std::string>>;

class LifecycleTest : public HandlerTest {
 protected:
  void SetUp() override {
    HandlerTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // Built-in templates of this test: a valid one and one whose content the
    // component schemas refuse.
    const auto dir = dir_ / "templates";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "starter.json")
        << json{{"templateId", "starter"},
                {"name", "Starter"},
                {"description", "A hero and a button"},
                {"content", json::array({{{"id", "hero"}, {"type", "Hero"}, {"props", {{"title", "Welcome"}}},
                                          {"slots", json::object()}},
                                         {{"id", "sec"}, {"type", "Section"}, {"props", json::object()},
                                          {"slots", {{"children", json::array({{{"id", "go"},
                                                                                {"type", "Button"},
                                                                                {"props", {{"label", "Go"}, {"href", "/go"}}},
                                                                                {"slots", json::object()}}})}}}}})}}
               .dump();
    std::ofstream(dir / "broken.json")
        << json{{"templateId", "broken"},
                {"name", "Broken"},
                {"description", ""},
                {"content", json::array({{{"id", "m"}, {"type", "Marquee"}, {"props", json::object()},
                                          {"slots", json::object()}},
                                         {{"id", "h"}, {"type", "Heading"}, {"props", {{"level", 9}, {"text", "x"}}},
                                          {"slots", json::object()}}})}}
               .dump();
    library_ = TemplateLibrary::load(dir);
    ASSERT_TRUE(library_->errors().empty());
    GatewayOptions options{test_support::kSecret};
    options.templates = library_;
    gateway_ = std::make_unique<Gateway>(
        GatewayDeps{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()}, options);
  }

  Reply as(Role role, const std::string& method, const std::string& target, const json& body = nullptr,
           Headers headers = {}, const std::string& tenant = "t-handler") {
    return call(method, target, token(role, tenant), body.is_null() ? std::string() : body.dump(), std::move(headers));
  }
  // After the write at `position` is in the read models.
  Reply read(const std::string& target, const std::string& position, const std::string& tenant = "t-handler") {
    return call("GET", target, token(Role::viewer, tenant), {}, {{"x-pagewright-after", position}});
  }
  static std::string position(const Reply& r) { return r.body()["data"].value("position", ""); }

  std::string site(const std::string& subdomain, const std::string& tenant = "t-handler") {
    auto r = as(Role::admin, "POST", "/v1/sites", {{"name", "Shop"}, {"subdomain", subdomain}}, {}, tenant);
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("siteId", "");
  }
  std::string page(const std::string& site_id, const std::string& title, const std::string& slug,
                   const std::string& tenant = "t-handler") {
    auto r = as(Role::editor, "POST", "/v1/sites/" + site_id + "/pages", {{"title", title}, {"slug", slug}}, {}, tenant);
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("pageId", "");
  }
  Reply ok(Reply r, int status = 200) {
    EXPECT_EQ(r.response.status, status) << r.response.body;
    return r;
  }
  void expect_error(const Reply& r, int status, const std::string& code, const std::string& field) {
    EXPECT_EQ(r.response.status, status) << r.response.body;
    const json b = r.body();
    EXPECT_EQ(b["error"].value("code", ""), code) << r.response.body;
    if (!field.empty()) {
      ASSERT_FALSE(b["error"]["details"].empty()) << r.response.body;
      EXPECT_EQ(b["error"]["details"][0].value("field", ""), field) << r.response.body;
    }
  }
  std::set<std::string> detail_fields(const Reply& r) {
    std::set<std::string> out;
    const json body = r.body();
    for (const auto& d : body["error"]["details"]) out.insert(d.value("field", ""));
    return out;
  }

  // Another tenant creates a site and a page; reading it at the write's
  // position shows it: whatever came before did not stall the pipeline.
  void another_tenants_edit_is_visible(const std::string& subdomain) {
    const std::string s = site(subdomain, "t-bystander");
    auto created = as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "Still here"}}, {}, "t-bystander");
    ASSERT_EQ(created.response.status, 201) << created.response.body;
    auto got = read("/v1/pages/" + created.body()["data"].value("pageId", ""), position(created), "t-bystander");
    ASSERT_EQ(got.response.status, 200) << got.response.body;
    EXPECT_EQ(got.body()["data"]["title"], "Still here");
  }

  std::shared_ptr<const TemplateLibrary> library_;
};

TEST_F(LifecycleTest, DeleteRestoreUnpublishAndDuplicateAPage) {
  const std::string s = site("life-pages");
  const std::string home = page(s, "Home", "");
  const std::string about = page(s, "About", "about");
  ok(as(Role::editor, "POST", "/v1/pages/" + home + "/components", {{"type", "Heading"}, {"props", {{"text", "Hi"}}}}),
     201);
  ok(as(Role::admin, "POST", "/v1/pages/" + home + "/publish"));
  ok(as(Role::admin, "POST", "/v1/pages/" + about + "/publish"));

  auto deleted = ok(as(Role::editor, "DELETE", "/v1/pages/" + about));
  EXPECT_EQ(deleted.body()["data"]["events"][0]["type"], "PageDeleted");
  auto got = read("/v1/pages/" + about, position(deleted));
  ASSERT_EQ(got.response.status, 200) << got.response.body;  // still readable by id
  EXPECT_EQ(got.body()["data"]["status"], "deleted");
  auto listed = read("/v1/sites/" + s + "/pages", position(deleted));
  ASSERT_EQ(listed.body()["data"].size(), 1u) << listed.response.body;
  EXPECT_EQ(listed.body()["data"][0]["pageId"], home);
  auto deleted_list = read("/v1/sites/" + s + "/pages?status=deleted", position(deleted));
  ASSERT_EQ(deleted_list.body()["data"].size(), 1u);
  EXPECT_EQ(deleted_list.body()["data"][0]["pageId"], about);

  // A deleted page takes no edits; its slug is free.
  expect_error(as(Role::editor, "PATCH", "/v1/pages/" + about, {{"title", "X"}}), 422, "UNPROCESSABLE", "pageId");
  expect_error(as(Role::admin, "POST", "/v1/pages/" + about + "/publish"), 422, "UNPROCESSABLE", "pageId");
  expect_error(as(Role::editor, "DELETE", "/v1/pages/" + about), 422, "UNPROCESSABLE", "pageId");
  const std::string taker = page(s, "New about", "about");
  ASSERT_FALSE(taker.empty());

  // Restoring: not deleted → 422; its old slug taken → 409 unless a free one is given.
  expect_error(as(Role::editor, "POST", "/v1/pages/" + home + "/restore"), 422, "UNPROCESSABLE", "pageId");
  expect_error(as(Role::editor, "POST", "/v1/pages/" + about + "/restore"), 409, "SLUG_TAKEN", "slug");
  expect_error(as(Role::editor, "POST", "/v1/pages/" + about + "/restore", {{"slug", ""}}), 409, "SLUG_TAKEN", "slug");
  expect_error(as(Role::editor, "POST", "/v1/pages/" + about + "/restore", {{"slug", "Not A Slug"}}), 400,
               "VALIDATION_ERROR", "slug");
  expect_error(as(Role::editor, "POST", "/v1/pages/" + about + "/restore", {{"bogus", 1}}), 400, "VALIDATION_ERROR",
               "bogus");
  auto restored = ok(as(Role::editor, "POST", "/v1/pages/" + about + "/restore", {{"slug", "about-old"}}));
  got = read("/v1/pages/" + about, position(restored));
  EXPECT_EQ(got.body()["data"]["status"], "draft");
  EXPECT_EQ(got.body()["data"]["slug"], "about-old");
  auto history = read("/v1/pages/" + about + "/history", position(restored));
  std::vector<std::string> types;
  const json events = history.body()["data"];
  for (const auto& e : events) types.push_back(e.value("type", ""));
  EXPECT_EQ(types, (std::vector<std::string>{"PageCreated", "PagePublished", "PageDeleted", "PageRestored"}));

  // Unpublishing: a published page goes back to draft; a draft → 422.
  auto unpublished = ok(as(Role::editor, "POST", "/v1/pages/" + home + "/unpublish"));
  got = read("/v1/pages/" + home, position(unpublished));
  EXPECT_EQ(got.body()["data"]["status"], "draft");
  EXPECT_EQ(got.body()["data"]["publishedVersion"], 0);
  expect_error(as(Role::editor, "POST", "/v1/pages/" + home + "/unpublish"), 422, "UNPROCESSABLE", "pageId");

  // Duplicating: a new draft with fresh component ids; a repeat is the same copy.
  const Headers key = {{"idempotency-key", "dup-home-1"}};
  auto copy = ok(as(Role::editor, "POST", "/v1/pages/" + home + "/duplicate", json::object(), key), 201);
  auto again = ok(as(Role::editor, "POST", "/v1/pages/" + home + "/duplicate", json::object(), key), 201);
  EXPECT_EQ(again.body()["data"], copy.body()["data"]);
  const std::string copy_id = copy.body()["data"].value("pageId", "");
  EXPECT_NE(copy_id, home);
  got = read("/v1/pages/" + copy_id, position(copy));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  EXPECT_EQ(got.body()["data"]["slug"], "copy");
  EXPECT_EQ(got.body()["data"]["title"], "Home (copy)");
  EXPECT_EQ(got.body()["data"]["status"], "draft");
  auto source = read("/v1/pages/" + home, position(copy));
  ASSERT_EQ(got.body()["data"]["content"].size(), 1u);
  EXPECT_EQ(got.body()["data"]["content"][0]["props"], source.body()["data"]["content"][0]["props"]);
  EXPECT_NE(got.body()["data"]["content"][0]["id"], source.body()["data"]["content"][0]["id"]);
  auto second = ok(as(Role::editor, "POST", "/v1/pages/" + home + "/duplicate", {{"title", "Landing"}}), 201);
  got = read("/v1/pages/" + second.body()["data"].value("pageId", ""), position(second));
  EXPECT_EQ(got.body()["data"]["slug"], "copy-2");
  EXPECT_EQ(got.body()["data"]["title"], "Landing");
  expect_error(as(Role::editor, "POST", "/v1/pages/" + home + "/duplicate", {{"slug", "about"}}), 409, "SLUG_TAKEN",
               "slug");
  expect_error(as(Role::viewer, "DELETE", "/v1/pages/" + home), 403, "FORBIDDEN", "");

  another_tenants_edit_is_visible("life-pages-bystander");
}

TEST_F(LifecycleTest, AnotherTenantsPageIsNotFoundForEveryLifecycleCommand) {
  const std::string s = site("life-theirs");
  const std::string p = page(s, "Theirs", "theirs");
  ok(as(Role::admin, "POST", "/v1/pages/" + p + "/publish"));
  const std::string other = "t-intruder";
  expect_error(as(Role::admin, "DELETE", "/v1/pages/" + p, nullptr, {}, other), 404, "NOT_FOUND", "");
  expect_error(as(Role::admin, "POST", "/v1/pages/" + p + "/restore", nullptr, {}, other), 404, "NOT_FOUND", "");
  expect_error(as(Role::admin, "POST", "/v1/pages/" + p + "/unpublish", nullptr, {}, other), 404, "NOT_FOUND", "");
  expect_error(as(Role::admin, "POST", "/v1/pages/" + p + "/duplicate", json::object(), {}, other), 404, "NOT_FOUND",
               "");
  expect_error(as(Role::admin, "POST", "/v1/templates", {{"pageId", p}, {"name", "Stolen"}}, {}, other), 404,
               "NOT_FOUND", "");
  expect_error(as(Role::admin, "DELETE", "/v1/pages/not-a-page-id"), 404, "NOT_FOUND", "");
  // The page is as it was.
  auto mine = ok(as(Role::editor, "PATCH", "/v1/pages/" + p, {{"title", "Mine"}}));
  auto got = read("/v1/pages/" + p, position(mine));
  EXPECT_EQ(got.body()["data"]["status"], "published");
  EXPECT_EQ(got.body()["data"]["title"], "Mine");

  another_tenants_edit_is_visible("life-theirs-bystander");
}

TEST_F(LifecycleTest, TemplatesAreSavedListedUsedAndDeleted) {
  const std::string s = site("life-templates");
  const std::string home = page(s, "Home", "");
  ok(as(Role::editor, "POST", "/v1/pages/" + home + "/components", {{"type", "Hero"}, {"props", {{"title", "Big"}}}}),
     201);
  expect_error(as(Role::editor, "POST", "/v1/templates", {{"pageId", home}, {"name", "Mine"}}), 403, "FORBIDDEN", "");
  expect_error(as(Role::admin, "POST", "/v1/templates", {{"pageId", home}, {"name", ""}}), 400, "VALIDATION_ERROR",
               "name");
  expect_error(as(Role::admin, "POST", "/v1/templates", {{"name", "No page"}}), 400, "VALIDATION_ERROR", "pageId");
  auto saved = ok(as(Role::admin, "POST", "/v1/templates", {{"pageId", home}, {"name", "Mine"}, {"description", "Ours"}}),
                  201);
  const std::string tid = saved.body()["data"].value("templateId", "");
  ASSERT_EQ(tid.rfind(s + ".", 0), 0u) << tid;
  // An Idempotency-Key repeat (the body names the site) is the first outcome, the same template.
  const Headers key = {{"idempotency-key", "save-home-1"}};
  auto keyed = ok(as(Role::admin, "POST", "/v1/templates", {{"pageId", home}, {"name", "Keyed"}}, key), 201);
  auto repeat = ok(as(Role::admin, "POST", "/v1/templates", {{"pageId", home}, {"name", "Keyed"}}, key), 201);
  EXPECT_EQ(repeat.body()["data"], keyed.body()["data"]);
  auto gone = ok(as(Role::admin, "DELETE", "/v1/templates/" + keyed.body()["data"].value("templateId", "")));
  EXPECT_EQ(gone.body()["data"]["events"][0]["type"], "TemplateDeleted");

  // Listed with the built-ins; another tenant sees only the built-ins.
  auto list = read("/v1/templates", position(gone));
  ASSERT_EQ(list.response.status, 200) << list.response.body;
  std::vector<std::string> ids;
  const json listed_templates = list.body()["data"];
  for (const auto& t : listed_templates) ids.push_back(t.value("templateId", ""));
  EXPECT_EQ(ids, (std::vector<std::string>{"broken", "starter", tid}));
  EXPECT_EQ(list.body()["data"][2]["builtIn"], false);
  EXPECT_EQ(list.body()["data"][2]["name"], "Mine");
  EXPECT_EQ(list.body()["data"][2]["content"][0]["props"]["title"], "Big");
  auto theirs = read("/v1/templates", position(saved), "t-intruder");
  EXPECT_EQ(theirs.body()["data"].size(), 2u) << theirs.response.body;

  // Pages from templates: fresh ids, the template's content.
  auto from_own = ok(as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "Copy"}, {"templateId", tid}}),
                     201);
  auto got = read("/v1/pages/" + from_own.body()["data"].value("pageId", ""), position(from_own));
  ASSERT_EQ(got.body()["data"]["content"].size(), 1u) << got.response.body;
  EXPECT_EQ(got.body()["data"]["content"][0]["props"]["title"], "Big");
  auto from_built_in =
      ok(as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "Start"}, {"templateId", "starter"}}), 201);
  got = read("/v1/pages/" + from_built_in.body()["data"].value("pageId", ""), position(from_built_in));
  ASSERT_EQ(got.body()["data"]["content"].size(), 2u) << got.response.body;
  EXPECT_EQ(got.body()["data"]["content"][1]["slots"]["children"][0]["type"], "Button");
  EXPECT_NE(got.body()["data"]["content"][0]["id"], "hero");  // fresh ids

  // A template whose content the schemas refuse: 422 naming each problem, no page.
  auto broken = as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "Bad"}, {"templateId", "broken"}});
  expect_error(broken, 422, "UNPROCESSABLE", "content[0].type");
  EXPECT_TRUE(detail_fields(broken).contains("content[1].props.level")) << broken.response.body;
  auto pages = read("/v1/sites/" + s + "/pages", position(from_built_in));
  EXPECT_EQ(pages.body()["data"].size(), 3u);
  // Unknown and another tenant's templates are not found.
  expect_error(as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "X"}, {"templateId", "nope"}}), 404,
               "NOT_FOUND", "templateId");
  const std::string their_site = site("life-templates-theirs", "t-intruder");
  expect_error(as(Role::editor, "POST", "/v1/sites/" + their_site + "/pages", {{"title", "X"}, {"templateId", tid}}, {},
                  "t-intruder"),
               404, "NOT_FOUND", "templateId");
  expect_error(as(Role::editor, "POST", "/v1/sites/" + s + "/pages", {{"title", "X"}, {"templateId", 7}}), 400,
               "VALIDATION_ERROR", "templateId");

  // Deleting: a built-in → 422, another tenant's → 404, the tenant's own → gone.
  expect_error(as(Role::admin, "DELETE", "/v1/templates/starter"), 422, "UNPROCESSABLE", "templateId");
  expect_error(as(Role::admin, "DELETE", "/v1/templates/nope"), 404, "NOT_FOUND", "");
  expect_error(as(Role::admin, "DELETE", "/v1/templates/" + tid, nullptr, {}, "t-intruder"), 404, "NOT_FOUND", "");
  auto deleted = ok(as(Role::admin, "DELETE", "/v1/templates/" + tid));
  expect_error(as(Role::admin, "DELETE", "/v1/templates/" + tid), 404, "NOT_FOUND", "templateId");
  list = read("/v1/templates", position(deleted));
  EXPECT_EQ(list.body()["data"].size(), 2u) << list.response.body;
  // Pages made from it keep their content.
  got = read("/v1/pages/" + from_own.body()["data"].value("pageId", ""), position(deleted));
  EXPECT_EQ(got.body()["data"]["content"].size(), 1u);

  another_tenants_edit_is_visible("life-templates-bystander");
}

TEST_F(LifecycleTest, DesignTokensAreReplacedWholeAndEveryInvalidValueIsNamed) {
  const std::string s = site("life-tokens");
  const std::string tokens = "/v1/sites/" + s + "/design-tokens";
  auto bad = as(Role::admin, "PUT", tokens,
                {{"theme", "neon"},
                 {"colors", {{"primary", "red"}, {"accent", "#12"}, {"text", "#111"}}},
                 {"typography", {{"scale", "3"}, {"body", std::string(300, 'a')}}},
                 {"spacing", {{"md", "1 rem"}}},
                 {"radii", {{"Bad Name", "4px"}}}});
  expect_error(bad, 422, "UNPROCESSABLE", "");
  EXPECT_EQ(detail_fields(bad), (std::set<std::string>{"theme", "colors.primary", "colors.accent", "typography.scale",
                                                       "typography.body", "spacing.md", "radii.Bad Name"}))
      << bad.response.body;
  EXPECT_EQ(bad.body()["error"]["details"].size(), 7u);
  expect_error(as(Role::admin, "PUT", tokens, {{"shadows", json::object()}}), 400, "VALIDATION_ERROR", "shadows");
  expect_error(as(Role::admin, "PUT", tokens, json::array()), 400, "VALIDATION_ERROR", "");
  expect_error(as(Role::editor, "PUT", tokens, {{"theme", "dark"}}), 403, "FORBIDDEN", "");
  expect_error(as(Role::admin, "PUT", tokens, {{"theme", "dark"}}, {}, "t-intruder"), 404, "NOT_FOUND", "");
  expect_error(as(Role::admin, "PATCH", "/v1/sites/" + s, {{"settings", {{"designTokens", {{"colors", {}}}}}}}), 422,
               "UNPROCESSABLE", "settings.designTokens");

  const json set = {{"theme", "dark"}, {"colors", {{"primary", "#0f766e"}}}, {"spacing", {{"md", "1rem"}}}};
  auto put = ok(as(Role::admin, "PUT", tokens, set));
  EXPECT_EQ(put.body()["data"]["events"][0]["type"], "DesignTokensUpdated");
  auto got = read(tokens, position(put));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  EXPECT_EQ(got.body()["data"], set);
  EXPECT_EQ(read("/v1/sites/" + s, position(put)).body()["data"]["designTokens"], set);
  auto same = ok(as(Role::admin, "PUT", tokens, set));
  EXPECT_TRUE(same.body()["data"]["events"].empty());
  auto replaced = ok(as(Role::admin, "PUT", tokens, {{"theme", "classic"}}));
  EXPECT_EQ(read(tokens, position(replaced)).body()["data"], json({{"theme", "classic"}}));
  expect_error(read(tokens, position(replaced), "t-intruder"), 404, "NOT_FOUND", "");

  another_tenants_edit_is_visible("life-tokens-bystander");
}

}  // namespace
}  // namespace pw::gateway
