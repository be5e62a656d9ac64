// ops/nginx/pagewright.conf in a real nginx, serving a real deploy store: the
// pages, the 404 page, types, caching and security headers, conditional GETs,
// and the atomic live switch (publish and rollback without a reload).
#include <gtest/gtest.h>

#include "tests/published/fixture.hpp"
#include "tests/published/nginx_server.hpp"
#include "tests/support/http_client.hpp"

namespace pw::published {
namespace {

using test::HttpClient;
using test::HttpReply;

class Nginx : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string nginx = nginx_binary();
    PW_REQUIRE_TOOL(!nginx.empty(), std::string("nginx (package nginx-light)"));
    site_ = build_fixture();
    ASSERT_TRUE(site_.error.empty()) << site_.error;
    auto server = NginxServer::start(nginx, site_.dir->path() / "nginx", site_.store->root(), std::string(kDomain));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    http_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  }

  HttpReply get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {},
                const std::string& host = std::string(kSubdomain) + "." + std::string(kDomain)) {
    headers.emplace_back("Host", host);
    return http_->request("GET", target, "", headers);
  }
  std::string deployed(const std::string& path) { return slurp(site_.deploy / path); }
  std::string stylesheet() { return files_ending(site_.deploy / "assets", ".css").at(0).lexically_relative(site_.deploy).string(); }

  BuiltSite site_;
  std::unique_ptr<NginxServer> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(Nginx, ServesTheHomeAndNestedPages) {
  HttpReply home = get("/");
  EXPECT_EQ(home.status, 200) << server_->error_log();
  EXPECT_TRUE(home.header("content-type").starts_with("text/html")) << home.header("content-type");
  EXPECT_EQ(home.body, deployed("index.html"));

  HttpReply intro = get("/docs/intro/");
  EXPECT_EQ(intro.status, 200);
  EXPECT_EQ(intro.body, deployed("docs/intro/index.html"));
}

TEST_F(Nginx, AddsTheTrailingSlashWithARelativeRedirect) {
  HttpReply r = get("/docs/intro");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("location"), "/docs/intro/");
}

TEST_F(Nginx, UnknownPathsGetTheSites404Page) {
  for (const char* target : {"/nope/", "/nope", "/docs/nope/index.html", "/assets/missing.css"}) {
    HttpReply r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body, deployed("404.html")) << target;
  }
}

TEST_F(Nginx, UnknownSitesAndMalformedHostsAreNotServed) {
  EXPECT_EQ(get("/", {}, "nosuchsite." + std::string(kDomain)).status, 404);
  EXPECT_NE(get("/", {}, "acme.other.test").status, 200);
}

TEST_F(Nginx, SitemapRobotsAndStylesheetHaveTheirTypes) {
  HttpReply sitemap = get("/sitemap.xml");
  EXPECT_EQ(sitemap.status, 200);
  EXPECT_TRUE(sitemap.header("content-type").starts_with("application/xml")) << sitemap.header("content-type");
  EXPECT_EQ(sitemap.body, deployed("sitemap.xml"));

  HttpReply robots = get("/robots.txt");
  EXPECT_EQ(robots.status, 200);
  EXPECT_TRUE(robots.header("content-type").starts_with("text/plain")) << robots.header("content-type");
  EXPECT_EQ(robots.body, deployed("robots.txt"));

  HttpReply css = get("/" + stylesheet());
  EXPECT_EQ(css.status, 200) << stylesheet();
  EXPECT_TRUE(css.header("content-type").starts_with("text/css")) << css.header("content-type");
  EXPECT_EQ(css.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(css.body, deployed(stylesheet()));
}

TEST_F(Nginx, PagesRevalidateAndCarrySecurityHeaders) {
  for (const char* target : {"/", "/docs/intro/", "/sitemap.xml", "/nope/"}) {
    HttpReply r = get(target);
    EXPECT_EQ(r.header("cache-control"), "public, max-age=0, must-revalidate") << target;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << target;
    const std::string csp = r.header("content-security-policy");
    EXPECT_NE(csp.find("script-src 'none'"), std::string::npos) << target << ": " << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target << ": " << csp;
  }
  EXPECT_EQ(get("/" + stylesheet()).header("x-content-type-options"), "nosniff");
}

// Hashed assets revalidate by ETag; pages carry no validator, because nginx's
// (mtime and size) can match across two deploys of equal-length pages.
TEST_F(Nginx, OnlyHashedAssetsAnswer304) {
  const std::string css = "/" + stylesheet();
  HttpReply first = get(css);
  const std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  HttpReply again = get(css, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(get(css, {{"If-None-Match", "\"other\""}}).status, 200);
  HttpReply page = get("/docs/intro/");
  EXPECT_EQ(page.header("etag"), "");
  EXPECT_EQ(get("/docs/intro/", {{"If-Modified-Since", page.header("last-modified")}}).status, 200);
}

// The live pointer is a symlink renamed atomically; nginx resolves it per
// request, so publishing and rolling back need no reload.
TEST_F(Nginx, FollowsTheLiveSwitchAndTheRollback) {
  const std::string before = get("/").body;
  ASSERT_EQ(before, deployed("index.html"));

  builds::BuildRequest next = fixture_request("d2");
  next.pages[0].content[0].props["title"] = "A new home, published";
  ++next.pages[0].version;  // an edit is a new version
  auto out = site_.builder->build(next);
  ASSERT_TRUE(out.ok) << out.reason;
  HttpReply after = get("/");
  EXPECT_EQ(after.status, 200);
  EXPECT_NE(after.body.find("A new home, published"), std::string::npos);
  EXPECT_EQ(after.body, slurp(site_.store->root() / "deploys" / std::string(kSubdomain) / "d2/index.html"));
  EXPECT_EQ(get("/about/").body, deployed("about/index.html")) << "unchanged pages stay the same";

  auto back = site_.store->pointers().switch_live(std::string(kSubdomain), "production", "d1");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(get("/").body, before);
}

TEST_F(Nginx, OtherEnvironmentsAreNotServed) {
  builds::BuildRequest staging = fixture_request("s1");
  staging.environment = "staging";
  staging.pages[0].content[0].props["title"] = "Staged home";
  ++staging.pages[0].version;
  auto out = site_.builder->build(staging);
  ASSERT_TRUE(out.ok) << out.reason;
  ASSERT_EQ(out.preview_url.rfind("/previews/", 0), 0u);
  // Staging has no host of its own, and its preview url is the gateway's only.
  for (const char* env : {"staging", "preview"}) {
    HttpReply r = get("/", {}, std::string(env) + "--" + std::string(kSubdomain) + "." + std::string(kDomain));
    EXPECT_EQ(r.status, 404) << env;
    EXPECT_EQ(r.body.find("Staged home"), std::string::npos) << env;
  }
  HttpReply preview = get(out.preview_url);
  EXPECT_EQ(preview.body.find("Staged home"), std::string::npos);
  EXPECT_EQ(get("/").body, deployed("index.html")) << "production is untouched";
}

}  // namespace
}  // namespace pw::published
