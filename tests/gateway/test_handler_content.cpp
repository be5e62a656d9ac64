// GET/PUT /v1/pages/{pageId}/content: the page's tree as a Puck document,
// through the handler, the processor, the projector and the read model.
#include <thread>

#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class ContentTest : public HandlerTest {
 protected:
  void expect_error(const Reply& r, int status, const std::string& code, const std::string& field) {
    ASSERT_EQ(r.response.status, status) << r.response.body;
    const json body = r.body();
    EXPECT_EQ(body["error"]["code"], code) << r.response.body;
    ASSERT_FALSE(body["error"]["details"].empty()) << r.response.body;
    EXPECT_EQ(body["error"]["details"][0]["field"], field) << r.response.body;
  }

  int64_t events_of(const std::string& site, const std::string& tenant = "t-handler") {
    auto v = call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer, tenant));
    EXPECT_EQ(v.response.status, 200) << v.response.body;
    return v.body()["data"].value("events", int64_t{-1});
  }

  std::string create_page(const std::string& site, const std::string& tenant = "t-handler",
                          const std::string& title = "Home") {
    auto r = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor, tenant),
                  json{{"title", title}, {"slug", ""}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    position_ = r.body()["data"].value("position", "");
    return r.body()["data"].value("pageId", "");
  }

  Reply get_content(const std::string& page, const std::string& tenant = "t-handler") {
    return call("GET", "/v1/pages/" + page + "/content", token(Role::viewer, tenant), {},
                {{"x-pagewright-after", position_}});
  }

  Reply put_content(const std::string& page, const json& doc, const std::string& version,
                    const std::string& tenant = "t-handler") {
    auto r = call("PUT", "/v1/pages/" + page + "/content", token(Role::editor, tenant), doc.dump(),
                  {{"if-match", "\"" + version + "\""}});
    // An edit that changes nothing has no position; reads then wait for none.
    if (r.response.status == 200 && r.body()["data"]["position"].is_string())
      position_ = r.body()["data"]["position"].get<std::string>();
    return r;
  }

  // Another tenant's page, edited through a Puck document, reads back and
  // publishes: the service goes on after what came before.
  void another_tenant_still_served(const std::string& subdomain) {
    const std::string t = "t-next";
    auto site = call("POST", "/v1/sites", token(Role::admin, t), json{{"name", "Next"}, {"subdomain", subdomain}}.dump());
    ASSERT_EQ(site.response.status, 201) << site.response.body;
    const std::string id = site.body()["data"].value("siteId", "");
    const std::string page = create_page(id, t, "Hello");
    const json doc = {{"root", {{"props", {{"title", "Hello"}}}}},
                      {"content", {{{"type", "Heading"}, {"props", {{"text", "Still served"}}}}}},
                      {"zones", json::object()}};
    auto put = put_content(page, doc, "1", t);
    ASSERT_EQ(put.response.status, 200) << put.response.body;
    auto got = get_content(page, t);
    ASSERT_EQ(got.response.status, 200) << got.response.body;
    EXPECT_EQ(got.body()["data"]["content"][0]["props"]["text"], "Still served");

    ASSERT_EQ(call("POST", "/v1/pages/" + page + "/publish", token(Role::admin, t)).response.status, 200);
    const json d = publish_and_wait(id, t);
    ASSERT_EQ(d.value("status", ""), "succeeded") << d.dump();
    auto served = call("GET", "/sites/" + subdomain + "/");
    ASSERT_EQ(served.response.status, 200);
    const std::string html = body_of(served);
    EXPECT_NE(html.find("Still served"), std::string::npos);
  }

  std::string position_;
};

TEST_F(ContentTest, PutThenGetGivesTheNormalisedDocument) {
  const std::string site = create_site("content-roundtrip");
  const std::string page = create_page(site);
  auto added = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                    R"({"type":"Section","props":{"padding":"large"}})");
  ASSERT_EQ(added.response.status, 201) << added.response.body;
  const std::string section = added.body()["data"].value("componentId", "");
  position_ = added.body()["data"].value("position", "");

  auto got = get_content(page);
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  EXPECT_EQ(got.header("ETag"), "\"2\"");
  json doc = got.body()["data"];
  EXPECT_EQ(doc, (json{{"root", {{"props", {{"title", "Home"}}}}},
                       {"content", {{{"type", "Section"},
                                     {"props", {{"id", section}, {"padding", "large"}, {"children", json::array()}}}}}},
                       {"zones", json::object()}}));

  // As an editor writes it: a new Heading with Puck's own id, a Text without
  // one, the older zones shape for the Section's slot, a new title.
  doc["root"]["props"]["title"] = "Welcome";
  doc["content"][0]["props"].erase("children");
  const std::string puck_id = "Heading-0b8e3f7c-7c61-4f8e-8d0e-3c7b1a2e4f50";
  doc["zones"][section + ":children"] = {{{"type", "Heading"}, {"props", {{"id", puck_id}, {"text", "Hi"}, {"level", 1}}}}};
  doc["content"].push_back({{"type", "Text"}, {"props", {{"text", "Body"}}}});
  auto put = put_content(page, doc, "2");
  ASSERT_EQ(put.response.status, 200) << put.response.body;
  json types = json::array();
  const json put_body = put.body();
  for (const auto& e : put_body["data"]["events"]) types.push_back(e["type"]);
  EXPECT_EQ(types, json::array({"PageMetadataUpdated", "ComponentAdded", "ComponentAdded"})) << put.response.body;
  EXPECT_EQ(put.body()["data"]["version"], 5);

  auto after = get_content(page);
  ASSERT_EQ(after.response.status, 200) << after.response.body;
  EXPECT_EQ(after.header("ETag"), "\"5\"");
  const json back = after.body()["data"];
  EXPECT_EQ(back["root"]["props"]["title"], "Welcome");
  EXPECT_EQ(back["zones"], json::object());
  ASSERT_EQ(back["content"].size(), 2u);
  EXPECT_EQ(back["content"][0]["props"]["children"],
            json::array({{{"type", "Heading"}, {"props", {{"id", puck_id}, {"text", "Hi"}, {"level", 1}}}}}));
  const std::string made = back["content"][1]["props"].value("id", "");
  EXPECT_TRUE(made.size() == 16 && made[0] == 'c') << made;
  EXPECT_EQ(back["content"][1]["props"]["text"], "Body");

  // The document as read, sent back: nothing to do.
  auto same = put_content(page, back, "5");
  ASSERT_EQ(same.response.status, 200) << same.response.body;
  EXPECT_EQ(same.body()["data"]["events"], json::array());
  EXPECT_EQ(same.body()["data"]["version"], 5);

  // The page read the usual way holds the same tree.
  auto p = call("GET", "/v1/pages/" + page, token(Role::viewer), {}, {{"x-pagewright-after", position_}});
  ASSERT_EQ(p.response.status, 200);
  EXPECT_EQ(p.body()["data"]["title"], "Welcome");
  EXPECT_EQ(p.body()["data"]["content"][0]["slots"]["children"][0]["id"], puck_id);
}

TEST_F(ContentTest, PreconditionsAndConflicts) {
  const std::string site = create_site("content-ifmatch");
  const std::string page = create_page(site);
  const json doc = get_content(page).body()["data"];
  auto missing = call("PUT", "/v1/pages/" + page + "/content", token(Role::editor), doc.dump());
  expect_error(missing, 428, "PRECONDITION_REQUIRED", "If-Match");
  auto stale = put_content(page, doc, "7");
  expect_error(stale, 409, "VERSION_CONFLICT", "version");
  EXPECT_NE(stale.body()["error"]["details"][0].value("message", "").find("current version is 1"), std::string::npos)
      << stale.response.body;
  auto viewer = call("PUT", "/v1/pages/" + page + "/content", token(Role::viewer), doc.dump(), {{"if-match", "\"1\""}});
  EXPECT_EQ(viewer.response.status, 403) << viewer.response.body;
  EXPECT_EQ(viewer.body()["error"]["code"], "FORBIDDEN");
  EXPECT_EQ(events_of(site), 2);
}

TEST_F(ContentTest, OtherTenantsPagesAreNotFound) {
  const std::string site = create_site("content-tenant");
  const std::string page = create_page(site);
  ASSERT_EQ(get_content(page).response.status, 200);
  auto got = call("GET", "/v1/pages/" + page + "/content", token(Role::viewer, "t-other"));
  EXPECT_EQ(got.response.status, 404) << got.response.body;
  EXPECT_EQ(got.body()["error"]["code"], "NOT_FOUND");
  auto put = put_content(page, json{{"content", json::array()}}, "1", "t-other");
  EXPECT_EQ(put.response.status, 404) << put.response.body;
  EXPECT_EQ(put.body()["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(call("GET", "/v1/pages/not-a-page/content", token(Role::viewer)).response.status, 404);
  EXPECT_EQ(events_of(site), 2);
}

TEST_F(ContentTest, HostileDocumentsAreRefusedWithPointersAndAppendNothing) {
  const std::string site = create_site("content-hostile");
  const std::string page = create_page(site);
  const std::string target = "/v1/pages/" + page + "/content";
  auto bad = [&](const std::string& body) {
    return call("PUT", target, token(Role::editor), body, {{"if-match", "\"1\""}});
  };
  json nested_bad = {{"root", {{"props", {{"title", "Home"}}}}},
                     {"content", {{{"type", "Section"},
                                   {"props", {{"children", {{{"type", "Heading"}, {"props", {{"text", "a"}}}},
                                                            {{"type", "Heading"}, {"props", {{"text", "b"}, {"level", 9}}}}}}}}}}},
                     {"zones", json::object()}};
  expect_error(bad(nested_bad.dump()), 422, "UNPROCESSABLE", "/content/0/props/children/1/props/level");
  expect_error(bad(R"({"content":[{"type":"Marquee","props":{}}]})"), 422, "UNPROCESSABLE", "/content/0/type");
  expect_error(bad(R"({"content":[{"type":"Heading","props":{"text":"x","children":[]}}]})"), 422, "UNPROCESSABLE",
               "/content/0/props/children");
  expect_error(bad(R"({"content":[{"type":"Spacer","props":{"id":"a"}},{"type":"Spacer","props":{"id":"a"}}]})"), 422,
               "UNPROCESSABLE", "/content/1/props/id");
  expect_error(bad(R"({"content":[],"extra":true})"), 400, "VALIDATION_ERROR", "/extra");
  expect_error(bad(R"({"content":[{"type":"Spacer","props":{},"readOnly":{}}]})"), 400, "VALIDATION_ERROR",
               "/content/0/readOnly");
  expect_error(bad(R"({"content":[)"), 400, "VALIDATION_ERROR", "body");
  expect_error(bad(R"({"content":[{"type":"Text","props":{"text":"a\u0000"}}]})"), 400, "VALIDATION_ERROR",
               "content[0].props.text");
  // Nested 33 levels: the JSON is within the route's depth, the tree is not.
  json deep = {{"type", "Heading"}, {"props", {{"text", "leaf"}}}};
  std::string pointer = "/content/0";
  for (int i = 0; i < 32; ++i) {
    deep = {{"type", "Section"}, {"props", {{"children", json::array({deep})}}}};
    pointer += "/props/children/0";
  }
  expect_error(bad(json{{"content", json::array({deep})}}.dump()), 422, "UNPROCESSABLE", pointer);
  // JSON deeper than any document: refused while parsing.
  expect_error(bad(std::string(200, '[') + std::string(200, ']')), 400, "VALIDATION_ERROR", "body");
  json many = json::array();
  for (int i = 0; i < 2001; ++i) many.push_back({{"type", "Spacer"}});
  expect_error(bad(json{{"content", many}}.dump()), 422, "UNPROCESSABLE", "/content");
  json big = json::array();
  for (int i = 0; i < 60; ++i) big.push_back({{"type", "Text"}, {"props", {{"text", std::string(19000, 'a')}}}});
  auto large = bad(json{{"content", big}}.dump());
  ASSERT_EQ(large.response.status, 413) << large.response.body.substr(0, 300);
  EXPECT_EQ(large.body()["error"]["code"], "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(events_of(site), 2) << "nothing was appended";
  auto still = get_content(page);
  EXPECT_EQ(still.header("ETag"), "\"1\"");
  EXPECT_EQ(still.body()["data"]["content"], json::array());
  another_tenant_still_served("content-hostile-next");
}

}  // namespace
}  // namespace pw::gateway
