// GET /v1/audit: the tenant's events from the read model, newest first, with
// its filters, pages and NDJSON export; only admins; another tenant's events
// never appear; bad filters are 400s naming the parameter.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::kSecret;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

// A list's next cursor; "" at its end (where it is null).
std::string next_cursor(const json& body) {
  const auto& c = body["pagination"]["nextCursor"];
  return c.is_string() ? c.get<std::string>() : std::string();
}

class AuditTest : public HandlerTest {
 protected:
  std::string token_as(const std::string& user, Role role, const std::string& tenant = "t-handler") const {
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                         (std::chrono::system_clock::now() + 1h).time_since_epoch())
                         .count();
    return issue_token({UserId{user}, TenantId{tenant}, role, exp}, kSecret).value();
  }
  Reply audit(const std::string& query, const std::string& tenant = "t-handler", Role role = Role::admin,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    return call("GET", "/v1/audit" + query, token(role, tenant), {}, std::move(headers));
  }
  // Every entry of the list, following its cursors, `limit` at a time.
  std::vector<json> all_pages(const std::string& filters, int limit) {
    std::vector<json> out;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      auto r = audit("?limit=" + std::to_string(limit) + filters + (cursor.empty() ? "" : "&cursor=" + cursor));
      EXPECT_EQ(r.response.status, 200) << r.response.body;
      if (r.response.status != 200) break;
      const json body = r.body();
      for (const auto& item : body["data"]) out.push_back(item);
      cursor = next_cursor(body);
      if (cursor.empty()) break;
    }
    return out;
  }
  int64_t events_of(const std::string& site, const std::string& tenant = "t-handler") {
    auto v = call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer, tenant));
    EXPECT_EQ(v.response.status, 200) << v.response.body;
    return v.body()["data"].value("events", int64_t{-1});
  }
  std::string head_hash(const std::string& site) {
    return call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer)).body()["data"].value("headHash", "");
  }
  void expect_bad(const std::string& query, const std::string& field) {
    auto r = audit(query);
    EXPECT_EQ(r.response.status, 400) << query << ": " << r.response.body;
    if (r.response.status != 400) return;
    EXPECT_EQ(r.body()["error"]["code"], "VALIDATION_ERROR") << query;
    EXPECT_EQ(r.body()["error"]["details"][0]["field"], field) << query << ": " << r.response.body;
  }
  // Waits until the read model has `position` (a read with X-Pagewright-After).
  void wait_visible(const std::string& position, const std::string& tenant = "t-handler") {
    auto r = call("GET", "/v1/sites", token(Role::viewer, tenant), {}, {{"x-pagewright-after", position}});
    ASSERT_EQ(r.response.status, 200) << r.response.body;
  }
};

TEST_F(AuditTest, ListsTheTenantsEventsNewestFirstWithFiltersPagesAndExport) {
  std::string position;
  const std::string shop = create_site("audit-shop");
  const std::string blog = create_site("audit-blog");
  auto page = call("POST", "/v1/sites/" + shop + "/pages", token_as("u-editor", Role::editor),
                   json{{"title", "Home"}}.dump());
  ASSERT_EQ(page.response.status, 201) << page.response.body;
  const std::string page_id = page.body()["data"].value("pageId", "");
  auto added = call("POST", "/v1/pages/" + page_id + "/components", token_as("u-editor", Role::editor),
                    R"({"type":"Heading","props":{"text":"Hello"}})");
  ASSERT_EQ(added.response.status, 201) << added.response.body;
  // Another tenant edits at the same time; none of it may show.
  auto other = call("POST", "/v1/sites", token(Role::admin, "t-other"),
                    json{{"name", "Other"}, {"subdomain", "audit-other"}}.dump());
  ASSERT_EQ(other.response.status, 201) << other.response.body;
  const std::string other_site = other.body()["data"].value("siteId", "");
  wait_visible(added.body()["data"].value("position", ""));
  wait_visible(other.body()["data"].value("position", ""), "t-other");

  const auto entries = all_pages("", 200);
  ASSERT_EQ(static_cast<int64_t>(entries.size()), events_of(shop) + events_of(blog));
  std::set<std::string> keys;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    EXPECT_TRUE(e["siteId"] == shop || e["siteId"] == blog) << "another tenant's event: " << e.dump();
    EXPECT_GE(e.value("seq", 0), 1);
    EXPECT_FALSE(e.value("commandId", "").empty());
    EXPECT_EQ(e["hash"].is_string() ? e["hash"].get<std::string>().size() : 0u, 64u) << e.dump();
    if (i > 0) {
      EXPECT_GE(entries[i - 1].value("at", ""), e.value("at", "")) << "not newest first";
    }
    keys.insert(e.value("siteId", "") + "/" + std::to_string(e.value("seq", 0)));
  }
  EXPECT_EQ(keys.size(), entries.size()) << "an event listed twice";
  // The newest event of the shop carries the head hash the log verifies.
  for (const auto& e : entries)
    if (e["siteId"] == shop) {
      EXPECT_EQ(e.value("hash", ""), head_hash(shop));
      break;
    }

  // Filters.
  const auto by_editor = all_pages("&actor=u-editor", 200);
  ASSERT_EQ(by_editor.size(), 2u);
  EXPECT_EQ(by_editor[0]["type"], "ComponentAdded");
  EXPECT_EQ(by_editor[1]["type"], "PageCreated");
  const auto creations = all_pages("&type=SiteCreated", 200);
  ASSERT_EQ(creations.size(), 2u);
  EXPECT_EQ(creations[0]["siteId"], blog);
  EXPECT_EQ(creations[1]["siteId"], shop);
  EXPECT_EQ(static_cast<int64_t>(all_pages("&siteId=" + blog, 200).size()), events_of(blog));
  EXPECT_TRUE(all_pages("&from=2999-01-01", 200).empty());
  EXPECT_TRUE(all_pages("&to=2000-01-01T00:00:00Z", 200).empty());
  EXPECT_EQ(all_pages("&from=2000-01-01&to=2999-12-31T23:59:59.5Z", 200).size(), entries.size());
  // Bounds the clock cannot hold as a time point are still times (tests/fuzz/envelope).
  EXPECT_EQ(all_pages("&from=0815-01-01&to=9999-12-31", 200).size(), entries.size());

  // Pages of one follow each other without gaps or repeats.
  EXPECT_EQ(all_pages("", 1), entries);
  EXPECT_EQ(all_pages("", 2), entries);

  // The export: every match, one entry per line, the same entries.
  auto exported = audit("?limit=1", "t-handler", Role::admin, {{"accept", "application/x-ndjson"}});
  ASSERT_EQ(exported.response.status, 200) << exported.response.body;
  EXPECT_EQ(exported.header("Content-Type"), "application/x-ndjson");
  std::vector<json> lines;
  std::istringstream in(body_of(exported));
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  EXPECT_EQ(lines, entries);

  // The other tenant sees its own site's events and nothing of this one's.
  auto theirs = audit("", "t-other");
  ASSERT_EQ(theirs.response.status, 200) << theirs.response.body;
  const json their_body = theirs.body();
  ASSERT_FALSE(their_body["data"].empty());
  for (const auto& e : their_body["data"]) EXPECT_EQ(e["siteId"], other_site) << e.dump();
  // Nor does a cursor made by this tenant lead it anywhere.
  auto first = audit("?limit=1");
  const std::string cursor = next_cursor(first.body());
  ASSERT_FALSE(cursor.empty());
  auto borrowed = audit("?limit=200&cursor=" + cursor, "t-other");
  ASSERT_EQ(borrowed.response.status, 200) << borrowed.response.body;
  const json borrowed_body = borrowed.body();
  for (const auto& e : borrowed_body["data"]) EXPECT_EQ(e["siteId"], other_site) << e.dump();
}

TEST_F(AuditTest, OnlyAdminsReadItAndBadFiltersAreRefusedByName) {
  const std::string site = create_site("audit-bad");
  for (Role role : {Role::viewer, Role::editor}) {
    auto r = audit("", "t-handler", role);
    EXPECT_EQ(r.response.status, 403) << r.response.body;
    EXPECT_EQ(r.body()["error"]["code"], "FORBIDDEN");
  }
  EXPECT_EQ(call("GET", "/v1/audit").response.status, 401);
  expect_bad("?type=NoSuchEvent", "type");
  expect_bad("?siteId=not-a-site", "siteId");
  expect_bad("?from=yesterday", "from");
  expect_bad("?to=2026-13-01", "to");
  expect_bad("?from=2026-11-22T10:00:00.1234567Z", "from");
  expect_bad("?from=2026-11-23&to=2026-11-22", "to");
  expect_bad("?actor=" + std::string(201, 'a'), "actor");
  expect_bad("?limit=0", "limit");
  expect_bad("?limit=201", "limit");
  expect_bad("?cursor=bm90LWEtY3Vyc29y", "cursor");
  // A cursor of another list is refused too.
  auto pages = call("GET", "/v1/sites?limit=1", token(Role::viewer));
  ASSERT_EQ(pages.response.status, 200);
  create_site("audit-bad-2");
  auto sites = call("GET", "/v1/sites?limit=1", token(Role::viewer));
  const std::string sites_cursor = next_cursor(sites.body());
  if (!sites_cursor.empty()) expect_bad("?cursor=" + sites_cursor, "cursor");

  // Nothing of that changed anything: another tenant's next edit is visible
  // and publishes.
  auto other = call("POST", "/v1/sites", token(Role::admin, "t-next"), json{{"name", "Next"}, {"subdomain", "audit-next"}}.dump());
  ASSERT_EQ(other.response.status, 201) << other.response.body;
  const std::string next_site = other.body()["data"].value("siteId", "");
  auto page = call("POST", "/v1/sites/" + next_site + "/pages", token(Role::editor, "t-next"), R"({"title":"Hi","slug":""})");
  ASSERT_EQ(page.response.status, 201) << page.response.body;
  const std::string page_id = page.body()["data"].value("pageId", "");
  auto heading = call("POST", "/v1/pages/" + page_id + "/components", token(Role::editor, "t-next"),
                      R"({"type":"Heading","props":{"text":"Still served"}})");
  ASSERT_EQ(heading.response.status, 201) << heading.response.body;
  wait_visible(heading.body()["data"].value("position", ""), "t-next");
  auto listed = audit("?type=ComponentAdded", "t-next");
  ASSERT_EQ(listed.response.status, 200) << listed.response.body;
  ASSERT_EQ(listed.body()["data"].size(), 1u);
  ASSERT_EQ(call("POST", "/v1/pages/" + page_id + "/publish", token(Role::admin, "t-next")).response.status, 200);
  EXPECT_EQ(publish_and_wait(next_site, "t-next").value("status", ""), "succeeded");
  (void)site;
}

}  // namespace
}  // namespace pw::gateway
