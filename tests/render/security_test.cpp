// Hostile props must stay inert: checked on the parsed DOM.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

const std::string kScript = "<script>alert(1)</script>";
const std::string kAttrBreak = "\"><img src=x onerror=alert(1)>";
const std::string kSingleQuote = "' onmouseover='x";
const std::string kJs = "javascript:alert(1)";

std::string normalized_url(std::string v) {
  std::string out;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7f) out += static_cast<char>(std::tolower(u));
  }
  return out;
}

std::vector<domain::Component> hostile_content() {
  return {
      comp("Section", {{"anchor", "x\" onclick=\"alert(1)"}, {"background", "red;}</style><script>"},
                       {"padding", "large\" onclick=\"x"}},
           {{"children",
             {comp("Heading", {{"text", kScript}, {"level", 3}}),
              comp("Button", {{"label", kAttrBreak}, {"href", kJs}}),
              comp("Image", {{"src", "/ok.png"}, {"alt", kSingleQuote}, {"caption", kScript}})}}}),
      comp("Image", {{"src", kJs}, {"alt", "dropped"}}),
      comp("Image", {{"src", "data:image/svg+xml,<svg onload=alert(1)>"}, {"alt", "dropped"}}),
      comp("Hero", {{"title", kAttrBreak}, {"subtitle", kSingleQuote}, {"image", " JaVaScRiPt:alert(1)"},
                    {"ctaLabel", kScript}, {"ctaHref", "vbscript:msgbox(1)"}}),
      comp("Card", {{"title", kScript}, {"href", kJs}, {"image", "data:text/html,x"},
                    {"body", "card [y](javascript:alert(2)) <script>alert(3)</script>"}}),
      comp("Text", {{"text", "Before\n\n<script>alert(1)</script>\n\nlink [x](javascript:alert(1)) "
                             "and <img src=x onerror=alert(1)> ![i](data:image/png;base64,AAAA) "
                             "[v](VBScript:x) [d](data:text/html,x)\n\nAfter"}}),
      comp("Button", {{"label", "tab"}, {"href", "java\tscript:alert(1)"}}),
  };
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    SiteInput s = site();
    s.name = kScript;
    s.settings = {{"lang", "en\"><script>alert(1)</script>"}};
    s.designTokens = {{"colors", {{"primary", "red;} body{background:url(javascript:x)"}}}};
    pages = {page("", "Home"), page("docs/intro", "</script><script>alert(1)</script>", hostile_content())};
    pages[1].description = kAttrBreak;
    pages[1].seo.canonical = kJs;
    pages[1].seo.ogImage = "javascript:alert(1)";
    renderer = std::make_unique<SiteRenderer>(s, pages);
    html = render_ok(*renderer, pages[1]);
    doc = parse_html(html);
  }
  std::vector<PageInput> pages;
  std::unique_ptr<SiteRenderer> renderer;
  std::string html;
  Doc doc{nullptr, &xmlFreeDoc};
};

TEST_F(Hostile, OnlyScriptIsTheJsonLd) {
  ASSERT_NE(doc, nullptr);
  auto scripts = elements(doc.get(), "script");
  ASSERT_EQ(scripts.size(), 1u) << html;
  EXPECT_EQ(attr(scripts[0], "type"), "application/ld+json");
  auto ld = nlohmann::json::parse(text(scripts[0]), nullptr, false);
  ASSERT_FALSE(ld.is_discarded());
  EXPECT_EQ(ld["@type"], "WebPage");
  EXPECT_EQ(ld["name"], "</script><script>alert(1)</script>");
}

TEST_F(Hostile, NoEventHandlerAttributesAndNoScriptUrls) {
  ASSERT_NE(doc, nullptr);
  for (xmlNode* n : elements(doc.get())) {
    for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      std::string name = reinterpret_cast<const char*>(a->name);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      EXPECT_FALSE(name.starts_with("on")) << name << " on <" << name_of(n) << ">";
      if (name == "href" || name == "src" || name == "action" || name == "formaction") {
        std::string v = normalized_url(attr(n, name.c_str()));
        // The one data: URL is the renderer's own favicon, an inert SVG image
        // in the theme's colours; no prop or token reaches it but hex colours.
        if (name_of(n) == "link" && attr(n, "rel") == "icon" && v.starts_with("data:image/svg+xml,")) {
          EXPECT_EQ(v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789:/+,.%'=-"), std::string::npos) << v;
          continue;
        }
        EXPECT_FALSE(v.starts_with("javascript:") || v.starts_with("data:") || v.starts_with("vbscript:"))
            << name << "=" << v;
      }
    }
  }
}

TEST_F(Hostile, HostileTextStaysText) {
  ASSERT_NE(doc, nullptr);
  auto h3 = elements(doc.get(), "h3");
  ASSERT_FALSE(h3.empty());
  EXPECT_EQ(text(h3[0]), kScript);
  auto buttons = with_class(doc.get(), "pw-button");
  ASSERT_GE(buttons.size(), 1u);
  EXPECT_EQ(text(buttons[0]), kAttrBreak);
  EXPECT_FALSE(has_attr(buttons[0], "href"));  // its javascript: href was dropped
  auto figcaptions = elements(doc.get(), "figcaption");
  ASSERT_EQ(figcaptions.size(), 1u);
  EXPECT_EQ(text(figcaptions[0]), kScript);
  auto hero_title = with_class(doc.get(), "pw-hero-title");
  ASSERT_EQ(hero_title.size(), 1u);
  EXPECT_EQ(text(hero_title[0]), kAttrBreak);
  auto subtitle = with_class(doc.get(), "pw-hero-subtitle");
  ASSERT_EQ(subtitle.size(), 1u);
  EXPECT_EQ(text(subtitle[0]), kSingleQuote);
  auto card_title = with_class(doc.get(), "pw-card-title");
  ASSERT_EQ(card_title.size(), 1u);
  EXPECT_EQ(text(card_title[0]), kScript);
  auto brand = with_class(doc.get(), "pw-brand");
  ASSERT_EQ(brand.size(), 1u);
  EXPECT_EQ(text(brand[0]), kScript);
  auto titles = elements(doc.get(), "title");
  ASSERT_EQ(titles.size(), 1u);
  EXPECT_EQ(text(titles[0]), "</script><script>alert(1)</script> | " + kScript);
  EXPECT_EQ(meta(doc.get(), "name", "description"), std::vector<std::string>{kAttrBreak});
}

TEST_F(Hostile, AttributeValuesStayInsideTheirAttribute) {
  ASSERT_NE(doc, nullptr);
  std::vector<std::string> alts;
  for (xmlNode* img : elements(doc.get(), "img")) alts.push_back(attr(img, "alt"));
  // Only the safe-src Image is rendered, and its alt is exactly the prop.
  EXPECT_NE(std::find(alts.begin(), alts.end(), kSingleQuote), alts.end());
  EXPECT_EQ(std::find(alts.begin(), alts.end(), "dropped"), alts.end());
  auto sections = with_class(doc.get(), "pw-section");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_FALSE(has_attr(sections[0], "id"));
  EXPECT_FALSE(has_attr(sections[0], "style"));
  EXPECT_EQ(attr(sections[0], "class"), "pw-section pw-pad-medium");
  auto html_el = elements(doc.get(), "html");
  ASSERT_EQ(html_el.size(), 1u);
  EXPECT_EQ(attr(html_el[0], "lang"), "en");
}

TEST_F(Hostile, MarkdownRawHtmlDroppedAndLinksNeutralized) {
  ASSERT_NE(doc, nullptr);
  auto texts = with_class(doc.get(), "pw-text");
  ASSERT_EQ(texts.size(), 1u);
  std::string t = text(texts[0]);
  EXPECT_NE(t.find("Before"), std::string::npos);
  EXPECT_NE(t.find("After"), std::string::npos);
  std::vector<std::string> link_texts;
  for (xmlNode* a : elements(doc.get(), "a")) {
    link_texts.push_back(text(a));
    if (text(a) == "x" || text(a) == "v" || text(a) == "d" || text(a) == "y") {
      EXPECT_EQ(attr(a, "href"), "#") << text(a);
    }
  }
  EXPECT_NE(std::find(link_texts.begin(), link_texts.end(), "x"), link_texts.end());
  EXPECT_NE(std::find(link_texts.begin(), link_texts.end(), "y"), link_texts.end());
}

TEST_F(Hostile, HeadUrlsFallBackWhenUnsafe) {
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(link_hrefs(doc.get(), "canonical"), std::vector<std::string>{"https://acme.example/docs/intro/"});
  EXPECT_TRUE(meta(doc.get(), "property", "og:image").empty());
}

TEST_F(Hostile, InvalidTokenNotInStylesheet) {
  EXPECT_EQ(renderer->stylesheet().find("javascript"), std::string::npos);
  EXPECT_EQ(renderer->stylesheet().find("url("), std::string::npos);
  // The theme's primary stands in for the refused one, which is reported.
  EXPECT_NE(renderer->stylesheet().find("--color-primary: #1d4ed8;"), std::string::npos);
  EXPECT_EQ(renderer->dropped_tokens(), std::vector<std::string>{"colors.primary: not a safe CSS value"});
}

}  // namespace
}  // namespace pw::render::test
