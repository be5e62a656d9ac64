// Media assets through the handler, over the real log, processor, projector,
// Postgres, build pool and static host: uploads (413, 415, 422, dedupe),
// lists, metadata, content, deletion, other tenants, and the deploy that
// ships exactly the assets its pages use. Every test of bad input ends by
// proving another tenant's next edit still becomes visible and publishes.
#include <gmock/gmock.h>

#include <thread>

#include "events/hash_chain.hpp"
#include "tests/gateway/handler_fixture.hpp"
#include "tests/media/media_fixtures.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;
using pw::testing::make_image;
using pw::testing::png_claiming;

class AssetsTest : public HandlerTest {
 protected:
  Reply upload(const std::string& site, const std::string& bytes, const std::string& filename = "a.png",
               Role role = Role::editor, const std::string& tenant = "t-handler",
               const std::string& content_type = "image/png") {
    return call("POST", "/v1/sites/" + site + "/assets?filename=" + filename, token(role, tenant), bytes,
                {{"content-type", content_type}});
  }
  Reply read(const std::string& target, const std::string& position, const std::string& tenant = "t-handler") {
    return call("GET", target, token(Role::viewer, tenant), {}, {{"x-pagewright-after", position}});
  }
  static std::string position(const Reply& r) { return r.body()["data"].value("position", ""); }

  // The refusal: its status, code and detail field, and nothing listed after.
  void expect_refused(const Reply& r, int status, const std::string& code, const std::string& field) {
    EXPECT_EQ(r.response.status, status) << r.response.body;
    const json b = r.body();
    EXPECT_EQ(b["error"]["code"], code) << r.response.body;
    ASSERT_FALSE(b["error"]["details"].empty()) << r.response.body;
    EXPECT_EQ(b["error"]["details"][0]["field"], field) << r.response.body;
  }

  // Another tenant's edit is accepted, becomes visible to its reads, and publishes.
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
    auto list = read("/v1/sites/" + id + "/pages", position(heading), t);
    ASSERT_EQ(list.response.status, 200) << list.response.body;
    ASSERT_EQ(list.body()["data"].size(), 1u) << list.response.body;
    ASSERT_EQ(call("POST", "/v1/pages/" + page_id + "/publish", token(Role::admin, t)).response.status, 200);
    EXPECT_EQ(publish_and_wait(id, t).value("status", ""), "succeeded");
    EXPECT_THAT(body_of(call("GET", "/sites/" + subdomain + "/")), ::testing::HasSubstr("Still served"));
  }

  std::string create_page(const std::string& site, const std::string& title, const std::string& slug) {
    auto r = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor),
                  json{{"title", title}, {"slug", slug}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    return r.body()["data"].value("pageId", "");
  }
};

TEST_F(AssetsTest, AnUploadAnswersTheAssetAndTheSameFileIsTheSameAsset) {
  const std::string site = create_site("assets-upload");
  const std::string png = make_image("png", 1200, 600);
  auto first = upload(site, png, "team.png");
  ASSERT_EQ(first.response.status, 201) << first.response.body;
  const json a = first.body()["data"];
  const std::string id = a.value("assetId", "");
  EXPECT_TRUE(id.starts_with(site + ".")) << id;
  EXPECT_EQ(id.size(), site.size() + 1 + 32);
  EXPECT_EQ(a["url"], "/v1/assets/" + id + "/content");
  EXPECT_EQ(a["contentType"], "image/png");
  EXPECT_EQ(a["bytes"], png.size());
  EXPECT_EQ(a["width"], 1200);
  EXPECT_EQ(a["height"], 600);
  EXPECT_EQ(a["filename"], "team.png");
  EXPECT_FALSE(a.value("createdAt", "").empty());
  EXPECT_EQ(a["variants"], json::parse(R"([{"width":480,"height":240},{"width":960,"height":480}])"));
  ASSERT_EQ(a["events"].size(), 1u);
  EXPECT_EQ(a["events"][0]["type"], "AssetUploaded");

  auto got = read("/v1/assets/" + id, position(first));
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  EXPECT_EQ(got.body()["data"]["createdAt"], a["createdAt"]);

  // Again, under another name and Content-Type: the same asset, nothing new.
  auto again = upload(site, png, "copy.png", Role::editor, "t-handler", "text/plain");
  ASSERT_EQ(again.response.status, 201) << again.response.body;
  EXPECT_EQ(again.body()["data"]["assetId"], id);
  EXPECT_EQ(again.body()["data"]["filename"], "team.png");
  EXPECT_EQ(again.body()["data"]["createdAt"], a["createdAt"]);
  EXPECT_TRUE(again.body()["data"]["events"].empty());

  // The bytes, as uploaded, with the recognised type and nosniff.
  auto content = call("GET", "/v1/assets/" + id + "/content", token(Role::viewer));
  ASSERT_EQ(content.response.status, 200);
  EXPECT_EQ(content.response.body, png);
  EXPECT_EQ(content.header("Content-Type"), "image/png");
  EXPECT_EQ(content.header("X-Content-Type-Options"), "nosniff");
}

TEST_F(AssetsTest, ListsAreNewestFirstAndPaged) {
  const std::string site = create_site("assets-list");
  std::vector<std::string> ids;
  std::string last;
  for (int w : {40, 50, 60}) {
    auto r = upload(site, make_image("jpg", w, 30), std::to_string(w) + ".jpg");
    ASSERT_EQ(r.response.status, 201) << r.response.body;
    ids.push_back(r.body()["data"]["assetId"]);
    last = position(r);
  }
  auto page1 = read("/v1/sites/" + site + "/assets?limit=2", last);
  ASSERT_EQ(page1.response.status, 200) << page1.response.body;
  const json b1 = page1.body();
  ASSERT_EQ(b1["data"].size(), 2u);
  EXPECT_EQ(b1["data"][0]["assetId"], ids[2]);
  EXPECT_EQ(b1["data"][1]["assetId"], ids[1]);
  EXPECT_EQ(b1["data"][0]["contentType"], "image/jpeg");
  EXPECT_FALSE(b1["data"][0].contains("hash"));
  const std::string cursor = b1["pagination"].value("nextCursor", "");
  ASSERT_FALSE(cursor.empty());
  auto page2 = call("GET", "/v1/sites/" + site + "/assets?limit=2&cursor=" + cursor, token(Role::viewer));
  ASSERT_EQ(page2.response.status, 200) << page2.response.body;
  ASSERT_EQ(page2.body()["data"].size(), 1u);
  EXPECT_EQ(page2.body()["data"][0]["assetId"], ids[0]);
  EXPECT_TRUE(page2.body()["pagination"]["nextCursor"].is_null());
  // limit ≤ 200; a forged cursor is a 400.
  expect_refused(call("GET", "/v1/sites/" + site + "/assets?limit=201", token(Role::viewer)), 400, "VALIDATION_ERROR",
                 "limit");
  expect_refused(call("GET", "/v1/sites/" + site + "/assets?cursor=abc", token(Role::viewer)), 400,
                 "VALIDATION_ERROR", "cursor");
}

TEST_F(AssetsTest, HostileUploadsAreRefusedAndStoreNothing) {
  const std::string site = create_site("assets-hostile");
  // Over 10 MiB: 413 (the general 1 MiB limit does not apply to this route).
  std::string big = make_image("png", 64, 64);
  big.resize((std::size_t{10} << 20) + 1, '\0');
  expect_refused(upload(site, big), 413, "PAYLOAD_TOO_LARGE", "body");
  // Within 10 MiB but over 1 MiB is not refused for its size.
  std::string padded = make_image("png", 64, 64);
  padded.resize(std::size_t{2} << 20, '\0');
  EXPECT_NE(upload(site, padded).response.status, 413);
  // Every other route keeps 1 MiB.
  expect_refused(call("POST", "/v1/sites/" + site + "/pages", token(Role::editor), std::string((1 << 20) + 1, ' ')),
                 413, "PAYLOAD_TOO_LARGE", "body");
  const std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>alert(1)</script></svg>)";
  expect_refused(upload(site, svg, "logo.svg", Role::editor, "t-handler", "image/svg+xml"), 415,
                 "UNSUPPORTED_MEDIA_TYPE", "body");
  expect_refused(upload(site, "just some text\n", "photo.png"), 415, "UNSUPPORTED_MEDIA_TYPE", "body");
  expect_refused(upload(site, ""), 415, "UNSUPPORTED_MEDIA_TYPE", "body");
  auto bomb = upload(site, png_claiming(100000, 100000));
  expect_refused(bomb, 422, "UNPROCESSABLE", "body");
  EXPECT_THAT(bomb.body()["error"]["details"][0].value("message", ""), ::testing::HasSubstr("100000x100000"));
  const std::string jpg = make_image("jpg", 800, 600);
  expect_refused(upload(site, jpg.substr(0, jpg.size() / 2), "cut.jpg"), 422, "UNPROCESSABLE", "body");
  const std::string png = make_image("png", 800, 600);
  expect_refused(upload(site, png.substr(0, png.size() / 2), "cut.png"), 422, "UNPROCESSABLE", "body");
  expect_refused(upload(site, png, std::string(300, 'x') + ".png"), 400, "VALIDATION_ERROR", "filename");
  // Viewers cannot upload.
  EXPECT_EQ(upload(site, png, "v.png", Role::viewer).response.status, 403);

  // Nothing reached the read model (the one accepted upload is the padded PNG).
  auto list = call("GET", "/v1/sites/" + site + "/assets", token(Role::viewer));
  ASSERT_EQ(list.response.status, 200) << list.response.body;
  for (const auto& a : list.body()["data"]) EXPECT_EQ(a["bytes"], std::size_t{2} << 20) << a.dump();
  another_tenant_still_served("assets-hostile-next");
}

TEST_F(AssetsTest, AnotherTenantFindsNothingOnEveryEndpoint) {
  const std::string site = create_site("assets-tenants");
  auto up = upload(site, make_image("webp", 100, 80), "mine.webp");
  ASSERT_EQ(up.response.status, 201) << up.response.body;
  const std::string id = up.body()["data"]["assetId"];
  ASSERT_EQ(read("/v1/assets/" + id, position(up)).response.status, 200);
  const std::string other = "t-intruder";
  auto intruding = upload(site, make_image("png", 10, 10), "x.png", Role::owner, other);
  EXPECT_EQ(intruding.response.status, 404);
  EXPECT_EQ(intruding.body()["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(call("GET", "/v1/sites/" + site + "/assets", token(Role::owner, other)).response.status, 404);
  EXPECT_EQ(call("GET", "/v1/assets/" + id, token(Role::owner, other)).response.status, 404);
  EXPECT_EQ(call("GET", "/v1/assets/" + id + "/content", token(Role::owner, other)).response.status, 404);
  EXPECT_EQ(call("DELETE", "/v1/assets/" + id, token(Role::owner, other)).response.status, 404);
  EXPECT_EQ(call("GET", "/v1/assets/not-an-id", token(Role::viewer)).response.status, 404);
  // Still there for its tenant.
  EXPECT_EQ(call("GET", "/v1/assets/" + id + "/content", token(Role::viewer)).response.status, 200);
  another_tenant_still_served("assets-tenants-next");
}

TEST_F(AssetsTest, UnknownAssetsInPropsAndDeletingAnAssetInUseAre422) {
  const std::string site = create_site("assets-use");
  const std::string page = create_page(site, "Home", "");
  auto up = upload(site, make_image("png", 1000, 500), "used.png");
  ASSERT_EQ(up.response.status, 201);
  const std::string id = up.body()["data"]["assetId"];
  const std::string ghost = site + "." + std::string(32, '0');
  auto bad = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                  json{{"type", "Image"}, {"props", {{"src", "asset:" + ghost}, {"alt", ""}}}}.dump());
  expect_refused(bad, 422, "UNPROCESSABLE", "props.src");
  auto img = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                  json{{"type", "Image"}, {"props", {{"src", "asset:" + id}, {"alt", "x"}}}}.dump());
  ASSERT_EQ(img.response.status, 201) << img.response.body;
  ASSERT_EQ(call("POST", "/v1/pages/" + page + "/publish", token(Role::admin)).response.status, 200);
  auto del = call("DELETE", "/v1/assets/" + id, token(Role::editor));
  expect_refused(del, 422, "UNPROCESSABLE", "assetId");
  EXPECT_THAT(del.body()["error"]["details"][0].value("message", ""), ::testing::HasSubstr(page));
  ASSERT_EQ(call("POST", "/v1/pages/" + page + "/unpublish", token(Role::editor)).response.status, 200);
  auto gone = call("DELETE", "/v1/assets/" + id, token(Role::editor));
  ASSERT_EQ(gone.response.status, 200) << gone.response.body;
  EXPECT_EQ(read("/v1/assets/" + id, position(gone)).response.status, 404);
  another_tenant_still_served("assets-use-next");
}

TEST_F(AssetsTest, ADeployShipsTheAssetsItsPagesUseAndNoOthers) {
  const std::string site = create_site("assets-deploy");
  const std::string page = create_page(site, "Home", "");
  const std::string jpg = make_image("jpg", 1800, 900);
  const std::string gif = make_image("gif", 120, 60);
  auto used = upload(site, jpg, "used.jpg");
  ASSERT_EQ(used.response.status, 201);
  auto unused = upload(site, gif, "unused.gif");
  ASSERT_EQ(unused.response.status, 201);
  const std::string id = used.body()["data"]["assetId"];
  auto img = call("POST", "/v1/pages/" + page + "/components", token(Role::editor),
                  json{{"type", "Image"}, {"props", {{"src", "asset:" + id}, {"alt", "Team"}}}}.dump());
  ASSERT_EQ(img.response.status, 201) << img.response.body;
  ASSERT_EQ(call("POST", "/v1/pages/" + page + "/publish", token(Role::admin)).response.status, 200);
  EXPECT_EQ(publish_and_wait(site).value("status", ""), "succeeded");

  std::string html = body_of(call("GET", "/sites/assets-deploy/"));
  // Mustache writes "/" in attributes as "&#x2F;" (the same URL to a browser).
  for (auto at = html.find("&#x2F;"); at != std::string::npos; at = html.find("&#x2F;", at))
    html.replace(at, 6, "/");
  // <img src="assets/<hash>.jpg" srcset="… 480w, … 960w, … 1600w, … 1800w" sizes=… width height>
  const std::string marker = "<img src=\"assets/";
  const auto at = html.find(marker);
  ASSERT_NE(at, std::string::npos) << html;
  const std::string src = html.substr(at + 10, html.find('"', at + 10) - at - 10);
  EXPECT_EQ(src, "assets/" + sha256_hex(jpg) + ".jpg");
  EXPECT_THAT(html, ::testing::HasSubstr("1800w\" sizes=\""));
  EXPECT_THAT(html, ::testing::ContainsRegex("srcset=\"assets/[0-9a-f]{64}\\.webp 480w, assets/[0-9a-f]{64}\\.webp 960w, "
                                             "assets/[0-9a-f]{64}\\.webp 1600w, assets/[0-9a-f]{64}\\.jpg 1800w\""));
  EXPECT_THAT(html, ::testing::HasSubstr("width=\"1800\" height=\"900\""));
  EXPECT_EQ(html.find("asset:"), std::string::npos);

  auto file = call("GET", "/sites/assets-deploy/" + src);
  ASSERT_EQ(file.response.status, 200);
  EXPECT_EQ(file.header("Content-Type"), "image/jpeg");
  EXPECT_THAT(file.header("Cache-Control"), ::testing::HasSubstr("immutable"));
  const auto v = html.find("srcset=\"") + 8;
  const std::string variant = html.substr(v, html.find(' ', v) - v);
  auto webp = call("GET", "/sites/assets-deploy/" + variant);
  ASSERT_EQ(webp.response.status, 200) << variant;
  EXPECT_EQ(webp.header("Content-Type"), "image/webp");
  EXPECT_EQ(body_of(webp).substr(8, 4), "WEBP");

  // The GIF no page uses is not in the deploy.
  auto unused_meta = read("/v1/assets/" + unused.body()["data"].value("assetId", ""), position(unused));
  ASSERT_EQ(unused_meta.response.status, 200);
  EXPECT_EQ(html.find(".gif"), std::string::npos);
  EXPECT_EQ(call("GET", "/sites/assets-deploy/assets/" + sha256_hex(gif) + ".gif").response.status, 404);
}

}  // namespace
}  // namespace pw::gateway
