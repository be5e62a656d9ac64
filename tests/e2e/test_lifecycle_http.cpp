// The page lifecycle against a real `pagewright serve`: a page deleted and a
// page unpublished after a deploy are gone from the next one — 404 on the live
// site, out of the sitemap and out of the navigation — and a restored,
// republished page comes back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;


class LifecycleHttp : public ServeTest {
 protected:
  LifecycleHttp() : ServeTest("lifecycle") {}
};

TEST_F(LifecycleHttp, DeletedAndUnpublishedPagesLeaveTheNextDeploy) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string sub = "life-" + db_.substr(8, 8);

  auto site = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", "Bakery"}, {"subdomain", sub}});
  ASSERT_EQ(site.status, 201) << site.body;
  const std::string site_id = site.json()["data"].value("siteId", "");
  auto page = [&](const std::string& title, const std::string& slug) {
    auto r = http.send_json("POST", "/v1/sites/" + site_id + "/pages", tokens.editor,
                            {{"title", title}, {"slug", slug}});
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json()["data"].value("pageId", "");
    auto p = http.send_json("POST", "/v1/pages/" + id + "/publish", tokens.admin, json::object());
    EXPECT_EQ(p.status, 200) << p.body;
    return id;
  };
  const std::string home = page("Welcome", "");
  const std::string story = page("Our Story", "story");
  const std::string reach = page("Reach Out", "reach");
  ASSERT_FALSE(HasFailure());
  auto deploy = [&] {
    auto r = http.send_json("POST", "/v1/sites/" + site_id + "/publish", tokens.admin, {{"environment", "production"}});
    EXPECT_EQ(r.status, 201) << r.body;
    const json d = wait_for_deployment(http, tokens.viewer, r.json()["data"].value("deploymentId", ""));
    EXPECT_EQ(d["status"], "succeeded") << d.dump();
  };
  auto live = [&](const std::string& path) { return http.request("GET", "/sites/" + sub + "/" + path); };

  deploy();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(live("story/").status, 200);
  EXPECT_EQ(live("reach/").status, 200);
  auto sitemap = live("sitemap.xml");
  ASSERT_EQ(sitemap.status, 200);
  EXPECT_NE(sitemap.body.find("/story/"), std::string::npos) << sitemap.body;
  EXPECT_NE(sitemap.body.find("/reach/"), std::string::npos) << sitemap.body;
  auto front = live("");
  ASSERT_EQ(front.status, 200) << front.body;
  EXPECT_NE(front.body.find("Our Story"), std::string::npos);
  EXPECT_NE(front.body.find("Reach Out"), std::string::npos);

  auto deleted = http.send_json("DELETE", "/v1/pages/" + story, tokens.editor, json::object());
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  auto unpublished = http.send_json("POST", "/v1/pages/" + reach + "/unpublish", tokens.editor, json::object());
  ASSERT_EQ(unpublished.status, 200) << unpublished.body;
  // Until the next deploy the live site is as it was.
  EXPECT_EQ(live("story/").status, 200);

  deploy();
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(live("story/").status, 404);
  EXPECT_EQ(live("reach/").status, 404);
  EXPECT_EQ(live("").status, 200);
  sitemap = live("sitemap.xml");
  EXPECT_EQ(sitemap.body.find("/story/"), std::string::npos) << sitemap.body;
  EXPECT_EQ(sitemap.body.find("/reach/"), std::string::npos) << sitemap.body;
  front = live("");
  EXPECT_EQ(front.body.find("Our Story"), std::string::npos) << "navigation still names the deleted page";
  EXPECT_EQ(front.body.find("Reach Out"), std::string::npos) << "navigation still names the unpublished page";

  // Restored and published again, a page is back on the next deploy.
  auto restored = http.send_json("POST", "/v1/pages/" + story + "/restore", tokens.editor, json::object());
  ASSERT_EQ(restored.status, 200) << restored.body;
  auto republished = http.send_json("POST", "/v1/pages/" + story + "/publish", tokens.admin, json::object());
  ASSERT_EQ(republished.status, 200) << republished.body;
  deploy();
  EXPECT_EQ(live("story/").status, 200);
  EXPECT_EQ(live("reach/").status, 404);
  EXPECT_NE(live("sitemap.xml").body.find("/story/"), std::string::npos);
  EXPECT_NE(live("").body.find("Our Story"), std::string::npos);
  (void)home;
}

}  // namespace
}  // namespace pw::test
