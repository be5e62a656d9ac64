// The reference editor (editor/, built into build/editor) in Debian's
// Chromium, driven by playwright-core (editor/tests/editor-flow.mjs), against
// a real `pagewright serve` that serves it at /editor/: a page made from a
// template, a Heading dragged onto it and typed into, saved, reloaded, a
// conflicting save from a second tab, and a publish. Then the server's side:
// the page's history holds the editor's events and the static host serves
// the heading.
//
// With PW_EDITOR_SCREENSHOT set, the script saves a screenshot of the editor
// there (ops/screenshots makes docs/editor.png so).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/cli/processes.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/published/fixture.hpp"

namespace pw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const std::string kSecret = "editor-secret-0123456789abcdef0123456789abcdef";
const fs::path kSource = PW_SOURCE_DIR;
const fs::path kEditorBuild = PW_EDITOR_BUILD;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

class EditorInBrowser : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
    data_ = fs::temp_directory_path() / ("pw-editor-" + db_);
    fs::create_directories(data_);
  }
  void TearDown() override {
    if (serve_.pid > 0) stop(serve_, 30s);
    std::error_code ec;
    if (!data_.empty() && !HasFailure()) fs::remove_all(data_, ec);
    PgTest::TearDown();
  }

  fs::path data_;
  Child serve_;
};

TEST_F(EditorInBrowser, DragHeadingSaveReloadConflictAndPublish) {
  const std::string node = published::find_in_path("node");
  const std::string chrome = env_or("CHROME_PATH", "/usr/bin/chromium");
  PW_REQUIRE_TOOL(!node.empty(), "node");
  PW_REQUIRE_TOOL(::access(chrome.c_str(), X_OK) == 0, "Chromium (/usr/bin/chromium or CHROME_PATH)");
  PW_REQUIRE_TOOL(present(kSource / "editor/node_modules/playwright-core/package.json"),
                  "playwright-core in editor/node_modules (ops/build-editor installs it)");
  PW_REQUIRE_TOOL(present(kEditorBuild / "index.html"), "the editor build (ops/build-editor makes build/editor)");

  serve_ = spawn({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data_.string(), "--editor-dir",
                  kEditorBuild.string()},
                 {"PW_PG=" + owner_, "PW_PG_READER=" + reader_}, (data_ / "serve.log").string());
  const uint16_t port = serve_.pid > 0 ? read_listening_port(serve_.out) : 0;
  ASSERT_NE(port, 0) << "serve did not start:\n" << published::slurp(data_ / "serve.log");
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);

  // The editor is served without a token; its API calls carry one.
  const HttpReply shell = http.request("GET", "/editor/");
  ASSERT_EQ(shell.status, 200) << shell.body;
  EXPECT_EQ(shell.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(shell.header("content-security-policy").find("script-src 'self'"), std::string::npos);

  const std::string subdomain = "editor-" + db_.substr(db_.size() - 8);
  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Editor test site"}, {"subdomain", subdomain}});
  ASSERT_EQ(site.status, 201) << site.body;

  ::setenv("PW_BASE_URL", ("http://127.0.0.1:" + std::to_string(port)).c_str(), 1);
  ::setenv("PW_TOKEN", t.admin.c_str(), 1);
  ::setenv("PW_SITE_NAME", "Editor test site", 1);
  ::setenv("CHROME_PATH", chrome.c_str(), 1);
  ::setenv("PW_FAILURE_SCREENSHOT", (data_ / "failure.png").c_str(), 1);
  const published::Ran ran = published::run({node, (kSource / "editor/tests/editor-flow.mjs").string()});
  std::printf("%s", ran.out.c_str());
  ASSERT_EQ(ran.exit_code, 0) << ran.err << "\nthe screen it left: " << (data_ / "failure.png").string()
                              << "\nserve's log:\n" << published::slurp(data_ / "serve.log").substr(0, 20000);
  const auto at = ran.out.rfind("RESULT ");
  ASSERT_NE(at, std::string::npos) << ran.out;
  const json result = json::parse(ran.out.substr(at + 7), nullptr, false);
  ASSERT_TRUE(result.is_object()) << ran.out;
  const std::string page_id = result.value("pageId", "");
  ASSERT_FALSE(page_id.empty()) << result.dump();

  // The history holds what the editor did: the page made from a template, the
  // heading added with its text, the edit of tab one (tab two's stale save
  // appended nothing), the image holding the uploaded asset, the publish.
  auto history = http.get("/v1/pages/" + page_id + "/history?limit=200", t.viewer);
  ASSERT_EQ(history.status, 200) << history.body;
  const json events = history.json()["data"];
  ASSERT_TRUE(events.is_array()) << history.body;
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.value("type", ""));
  const auto count = [&](const std::string& type) { return std::count(types.begin(), types.end(), type); };
  EXPECT_EQ(count("PageCreated"), 1) << history.body;
  EXPECT_EQ(count("ComponentAdded"), 2) << history.body;  // the heading, the image
  EXPECT_NE(history.body.find("\"src\":\"asset:"), std::string::npos) << "the image holds no uploaded asset";
  EXPECT_GE(count("ComponentPropsUpdated"), 1) << history.body;
  EXPECT_EQ(count("PagePublished"), 1) << history.body;
  EXPECT_NE(history.body.find("Hello from the browser"), std::string::npos) << history.body;
  EXPECT_NE(history.body.find("Edited in tab one"), std::string::npos) << history.body;
  EXPECT_EQ(history.body.find("Edited in tab two"), std::string::npos) << "tab two's stale save was applied";

  // The static host serves the published heading.
  auto page = http.get("/v1/pages/" + page_id, t.viewer);
  ASSERT_EQ(page.status, 200) << page.body;
  const std::string slug = page.json()["data"].value("slug", "");
  EXPECT_EQ(page.json()["data"].value("status", ""), "published");
  const HttpReply live = http.request("GET", "/sites/" + subdomain + "/" + (slug.empty() ? "" : slug + "/"));
  ASSERT_EQ(live.status, 200) << live.body;
  EXPECT_NE(live.body.find("Edited in tab one"), std::string::npos) << live.body;
  // The renderer escapes "/" in attributes.
  EXPECT_NE(live.body.find("<img src=\"..&#x2F;assets&#x2F;"), std::string::npos)
      << "the uploaded picture is not on the live page:\n" << live.body;
  EXPECT_EQ(result.value("live", ""), "/sites/" + subdomain + "/" + (slug.empty() ? "" : slug + "/"));
}

}  // namespace
}  // namespace pw::test
