// Versions and time travel through the handler, over the real log, processor,
// projector and Postgres: GET ?version= / ?asOf=, the version list, labels,
// restore-version and diffs; bad input gets its 4xx, changes nothing, and
// another tenant's next edit is still served.
#include <thread>

#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class VersionsTest : public HandlerTest {
 protected:
  void expect_error(const Reply& r, int status, const std::string& code, const std::string& field) {
    ASSERT_EQ(r.response.status, status) << r.response.body;
    const json body = r.body();
    EXPECT_EQ(body["success"], false);
    EXPECT_EQ(body["error"]["code"], code) << r.response.body;
    ASSERT_FALSE(body["error"]["details"].empty()) << r.response.body;
    EXPECT_EQ(body["error"]["details"][0]["field"], field) << r.response.body;
  }

  // An accepted command; its position.
  std::string ok(const Reply& r) {
    EXPECT_TRUE(r.response.status == 200 || r.response.status == 201) << r.response.body;
    return r.body()["data"].value("position", "");
  }

  json get(const std::string& target, const std::string& after = {}, const std::string& tenant = "t-handler") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!after.empty()) headers.emplace_back("x-pagewright-after", after);
    auto r = call("GET", target, token(Role::viewer, tenant), {}, headers);
    EXPECT_EQ(r.response.status, 200) << target << " " << r.response.body;
    return r.response.status == 200 ? r.body()["data"] : json();
  }

  // A page and an edit history; `versions[v]` is GET /v1/pages/{id} right
  // after version v was made.
  void make_history() {
    site_ = create_site("versions");
    auto created = call("POST", "/v1/sites/" + site_ + "/pages", token(Role::editor),
                        R"({"title":"Home","slug":"home"})");
    last_ = ok(created);
    page_ = created.body()["data"].value("pageId", "");
    record();
    auto hero = call("POST", "/v1/pages/" + page_ + "/components", token(Role::editor),
                     R"({"type":"Section","props":{"padding":"large"}})");
    last_ = ok(hero);
    const std::string section = hero.body()["data"].value("componentId", "");
    record();
    auto heading = call("POST", "/v1/pages/" + page_ + "/components", token(Role::editor),
                        json{{"type", "Heading"}, {"props", {{"text", "Welcome"}}}, {"parentId", section}}.dump());
    last_ = ok(heading);
    heading_ = heading.body()["data"].value("componentId", "");
    record();
    last_ = ok(call("PATCH", "/v1/pages/" + page_ + "/components/" + heading_, token(Role::editor),
                    R"({"props":{"text":"Hello","level":3}})"));
    record();
    last_ = ok(call("PATCH", "/v1/pages/" + page_, token(Role::editor), R"({"title":"Start","description":"d"})"));
    record();
    last_ = ok(call("POST", "/v1/pages/" + page_ + "/components/" + heading_ + "/move", token(Role::editor),
                    R"({"index":0})"));
    record();
    last_ = ok(call("PATCH", "/v1/pages/" + page_, token(Role::editor), R"({"slug":"start"})"));
    record();
    last_ = ok(call("POST", "/v1/pages/" + page_ + "/publish", token(Role::admin)));
    record();
  }

  void record() {
    json p = get("/v1/pages/" + page_, last_);
    versions_[p["version"].get<int64_t>()] = p;
  }

  // Another tenant's edit is accepted, visible to its reads, and publishes.
  void another_tenant_still_served() {
    const std::string t = "t-next";
    auto site = call("POST", "/v1/sites", token(Role::admin, t), R"({"name":"Next","subdomain":"next-one"})");
    ASSERT_EQ(site.response.status, 201) << site.response.body;
    const std::string id = site.body()["data"].value("siteId", "");
    auto page = call("POST", "/v1/sites/" + id + "/pages", token(Role::editor, t), R"({"title":"Hello","slug":""})");
    ASSERT_EQ(page.response.status, 201) << page.response.body;
    const std::string page_id = page.body()["data"].value("pageId", "");
    auto heading = call("POST", "/v1/pages/" + page_id + "/components", token(Role::editor, t),
                        R"({"type":"Heading","props":{"text":"Still served"}})");
    ASSERT_EQ(heading.response.status, 201) << heading.response.body;
    json seen = get("/v1/pages/" + page_id, heading.body()["data"].value("position", ""), t);
    ASSERT_EQ(seen["content"].size(), 1u) << seen.dump();
    EXPECT_EQ(seen["content"][0]["props"]["text"], "Still served");
    ASSERT_EQ(call("POST", "/v1/pages/" + page_id + "/publish", token(Role::admin, t)).response.status, 200);
    const json d = publish_and_wait(id, t);
    ASSERT_EQ(d.value("status", ""), "succeeded") << d.dump();
  }

  // The page's events in the log (time travel must not add any).
  int64_t events_of_site() {
    auto v = call("GET", "/v1/sites/" + site_ + "/audit/verify", token(Role::viewer));
    EXPECT_EQ(v.response.status, 200) << v.response.body;
    return v.body()["data"].value("events", int64_t{-1});
  }

  static void expect_same_page(const json& got, const json& want) {
    for (const char* k : {"pageId", "siteId", "slug", "title", "description", "seo", "status", "version",
                          "publishedVersion", "content", "updatedAt"})
      EXPECT_EQ(got[k], want[k]) << k << "\n got " << got.dump() << "\nwant " << want.dump();
  }

  std::string site_, page_, heading_, last_;
  std::map<int64_t, json> versions_;
};

TEST_F(VersionsTest, EveryVersionAndInstantIsAsItWas) {
  make_history();
  ASSERT_EQ(versions_.size(), 8u);
  for (const auto& [v, want] : versions_) {
    expect_same_page(get("/v1/pages/" + page_ + "?version=" + std::to_string(v)), want);
    // At the instant of a version's event, the page is that version.
    expect_same_page(get("/v1/pages/" + page_ + "?asOf=" + want["updatedAt"].get<std::string>()), want);
  }
  // Any offset; an instant past the last event is the current page.
  const std::string created = versions_.at(1)["updatedAt"];
  auto before = call("GET", "/v1/pages/" + page_ + "?asOf=2000-01-01T00:00:00%2B02:00", token(Role::viewer));
  expect_error(before, 404, "NOT_FOUND", "asOf");
  expect_same_page(get("/v1/pages/" + page_ + "?asOf=9999-12-31T23:59:59Z"), versions_.rbegin()->second);
  EXPECT_FALSE(created.empty());
}

TEST_F(VersionsTest, VersionListIsNewestFirstWithLabelsAndPages) {
  make_history();
  auto labelled = call("POST", "/v1/pages/" + page_ + "/versions/3/label", token(Role::editor), R"({"label":"first draft"})");
  last_ = ok(labelled);
  EXPECT_EQ(labelled.body()["data"]["events"][0]["type"], "PageVersionLabelled");
  EXPECT_EQ(labelled.body()["data"]["version"], 8);  // a label is not a version
  json page = get("/v1/pages/" + page_, last_);
  EXPECT_EQ(page["version"], 8);
  EXPECT_EQ(page["updatedAt"], versions_.at(8)["updatedAt"]);  // not an edit: lists keep their order
  expect_same_page(get("/v1/pages/" + page_ + "?asOf=9999-12-31T23:59:59Z"), versions_.at(8));

  std::vector<json> items;
  std::string cursor;
  do {
    auto r = call("GET", "/v1/pages/" + page_ + "/versions?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor),
                  token(Role::viewer));
    ASSERT_EQ(r.response.status, 200) << r.response.body;
    const json body = r.body();
    ASSERT_LE(body["data"].size(), 3u);
    for (const auto& item : body["data"]) items.push_back(item);
    const json next = body["pagination"]["nextCursor"];
    cursor = next.is_null() ? "" : next.get<std::string>();
  } while (!cursor.empty());
  ASSERT_EQ(items.size(), 8u);
  const char* types[] = {"PagePublished",       "PageSlugChanged", "ComponentMoved", "PageMetadataUpdated",
                         "ComponentPropsUpdated", "ComponentAdded", "ComponentAdded", "PageCreated"};
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["version"], static_cast<int64_t>(8 - i));
    EXPECT_EQ(items[i]["events"], json::array({types[i]}));
    EXPECT_EQ(items[i]["actor"], "u-1");
    EXPECT_EQ(items[i]["at"], versions_.at(static_cast<int64_t>(8 - i))["updatedAt"]);
    EXPECT_EQ(items[i].contains("label"), i == 5) << items[i].dump();
  }
  EXPECT_EQ(items[5]["label"], "first draft");
  // The history's cursor is not the version list's.
  auto history = call("GET", "/v1/pages/" + page_ + "/history?limit=1", token(Role::viewer));
  const std::string history_cursor = history.body()["pagination"].value("nextCursor", "");
  ASSERT_FALSE(history_cursor.empty()) << history.response.body;
  expect_error(call("GET", "/v1/pages/" + page_ + "/versions?cursor=" + history_cursor, token(Role::viewer)), 400,
               "VALIDATION_ERROR", "cursor");
  // A viewer may read but not label.
  auto forbidden = call("POST", "/v1/pages/" + page_ + "/versions/2/label", token(Role::viewer), R"({"label":"x"})");
  EXPECT_EQ(forbidden.response.status, 403);
  EXPECT_EQ(forbidden.body()["error"]["code"], "FORBIDDEN");
}

TEST_F(VersionsTest, RestoreMakesOneNewVersionEqualToTheOldOne) {
  make_history();
  auto r = call("POST", "/v1/pages/" + page_ + "/restore-version", token(Role::editor), R"({"version":3})",
                {{"x-pagewright-after", last_}});
  last_ = ok(r);
  ASSERT_EQ(r.body()["data"]["events"].size(), 1u);
  EXPECT_EQ(r.body()["data"]["events"][0]["type"], "PageVersionRestored");
  EXPECT_EQ(r.body()["data"]["version"], 9);
  json now = get("/v1/pages/" + page_, last_);
  const json& v3 = versions_.at(3);
  for (const char* k : {"slug", "title", "description", "seo", "content"}) EXPECT_EQ(now[k], v3[k]) << k;
  EXPECT_EQ(now["version"], 9);
  EXPECT_EQ(now["status"], "published");  // the status stays; the page changed since its publish
  EXPECT_EQ(now["publishedVersion"], 8);
  // History keeps everything: the old versions read as before.
  expect_same_page(get("/v1/pages/" + page_ + "?version=8"), versions_.at(8));
  json nine = get("/v1/pages/" + page_ + "?version=9");
  EXPECT_EQ(nine["content"], v3["content"]);
  // The diff from the restored version to 3 is empty but for the status.
  json d = get("/v1/pages/" + page_ + "/diff?from=9&to=3");
  EXPECT_EQ(d["components"], json::parse(R"({"added":[],"removed":[],"moved":[],"changed":[]})"));
  EXPECT_EQ(d["metadata"], json::parse(R"([{"field":"status","before":"published","after":"draft"}])"));
}

TEST_F(VersionsTest, DiffBetweenVersions) {
  make_history();
  json d = get("/v1/pages/" + page_ + "/diff?from=3&to=8");
  EXPECT_EQ(d["from"], 3);
  EXPECT_EQ(d["to"], 8);
  EXPECT_EQ(d["metadata"], json::parse(R"([
      {"field":"title","before":"Home","after":"Start"},
      {"field":"slug","before":"home","after":"start"},
      {"field":"description","before":"","after":"d"},
      {"field":"status","before":"draft","after":"published"}])"));
  const json& c = d["components"];
  EXPECT_EQ(c["added"], json::array());
  EXPECT_EQ(c["removed"], json::array());
  ASSERT_EQ(c["moved"].size(), 1u);
  EXPECT_EQ(c["moved"][0]["id"], heading_);
  EXPECT_EQ(c["moved"][0]["to"], json::parse(R"({"parentId":null,"slot":null,"index":0})"));
  EXPECT_EQ(c["changed"], json::array({{{"id", heading_}, {"patch", {{"text", "Hello"}, {"level", 3}}}}}));
  json back = get("/v1/pages/" + page_ + "/diff?from=8&to=1");
  EXPECT_EQ(back["components"]["removed"].size(), 2u);
  expect_error(call("GET", "/v1/pages/" + page_ + "/diff?to=2", token(Role::viewer)), 400, "VALIDATION_ERROR", "from");
  expect_error(call("GET", "/v1/pages/" + page_ + "/diff?from=1&to=99", token(Role::viewer)), 404, "NOT_FOUND", "to");
}

// ---- bad input: a clear 4xx, nothing appended, others still served ----

TEST_F(VersionsTest, UnknownVersionIs404AndMalformedIs400) {
  make_history();
  const int64_t before = events_of_site();
  for (const char* v : {"0", "9", "123456789"})
    expect_error(call("GET", "/v1/pages/" + page_ + "?version=" + v, token(Role::viewer)), 404, "NOT_FOUND", "version");
  for (const char* v : {"abc", "-1", "1.5", "", "99999999999999999999"})
    expect_error(call("GET", "/v1/pages/" + page_ + "?version=" + v, token(Role::viewer)), 400, "VALIDATION_ERROR",
                 "version");
  expect_error(call("GET", "/v1/pages/" + page_ + "?version=1&asOf=2026-01-01T00:00:00Z", token(Role::viewer)), 400,
               "VALIDATION_ERROR", "version");
  expect_error(call("POST", "/v1/pages/" + page_ + "/restore-version", token(Role::editor), R"({"version":42})"), 404,
               "NOT_FOUND", "version");
  expect_error(call("POST", "/v1/pages/" + page_ + "/restore-version", token(Role::editor), R"({"version":"1"})"), 400,
               "VALIDATION_ERROR", "version");
  expect_error(call("POST", "/v1/pages/" + page_ + "/versions/42/label", token(Role::editor), R"({"label":"x"})"), 404,
               "NOT_FOUND", "version");
  expect_error(call("POST", "/v1/pages/" + page_ + "/versions/x/label", token(Role::editor), R"({"label":"x"})"), 400,
               "VALIDATION_ERROR", "version");
  // Another tenant cannot travel in this page's history.
  expect_error(call("GET", "/v1/pages/" + page_ + "?version=1", token(Role::viewer, "t-other")), 404, "NOT_FOUND",
               "version");
  EXPECT_EQ(events_of_site(), before);
  another_tenant_still_served();
}

TEST_F(VersionsTest, AsOfNotRfc3339Is400) {
  make_history();
  const int64_t before = events_of_site();
  for (const char* bad : {"yesterday", "2026-13-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "1700000000"})
    expect_error(call("GET", "/v1/pages/" + page_ + "?asOf=" + bad, token(Role::viewer)), 400, "VALIDATION_ERROR",
                 "asOf");
  EXPECT_EQ(events_of_site(), before);
  another_tenant_still_served();
}

TEST_F(VersionsTest, DuplicateLabelIs409AndLongLabelIs400) {
  make_history();
  last_ = ok(call("POST", "/v1/pages/" + page_ + "/versions/2/label", token(Role::editor), R"({"label":"launch"})"));
  const int64_t before = events_of_site();
  expect_error(call("POST", "/v1/pages/" + page_ + "/versions/5/label", token(Role::editor), R"({"label":"launch"})"),
               409, "DUPLICATE", "label");
  expect_error(call("POST", "/v1/pages/" + page_ + "/versions/5/label", token(Role::editor),
                    json{{"label", std::string(101, 'x')}}.dump()),
               400, "VALIDATION_ERROR", "label");
  expect_error(call("POST", "/v1/pages/" + page_ + "/versions/5/label", token(Role::editor), R"({"label":"a","x":1})"),
               400, "VALIDATION_ERROR", "x");
  // The same label on the same version again: accepted, nothing appended.
  auto again = call("POST", "/v1/pages/" + page_ + "/versions/2/label", token(Role::editor), R"({"label":"launch"})");
  ASSERT_EQ(again.response.status, 200) << again.response.body;
  EXPECT_EQ(again.body()["data"]["events"], json::array());
  EXPECT_EQ(events_of_site(), before);
  another_tenant_still_served();
}

TEST_F(VersionsTest, RestoringAVersionWhoseSlugIsTakenIs409) {
  make_history();  // version 6 has slug "home", the page is "start" now
  auto other = call("POST", "/v1/sites/" + site_ + "/pages", token(Role::editor), R"({"title":"Other","slug":"home"})");
  last_ = ok(other);
  const int64_t before = events_of_site();
  auto r = call("POST", "/v1/pages/" + page_ + "/restore-version", token(Role::editor), R"({"version":6})",
                {{"x-pagewright-after", last_}});
  expect_error(r, 409, "SLUG_TAKEN", "slug");
  EXPECT_EQ(events_of_site(), before);
  expect_same_page(get("/v1/pages/" + page_), versions_.at(8));
  another_tenant_still_served();
}

}  // namespace
}  // namespace pw::gateway
