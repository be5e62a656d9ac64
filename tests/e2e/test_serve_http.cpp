// `pagewright serve` as a new user runs it: every role in one process on the
// embedded log, driven over real HTTP.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "events/envelope.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;


class ServeHttp : public ServeTest {
 protected:
  ServeHttp() : ServeTest("serve") {}
};

TEST_F(ServeHttp, EditorsEditAndReadBackAuditorsVerifyAndRestartKeepsEverything) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const ScenarioResult first = run_editing_scenario(http, tokens, "bakery-" + db_.substr(8, 8));
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_FALSE(first.page_id.empty());

  EXPECT_EQ(http.get("/healthz", "").status, 200);
  EXPECT_EQ(http.get("/readyz", "").status, 200);
  EXPECT_EQ(http.request("GET", "/metrics").status, 404) << "metrics are not on the API port";
  ASSERT_NE(metrics_port_, 0) << "serve did not print its metrics address";
  HttpClient operators("127.0.0.1", metrics_port_);
  auto metrics = operators.request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("http_requests_total{route=\"create_page\",status=\"201\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("commands_total{outcome=\"accepted\",type=\"AddComponent\"}"), std::string::npos)
      << metrics.body.substr(0, 2000);
  EXPECT_NE(metrics.body.find("events_appended_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("projection_lag_events{partition=\"0\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("projection_batch_seconds_count"), std::string::npos);

  ASSERT_EQ(stop(serve_, 30s), 0) << "serve did not drain and exit cleanly on SIGTERM";

  // Everything survives a restart, and editing carries on from the same versions.
  const uint16_t again = start_serve();
  ASSERT_NE(again, 0);
  HttpClient http2("127.0.0.1", again);
  auto page = http2.get("/v1/pages/" + first.page_id, tokens.viewer);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json()["data"].value("version", int64_t{0}), first.page_version);
  auto edit = http2.send_json("PATCH", "/v1/pages/" + first.page_id, tokens.editor, {{"description", "After restart"}},
                              {{"If-Match", "\"" + std::to_string(first.page_version) + "\""}});
  EXPECT_EQ(edit.status, 200) << edit.body;
  EXPECT_EQ(edit.json()["data"].value("version", int64_t{0}), first.page_version + 1);
  auto verify = http2.get("/v1/sites/" + first.site_id + "/audit/verify", tokens.viewer);
  EXPECT_EQ(verify.json()["data"].value("events", int64_t{0}), first.site_events + 1) << verify.body;
  EXPECT_EQ(verify.json()["data"].value("ok", false), true);
}

TEST_F(ServeHttp, VersionsAreLabelledRestoredAndTravelledToAcrossARestart) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);
  const ScenarioResult r = run_editing_scenario(http, t, "versions-" + db_.substr(8, 8));
  ASSERT_FALSE(HasFatalFailure());
  const std::string page = "/v1/pages/" + r.page_id;

  auto label = http.send_json("POST", page + "/versions/4/label", t.editor, {{"label", "before the move"}});
  ASSERT_EQ(label.status, 200) << label.body;
  EXPECT_EQ(label.json()["data"].value("version", int64_t{0}), 10);  // not a new version
  auto dup = http.send_json("POST", page + "/versions/5/label", t.editor, {{"label", "before the move"}});
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(dup.json()["error"].value("code", ""), "DUPLICATE");
  auto restored = http.send_json("POST", page + "/restore-version", t.editor, {{"version", 4}},
                                 {{"X-Pagewright-After", label.json()["data"].value("position", "")}});
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(restored.json()["data"].value("version", int64_t{0}), 11);
  const std::string position = restored.json()["data"].value("position", "");

  auto now = http.get(page, t.viewer, {{"X-Pagewright-After", position}});
  auto four = http.get(page + "?version=4", t.viewer);
  ASSERT_EQ(now.status, 200) << now.body;
  ASSERT_EQ(four.status, 200) << four.body;
  for (const char* k : {"title", "slug", "description", "seo", "content"})
    EXPECT_EQ(now.json()["data"][k], four.json()["data"][k]) << k;
  auto versions = http.get(page + "/versions?limit=200", t.viewer);
  ASSERT_EQ(versions.status, 200) << versions.body;
  const json items = versions.json()["data"];
  ASSERT_EQ(items.size(), 11u) << versions.body;
  EXPECT_EQ(items[0]["events"], json::array({"PageVersionRestored"}));
  EXPECT_EQ(items[7]["version"], 4);
  EXPECT_EQ(items[7].value("label", ""), "before the move");

  // After a restart (no kept checkpoints), the history folds the same.
  ASSERT_EQ(stop(serve_, 30s), 0);
  const uint16_t again = start_serve();
  ASSERT_NE(again, 0);
  HttpClient http2("127.0.0.1", again);
  auto four_again = http2.get(page + "?version=4", t.viewer);
  ASSERT_EQ(four_again.status, 200) << four_again.body;
  EXPECT_EQ(four_again.json()["data"], four.json()["data"]);
  auto diff = http2.get(page + "/diff?from=4&to=11", t.viewer);
  ASSERT_EQ(diff.status, 200) << diff.body;
  EXPECT_EQ(diff.json()["data"]["components"], json::parse(R"({"added":[],"removed":[],"moved":[],"changed":[]})"));
}

TEST_F(ServeHttp, PublishingShipsTheSiteWhichTheStaticHostServesAcrossARestart) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string subdomain = "publish-" + db_.substr(8, 8);
  const ScenarioResult site = run_editing_scenario(http, tokens, subdomain);
  ASSERT_FALSE(site.site_id.empty());
  ASSERT_FALSE(HasFatalFailure());

  auto requested = http.send_json("POST", "/v1/sites/" + site.site_id + "/publish", tokens.admin,
                                  {{"environment", "production"}, {"strategy", "blue-green"}});
  ASSERT_EQ(requested.status, 201) << requested.body;
  const std::string first = requested.json()["data"].value("deploymentId", "");
  const json d1 = wait_for_deployment(http, tokens.viewer, first);
  ASSERT_EQ(d1["status"], "succeeded") << d1.dump();
  EXPECT_EQ(d1["counts"]["pagesRendered"], 1);
  // The scenario publishes one page, "Hours" at /opening-hours/, with a heading "Warm bread".
  auto home = http.request("GET", "/sites/" + subdomain + "/opening-hours/");
  EXPECT_EQ(home.status, 200) << home.body;
  EXPECT_NE(home.body.find("Warm bread"), std::string::npos) << home.body;
  EXPECT_EQ(http.request("GET", "/sites/" + subdomain + "/robots.txt").status, 200);

  ASSERT_EQ(stop(serve_, 30s), 0) << "serve did not drain and exit cleanly on SIGTERM";
  const uint16_t again = start_serve();
  ASSERT_NE(again, 0);
  HttpClient http2("127.0.0.1", again);
  EXPECT_EQ(http2.request("GET", "/sites/" + subdomain + "/opening-hours/").body, home.body);
  // Nothing changed since: the restarted build worker reuses every page.
  auto republish = http2.send_json("POST", "/v1/sites/" + site.site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(republish.status, 201) << republish.body;
  const json d2 = wait_for_deployment(http2, tokens.viewer, republish.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(d2["status"], "succeeded") << d2.dump();
  EXPECT_EQ(d2["counts"]["pagesRendered"], 0) << d2.dump();
  EXPECT_EQ(d2["counts"]["pagesReused"], 1) << d2.dump();
  EXPECT_EQ(d2["manifestHash"], d1["manifestHash"]);
}

TEST_F(ServeHttp, BadInputGetsAClearErrorAndChangesNothing) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0);
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);
  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Shop"}, {"subdomain", "shop-" + db_.substr(8, 8)}});
  ASSERT_EQ(site.status, 201) << site.body;
  const std::string site_id = site.json()["data"].value("siteId", "");
  const std::string position = site.json()["data"].value("position", "");
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + t.editor},
                                                                 {"Content-Type", "application/json"}};
  const std::string pages = "/v1/sites/" + site_id + "/pages";

  auto expect_error = [&](const HttpReply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = r.json();
    EXPECT_EQ(j.value("success", true), false) << r.body;
    if (j.contains("error")) {
      EXPECT_EQ(j["error"].value("code", ""), code) << r.body;
    }
    EXPECT_FALSE(r.header("x-request-id").empty());
  };
  expect_error(http.request("POST", pages, "{\"title\": ", auth), 400, "VALIDATION_ERROR");
  expect_error(http.request("POST", pages, "{\"title\": \"a\", \"colour\": 1}", auth), 400, "VALIDATION_ERROR");
  expect_error(http.request("POST", pages, "{\"title\": 5}", auth), 400, "VALIDATION_ERROR");
  expect_error(http.request("POST", pages, std::string(64 + 1, '[') + std::string(65, ']'), auth), 400,
               "VALIDATION_ERROR");
  expect_error(http.request("POST", pages, "{\"title\": \"" + std::string(1 << 20, 'x') + "\"}", auth), 413,
               "PAYLOAD_TOO_LARGE");
  expect_error(http.request("POST", pages, "{\"title\": \"a\", \"slug\": \"Not A Slug\"}", auth), 400,
               "VALIDATION_ERROR");
  // After the site is in the read model, or an unknown site answers 404 first.
  expect_error(http.get(pages + "?limit=0", t.viewer, {{"X-Pagewright-After", position}}), 400, "VALIDATION_ERROR");
  expect_error(http.get(pages + "?cursor=garbage", t.viewer, {{"X-Pagewright-After", position}}), 400,
               "VALIDATION_ERROR");
  expect_error(http.get("/v1/pages/nonsense", t.viewer), 404, "NOT_FOUND");
  expect_error(http.request("PUT", pages, "{}", auth), 405, "VALIDATION_ERROR");
  expect_error(http.get(pages, "not-a-token"), 401, "UNAUTHENTICATED");
  // The raw request line is garbage: the server answers 400 and stays up.
  const std::string garbage = http.raw("GET /v1 HTTP/9.9 extra\r\nno colon here\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
  EXPECT_EQ(http.get("/healthz", "").status, 200);

  // None of it wrote anything: the site's stream is just SiteCreated.
  auto verify = http.get("/v1/sites/" + site_id + "/audit/verify", t.viewer, {{"X-Pagewright-After", position}});
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_EQ(verify.json()["data"].value("events", int64_t{0}), 1);
  auto list = http.get(pages, t.viewer, {{"X-Pagewright-After", position}});
  EXPECT_EQ(list.json()["data"].size(), 0u) << list.body;
}

TEST_F(ServeHttp, ReadYourWritesAlwaysSeesTheEditWhenTheHeaderIsSent) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0);
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);
  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Ryw"}, {"subdomain", "ryw-" + db_.substr(8, 8)}});
  ASSERT_EQ(site.status, 201) << site.body;
  auto page = http.send_json("POST", "/v1/sites/" + site.json()["data"].value("siteId", "") + "/pages", t.editor,
                             {{"title", "Counter"}});
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");
  for (int i = 0; i < 100; ++i) {
    const std::string title = "Edit " + std::to_string(i);
    auto edit = http.send_json("PATCH", "/v1/pages/" + page_id, t.editor, {{"title", title}});
    ASSERT_EQ(edit.status, 200) << edit.body;
    auto read = http.get("/v1/pages/" + page_id, t.viewer,
                         {{"X-Pagewright-After", edit.json()["data"].value("position", "")}});
    ASSERT_EQ(read.status, 200) << read.body;
    ASSERT_EQ(read.json()["data"].value("title", ""), title) << "edit " << i;
  }
}

// A preview of the drafts through `serve --preview-ttl`: the draft shows at the
// returned url and not on the live site, a guessed token and another tenant's
// request are not found, the url is not found after expiresAt, and the site's
// own next edit still shows and publishes.
TEST_F(ServeHttp, APreviewShowsTheDraftsUntilItExpires) {
  const uint16_t port = start_serve({"--preview-ttl", "3"});
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string subdomain = "preview-" + db_.substr(8, 8);
  const ScenarioResult site = run_editing_scenario(http, tokens, subdomain);
  ASSERT_FALSE(HasFatalFailure());
  auto deployed = http.send_json("POST", "/v1/sites/" + site.site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  ASSERT_EQ(wait_for_deployment(http, tokens.viewer, deployed.json()["data"].value("deploymentId", ""))["status"],
            "succeeded");

  // A draft page, never published.
  auto page = http.send_json("POST", "/v1/sites/" + site.site_id + "/pages", tokens.editor,
                             {{"title", "Specials"}, {"slug", "specials"}});
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");
  auto added = http.send_json("POST", "/v1/pages/" + page_id + "/components", tokens.editor,
                              {{"type", "Heading"}, {"props", {{"text", "Draft specials"}}}});
  ASSERT_EQ(added.status, 201) << added.body;

  EXPECT_EQ(http.send_json("POST", "/v1/sites/" + site.site_id + "/previews", tokens.other_tenant, json::object())
                .status,
            404);
  auto requested = http.send_json("POST", "/v1/sites/" + site.site_id + "/previews", tokens.editor,
                                  {{"pageIds", {page_id}}});
  ASSERT_EQ(requested.status, 201) << requested.body;
  const std::string url = requested.json()["data"].value("url", "");
  ASSERT_EQ(url.rfind("/previews/", 0), 0u) << requested.body;
  HttpReply shown;
  for (int i = 0; i < 200; ++i) {
    shown = http.request("GET", url + "specials/");
    if (shown.status == 200) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_NE(shown.body.find("Draft specials"), std::string::npos);
  EXPECT_EQ(shown.header("x-robots-tag"), "noindex");
  EXPECT_EQ(http.request("GET", url + "opening-hours/").status, 200);  // the published rest
  EXPECT_EQ(http.request("GET", "/sites/" + subdomain + "/specials/").status, 404);
  std::string guess = url.substr(10, 32);
  guess.front() = guess.front() == 'a' ? 'b' : 'a';
  EXPECT_EQ(http.request("GET", "/previews/" + guess + "/specials/").status, 404);

  const auto expires = parse_rfc3339(requested.json()["data"].value("expiresAt", ""));
  ASSERT_TRUE(expires);
  while (std::chrono::system_clock::now() < *expires + 100ms) std::this_thread::sleep_for(50ms);
  auto expired = http.request("GET", url + "specials/");
  EXPECT_EQ(expired.status, 404);
  EXPECT_EQ(expired.header("x-robots-tag"), "noindex");

  // The site's next edit still becomes visible and publishes.
  ASSERT_EQ(http.send_json("POST", "/v1/pages/" + page_id + "/publish", tokens.admin, json::object()).status, 200);
  auto again = http.send_json("POST", "/v1/sites/" + site.site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(again.status, 201) << again.body;
  ASSERT_EQ(wait_for_deployment(http, tokens.viewer, again.json()["data"].value("deploymentId", ""))["status"],
            "succeeded");
  EXPECT_NE(http.request("GET", "/sites/" + subdomain + "/specials/").body.find("Draft specials"), std::string::npos);
}

}  // namespace
}  // namespace pw::test
