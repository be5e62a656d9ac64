// The editor's file host over a directory laid out as `vite build` makes it:
// content types, the cache rules (hashed assets immutable, index.html
// revalidated), client routes answered with index.html, missing files 404,
// the Content-Security-Policy, conditional requests, and the "not built"
// page. The last test goes through the real HTTP server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "gateway/editor_host.hpp"
#include "gateway/http_server.hpp"
#include "tests/support/http_client.hpp"

namespace pw::gateway {
namespace {

namespace fs = std::filesystem;

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

const std::string kIndex =
    "<!doctype html><html><head><script type=\"module\" src=\"/editor/assets/index-AbC123.js\"></script></head>"
    "<body><div id=\"root\"></div></body></html>\n";
const std::string kScript = "console.log('editor');\n";
const std::string kStyles = "body{margin:0}\n";

class EditorHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("pw-editor-host-" + std::to_string(rd()));
    fs::create_directories(dir_ / "assets");
    write("index.html", kIndex);
    write("favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    write("assets/index-AbC123.js", kScript);
    write("assets/index-DeF456.css", kStyles);
    auto opened = EditorHost::open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    host_ = std::move(opened).value();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ / rel, std::ios::binary) << content;
  }
  HttpResponse get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {},
                   const std::string& method = "GET") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = std::move(headers);
    return host_->serve(r);
  }

  fs::path dir_;
  std::unique_ptr<EditorHost> host_;
};

TEST_F(EditorHostTest, ServesTheBuildWithContentTypesAndCacheRules) {
  ASSERT_TRUE(host_->built());
  EXPECT_EQ(host_->file_count(), 4u);

  const HttpResponse index = get("/editor/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(header(index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");

  const HttpResponse js = get("/editor/assets/index-AbC123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, kScript);
  EXPECT_EQ(header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");

  const HttpResponse css = get("/editor/assets/index-DeF456.css");
  EXPECT_EQ(header(css, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(header(css, "Cache-Control"), "public, max-age=31536000, immutable");

  const HttpResponse icon = get("/editor/favicon.svg");
  EXPECT_EQ(header(icon, "Content-Type"), "image/svg+xml");
  EXPECT_EQ(header(icon, "Cache-Control"), "no-cache");
}

TEST_F(EditorHostTest, EveryAnswerCarriesATightPolicy) {
  for (const std::string target : {"/editor/", "/editor/assets/index-AbC123.js", "/editor/nope.js", "/editor"}) {
    const HttpResponse r = get(target);
    const std::string csp = header(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << target;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << target;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << target;
    EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << target;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target;
    EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << target;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer") << target;
  }
}

TEST_F(EditorHostTest, ClientRoutesGetTheIndexAndMissingFilesA404) {
  // Page ids hold a dot: still a route, not a file.
  for (const std::string route : {"/editor/sites/8c1e", "/editor/pages/8c1e.k2v9x", "/editor/pages/a.b/",
                                  "/editor/anything/else?x=1"}) {
    const HttpResponse r = get(route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_EQ(r.body, kIndex) << route;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << route;
  }
  // A stale index asking for an asset of an older build gets no HTML.
  for (const std::string missing : {"/editor/assets/index-Old999.js", "/editor/assets/gone", "/editor/logo.png",
                                    "/editor/styles.css"}) {
    const HttpResponse r = get(missing);
    EXPECT_EQ(r.status, 404) << missing;
    EXPECT_EQ(header(r, "Content-Type"), "text/plain; charset=utf-8") << missing;
  }
}

TEST_F(EditorHostTest, NoPathLeavesTheDirectory) {
  std::ofstream(dir_.parent_path() / "pw-editor-secret.txt") << "secret";
  for (const std::string target : {"/editor/../pw-editor-secret.txt", "/editor/%2e%2e/pw-editor-secret.txt",
                                   "/editor/assets/..%2F..%2Fpw-editor-secret.txt", "/editor//etc/passwd.txt",
                                   "/editor/%00.js", "/editor/%zz.js"}) {
    const HttpResponse r = get(target);
    EXPECT_NE(r.body.find("secret"), 0u) << target;
    EXPECT_TRUE(r.status == 404 || r.body == kIndex) << target << " answered " << r.status;
  }
  fs::remove(dir_.parent_path() / "pw-editor-secret.txt");
}

TEST_F(EditorHostTest, RedirectsTheBareRootAndRefusesWrites) {
  const HttpResponse bare = get("/editor");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(header(bare, "Location"), "/editor/");
  EXPECT_EQ(header(get("/editor?x=1"), "Location"), "/editor/?x=1");

  const HttpResponse post = get("/editor/", {}, "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header(post, "Allow"), "GET, HEAD");

  const HttpResponse head = get("/editor/assets/index-AbC123.js", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(header(head, "Content-Length"), std::to_string(kScript.size()));
}

TEST_F(EditorHostTest, AnswersConditionalRequestsWithNotModified) {
  const HttpResponse first = get("/editor/");
  const std::string etag = header(first, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  const HttpResponse again = get("/editor/", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/editor/", {{"if-none-match", "\"other\""}}).status, 200);
  // Another file has another tag.
  EXPECT_NE(header(get("/editor/assets/index-AbC123.js"), "ETag"), etag);
}

TEST_F(EditorHostTest, OnlyItsOwnPrefixIsHandled) {
  EXPECT_TRUE(EditorHost::handles("/editor"));
  EXPECT_TRUE(EditorHost::handles("/editor/"));
  EXPECT_TRUE(EditorHost::handles("/editor?x"));
  EXPECT_TRUE(EditorHost::handles("/editor/pages/x"));
  EXPECT_FALSE(EditorHost::handles("/editors"));
  EXPECT_FALSE(EditorHost::handles("/editorial/x"));
  EXPECT_FALSE(EditorHost::handles("/v1/editor"));
  EXPECT_FALSE(EditorHost::handles("/sites/editor/"));
}

TEST(EditorHostMissing, AnAbsentBuildAnswersHowToBuildIt) {
  auto opened = EditorHost::open(fs::temp_directory_path() / "pw-no-such-editor-dir");
  ASSERT_TRUE(opened.ok());
  EXPECT_FALSE((*opened)->built());
  HttpRequest r;
  r.method = "GET";
  r.target = "/editor/pages/x";
  const HttpResponse answer = (*opened)->serve(r);
  EXPECT_EQ(answer.status, 404);
  EXPECT_NE(answer.body.find("not built"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("ops/build"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("--editor-dir"), std::string::npos) << answer.body;
  EXPECT_EQ(EditorHost::not_built().body, answer.body);
}

TEST(EditorHostMissing, ADirectoryWithoutAnIndexIsNoBuild) {
  const fs::path dir = fs::temp_directory_path() / "pw-editor-no-index";
  fs::create_directories(dir);
  std::ofstream(dir / "main.js") << "x";
  auto opened = EditorHost::open(dir);
  ASSERT_TRUE(opened.ok());
  EXPECT_FALSE((*opened)->built());
  fs::remove_all(dir);
}

TEST(EditorHostMissing, ATooLargeDirectoryIsRefused) {
  const fs::path dir = fs::temp_directory_path() / "pw-editor-too-many";
  fs::create_directories(dir);
  std::ofstream(dir / "index.html") << "x";
  for (size_t i = 0; i < EditorHost::kMaxFiles; ++i) std::ofstream(dir / ("f" + std::to_string(i) + ".js")) << "x";
  auto opened = EditorHost::open(dir);
  fs::remove_all(dir);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("more than"), std::string::npos) << opened.error().message;
}

TEST_F(EditorHostTest, TheServerSendsTheFiles) {
  EditorHost* host = host_.get();
  HttpServerConfig cfg;
  auto server = HttpServer::start(
      cfg, [host](HttpRequest q, Respond r) { r(host->serve(q)); },
      [](int status, std::string message) { return HttpResponse{status, {}, std::move(message), {}}; });
  ASSERT_TRUE(server.ok()) << server.error().message;
  test::HttpClient client("127.0.0.1", (*server)->port());
  const test::HttpReply index = client.request("GET", "/editor/pages/abc.def");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  const test::HttpReply js = client.request("GET", "/editor/assets/index-AbC123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, kScript);
  EXPECT_EQ(js.header("cache-control"), "public, max-age=31536000, immutable");
  const std::string head = client.raw("HEAD /editor/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(kIndex.size()) + "\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.size(), head.find("\r\n\r\n") + 4) << "HEAD sent a body";
  (*server)->shutdown(std::chrono::seconds(1));
}

}  // namespace
}  // namespace pw::gateway
