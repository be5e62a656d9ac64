// API.md "Limits" as a client meets them: text that cannot be stored is 400,
// sizes over their limit 413, structures over theirs 422, each in the API's
// error format, with nothing appended; and the service goes on for others.
#include <thread>

#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class LimitsTest : public HandlerTest {
 protected:
  void expect_error(const Reply& r, int status, const std::string& code, const std::string& field) {
    ASSERT_EQ(r.response.status, status) << r.response.body;
    const json body = r.body();
    EXPECT_EQ(body["success"], false);
    EXPECT_EQ(body["error"]["code"], code);
    ASSERT_FALSE(body["error"]["details"].empty()) << r.response.body;
    EXPECT_EQ(body["error"]["details"][0]["field"], field) << r.response.body;
    EXPECT_FALSE(body["meta"].value("requestId", "").empty());
  }

  // The number of events the site's log holds (audit/verify reads the log).
  int64_t events_of(const std::string& site, const std::string& tenant = "t-handler") {
    auto v = call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer, tenant));
    EXPECT_EQ(v.response.status, 200) << v.response.body;
    return v.body()["data"].value("events", int64_t{-1});
  }

  // Another tenant's edit is accepted, becomes visible to its reads, and
  // publishes.
  void another_tenant_still_served(const std::string& subdomain) {
    const std::string t = "t-next";
    auto site = call("POST", "/v1/sites", token(Role::admin, t), json{{"name", "Next"}, {"subdomain", subdomain}}.dump());
    ASSERT_EQ(site.response.status, 201) << site.response.body;
    const std::string id = site.body()["data"].value("siteId", "");
    auto page = call("POST", "/v1/sites/" + id + "/pages", token(Role::editor, t), R"({"title":"Hello","slug":""})");
    ASSERT_EQ(page.response.status, 201) << page.response.body;
    const std::string page_id = page.body()["data"].value("pageId", "");
    auto heading = call("POST", "/v1/pages/" + page_id + "/components", token(Role::editor, t),
                        R"({"type":"Heading","props":{"text":"Still served"}})");
    ASSERT_EQ(heading.response.status, 201) << heading.response.body;
    const std::string position = heading.body()["data"].value("position", "");
    auto list = call("GET", "/v1/sites/" + id + "/pages", token(Role::viewer, t), {}, {{"x-pagewright-after", position}});
    ASSERT_EQ(list.response.status, 200) << list.response.body;
    ASSERT_EQ(list.body()["data"].size(), 1u) << list.response.body;
    EXPECT_EQ(list.body()["data"][0]["title"], "Hello");

    ASSERT_EQ(call("POST", "/v1/pages/" + page_id + "/publish", token(Role::admin, t)).response.status, 200);
    const json d = publish_and_wait(id, t);
    ASSERT_EQ(d.value("status", ""), "succeeded") << d.dump();
    auto served = call("GET", "/sites/" + subdomain + "/");
    ASSERT_EQ(served.response.status, 200);
    const std::string html = body_of(served);
    EXPECT_NE(html.find("Still served"), std::string::npos);
  }

  std::string create_page(const std::string& site, const std::string& title = "Home") {
    auto r = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor), json{{"title", title}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("pageId", "");
  }
};

TEST_F(LimitsTest, ControlCharactersAre400AndAppendNothing) {
  const std::string site = create_site("limits-text");
  const std::string pages = "/v1/sites/" + site + "/pages";
  expect_error(call("POST", pages, token(Role::editor), R"({"title":"x\u0000y"})"), 400, "VALIDATION_ERROR",
               "title");
  expect_error(call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"seo":{"description":"a\u001bb"}})"),
               400, "VALIDATION_ERROR", "seo.description");
  expect_error(call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"settings":{"a":{"b":"\u0007"}}})"),
               400, "VALIDATION_ERROR", "settings.a.b");
  expect_error(call("PATCH", "/v1/sites/" + site, token(Role::admin), "{\"settings\":{\"k\xc2\x85\":1}}"), 400,
               "VALIDATION_ERROR", "settings.k\xc2\x85");
  expect_error(call("POST", pages, token(Role::editor), R"({"title":"\ud800"})"), 400, "VALIDATION_ERROR", "title");
  const std::string page = create_page(site);
  expect_error(call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                    R"({"type":"Text","props":{"text":"\u0000"}})"),
               400, "VALIDATION_ERROR", "props.text");
  EXPECT_EQ(events_of(site), 2) << "SiteCreated and PageCreated only";

  // Tab, CR, LF and bidi overrides are text.
  auto ok = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                 R"({"type":"Text","props":{"text":"a\tb\r\nc \u202eevil"}})");
  EXPECT_EQ(ok.response.status, 201) << ok.response.body;
  another_tenant_still_served("limits-text-next");
}

TEST_F(LimitsTest, SettingsAt64KiBPassAndOverAre413) {
  const std::string site = create_site("limits-settings");
  // {"k":"x…x"} is 8 + n bytes.
  const auto settings = [](size_t bytes) { return json{{"settings", {{"k", std::string(bytes - 8, 'x')}}}}.dump(); };
  expect_error(call("PATCH", "/v1/sites/" + site, token(Role::admin), settings(65537)), 413, "PAYLOAD_TOO_LARGE",
               "settings");
  EXPECT_EQ(events_of(site), 1);
  auto at = call("PATCH", "/v1/sites/" + site, token(Role::admin), settings(65536));
  ASSERT_EQ(at.response.status, 200) << at.response.body;
  // A small change to large settings: its event carries only the change.
  auto small = call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"settings":{"k":"y","n":1}})");
  ASSERT_EQ(small.response.status, 200) << small.response.body;
  auto events = call("GET", "/v1/sites/" + site + "/events?afterSeq=2", token(Role::viewer));
  ASSERT_EQ(events.response.status, 200) << events.response.body;
  const json ev = events.body()["data"][0];
  EXPECT_EQ(ev["type"], "SiteSettingsUpdated");
  EXPECT_EQ(ev["schemaVersion"], 2);
  EXPECT_EQ(ev["data"]["settingsPatch"], (json{{"k", "y"}, {"n", 1}}));
  EXPECT_FALSE(ev["data"].contains("settings"));
  auto got = call("GET", "/v1/sites/" + site, token(Role::viewer), {},
                  {{"x-pagewright-after", small.body()["data"].value("position", "")}});
  ASSERT_EQ(got.response.status, 200);
  EXPECT_EQ(got.body()["data"]["settings"], (json{{"k", "y"}, {"n", 1}}));
  another_tenant_still_served("limits-settings-next");
}

TEST_F(LimitsTest, MarkdownTablesOverTheLimitAre422) {
  const std::string site = create_site("limits-markdown");
  const std::string page = create_page(site);
  std::string header = "|", delimiter = "|";
  for (int i = 0; i < 65; ++i) header += " a |", delimiter += "---|";
  auto r = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                json{{"type", "Text"}, {"props", {{"text", header + "\n" + delimiter + "\n"}}}}.dump());
  expect_error(r, 422, "UNPROCESSABLE", "props.text");
  EXPECT_NE(r.body()["error"]["details"][0].value("message", "").find("64 columns"), std::string::npos);
  EXPECT_EQ(events_of(site), 2);
  another_tenant_still_served("limits-markdown-next");
}

TEST_F(LimitsTest, PageContentOver1MiBIs413) {
  const std::string site = create_site("limits-content");
  const std::string page = create_page(site);
  const std::string components = "/v1/pages/" + page + "/components";
  const std::string text(20000, 'x');
  int64_t accepted = 0;
  Reply last;
  for (int i = 0; i < 60; ++i) {
    last = call("POST", components, token(Role::editor), json{{"type", "Text"}, {"props", {{"text", text}}}}.dump());
    if (last.response.status != 201) break;
    ++accepted;
  }
  // 52 of these fit in 1 MiB (each is 20,000 bytes of text and ~50 of JSON).
  EXPECT_EQ(accepted, 52);
  expect_error(last, 413, "PAYLOAD_TOO_LARGE", "props");
  EXPECT_NE(last.body()["error"]["details"][0].value("message", "").find("1048576"), std::string::npos);
  EXPECT_EQ(events_of(site), 2 + accepted);
  another_tenant_still_served("limits-content-next");
}

// A merge patch padded with keys that remove nothing fits the 1 MiB body but
// would make a ComponentPropsUpdated event (which carries the patch) over
// 512 KiB: the command processor refuses it whole.
TEST_F(LimitsTest, AnEventOver512KiBIs413AndAppendsNothing) {
  const std::string site = create_site("limits-event");
  const std::string page = create_page(site);
  auto added = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                    R"({"type":"Text","props":{"text":"short"}})");
  ASSERT_EQ(added.response.status, 201) << added.response.body;
  const std::string component = added.body()["data"].value("componentId", "");
  json patch = {{"text", "changed"}};
  for (int i = 0; i < 45000; ++i) patch["pad" + std::to_string(100000 + i)] = nullptr;
  const std::string body = json{{"props", patch}}.dump();
  ASSERT_LT(body.size(), size_t{1} << 20);
  auto r = call("PATCH", "/v1/pages/" + page + "/components/" + component, token(Role::editor), body);
  expect_error(r, 413, "PAYLOAD_TOO_LARGE", "patch");
  EXPECT_NE(r.body()["error"]["details"][0].value("message", "").find("524288"), std::string::npos);
  EXPECT_EQ(events_of(site), 3) << "SiteCreated, PageCreated, ComponentAdded";
  auto small = call("PATCH", "/v1/pages/" + page + "/components/" + component, token(Role::editor),
                    R"({"props":{"text":"changed"}})");
  EXPECT_EQ(small.response.status, 200) << small.response.body;
  another_tenant_still_served("limits-event-next");
}

}  // namespace
}  // namespace pw::gateway

namespace pw::gateway {
namespace {

// The newer component types refuse hostile props with the prop named and
// nothing appended; what they accept is published escaped, with the only
// embed a privacy-enhanced player.
TEST_F(LimitsTest, HostileLibraryComponentPropsAre422AndAppendNothing) {
  const std::string site = create_site("limits-library");
  const std::string page = create_page(site);
  const std::string components = "/v1/pages/" + page + "/components";
  const auto add = [&](const json& body) { return call("POST", components, token(Role::editor), body.dump()); };
  expect_error(add({{"type", "Video"}, {"props", {{"url", "https://evil.example/embed/x"}, {"title", "t"}}}}), 422,
               "UNPROCESSABLE", "props.url");
  expect_error(add({{"type", "Video"}, {"props", {{"url", "javascript:alert(1)"}, {"title", "t"}}}}), 422,
               "UNPROCESSABLE", "props.url");
  expect_error(add({{"type", "Gallery"}, {"props", {{"images", {{{"src", "javascript:alert(1)"}, {"alt", ""}}}}}}}),
               422, "UNPROCESSABLE", "props.images.0.src");
  expect_error(add({{"type", "List"}, {"props", {{"items", json(std::vector<json>(101, {{"text", "x"}}))}}}}), 422,
               "UNPROCESSABLE", "props.items");
  expect_error(add({{"type", "Faq"}, {"props", {{"items", "<script>alert(1)</script>"}}}}), 422, "UNPROCESSABLE",
               "props.items");
  expect_error(add({{"type", "Navbar"}, {"props", {{"links", {{{"label", "x"}, {"href", "javascript:alert(1)"}}}}}}}),
               422, "UNPROCESSABLE", "props.links.0.href");
  expect_error(add({{"type", "Divider"}, {"props", {{"html", "<iframe src=//evil.example>"}}}}), 422,
               "UNPROCESSABLE", "props.html");
  EXPECT_EQ(events_of(site), 2) << "SiteCreated and PageCreated only";

  ASSERT_EQ(add({{"type", "Quote"}, {"props", {{"text", "<script>alert(1)</script>"}, {"cite", "\"><b>x"}}}})
                .response.status, 201);
  ASSERT_EQ(add({{"type", "Video"}, {"props", {{"url", "https://youtu.be/aqz-KE-bpKQ"}, {"title", "Tour"}}}})
                .response.status, 201);
  ASSERT_EQ(call("POST", "/v1/pages/" + page + "/publish", token(Role::admin)).response.status, 200);
  const json d = publish_and_wait(site);
  ASSERT_EQ(d.value("status", ""), "succeeded") << d.dump();
  auto served = call("GET", "/sites/limits-library/home/");  // the page's slug comes from its title
  ASSERT_EQ(served.response.status, 200);
  const std::string html = body_of(served);
  // Mustache escapes "/" too (&#x2F;), which browsers read back as "/".
  EXPECT_NE(html.find("<p>&lt;script&gt;alert(1)&lt;&#x2F;script&gt;</p>"), std::string::npos) << html;
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("src=\"https:&#x2F;&#x2F;www.youtube-nocookie.com&#x2F;embed&#x2F;aqz-KE-bpKQ\""),
            std::string::npos);
  EXPECT_NE(served.header("Content-Security-Policy").find("frame-src https://www.youtube-nocookie.com"),
            std::string::npos);
  another_tenant_still_served("limits-library-next");
}

}  // namespace
}  // namespace pw::gateway
