// Media assets in the site aggregate: an upload is one asset per file per
// site, image props may name only live assets of the site, and an asset a
// published page uses cannot be deleted.
#include <gmock/gmock.h>

#include "commands/assets.hpp"
#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

const std::string kHash = std::string(32, 'a') + std::string(32, 'b');
const std::string kOtherHash = std::string(64, 'c');

AssetUploaded uploaded(const std::string& hash = kHash, const SiteId& s = site()) {
  AssetUploaded a;
  a.assetId = make_asset_id(s, hash);
  a.hash = hash;
  a.contentType = "image/png";
  a.bytes = 1234;
  a.width = 1200;
  a.height = 800;
  a.filename = "team.png";
  a.variants = {{480, 320, std::string(64, 'd'), 100}, {960, 640, std::string(64, 'e'), 200}};
  return a;
}

std::string ref(const AssetUploaded& a) { return "asset:" + a.assetId.value; }

SiteState with_asset() {
  SiteState s = sample();
  run(s, UploadAsset{uploaded()});
  return s;
}

Error rejection(const SiteState& s, const Command& c, const CommandMeta& m = meta()) {
  auto r = decide(loaded_schemas(), s, m, c);
  EXPECT_FALSE(r.ok()) << command_type(c) << " was accepted";
  return r.ok() ? make_error(Errc::internal, "accepted") : r.error();
}

void expect_refused(const SiteState& s, const Command& c, Errc code, const std::string& field,
                    const std::string& message_part = "") {
  const Error e = rejection(s, c);
  EXPECT_EQ(e.code, code) << e.message;
  ASSERT_FALSE(e.details.empty());
  EXPECT_EQ(e.details[0].field, field);
  if (!message_part.empty()) {
    EXPECT_THAT(e.details[0].message, ::testing::HasSubstr(message_part));
  }
}

TEST(Assets, AnUploadIsOneAssetPerFileAndSite) {
  SiteState s = sample();
  auto events = run(s, UploadAsset{uploaded()});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<AssetUploaded>(events[0]), uploaded());
  EXPECT_EQ(aggregate_of(events[0]), (AggregateRef{"asset", uploaded().assetId.value}));
  // The same file again: accepted, nothing new.
  EXPECT_TRUE(run(s, UploadAsset{uploaded()}).empty());
  // Another site's copy of the same file is another id.
  const SiteId other = site_id_for_subdomain("other");
  EXPECT_NE(make_asset_id(other, kHash), uploaded().assetId);
  EXPECT_EQ(site_of(uploaded().assetId), site());
}

TEST(Assets, UploadsAreCheckedForShape) {
  const SiteState s = sample();
  AssetUploaded a = uploaded();
  a.assetId = make_asset_id(site(), kOtherHash);
  expect_refused(s, UploadAsset{a}, Errc::validation_error, "assetId", "hash");
  a = uploaded(kHash, site_id_for_subdomain("other"));
  expect_refused(s, UploadAsset{a}, Errc::validation_error, "assetId", "this site");
  a = uploaded();
  a.contentType = "image/svg+xml";
  expect_refused(s, UploadAsset{a}, Errc::unsupported_media_type, "contentType");
  a = uploaded();
  a.bytes = kMaxAssetBytes + 1;
  expect_refused(s, UploadAsset{a}, Errc::payload_too_large, "bytes");
  a = uploaded();
  a.width = kMaxAssetSide + 1;
  expect_refused(s, UploadAsset{a}, Errc::unprocessable, "width");
  a = uploaded();
  a.variants[1].width = 5000;
  expect_refused(s, UploadAsset{a}, Errc::validation_error, "variants[1]");
  a = uploaded();
  a.filename = "a\x01.png";
  expect_refused(s, UploadAsset{a}, Errc::validation_error, "filename");
}

TEST(Assets, AnotherTenantSeesNoSite) {
  const Error e = rejection(sample(), UploadAsset{uploaded()}, other_tenant());
  EXPECT_EQ(e.code, Errc::not_found);
  const Error d = rejection(with_asset(), DeleteAsset{uploaded().assetId}, other_tenant());
  EXPECT_EQ(d.code, Errc::not_found);
}

TEST(Assets, ImagePropsMayNameLiveAssetsOfTheSite) {
  SiteState s = with_asset();
  const AssetUploaded a = uploaded();
  EXPECT_EQ(run(s, add("pic", "Image", {{"src", ref(a)}, {"alt", "team"}})).size(), 1u);
  EXPECT_EQ(run(s, add("hero", "Hero", {{"title", "Hi"}, {"image", ref(a)}})).size(), 1u);
  EXPECT_EQ(run(s, add("card", "Card", {{"title", "Hi"}, {"image", ref(a)}})).size(), 1u);
  EXPECT_EQ(run(s, UpdatePageMetadata{home(), std::nullopt, std::nullopt, PageSeoPatch{std::nullopt, std::nullopt,
                                                                                        ref(a)}})
                .size(),
            1u);
  EXPECT_EQ(run(s, UpdateSiteSettings{std::nullopt, SiteSeoPatch{std::nullopt, std::nullopt, ref(a)}, std::nullopt})
                .size(),
            1u);
}

TEST(Assets, UnknownOrDeletedAssetsAreRefusedNamingTheProp) {
  SiteState s = with_asset();
  const std::string ghost = "asset:" + make_asset_id(site(), kOtherHash).value;
  expect_refused(s, add("pic", "Image", {{"src", ghost}, {"alt", ""}}), Errc::unprocessable, "props.src",
                 "no asset");
  expect_refused(s, add("hero", "Hero", {{"title", "Hi"}, {"image", ghost}}), Errc::unprocessable, "props.image");
  expect_refused(s, UpdateComponentProps{home(), ComponentId{"img"}, json{{"src", ghost}}}, Errc::unprocessable,
                 "props.src");
  expect_refused(s, UpdatePageMetadata{home(), std::nullopt, std::nullopt, PageSeoPatch{std::nullopt, std::nullopt, ghost}},
                 Errc::unprocessable, "seo.ogImage");
  expect_refused(s, UpdateSiteSettings{std::nullopt, SiteSeoPatch{std::nullopt, std::nullopt, ghost}, std::nullopt},
                 Errc::unprocessable, "seo.ogImage");
  // Another site's asset is not this site's, even with a well-formed id.
  const std::string foreign = "asset:" + make_asset_id(site_id_for_subdomain("other"), kHash).value;
  expect_refused(s, add("pic", "Image", {{"src", foreign}, {"alt", ""}}), Errc::unprocessable, "props.src");
  // Whole trees name the component's place.
  CreatePage c{page("new"), "New", std::string("new"), std::nullopt,
               json::parse(R"([{"id":"a","type":"Section","props":{},"slots":{"children":[)"
                           R"({"id":"b","type":"Image","props":{"src":")" + ghost + R"(","alt":""},"slots":{}}]}}])"),
               std::nullopt};
  expect_refused(s, c, Errc::unprocessable, "content[0].slots.children[0].props.src");
  // Deleted: refused too, and said so.
  run(s, DeleteAsset{uploaded().assetId});
  expect_refused(s, add("pic", "Image", {{"src", ref(uploaded())}, {"alt", ""}}), Errc::unprocessable, "props.src",
                 "deleted");
  // Other schemes in an image prop are still refused as URLs; asset: in a link is no asset.
  expect_refused(s, add("pic", "Image", {{"src", "javascript:alert(1)"}, {"alt", ""}}), Errc::unprocessable,
                 "props.src");
  expect_refused(s, add("btn2", "Button", {{"label", "x"}, {"href", ref(uploaded())}}), Errc::unprocessable,
                 "props.href");
}

TEST(Assets, GalleryImagesMayNameLiveAssetsAndNothingElse) {
  SiteState s = with_asset();
  const AssetUploaded a = uploaded();
  EXPECT_EQ(run(s, add("gal", "Gallery",
                       {{"images", json::array({{{"src", ref(a)}, {"alt", "team"}},
                                                {{"src", "https://example.com/b.png"}, {"alt", "b"}}})}}))
                .size(),
            1u);
  const std::string ghost = "asset:" + make_asset_id(site(), kOtherHash).value;
  expect_refused(s, add("gal2", "Gallery", {{"images", json::array({{{"src", ghost}, {"alt", ""}}})}}),
                 Errc::unprocessable, "props.images[0].src", "no asset");
  expect_refused(s, add("gal3", "Gallery", {{"images", json::array({{{"src", "javascript:alert(1)"}, {"alt", ""}}})}}),
                 Errc::unprocessable, "props.images.0.src");
}

TEST(Assets, AnAssetAPublishedPageUsesCannotBeDeleted) {
  SiteState s = with_asset();
  const AssetUploaded a = uploaded();
  run(s, UpdateComponentProps{home(), ComponentId{"img"}, json{{"src", ref(a)}}});
  // A draft's use does not hold it.
  {
    SiteState draft = s;
    EXPECT_EQ(run(draft, DeleteAsset{a.assetId}).size(), 1u);
  }
  run(s, PublishPage{home()});
  expect_refused(s, DeleteAsset{a.assetId}, Errc::unprocessable, "assetId", "published page " + home().value);
  // The draft moves on; the published version still uses it.
  run(s, UpdateComponentProps{home(), ComponentId{"img"}, json{{"src", "/other.png"}}});
  expect_refused(s, DeleteAsset{a.assetId}, Errc::unprocessable, "assetId");
  run(s, UnpublishPage{home()});
  auto events = run(s, DeleteAsset{a.assetId});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<AssetDeleted>(events[0]).assetId, a.assetId);
  expect_refused(s, DeleteAsset{a.assetId}, Errc::not_found, "assetId");
  // The same file again brings it back.
  EXPECT_EQ(run(s, UploadAsset{a}).size(), 1u);
  EXPECT_FALSE(find_asset(s, a.assetId)->deleted);
}

TEST(Assets, TheSitesOgImageHoldsItsAsset) {
  SiteState s = with_asset();
  run(s, UpdateSiteSettings{std::nullopt, SiteSeoPatch{std::nullopt, std::nullopt, ref(uploaded())}, std::nullopt});
  expect_refused(s, DeleteAsset{uploaded().assetId}, Errc::unprocessable, "assetId", "seo.ogImage");
}

TEST(Assets, SnapshotsKeepAssetsAndWhatPublishedPagesUse) {
  SiteState s = with_asset();
  run(s, UpdateComponentProps{home(), ComponentId{"img"}, json{{"src", ref(uploaded())}}});
  run(s, PublishPage{home()});
  run(s, UploadAsset{uploaded(kOtherHash)});
  run(s, DeleteAsset{uploaded(kOtherHash).assetId});
  EXPECT_EQ(s.pages.at(home()).publishedAssets, std::set<std::string>{uploaded().assetId.value});
  const std::string text = site_state_to_json(s).dump();
  auto back = site_state_from_json(json::parse(text));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  EXPECT_EQ(site_state_to_json(*back).dump(), text);
}

TEST(Assets, ImagePropsAreFoundByName) {
  std::vector<AssetRef> refs;
  collect_asset_refs(json{{"src", "asset:x1"},
                          {"heroImage", "asset:x2"},
                          {"items", {{{"image", "asset:x3"}, {"label", "asset:not-an-image-prop"}}}},
                          {"text", "asset:x4"}},
                     "props", refs);
  std::vector<std::string> fields;
  for (const auto& r : refs) fields.push_back(r.field + "=" + r.assetId);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre("props.src=x1", "props.heroImage=x2", "props.items[0].image=x3"));
}

}  // namespace
}  // namespace pw::domain::test
