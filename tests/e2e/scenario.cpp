#include "tests/e2e/scenario.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "events/hash_chain.hpp"
#include "gateway/auth.hpp"

namespace pw::test {

using nlohmann::json;

namespace {

std::string token(const std::string& secret, const std::string& tenant, const std::string& user, gateway::Role role) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(1))
                       .count();
  return gateway::issue_token({UserId{user}, TenantId{tenant}, role, exp}, secret).value();
}

const json* find_component(const json& list, const std::string& id) {
  for (const auto& c : list) {
    if (c.value("id", "") == id) return &c;
    if (c.contains("slots"))
      for (const auto& [slot, children] : c["slots"].items())
        if (const json* found = find_component(children, id)) return found;
  }
  return nullptr;
}

}  // namespace

std::string sha256_of(const std::string& s) { return sha256_hex(s); }

Tokens make_tokens(const std::string& secret, const std::string& tag) {
  const std::string tenant = "t-" + tag;
  return {token(secret, tenant, "u-owner", gateway::Role::owner), token(secret, tenant, "u-admin", gateway::Role::admin),
          token(secret, tenant, "u-editor", gateway::Role::editor),
          token(secret, tenant, "u-viewer", gateway::Role::viewer),
          token(secret, "t-other-" + tag, "u-intruder", gateway::Role::owner)};
}

ScenarioResult run_editing_scenario(HttpClient& http, const Tokens& t, const std::string& subdomain) {
  ScenarioResult out;
  // Auth and roles first: nothing is written by refused requests.
  EXPECT_EQ(http.request("GET", "/v1/sites").status, 401);
  EXPECT_EQ(http.send_json("POST", "/v1/sites", t.editor, {{"name", "S"}, {"subdomain", subdomain}}).status, 403);

  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Bakery"}, {"subdomain", subdomain}});
  EXPECT_EQ(site.status, 201) << site.body;
  EXPECT_FALSE(site.header("x-request-id").empty());
  const json sd = site.json()["data"];
  out.site_id = sd.value("siteId", "");
  EXPECT_FALSE(out.site_id.empty()) << site.body;
  if (out.site_id.empty()) return out;
  EXPECT_EQ(http.send_json("POST", "/v1/sites", t.admin, {{"name", "Again"}, {"subdomain", subdomain}}).status, 409);

  auto page = http.send_json("POST", "/v1/sites/" + out.site_id + "/pages", t.editor, {{"title", "Opening Hours"}});
  EXPECT_EQ(page.status, 201) << page.body;
  out.page_id = page.json()["data"].value("pageId", "");
  EXPECT_FALSE(out.page_id.empty()) << page.body;
  if (out.page_id.empty()) return out;
  auto home = http.send_json("POST", "/v1/sites/" + out.site_id + "/pages", t.editor, {{"title", "Home"}, {"slug", ""}});
  EXPECT_EQ(home.status, 201) << home.body;

  const std::string components = "/v1/pages/" + out.page_id + "/components";
  auto section = http.send_json("POST", components, t.editor, {{"type", "Section"}, {"props", {{"padding", "large"}}}});
  EXPECT_EQ(section.status, 201) << section.body;
  const std::string section_id = section.json()["data"].value("componentId", "");
  auto heading = http.send_json("POST", components, t.editor,
                                {{"type", "Heading"}, {"props", {{"text", "Fresh bread"}, {"level", 1}}},
                                 {"parentId", section_id}, {"slot", "children"}});
  EXPECT_EQ(heading.status, 201) << heading.body;
  const std::string heading_id = heading.json()["data"].value("componentId", "");
  auto text = http.send_json("POST", components, t.editor, {{"type", "Text"}, {"props", {{"text", "Open *daily*"}}}});
  EXPECT_EQ(text.status, 201) << text.body;
  const std::string text_id = text.json()["data"].value("componentId", "");
  auto bad = http.send_json("POST", components, t.editor,
                            {{"type", "Button"}, {"props", {{"label", "x"}, {"href", "javascript:alert(1)"}}}});
  EXPECT_EQ(bad.status, 422) << bad.body;

  auto patched = http.send_json("PATCH", components + "/" + heading_id, t.editor, {{"props", {{"text", "Warm bread"}}}});
  EXPECT_EQ(patched.status, 200) << patched.body;
  auto moved = http.send_json("POST", components + "/" + text_id + "/move", t.editor,
                              {{"parentId", section_id}, {"slot", "children"}, {"index", 0}});
  EXPECT_EQ(moved.status, 200) << moved.body;
  auto into_self = http.send_json("POST", components + "/" + section_id + "/move", t.editor,
                                  {{"parentId", section_id}, {"slot", "children"}, {"index", 0}});
  EXPECT_EQ(into_self.status, 422) << into_self.body;
  auto spacer = http.send_json("POST", components, t.editor, {{"type", "Spacer"}, {"props", {{"size", "small"}}}});
  EXPECT_EQ(spacer.status, 201) << spacer.body;
  auto removed = http.request("DELETE", components + "/" + spacer.json()["data"].value("componentId", ""), {},
                              {{"Authorization", "Bearer " + t.editor}});
  EXPECT_EQ(removed.status, 200) << removed.body;
  auto titled = http.send_json("PATCH", "/v1/pages/" + out.page_id, t.editor, {{"title", "Hours"}},
                               {{"If-Match", "\"8\""}});
  EXPECT_EQ(titled.status, 200) << titled.body;
  auto stale = http.send_json("PATCH", "/v1/pages/" + out.page_id, t.editor, {{"title", "Stale"}},
                              {{"If-Match", "\"3\""}});
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(stale.json()["error"].value("code", ""), "VERSION_CONFLICT");
  auto published = http.send_json("POST", "/v1/pages/" + out.page_id + "/publish", t.admin, json::object());
  EXPECT_EQ(published.status, 200) << published.body;
  const std::string position = published.json()["data"].value("position", "");
  EXPECT_FALSE(position.empty()) << published.body;

  // Read back with read-your-writes.
  auto got = http.get("/v1/pages/" + out.page_id, t.viewer, {{"X-Pagewright-After", position}});
  EXPECT_EQ(got.status, 200) << got.body;
  const json p = got.json()["data"];
  EXPECT_EQ(p.value("title", ""), "Hours");
  EXPECT_EQ(p.value("status", ""), "published");
  EXPECT_EQ(p.value("slug", ""), "opening-hours");
  out.page_version = p.value("version", int64_t{0});
  EXPECT_EQ(out.page_version, 10);
  const json& content = p["content"];
  if (!content.is_array()) {
    ADD_FAILURE() << "page content is not an array: " << got.body;
    return out;
  }
  EXPECT_EQ(content.size(), 1u) << content.dump();  // the Section; the Spacer is gone
  const json* s = find_component(content, section_id);
  EXPECT_NE(s, nullptr) << content.dump();
  if (s) {
    const json& children = (*s)["slots"]["children"];
    EXPECT_EQ(children.size(), 2u) << content.dump();
  }
  if (s && (*s)["slots"]["children"].size() == 2) {
    const json& children = (*s)["slots"]["children"];
    EXPECT_EQ(children[0].value("id", ""), text_id);
    EXPECT_EQ(children[1].value("id", ""), heading_id);
    EXPECT_EQ(children[1]["props"].value("text", ""), "Warm bread");
    EXPECT_EQ(children[1]["props"].value("level", 0), 1);
  }
  // Another tenant never sees it.
  EXPECT_EQ(http.get("/v1/pages/" + out.page_id, t.other_tenant).status, 404);
  EXPECT_EQ(http.get("/v1/sites/" + out.site_id, t.other_tenant).status, 404);
  EXPECT_EQ(http.get("/v1/sites/" + out.site_id + "/audit/verify", t.other_tenant).status, 404);

  auto pages = http.get("/v1/sites/" + out.site_id + "/pages?limit=1", t.viewer);
  EXPECT_EQ(pages.status, 200) << pages.body;
  EXPECT_EQ(pages.json()["data"].size(), 1u);
  const json next = pages.json()["pagination"]["nextCursor"];
  EXPECT_TRUE(next.is_string()) << pages.body;
  auto published_only = http.get("/v1/sites/" + out.site_id + "/pages?status=published", t.viewer);
  EXPECT_EQ(published_only.json()["data"].size(), 1u) << published_only.body;

  auto history = http.get("/v1/pages/" + out.page_id + "/history", t.viewer);
  EXPECT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json()["data"].size(), 10u) << history.body;
  if (history.json()["data"].size() >= 1) {
    EXPECT_EQ(history.json()["data"][0].value("type", ""), "PageCreated");
  }

  // The raw stream: each line's sha256 is the next line's prevHash.
  auto ndjson = http.get("/v1/sites/" + out.site_id + "/events", t.viewer, {{"Accept", "application/x-ndjson"}});
  EXPECT_EQ(ndjson.status, 200);
  std::istringstream lines(ndjson.body);
  std::string line, prev(64, '0');
  while (std::getline(lines, line)) {
    ++out.site_events;
    EXPECT_EQ(json::parse(line).value("prevHash", ""), prev) << "seq " << out.site_events;
    prev = sha256_of(line);
  }
  EXPECT_EQ(out.site_events, 12);  // SiteCreated, 2 × PageCreated, 9 later events of the page
  auto verify = http.get("/v1/sites/" + out.site_id + "/audit/verify", t.viewer);
  EXPECT_EQ(verify.status, 200) << verify.body;
  const json v = verify.json()["data"];
  EXPECT_EQ(v.value("ok", false), true) << verify.body;
  EXPECT_EQ(v.value("events", int64_t{0}), out.site_events);
  EXPECT_EQ(v.value("headHash", ""), prev);
  out.head_hash = prev;

  // Time travel, read only: the page as it was, folded from its own events in the log.
  const std::string page_path = "/v1/pages/" + out.page_id;
  auto first = http.get(page_path + "?version=1", t.viewer);
  EXPECT_EQ(first.status, 200) << first.body;
  const json v1 = first.json()["data"];
  EXPECT_EQ(v1.value("title", ""), "Opening Hours");
  EXPECT_EQ(v1.value("status", ""), "draft");
  EXPECT_EQ(v1["content"], json::array());
  auto tenth = http.get(page_path + "?version=10", t.viewer);
  EXPECT_EQ(tenth.status, 200) << tenth.body;
  EXPECT_EQ(tenth.json()["data"]["content"], p["content"]);
  EXPECT_EQ(tenth.json()["data"].value("title", ""), "Hours");
  auto as_of = http.get(page_path + "?asOf=" + v1.value("updatedAt", ""), t.viewer);
  EXPECT_EQ(as_of.status, 200) << as_of.body;
  EXPECT_EQ(as_of.json()["data"], v1);
  EXPECT_EQ(http.get(page_path + "?version=11", t.viewer).status, 404);
  EXPECT_EQ(http.get(page_path + "?asOf=yesterday", t.viewer).status, 400);
  auto versions = http.get(page_path + "/versions?limit=3", t.viewer);
  EXPECT_EQ(versions.status, 200) << versions.body;
  EXPECT_EQ(versions.json()["data"].size(), 3u) << versions.body;
  if (versions.json()["data"].size() == 3) {
    EXPECT_EQ(versions.json()["data"][0]["version"], 10);
    EXPECT_EQ(versions.json()["data"][0]["events"], json::array({"PagePublished"}));
    EXPECT_EQ(versions.json()["data"][2]["events"], json::array({"ComponentRemoved"}));
  }
  auto diff = http.get(page_path + "/diff?from=4&to=6", t.viewer);
  EXPECT_EQ(diff.status, 200) << diff.body;
  const json changes = diff.json()["data"]["components"];
  EXPECT_EQ(changes["changed"], json::array({{{"id", heading_id}, {"patch", {{"text", "Warm bread"}}}}})) << diff.body;
  EXPECT_EQ(changes["moved"].size(), 1u) << diff.body;
  return out;
}

json wait_for_deployment(HttpClient& http, const std::string& token, const std::string& id) {
  json d;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = http.get("/v1/deployments/" + id, token);
    if (r.status == 200) {
      d = r.json()["data"];
      if (d["status"] == "succeeded" || d["status"] == "failed") return d;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "deployment " << id << " never finished: " << d.dump();
  return d;
}

}  // namespace pw::test
