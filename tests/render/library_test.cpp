// The markup of Video, Gallery, Quote, List, Faq, Navbar, Footer and Divider,
// on the parsed DOM: privacy-enhanced sandboxed embeds only, escaped text,
// safe URLs, nothing rendered for nothing to show.
#include <gtest/gtest.h>

#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

using nlohmann::json;

const std::string kScript = "<script>alert(1)</script>";
const std::string kAttrBreak = "\"><img src=x onerror=alert(1)>";

struct Rendered {
  std::vector<PageInput> pages;
  std::unique_ptr<SiteRenderer> renderer;
  std::string html;
  Doc doc{nullptr, &xmlFreeDoc};
};

// The site's pages are home, "about" and "docs/intro"; `content` goes on the page of `slug`.
Rendered render_on(const std::string& slug, std::vector<domain::Component> content) {
  Rendered r;
  r.pages = {page("", "Home"), page("about", "About"), page("docs/intro", "Intro")};
  for (PageInput& p : r.pages)
    if (p.slug == slug) p.content = std::move(content);
  r.renderer = std::make_unique<SiteRenderer>(site(), r.pages);
  for (const PageInput& p : r.pages)
    if (p.slug == slug) r.html = render_ok(*r.renderer, p);
  r.doc = parse_html(r.html);
  return r;
}

std::vector<xmlNode*> in_main(xmlDoc* doc, const std::string& name) {
  std::vector<xmlNode*> out;
  xmlNode* main = elements(doc, "main").at(0);
  collect(main->children, name, out);
  return out;
}

TEST(RenderLibrary, VideosArePrivacyEnhancedSandboxedLazyIframes) {
  auto r = render_on("", {comp("Video", {{"url", "https://www.youtube.com/watch?v=aqz-KE-bpKQ"}, {"title", kAttrBreak}}),
                          comp("Video", {{"url", "https://vimeo.com/76979871"}, {"title", "Vimeo"}}),
                          comp("Video", {{"url", "https://evil.example/embed/x"}, {"title", "dropped"}}),
                          comp("Video", {{"url", "javascript:alert(1)"}, {"title", "dropped"}}),
                          comp("Video", {{"title", "no url"}})});
  auto frames = elements(r.doc.get(), "iframe");
  ASSERT_EQ(frames.size(), 2u) << r.html;
  EXPECT_EQ(attr(frames[0], "src"), "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ");
  EXPECT_EQ(attr(frames[1], "src"), "https://player.vimeo.com/video/76979871?dnt=1");
  for (xmlNode* f : frames) {
    // Not allow-same-origin: with allow-scripts it would let the player lift its own
    // sandbox, and the Nu checker refuses the pair.
    EXPECT_EQ(attr(f, "sandbox"), "allow-scripts allow-presentation");
    EXPECT_EQ(attr(f, "loading"), "lazy");
    EXPECT_EQ(attr(f, "referrerpolicy"), "strict-origin-when-cross-origin");
  }
  EXPECT_EQ(attr(frames[0], "title"), kAttrBreak);
  EXPECT_EQ(attr(frames[1], "title"), "Vimeo");
  EXPECT_EQ(with_class(r.doc.get(), "pw-video").size(), 2u);
  EXPECT_EQ(r.html.find("dropped"), std::string::npos);
}

TEST(RenderLibrary, GalleriesShowTheirSafeImages) {
  auto r = render_on("", {comp("Gallery", {{"columns", 4},
                                           {"images", {{{"src", "/a.jpg"}, {"alt", kAttrBreak}},
                                                       {{"src", "javascript:alert(1)"}, {"alt", "dropped"}},
                                                       {{"src", "https://cdn.example/b c.png"}, {"alt", ""}},
                                                       "not an object"}}}),
                          comp("Gallery", {{"images", json::array()}}),
                          comp("Gallery", {{"columns", 9}, {"images", {{{"src", "/c.jpg"}, {"alt", "c"}}}}})});
  auto galleries = with_class(r.doc.get(), "pw-gallery");
  ASSERT_EQ(galleries.size(), 2u) << r.html;  // the empty one is left out
  EXPECT_TRUE(has_class(galleries[0], "pw-gallery-4"));
  EXPECT_TRUE(has_class(galleries[1], "pw-gallery-3"));  // out of range: the default
  auto imgs = in_main(r.doc.get(), "img");
  ASSERT_EQ(imgs.size(), 3u);
  EXPECT_EQ(attr(imgs[0], "src"), "/a.jpg");
  EXPECT_EQ(attr(imgs[0], "alt"), kAttrBreak);
  EXPECT_EQ(attr(imgs[1], "src"), "https://cdn.example/b%20c.png");
  EXPECT_TRUE(has_attr(imgs[1], "alt"));
  for (xmlNode* img : imgs) EXPECT_EQ(attr(img, "loading"), "lazy");
  EXPECT_EQ(r.html.find("dropped"), std::string::npos);
}

TEST(RenderLibrary, GalleryImagesThatAreSiteAssetsGetTheirFilesAndVariants) {
  domain::AssetUploaded a;
  a.assetId = AssetId{"site.asset1"};
  a.hash = std::string(64, 'a');
  a.contentType = "image/jpeg";
  a.width = 2000;
  a.height = 1000;
  a.variants = {{480, 240, std::string(64, 'b'), 10}, {960, 480, std::string(64, 'c'), 20}};
  std::vector<PageInput> pages = {page("", "Home")};
  pages[0].content = {comp("Gallery", {{"images", {{{"src", "asset:site.asset1"}, {"alt", "team"}},
                                                   {{"src", "asset:site.unknown"}, {"alt", "dropped"}}}}})};
  SiteInput input = site();
  input.assets = {{a.assetId.value, a}};
  SiteRenderer renderer(input, pages);
  const std::string html = render_ok(renderer, pages[0]);
  auto doc = parse_html(html);
  auto imgs = in_main(doc.get(), "img");
  ASSERT_EQ(imgs.size(), 1u) << html;  // an unknown asset shows nothing rather than a broken image
  EXPECT_EQ(attr(imgs[0], "src"), asset_path(a));
  EXPECT_NE(attr(imgs[0], "srcset").find(variant_path(a.variants[0]) + " 480w"), std::string::npos) << html;
  EXPECT_NE(attr(imgs[0], "srcset").find(variant_path(a.variants[1]) + " 960w"), std::string::npos) << html;
  EXPECT_FALSE(attr(imgs[0], "sizes").empty());
  EXPECT_EQ(attr(imgs[0], "width"), "2000");
  EXPECT_EQ(attr(imgs[0], "height"), "1000");
}

TEST(RenderLibrary, QuotesListsAndFaqsKeepTextAsText) {
  auto r = render_on("", {comp("Quote", {{"text", kScript}, {"cite", kAttrBreak}}),
                          comp("Quote", {{"text", "Plain"}}),
                          comp("Quote", json::object()),
                          comp("List", {{"items", {{{"text", kScript}}, {{"text", "two"}}, {{"text", ""}}}}}),
                          comp("List", {{"ordered", true}, {"items", {{{"text", "first"}}}}}),
                          comp("List", {{"items", json::array()}}),
                          comp("Faq", {{"items", {{{"question", kScript}, {"answer", kAttrBreak}},
                                                  {{"question", "No answer yet?"}, {"answer", ""}},
                                                  {{"question", ""}, {"answer", "dropped"}}}}})});
  EXPECT_EQ(elements(r.doc.get(), "script").size(), 1u);  // the JSON-LD alone
  auto quotes = with_class(r.doc.get(), "pw-quote");
  ASSERT_EQ(quotes.size(), 2u);
  auto blockquotes = elements(r.doc.get(), "blockquote");
  ASSERT_EQ(blockquotes.size(), 2u);
  EXPECT_EQ(text(blockquotes[0]), kScript);
  auto captions = elements(r.doc.get(), "figcaption");
  ASSERT_EQ(captions.size(), 1u);
  EXPECT_EQ(text(captions[0]), kAttrBreak);

  auto ul = with_class(r.doc.get(), "pw-list");
  ASSERT_EQ(ul.size(), 2u);
  EXPECT_EQ(name_of(ul[0]), "ul");
  EXPECT_EQ(name_of(ul[1]), "ol");
  std::vector<xmlNode*> items;
  collect(ul[0]->children, "li", items);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(text(items[0]), kScript);

  auto details = elements(r.doc.get(), "details");
  ASSERT_EQ(details.size(), 2u);
  auto summaries = elements(r.doc.get(), "summary");
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(text(summaries[0]), kScript);
  std::vector<xmlNode*> answers;
  collect(details[0]->children, "p", answers);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(text(answers[0]), kAttrBreak);
  answers.clear();
  collect(details[1]->children, "p", answers);
  EXPECT_TRUE(answers.empty());
  EXPECT_EQ(r.html.find("dropped"), std::string::npos);
}

TEST(RenderLibrary, NavbarsLinkTheirLinksOrTheSitesPages) {
  auto r = render_on("docs/intro", {comp("Navbar", {{"links", {{{"label", "Docs"}, {"href", "/docs/"}},
                                                               {{"label", kScript}, {"href", "javascript:alert(1)"}}}}}),
                                    comp("Navbar", json::object())});
  auto navbars = with_class(r.doc.get(), "pw-navbar");
  ASSERT_EQ(navbars.size(), 2u) << r.html;
  EXPECT_EQ(name_of(navbars[0]), "nav");
  EXPECT_FALSE(attr(navbars[0], "aria-label").empty());
  std::vector<xmlNode*> given, pages;
  collect(navbars[0]->children, "a", given);
  collect(navbars[1]->children, "a", pages);
  ASSERT_EQ(given.size(), 2u);
  EXPECT_EQ(attr(given[0], "href"), "/docs/");
  EXPECT_EQ(text(given[1]), kScript);
  EXPECT_FALSE(has_attr(given[1], "href"));
  // Home and the top-level "about", as the header lists them, relative to docs/intro/.
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(attr(pages[0], "href"), "../../");
  EXPECT_EQ(text(pages[0]), "Home");
  EXPECT_EQ(attr(pages[1], "href"), "../../about/");
  EXPECT_FALSE(has_attr(pages[1], "aria-current"));

  auto on_about = render_on("about", {comp("Navbar")});
  std::vector<xmlNode*> links;
  collect(with_class(on_about.doc.get(), "pw-navbar").at(0)->children, "a", links);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(attr(links[1], "href"), "../about/");
  EXPECT_EQ(attr(links[1], "aria-current"), "page");
}

TEST(RenderLibrary, FootersAndDividers) {
  auto r = render_on("", {comp("Divider"),
                          comp("Footer", {{"text", kScript},
                                          {"links", {{{"label", "Privacy"}, {"href", "/privacy/"}},
                                                     {{"label", "Mail"}, {"href", "mailto:a@b.example"}},
                                                     {{"label", "Bad"}, {"href", "vbscript:x"}}}}}),
                          comp("Footer", {{"text", "Only text"}}),
                          comp("Footer", json::object())});
  EXPECT_EQ(in_main(r.doc.get(), "hr").size(), 1u);
  EXPECT_EQ(with_class(r.doc.get(), "pw-divider").size(), 1u);
  auto footers = with_class(r.doc.get(), "pw-footer-block");
  ASSERT_EQ(footers.size(), 2u) << r.html;
  EXPECT_EQ(name_of(footers[0]), "footer");
  EXPECT_EQ(text(with_class(r.doc.get(), "pw-footer-text").at(0)), kScript);
  std::vector<xmlNode*> links;
  collect(footers[0]->children, "a", links);
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(attr(links[1], "href"), "mailto:a@b.example");
  EXPECT_FALSE(has_attr(links[2], "href"));
  EXPECT_TRUE(with_class(r.doc.get(), "pw-footer-links").size() == 1u);
  EXPECT_EQ(elements(r.doc.get(), "script").size(), 1u);
}

TEST(RenderLibrary, PropsOfTheWrongShapeRenderNothingHarmful) {
  auto r = render_on("", {comp("Gallery", {{"images", "x"}, {"columns", "3"}}),
                          comp("List", {{"items", {1, 2}}, {"ordered", "yes"}}),
                          comp("Faq", {{"items", json::object()}}),
                          comp("Navbar", {{"links", 7}}),
                          comp("Footer", {{"links", {{{"label", 3}, {"href", 4}}}}}),
                          comp("Video", {{"url", 12}, {"title", json::array()}}),
                          comp("Quote", "not an object"),
                          comp("Divider", {{"anything", kScript}})});
  ASSERT_NE(r.html.find("<main"), std::string::npos) << r.html;
  EXPECT_EQ(r.html.find("RENDER FAILED"), std::string::npos);
  EXPECT_TRUE(elements(r.doc.get(), "iframe").empty());
  EXPECT_TRUE(with_class(r.doc.get(), "pw-gallery").empty());
  EXPECT_TRUE(with_class(r.doc.get(), "pw-list").empty());
  EXPECT_TRUE(with_class(r.doc.get(), "pw-faq").empty());
  EXPECT_TRUE(with_class(r.doc.get(), "pw-footer-block").empty());
  EXPECT_EQ(with_class(r.doc.get(), "pw-divider").size(), 1u);
  // A Navbar with unusable links falls back to the site's pages.
  EXPECT_EQ(with_class(r.doc.get(), "pw-navbar").size(), 1u);
  EXPECT_EQ(r.html.find("alert"), std::string::npos);
}

TEST(RenderLibrary, TheStylesheetStylesTheTypesInUse) {
  std::vector<PageInput> pages = {page("", "Home", {comp("Faq", {{"items", {{{"question", "q"}, {"answer", "a"}}}}}),
                                                    comp("Divider")})};
  SiteRenderer r(site(), pages);
  EXPECT_NE(r.stylesheet().find(".pw-faq-item summary"), std::string::npos);
  EXPECT_NE(r.stylesheet().find(".pw-divider{"), std::string::npos);
  EXPECT_EQ(r.stylesheet().find(".pw-gallery{"), std::string::npos);
  EXPECT_EQ(r.stylesheet().find(".pw-video-frame"), std::string::npos);
  EXPECT_NE(SiteRenderer::components_used(pages[0]), 0u);
}

}  // namespace
}  // namespace pw::render::test
