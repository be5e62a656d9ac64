// Publishing through the API: POST …/publish, the deployment read model, the
// embedded static host, and rollback — over the real processor, projector,
// build worker and deploy store.
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class DeploymentsTest : public HandlerTest {
 protected:
  // A site with a published home page (a Heading) and a published "about" page.
  void make_site(const std::string& subdomain) {
    site_ = create_site(subdomain);
    ASSERT_FALSE(site_.empty());
    home_ = page("Home", "");
    about_ = page("About", "about");
    heading_ = component(home_, json{{"type", "Heading"}, {"props", {{"text", "Hello from the first deploy"}}}});
    publish(home_);
    publish(about_);
  }
  std::string page(const std::string& title, const std::string& slug) {
    auto r = call("POST", "/v1/sites/" + site_ + "/pages", token(Role::editor),
                  json{{"title", title}, {"slug", slug}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("pageId", "");
  }
  std::string component(const std::string& page, const json& body) {
    auto r = call("POST", "/v1/pages/" + page + "/components", token(Role::editor), body.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("componentId", "");
  }
  void publish(const std::string& page) {
    auto r = call("POST", "/v1/pages/" + page + "/publish", token(Role::admin));
    EXPECT_EQ(r.response.status, 200) << r.response.body;
  }
  std::string request_deployment(const json& body = json::object()) {
    auto r = call("POST", "/v1/sites/" + site_ + "/publish", token(Role::admin), body.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("deploymentId", "");
  }
  // The deployment once it has an outcome (as the read model shows it).
  json finished(const std::string& id) {
    json d;
    for (int i = 0; i < 400; ++i) {
      auto r = call("GET", "/v1/deployments/" + id, token(Role::viewer));
      if (r.response.status == 200) {
        d = r.body()["data"];
        if (d["status"] == "succeeded" || d["status"] == "failed") return d;
      }
      std::this_thread::sleep_for(25ms);
    }
    ADD_FAILURE() << "deployment " << id << " never finished: " << d.dump();
    return d;
  }
  Reply get_static(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return call("GET", "/sites/" + subdomain_ + path, {}, {}, std::move(headers));
  }

  std::string token_for_other() const { return token(Role::admin, "t-other"); }

  std::string subdomain_ = "deploy-shop";
  std::string site_, home_, about_, heading_;
};

TEST_F(DeploymentsTest, PublishBuildsShipsAndServesTheSite) {
  make_site(subdomain_);
  const std::string id = request_deployment({{"environment", "production"}, {"strategy", "blue-green"}});
  ASSERT_FALSE(id.empty());
  const json d = finished(id);
  ASSERT_EQ(d["status"], "succeeded") << d.dump();
  EXPECT_EQ(d["environment"], "production");
  EXPECT_EQ(d["strategy"], "blue-green");
  EXPECT_EQ(d["counts"]["pagesRendered"], 2);
  EXPECT_EQ(d["counts"]["pagesReused"], 0);
  EXPECT_GT(d["counts"]["bytes"].get<int64_t>(), 0);
  EXPECT_EQ(d["manifestHash"].get<std::string>().size(), 64u);
  EXPECT_EQ(d["url"], "/sites/deploy-shop/");
  EXPECT_TRUE(d["live"].get<bool>());
  EXPECT_FALSE(d["log"].empty());
  EXPECT_FALSE(d["startedAt"].is_null());
  EXPECT_FALSE(d["finishedAt"].is_null());
  EXPECT_TRUE(d["durations"].contains("buildMs"));
  const std::string metrics = metrics_.render();
  EXPECT_NE(metrics.find("deployments_total{outcome=\"succeeded\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("deployment_build_seconds_count 1"), std::string::npos);

  auto site = call("GET", "/v1/sites/" + site_, token(Role::viewer)).body()["data"];
  EXPECT_EQ(site["deployments"]["production"]["deploymentId"], id) << site.dump();
  auto list = call("GET", "/v1/sites/" + site_ + "/deployments", token(Role::viewer)).body();
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["deploymentId"], id);

  // The static host: no token, HTML with short caching, ETags, redirects, 404 page.
  auto home = get_static("/");
  ASSERT_EQ(home.response.status, 200) << home.response.body;
  EXPECT_EQ(home.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(home.response.body.find("Hello from the first deploy"), std::string::npos);
  EXPECT_EQ(home.header("Cache-Control"), "public, max-age=0, must-revalidate");
  const std::string etag = home.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(get_static("/", {{"if-none-match", etag}}).response.status, 304);
  auto about = get_static("/about");
  EXPECT_EQ(about.response.status, 301);
  EXPECT_EQ(about.header("Location"), "/sites/deploy-shop/about/");
  EXPECT_EQ(get_static("/about/").response.status, 200);
  auto missing = get_static("/nowhere/");
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_NE(missing.response.body.find("<html"), std::string::npos);
  EXPECT_EQ(get_static("/sitemap.xml").header("Content-Type"), "application/xml; charset=utf-8");
  const std::string marker = "rel=\"stylesheet\" href=\"";
  const auto css_at = home.response.body.find(marker);
  ASSERT_NE(css_at, std::string::npos);
  const auto from = css_at + marker.size();
  std::string css = home.response.body.substr(from, home.response.body.find('"', from) - from);
  for (auto at = css.find("&#x2F;"); at != std::string::npos; at = css.find("&#x2F;")) css.replace(at, 6, "/");
  ASSERT_EQ(css.rfind("assets/site.", 0), 0u) << css;
  auto stylesheet = get_static("/" + css);
  EXPECT_EQ(stylesheet.response.status, 200) << css;
  EXPECT_EQ(stylesheet.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(call("GET", "/sites/no-such-site/").response.status, 404);
  EXPECT_EQ(get_static("/../../etc/passwd").response.status, 404);
}

TEST_F(DeploymentsTest, RepublishReusesUnchangedPagesAndRollbackRestoresTheEarlierDeploy) {
  make_site(subdomain_);
  const std::string first = request_deployment();
  ASSERT_EQ(finished(first)["status"], "succeeded");
  auto patched = call("PATCH", "/v1/pages/" + home_ + "/components/" + heading_, token(Role::editor),
                      json{{"props", {{"text", "Hello from the second deploy"}}}}.dump());
  ASSERT_EQ(patched.response.status, 200) << patched.response.body;
  publish(home_);
  const std::string second = request_deployment();
  const json d2 = finished(second);
  ASSERT_EQ(d2["status"], "succeeded");
  EXPECT_EQ(d2["counts"]["pagesRendered"], 1);
  EXPECT_EQ(d2["counts"]["pagesReused"], 1);
  EXPECT_NE(get_static("/").response.body.find("second deploy"), std::string::npos);

  auto list = call("GET", "/v1/sites/" + site_ + "/deployments?limit=1", token(Role::viewer)).body();
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["deploymentId"], second);  // newest first
  ASSERT_TRUE(list["pagination"]["nextCursor"].is_string());

  EXPECT_EQ(call("POST", "/v1/deployments/" + first + "/rollback", token(Role::editor)).response.status, 403);
  auto rolled = call("POST", "/v1/deployments/" + first + "/rollback", token(Role::admin));
  ASSERT_EQ(rolled.response.status, 200) << rolled.response.body;
  EXPECT_EQ(rolled.body()["data"]["events"][0]["type"], "DeploymentRolledBack");
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body = get_static("/").response.body;
    if (body.find("first deploy") != std::string::npos) break;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_NE(body.find("first deploy"), std::string::npos);
  const std::string position = rolled.body()["data"].value("position", "");
  auto now_live = call("GET", "/v1/deployments/" + first, token(Role::viewer), {},
                       {{"x-pagewright-after", position}});
  EXPECT_TRUE(now_live.body()["data"]["live"].get<bool>()) << now_live.response.body;
  EXPECT_FALSE(call("GET", "/v1/deployments/" + second, token(Role::viewer)).body()["data"]["live"].get<bool>());
}

TEST_F(DeploymentsTest, AStagingDeployIsServedOnlyAtItsUnguessableUrlAndNeverIndexed) {
  make_site(subdomain_);
  const std::string id = request_deployment({{"environment", "staging"}});
  const json d = finished(id);
  ASSERT_EQ(d["status"], "succeeded") << d.dump();
  const std::string url = d["url"];
  ASSERT_EQ(url.rfind("/previews/", 0), 0u) << url;
  const std::string secret = url.substr(10, url.size() - 11);
  EXPECT_EQ(secret.size(), 32u);  // 128 bits, hex
  EXPECT_EQ(url.find(subdomain_), std::string::npos);

  auto home = call("GET", url);
  ASSERT_EQ(home.response.status, 200) << home.response.body;
  EXPECT_NE(home.response.body.find("Hello from the first deploy"), std::string::npos);
  EXPECT_EQ(home.header("X-Robots-Tag"), "noindex");
  auto about = call("GET", url + "about");
  EXPECT_EQ(about.response.status, 301);
  EXPECT_EQ(about.header("Location"), url + "about/");
  auto missing = call("GET", url + "nowhere/");
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(missing.header("X-Robots-Tag"), "noindex");

  // Not at the guessable addresses, nor under a wrong token; production has no deploy yet.
  EXPECT_EQ(get_static("--staging/").response.status, 404);
  EXPECT_EQ(get_static("/").response.status, 404);
  std::string wrong = secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  auto guessed = call("GET", "/previews/" + wrong + "/");
  EXPECT_EQ(guessed.response.status, 404);
  EXPECT_EQ(guessed.header("X-Robots-Tag"), "noindex");
  EXPECT_EQ(guessed.response.body.find("Hello"), std::string::npos);

  // Another tenant's next edit still becomes visible.
  std::string position;
  const std::string other = [&] {
    auto created = call("POST", "/v1/sites", token_for_other(),
                        json{{"name", "Other"}, {"subdomain", "other-shop"}}.dump());
    EXPECT_EQ(created.response.status, 201) << created.response.body;
    position = created.body()["data"].value("position", "");
    return created.body()["data"].value("siteId", "");
  }();
  auto seen = call("GET", "/v1/sites/" + other, token(Role::viewer, "t-other"), {}, {{"x-pagewright-after", position}});
  EXPECT_EQ(seen.response.status, 200) << seen.response.body;
}

TEST_F(DeploymentsTest, BadRequestsChangeNothing) {
  make_site(subdomain_);
  const std::string publish = "/v1/sites/" + site_ + "/publish";
  auto editor = call("POST", publish, token(Role::editor), "{}");
  EXPECT_EQ(editor.response.status, 403);
  auto bad_env = call("POST", publish, token(Role::admin), R"({"environment":"qa"})");
  EXPECT_EQ(bad_env.response.status, 400);
  EXPECT_EQ(bad_env.body()["error"]["details"][0]["field"], "environment");
  EXPECT_EQ(call("POST", publish, token(Role::admin), R"({"strategy":"canary"})").response.status, 400);
  EXPECT_EQ(call("POST", publish, token(Role::admin), R"({"force":true})").response.status, 400);
  EXPECT_EQ(call("POST", publish, token(Role::admin), R"({"environment":)").response.status, 400);
  EXPECT_EQ(call("POST", publish, token(Role::admin, "t-other"), "{}").response.status, 404);
  auto list = call("GET", "/v1/sites/" + site_ + "/deployments", token(Role::viewer)).body();
  EXPECT_TRUE(list["data"].empty()) << list.dump();

  const std::string id = request_deployment();
  ASSERT_EQ(finished(id)["status"], "succeeded");
  EXPECT_EQ(call("GET", "/v1/deployments/" + id, token(Role::viewer, "t-other")).response.status, 404);
  EXPECT_EQ(call("POST", "/v1/deployments/" + id + "/rollback", token(Role::admin, "t-other")).response.status,
            404);
  EXPECT_EQ(call("GET", "/v1/deployments/nonsense", token(Role::viewer)).response.status, 404);
  const std::string unknown = site_ + ".zzzz";
  EXPECT_EQ(call("POST", "/v1/deployments/" + unknown + "/rollback", token(Role::admin)).response.status, 404);
}

}  // namespace
}  // namespace pw::gateway
