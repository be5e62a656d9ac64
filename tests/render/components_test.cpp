// Component markup: allowlisted classes, valid structure, Markdown extensions.
#include <gtest/gtest.h>

#include "commands/components.hpp"
#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

Doc render_content(std::vector<domain::Component> content, SiteInput s = site()) {
  std::vector<PageInput> ps = {page("x", "X", std::move(content))};
  SiteRenderer r(s, ps);
  return parse_html(render_ok(r, ps[0]));
}

xmlNode* main_of(xmlDoc* doc) { return elements(doc, "main").at(0); }

TEST(RenderComponents, HeadingLevelsAndAlignAreAllowlisted) {
  auto doc = render_content({comp("Heading", {{"text", "a"}, {"level", 1}, {"align", "center"}}),
                             comp("Heading", {{"text", "b"}, {"level", 6}}),
                             comp("Heading", {{"text", "c"}, {"level", 7}, {"align", "x\" onclick=\"y"}}),
                             comp("Heading", {{"text", "d"}, {"level", "3"}})});
  ASSERT_EQ(elements(doc.get(), "h1").size(), 1u);
  EXPECT_TRUE(has_class(elements(doc.get(), "h1")[0], "pw-align-center"));
  EXPECT_EQ(elements(doc.get(), "h6").size(), 1u);
  auto h2 = elements(doc.get(), "h2");
  ASSERT_EQ(h2.size(), 2u);  // bad levels fall back to 2
  EXPECT_EQ(attr(h2[0], "class"), "pw-heading ");
}

TEST(RenderComponents, LayoutComponents) {
  auto doc = render_content({comp(
      "Section", {{"padding", "small"}, {"anchor", "pricing"}, {"background", "brand"}},
      {{"children",
        {comp("Columns", {{"count", 3}, {"gap", "large"}},
              {{"column1", {comp("Spacer", {{"size", "small"}})}},
               {"column2", {comp("Button", {{"label", "Go"}, {"href", "/go"}, {"variant", "secondary"}})}},
               {"column3", {}}}),
         comp("Section", {{"anchor", "pricing"}, {"background", "#fff"}})}}})},
                            [] {
                              SiteInput s = site();
                              s.designTokens = {{"colors", {{"brand", "#0a0"}}}};
                              return s;
                            }());
  auto sections = with_class(doc.get(), "pw-section");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(attr(sections[0], "id"), "pricing");
  EXPECT_FALSE(has_attr(sections[1], "id"));  // ids stay unique
  // A token is a class (the sites' CSP refuses inline styles), any other colour a style.
  EXPECT_FALSE(has_attr(sections[0], "style"));
  EXPECT_TRUE(has_class(sections[0], "pw-bg-brand"));
  EXPECT_EQ(attr(sections[1], "style"), "--pw-section-bg: #fff");
  EXPECT_TRUE(has_class(sections[0], "pw-pad-small"));
  auto cols = with_class(doc.get(), "pw-columns");
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_TRUE(has_class(cols[0], "pw-columns-3"));
  EXPECT_TRUE(has_class(cols[0], "pw-gap-large"));
  EXPECT_EQ(with_class(doc.get(), "pw-column").size(), 3u);
  EXPECT_EQ(with_class(doc.get(), "pw-spacer-small").size(), 1u);
  auto button = with_class(doc.get(), "pw-button");
  ASSERT_EQ(button.size(), 1u);
  EXPECT_EQ(attr(button[0], "href"), "/go");
  EXPECT_TRUE(has_class(button[0], "pw-button-secondary"));
}

TEST(RenderComponents, ImageCardHero) {
  auto doc = render_content(
      {comp("Image", {{"src", "/a b.png"}, {"alt", ""}, {"width", 640}, {"height", -1}, {"caption", "Cap"}}),
       comp("Card", {{"title", "T"}, {"body", "See [docs](/docs)"}, {"href", "/card"}, {"image", "/c.png"}}),
       comp("Hero", {{"title", "H"}, {"ctaLabel", "Start"}, {"ctaHref", "https://x.example/"}})});
  auto figures = elements(doc.get(), "figure");
  ASSERT_EQ(figures.size(), 1u);
  auto img = elements(doc.get(), "img").at(0);
  EXPECT_EQ(attr(img, "src"), "/a%20b.png");
  EXPECT_TRUE(has_attr(img, "alt"));
  EXPECT_EQ(attr(img, "width"), "640");
  EXPECT_FALSE(has_attr(img, "height"));
  EXPECT_EQ(text(elements(doc.get(), "figcaption").at(0)), "Cap");
  // No <a> inside another <a>: the card's link is on its title only.
  for (xmlNode* a : elements(doc.get(), "a")) {
    for (xmlNode* up = a->parent; up != nullptr; up = up->parent) {
      if (up->type == XML_ELEMENT_NODE) {
        EXPECT_NE(name_of(up), "a");
      }
    }
  }
  auto card_link = with_class(doc.get(), "pw-card-link");
  ASSERT_EQ(card_link.size(), 1u);
  EXPECT_EQ(attr(card_link[0], "href"), "/card");
  auto cta = with_class(doc.get(), "pw-hero").at(0);
  std::vector<xmlNode*> links;
  collect(cta->children, "a", links);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(attr(links[0], "href"), "https://x.example/");
  EXPECT_EQ(text(links[0]), "Start");
}

TEST(RenderComponents, MarkdownGfmExtensions) {
  auto doc = render_content({comp(
      "Text", {{"text", "# T\n\n| a | b |\n|:-:|---|\n| 1 | 2 |\n\n~~gone~~ and https://example.com/x\n"}})});
  EXPECT_EQ(elements(doc.get(), "table").size(), 1u);
  for (xmlNode* th : elements(doc.get(), "th")) EXPECT_FALSE(has_attr(th, "align"));
  EXPECT_EQ(text(elements(doc.get(), "del").at(0)), "gone");
  bool autolinked = false;
  for (xmlNode* a : elements(doc.get(), "a")) autolinked = autolinked || attr(a, "href") == "https://example.com/x";
  EXPECT_TRUE(autolinked);
}

TEST(RenderComponents, UnknownTypesAndDeepTreesAreSafe) {
  domain::Component deep = comp("Heading", {{"text", "bottom"}});
  for (int i = 0; i < 100; ++i) deep = comp("Section", {}, {{"children", {deep}}});
  auto doc = render_content({comp("Marquee", {{"text", "nope"}}), comp("Heading", {{"text", "ok"}}),
                             comp("Text", {{"text", 42}}), comp("Heading", nlohmann::json::array()), deep});
  ASSERT_NE(doc, nullptr);
  std::string main_text = text(main_of(doc.get()));
  EXPECT_EQ(main_text.find("nope"), std::string::npos);
  EXPECT_NE(main_text.find("ok"), std::string::npos);
  EXPECT_EQ(main_text.find("bottom"), std::string::npos);  // past the depth limit
  EXPECT_EQ(with_class(doc.get(), "pw-section").size(), static_cast<size_t>(domain::kMaxTreeDepth));
}

TEST(RenderPaths, PagePathAndInvalidSlug) {
  EXPECT_EQ(SiteRenderer::page_path(""), "index.html");
  EXPECT_EQ(SiteRenderer::page_path("docs/intro"), "docs/intro/index.html");
  std::vector<PageInput> ps = {page("../etc", "Bad")};
  SiteRenderer r(site(), ps);
  auto out = r.render_page(ps[0]);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, Errc::validation_error);
}

}  // namespace
}  // namespace pw::render::test
