// Media assets through a real `pagewright serve` over HTTP: the server takes a
// 10 MiB body on the upload route only, the asset is used in an Image,
// published, and its file and a WebP variant come from the static host.
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>

#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/media/media_fixtures.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;


class ServeAssets : public ServeTest {
 protected:
  ServeAssets() : ServeTest("serve-assets") {}
  static HttpReply upload(HttpClient& http, const std::string& token, const std::string& site,
                          const std::string& bytes, const std::string& filename) {
    return http.request("POST", "/v1/sites/" + site + "/assets?filename=" + filename, bytes,
                        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/octet-stream"}});
  }
  // A tenant's edit becomes visible and publishes.
  void edit_and_publish(HttpClient& http, const std::string& token_admin, const std::string& token_editor,
                        const std::string& subdomain, const std::string& text) {
    auto site = http.send_json("POST", "/v1/sites", token_admin, {{"name", "Next"}, {"subdomain", subdomain}});
    ASSERT_EQ(site.status, 201) << site.body;
    const std::string id = site.json()["data"].value("siteId", "");
    auto page = http.send_json("POST", "/v1/sites/" + id + "/pages", token_editor, {{"title", "Hi"}, {"slug", ""}});
    ASSERT_EQ(page.status, 201) << page.body;
    const std::string page_id = page.json()["data"].value("pageId", "");
    auto heading = http.send_json("POST", "/v1/pages/" + page_id + "/components", token_editor,
                                  {{"type", "Heading"}, {"props", {{"text", text}}}});
    ASSERT_EQ(heading.status, 201) << heading.body;
    auto read = http.get("/v1/pages/" + page_id, token_editor,
                         {{"X-Pagewright-After", heading.json()["data"].value("position", "")}});
    ASSERT_EQ(read.status, 200) << read.body;
    ASSERT_EQ(http.send_json("POST", "/v1/pages/" + page_id + "/publish", token_admin, json::object()).status, 200);
    auto deploy = http.send_json("POST", "/v1/sites/" + id + "/publish", token_admin, json::object());
    ASSERT_EQ(deploy.status, 201) << deploy.body;
    EXPECT_EQ(wait_for_deployment(http, token_admin, deploy.json()["data"].value("deploymentId", ""))["status"],
              "succeeded");
    EXPECT_THAT(http.request("GET", "/sites/" + subdomain + "/").body, ::testing::HasSubstr(text));
  }

};

TEST_F(ServeAssets, AnUploadedImageIsPublishedWithItsVariants) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string subdomain = "media-" + db_.substr(8, 8);
  auto site = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", "Media"}, {"subdomain", subdomain}});
  ASSERT_EQ(site.status, 201) << site.body;
  const std::string site_id = site.json()["data"].value("siteId", "");
  auto page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", tokens.editor, {{"title", "Home"}, {"slug", ""}});
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");

  // The server reads up to 10 MiB on this route (past the general 1 MiB) and no more.
  std::string big = pw::testing::make_image("png", 32, 32);
  big.resize((std::size_t{10} << 20) + 1, '\0');
  auto too_big = upload(http, tokens.editor, site_id, big, "big.png");
  EXPECT_EQ(too_big.status, 413) << too_big.body;
  EXPECT_EQ(too_big.json()["error"]["code"], "PAYLOAD_TOO_LARGE");
  HttpClient http2("127.0.0.1", port);  // the server closed that connection
  auto svg = upload(http2, tokens.editor, site_id, R"(<svg xmlns="http://www.w3.org/2000/svg"/>)", "x.svg");
  EXPECT_EQ(svg.status, 415) << svg.body;
  std::string padded = pw::testing::make_image("png", 32, 32);
  padded.resize(std::size_t{3} << 20, '\0');  // 3 MiB: over 1 MiB, under 10
  EXPECT_EQ(upload(http2, tokens.editor, site_id, padded, "padded.png").status, 201);

  const std::string jpg = pw::testing::make_image("jpg", 1000, 500);
  auto up = upload(http2, tokens.editor, site_id, jpg, "photo.jpg");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string asset = up.json()["data"].value("assetId", "");
  auto content = http2.get("/v1/assets/" + asset + "/content", tokens.viewer,
                           {{"X-Pagewright-After", up.json()["data"].value("position", "")}});
  ASSERT_EQ(content.status, 200);
  EXPECT_EQ(content.body, jpg);
  EXPECT_EQ(content.header("content-type"), "image/jpeg");
  EXPECT_EQ(content.header("x-content-type-options"), "nosniff");

  auto img = http2.send_json("POST", "/v1/pages/" + page_id + "/components", tokens.editor,
                             {{"type", "Image"}, {"props", {{"src", "asset:" + asset}, {"alt", "A photo"}}}});
  ASSERT_EQ(img.status, 201) << img.body;
  ASSERT_EQ(http2.send_json("POST", "/v1/pages/" + page_id + "/publish", tokens.admin, json::object()).status, 200);
  auto deploy = http2.send_json("POST", "/v1/sites/" + site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(deploy.status, 201) << deploy.body;
  ASSERT_EQ(wait_for_deployment(http2, tokens.viewer, deploy.json()["data"].value("deploymentId", ""))["status"],
            "succeeded");

  std::string html = http2.request("GET", "/sites/" + subdomain + "/").body;
  // Mustache writes "/" in attributes as "&#x2F;" (the same URL to a browser).
  for (auto at = html.find("&#x2F;"); at != std::string::npos; at = html.find("&#x2F;", at))
    html.replace(at, 6, "/");
  const std::string file = "assets/" + sha256_of(jpg) + ".jpg";
  EXPECT_THAT(html, ::testing::HasSubstr("<img src=\"" + file + "\" srcset=\"assets/"));
  EXPECT_THAT(html, ::testing::HasSubstr("1000w\" sizes=\""));
  auto served = http2.request("GET", "/sites/" + subdomain + "/" + file);
  ASSERT_EQ(served.status, 200);
  EXPECT_EQ(served.body, jpg);
  EXPECT_THAT(served.header("cache-control"), ::testing::HasSubstr("immutable"));
  const auto v = html.find("srcset=\"") + 8;
  const std::string variant = html.substr(v, html.find(' ', v) - v);
  auto webp = http2.request("GET", "/sites/" + subdomain + "/" + variant);
  ASSERT_EQ(webp.status, 200) << variant;
  EXPECT_EQ(webp.header("content-type"), "image/webp");
  // The padded PNG no page uses is not shipped.
  EXPECT_EQ(http2.request("GET", "/sites/" + subdomain + "/assets/" + sha256_of(padded) + ".png").status, 404);

  // Another tenant's next edit is visible and publishes.
  const Tokens others = make_tokens(kSecret, db_ + "-next");
  edit_and_publish(http2, others.admin, others.editor, subdomain + "-next", "Still served");
}

}  // namespace
}  // namespace pw::test
