// Draft previews through the API: POST …/previews answers the url at once, the
// real build pool renders the drafts, and the embedded static host serves them
// at the token (noindex) and not on the live site; bad input and another
// tenant's site change nothing. Over the real processor, projector, build
// worker, deploy store and Postgres read model.
#include <regex>

#include "events/envelope.hpp"
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class PreviewsTest : public HandlerTest {
 protected:
  // A site with a published and deployed home page holding a Heading.
  void make_site() {
    site_ = create_site(subdomain_);
    ASSERT_FALSE(site_.empty());
    auto p = call("POST", "/v1/sites/" + site_ + "/pages", token(Role::editor),
                  json{{"title", "Home"}, {"slug", ""}}.dump());
    ASSERT_EQ(p.response.status, 201) << p.response.body;
    home_ = p.body()["data"].value("pageId", "");
    auto c = call("POST", "/v1/pages/" + home_ + "/components", token(Role::editor),
                  json{{"type", "Heading"}, {"props", {{"text", "Published words"}}}}.dump());
    ASSERT_EQ(c.response.status, 201) << c.response.body;
    heading_ = c.body()["data"].value("componentId", "");
    ASSERT_EQ(call("POST", "/v1/pages/" + home_ + "/publish", token(Role::admin)).response.status, 200);
    deploy();
    ASSERT_TRUE(served("/sites/" + subdomain_ + "/", "Published words"));
  }
  // Requests a deployment and waits until the read model shows it succeeded
  // (its reports are in the site's stream by then).
  void deploy() {
    auto d = call("POST", "/v1/sites/" + site_ + "/publish", token(Role::admin), "{}");
    ASSERT_EQ(d.response.status, 201) << d.response.body;
    const std::string id = d.body()["data"].value("deploymentId", "");
    json got;
    for (int i = 0; i < 400; ++i) {
      got = call("GET", "/v1/deployments/" + id, token(Role::viewer)).body()["data"];
      if (got.is_object() && (got["status"] == "succeeded" || got["status"] == "failed")) break;
      std::this_thread::sleep_for(25ms);
    }
    ASSERT_EQ(got["status"], "succeeded") << got.dump();
  }
  // The seq of the event an accepted command appended (its last one).
  static int64_t seq_of(const Reply& r) {
    const json events = r.body()["data"]["events"];
    return events.empty() ? -1 : events.back().value("seq", int64_t{-1});
  }
  Reply edit(const std::string& text, const std::string& who = "t-handler") {
    return call("PATCH", "/v1/pages/" + home_ + "/components/" + heading_, token(Role::editor, who),
                json{{"props", {{"text", text}}}}.dump());
  }
  Reply request_preview(const std::string& body = "{}", const std::string& tenant = "t-handler",
                        Role role = Role::editor) {
    return call("POST", "/v1/sites/" + site_ + "/previews", token(role, tenant), body);
  }
  // Polls a static url until it answers 200 with `text` in its body (the build
  // pool works in the background).
  bool served(const std::string& url, const std::string& text) {
    for (int i = 0; i < 400; ++i) {
      auto r = call("GET", url);
      if (r.response.status == 200 && r.response.body.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  std::string subdomain_ = "preview-shop";
  std::string site_, home_, heading_;
};

TEST_F(PreviewsTest, ADraftEditShowsInThePreviewAndNotOnTheLiveSite) {
  make_site();
  ASSERT_EQ(edit("Draft words").response.status, 200);
  const auto before = std::chrono::system_clock::now();
  auto r = request_preview();
  ASSERT_EQ(r.response.status, 201) << r.response.body;
  const json data = r.body()["data"];
  const std::string url = data.value("url", "");
  EXPECT_TRUE(std::regex_match(url, std::regex("^/previews/[0-9a-f]{32}/$"))) << url;
  EXPECT_EQ(data["previewId"], data["aggregateId"]);
  EXPECT_EQ(data.value("previewId", "").rfind(site_ + ".", 0), 0u);
  const auto expires = parse_rfc3339(data.value("expiresAt", ""));
  ASSERT_TRUE(expires);
  EXPECT_GE(*expires, before + 24h - 1min);
  EXPECT_LE(*expires, std::chrono::system_clock::now() + 24h + 1min);

  ASSERT_TRUE(served(url, "Draft words"));
  auto preview = call("GET", url);
  EXPECT_EQ(preview.header("X-Robots-Tag"), "noindex");
  auto live = call("GET", "/sites/" + subdomain_ + "/");
  EXPECT_EQ(live.response.status, 200);
  EXPECT_NE(live.response.body.find("Published words"), std::string::npos);
  EXPECT_EQ(live.response.body.find("Draft words"), std::string::npos);
  // Only the production deployment exists; the preview is none.
  auto deployments = call("GET", "/v1/sites/" + site_ + "/deployments", token(Role::viewer)).body();
  EXPECT_EQ(deployments["data"].size(), 1u) << deployments.dump();

  // A guessed token, or one a character off, is not found.
  std::string wrong = url.substr(10, 32);
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  for (const std::string& t : {wrong, std::string(32, '0'), std::string("not-a-token")}) {
    auto guessed = call("GET", "/previews/" + t + "/");
    EXPECT_EQ(guessed.response.status, 404) << t;
    EXPECT_EQ(guessed.header("X-Robots-Tag"), "noindex");
    EXPECT_EQ(guessed.response.body.find("words"), std::string::npos);
  }
}

TEST_F(PreviewsTest, APreviewIsNotFoundAfterItExpires) {
  GatewayOptions options{test_support::kSecret};
  options.preview_ttl = 1s;
  gateway_ = std::make_unique<Gateway>(
      GatewayDeps{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()}, std::move(options));
  make_site();
  auto r = request_preview();
  ASSERT_EQ(r.response.status, 201) << r.response.body;
  const std::string url = r.body()["data"].value("url", "");
  const auto expires = parse_rfc3339(r.body()["data"].value("expiresAt", ""));
  ASSERT_TRUE(expires);
  // Built within its second, or reported as expired before it was built: either
  // way it is not found once expiresAt has passed.
  while (std::chrono::system_clock::now() < *expires + 50ms) std::this_thread::sleep_for(20ms);
  auto gone = call("GET", url);
  EXPECT_EQ(gone.response.status, 404);
  EXPECT_EQ(gone.header("X-Robots-Tag"), "noindex");
  EXPECT_EQ(gone.response.body.find("Published words"), std::string::npos);
}

TEST_F(PreviewsTest, BadInputIsRefusedAndChangesNothing) {
  make_site();
  auto first = edit("Before");
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  const std::string unknown = site_ + ".nosuchpage";
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  const std::vector<Case> cases = {
      {json{{"pageIds", {home_, unknown}}}.dump(), 422, "pageIds[1]"},
      {json{{"pageIds", {home_, home_}}}.dump(), 422, "pageIds[1]"},
      {json{{"pageIds", {3}}}.dump(), 400, "pageIds[0]"},
      {json{{"pageIds", "all"}}.dump(), 400, "pageIds"},
      {json{{"ttlSeconds", 5}}.dump(), 400, "ttlSeconds"},
  };
  for (const auto& c : cases) {
    auto r = request_preview(c.body);
    EXPECT_EQ(r.response.status, c.status) << c.body << " " << r.response.body;
    EXPECT_EQ(r.body()["error"]["details"][0]["field"], c.field) << c.body;
  }
  EXPECT_EQ(request_preview("{", "t-handler").response.status, 400);
  EXPECT_EQ(request_preview("{}", "t-handler", Role::viewer).response.status, 403);
  auto next = edit("After");
  ASSERT_EQ(next.response.status, 200) << next.response.body;
  EXPECT_EQ(seq_of(next), seq_of(first) + 1);  // nothing was appended in between

  // An empty list previews the published site; one listed page is fine.
  EXPECT_EQ(request_preview(json{{"pageIds", json::array()}}.dump()).response.status, 201);
  EXPECT_EQ(request_preview(json{{"pageIds", {home_}}}.dump()).response.status, 201);
}

// A preview of another tenant's site is not found, appends nothing, and that
// tenant's next edit still becomes visible and publishes.
TEST_F(PreviewsTest, APreviewOfAnotherTenantsSiteIsNotFound) {
  make_site();
  auto first = edit("Before");
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  auto r = request_preview("{}", "t-intruder");
  EXPECT_EQ(r.response.status, 404) << r.response.body;
  EXPECT_EQ(r.body()["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(call("POST", "/v1/sites/" + site_ + "/previews", token(Role::owner, "t-intruder"),
                 json{{"pageIds", {home_}}}.dump())
                .response.status,
            404);

  auto edited = edit("Owner words");
  ASSERT_EQ(edited.response.status, 200) << edited.response.body;
  EXPECT_EQ(seq_of(edited), seq_of(first) + 1);  // nothing was appended in between
  auto seen = call("GET", "/v1/pages/" + home_, token(Role::viewer), {},
                   {{"x-pagewright-after", edited.body()["data"].value("position", "")}});
  ASSERT_EQ(seen.response.status, 200);
  EXPECT_NE(seen.response.body.find("Owner words"), std::string::npos);
  ASSERT_EQ(call("POST", "/v1/pages/" + home_ + "/publish", token(Role::admin)).response.status, 200);
  deploy();
  EXPECT_TRUE(served("/sites/" + subdomain_ + "/", "Owner words"));
}

}  // namespace
}  // namespace pw::gateway
