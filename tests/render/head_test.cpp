// The document head, navigation, relative links and the stylesheet.
#include <gtest/gtest.h>

#include <regex>

#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

std::vector<PageInput> three_pages() {
  std::vector<PageInput> p = {page("", "Home", {comp("Heading", {{"text", "Hi"}})}),
                              page("about", "About us", {comp("Text", {{"text", "x"}})}),
                              page("docs/intro", "Intro", {comp("Heading", {{"text", "Intro"}})})};
  p[1].description = "All about Acme";
  return p;
}

TEST(RenderHead, BasicsOfEveryPage) {
  SiteInput s = site();
  s.settings["lang"] = "de-CH";
  s.seo.description = "Site description";
  auto pages = three_pages();
  SiteRenderer r(s, pages);
  auto doc = parse_html(render_ok(r, pages[1]));
  ASSERT_NE(doc, nullptr);
  auto html = elements(doc.get(), "html");
  ASSERT_EQ(html.size(), 1u);
  EXPECT_EQ(attr(html[0], "lang"), "de-CH");
  int charset = 0;
  for (xmlNode* m : elements(doc.get(), "meta")) charset += attr(m, "charset") == "utf-8" ? 1 : 0;
  EXPECT_EQ(charset, 1);
  EXPECT_EQ(meta(doc.get(), "name", "viewport"), std::vector<std::string>{"width=device-width, initial-scale=1"});
  auto title = elements(doc.get(), "title");
  ASSERT_EQ(title.size(), 1u);
  EXPECT_EQ(text(title[0]), "About us | Acme");
  EXPECT_EQ(meta(doc.get(), "name", "description"), std::vector<std::string>{"All about Acme"});
  EXPECT_EQ(link_hrefs(doc.get(), "canonical"), std::vector<std::string>{"https://acme.example/about/"});
  EXPECT_TRUE(meta(doc.get(), "name", "robots").empty());
  EXPECT_EQ(meta(doc.get(), "property", "og:title"), std::vector<std::string>{"About us"});
  EXPECT_EQ(meta(doc.get(), "property", "og:type"), std::vector<std::string>{"website"});
  EXPECT_EQ(meta(doc.get(), "property", "og:url"), std::vector<std::string>{"https://acme.example/about/"});
  EXPECT_TRUE(meta(doc.get(), "property", "og:image").empty());

  auto scripts = elements(doc.get(), "script");
  ASSERT_EQ(scripts.size(), 1u);
  auto ld = nlohmann::json::parse(text(scripts[0]));
  EXPECT_EQ(ld["@context"], "https://schema.org");
  EXPECT_EQ(ld["@type"], "WebPage");
  EXPECT_EQ(ld["name"], "About us");
  EXPECT_EQ(ld["description"], "All about Acme");
  EXPECT_EQ(ld["url"], "https://acme.example/about/");
  EXPECT_EQ(ld["isPartOf"]["@type"], "WebSite");
  EXPECT_EQ(ld["isPartOf"]["name"], "Acme");
  EXPECT_EQ(ld["isPartOf"]["url"], "https://acme.example/");

  // The site's description stands in for a page without one.
  auto home = parse_html(render_ok(r, pages[0]));
  EXPECT_EQ(meta(home.get(), "name", "description"), std::vector<std::string>{"Site description"});
  EXPECT_EQ(link_hrefs(home.get(), "canonical"), std::vector<std::string>{"https://acme.example/"});
}

TEST(RenderHead, TitleTemplateDescriptionOmittedAndInvalidLang) {
  SiteInput s = site();
  s.seo.titleTemplate = "%s — Acme Docs";
  s.settings["lang"] = "english please";
  auto pages = three_pages();
  SiteRenderer r(s, pages);
  auto doc = parse_html(render_ok(r, pages[2]));
  auto title = elements(doc.get(), "title");
  ASSERT_EQ(title.size(), 1u);
  EXPECT_EQ(text(title[0]), "Intro — Acme Docs");
  EXPECT_TRUE(meta(doc.get(), "name", "description").empty());
  EXPECT_EQ(attr(elements(doc.get(), "html").at(0), "lang"), "en");
}

TEST(RenderHead, SeoOverrides) {
  SiteInput s = site();
  s.seo.ogImage = "/img/site.png";
  auto pages = three_pages();
  pages[1].seo.canonical = "https://other.example/about";
  pages[2].seo.ogImage = "https://cdn.example/intro.png";
  pages[0].seo.canonical = "/relative";  // not absolute: the default stands
  SiteRenderer r(s, pages);
  auto about = parse_html(render_ok(r, pages[1]));
  EXPECT_EQ(link_hrefs(about.get(), "canonical"), std::vector<std::string>{"https://other.example/about"});
  EXPECT_EQ(meta(about.get(), "property", "og:url"), std::vector<std::string>{"https://other.example/about"});
  EXPECT_EQ(meta(about.get(), "property", "og:image"), std::vector<std::string>{"https://acme.example/img/site.png"});
  auto intro = parse_html(render_ok(r, pages[2]));
  EXPECT_EQ(meta(intro.get(), "property", "og:image"), std::vector<std::string>{"https://cdn.example/intro.png"});
  auto home = parse_html(render_ok(r, pages[0]));
  EXPECT_EQ(link_hrefs(home.get(), "canonical"), std::vector<std::string>{"https://acme.example/"});
}

TEST(RenderHead, NoIndexPage) {
  auto pages = three_pages();
  pages[1].seo.noIndex = true;
  SiteRenderer r(site(), pages);
  auto doc = parse_html(render_ok(r, pages[1]));
  EXPECT_EQ(meta(doc.get(), "name", "robots"), std::vector<std::string>{"noindex"});
  auto files = r.sitemaps(pages);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].bytes.find("/about/"), std::string::npos);
  EXPECT_NE(files[0].bytes.find("/docs/intro/"), std::string::npos);
}

TEST(RenderLinks, RelativeFromNestedAndHome) {
  auto pages = three_pages();
  SiteRenderer r(site(), pages);
  auto nested = parse_html(render_ok(r, pages[2]));
  EXPECT_EQ(attr(with_class(nested.get(), "pw-brand").at(0), "href"), "../../");
  EXPECT_EQ(link_hrefs(nested.get(), "stylesheet"), std::vector<std::string>{"../../" + r.stylesheet_path()});
  std::vector<std::string> nav;
  for (xmlNode* a : elements(nested.get(), "a")) {
    if (name_of(a->parent) == "li") nav.push_back(attr(a, "href"));
  }
  // Automatic navigation: home, then top-level pages by slug; nested pages stay out.
  EXPECT_EQ(nav, (std::vector<std::string>{"../../", "../../about/"}));

  auto home = parse_html(render_ok(r, pages[0]));
  EXPECT_EQ(attr(with_class(home.get(), "pw-brand").at(0), "href"), "./");
  EXPECT_EQ(link_hrefs(home.get(), "stylesheet"), std::vector<std::string>{r.stylesheet_path()});
  nav.clear();
  for (xmlNode* a : elements(home.get(), "a")) {
    if (name_of(a->parent) == "li") {
      nav.push_back(attr(a, "href"));
      EXPECT_EQ(attr(a, "aria-current"), text(a) == "Home" ? "page" : "");
    }
  }
  EXPECT_EQ(nav, (std::vector<std::string>{"./", "about/"}));
}

// A site can publish pages without a home page: nothing may link to "./" then.
TEST(RenderLinks, WithoutAHomePageNothingLinksToTheRoot) {
  std::vector<PageInput> pages{page("about", "About"), page("docs/intro", "Intro")};
  SiteRenderer r(site(), pages);
  for (const std::string& html : {render_ok(r, pages[0]), render_ok(r, pages[1]), r.render_404()}) {
    auto doc = parse_html(html);
    ASSERT_EQ(with_class(doc.get(), "pw-brand").size(), 1u);
    EXPECT_EQ(name_of(with_class(doc.get(), "pw-brand").at(0)), "span");
    for (xmlNode* a : elements(doc.get(), "a")) {
      const std::string href = attr(a, "href");
      EXPECT_TRUE(href != "./" && href != "../" && href != "../../") << href;
    }
  }
  std::vector<PageInput> with_home = pages;
  with_home.push_back(page("", "Home"));
  EXPECT_NE(SiteRenderer(site(), with_home).site_key(), r.site_key());
}

TEST(RenderNav, ExplicitOrderAndLimit) {
  auto pages = three_pages();
  SiteInput s = site();
  s.settings["navigation"] = {"docs/intro", "missing", "", "docs/intro"};
  SiteRenderer r(s, pages);
  ASSERT_EQ(r.navigation().size(), 2u);
  EXPECT_EQ(r.navigation()[0].slug, "docs/intro");
  EXPECT_EQ(r.navigation()[1].slug, "");
  auto doc = parse_html(render_ok(r, pages[2]));
  for (xmlNode* a : elements(doc.get(), "a")) {
    if (text(a) == "Intro") {
      EXPECT_EQ(attr(a, "aria-current"), "page");
      EXPECT_EQ(attr(a, "href"), "../../docs/intro/");
    }
  }

  std::vector<PageInput> many = {page("", "Home")};
  for (char c = 'j'; c >= 'a'; --c) many.push_back(page(std::string(1, c), std::string(1, c)));
  SiteRenderer auto_nav(site(), many);
  ASSERT_EQ(auto_nav.navigation().size(), 8u);
  EXPECT_EQ(auto_nav.navigation()[1].slug, "a");
  EXPECT_EQ(auto_nav.navigation()[7].slug, "g");
}

TEST(RenderStylesheet, ContentHashedPath) {
  auto pages = three_pages();
  SiteRenderer a(site(), pages), b(site(), pages);
  EXPECT_TRUE(std::regex_match(a.stylesheet_path(), std::regex("assets/site\\.[0-9a-f]{16}\\.css")))
      << a.stylesheet_path();
  EXPECT_EQ(a.stylesheet_path(), b.stylesheet_path());
  EXPECT_EQ(a.stylesheet(), b.stylesheet());

  auto other_text = pages;
  other_text[0].content[0].props["text"] = "Changed heading";
  EXPECT_EQ(SiteRenderer(site(), other_text).stylesheet_path(), a.stylesheet_path());

  SiteInput tokens = site();
  tokens.designTokens = {{"colors", {{"primary", "#ff0000"}}}};
  SiteRenderer t(tokens, pages);
  EXPECT_NE(t.stylesheet_path(), a.stylesheet_path());
  EXPECT_NE(t.stylesheet().find("--color-primary: #ff0000;"), std::string::npos);

  auto more_types = pages;
  more_types[2].content.push_back(comp("Spacer", {{"size", "large"}}));
  SiteRenderer m(site(), more_types);
  EXPECT_NE(m.stylesheet_path(), a.stylesheet_path());
  EXPECT_NE(m.stylesheet().find(".pw-spacer-large"), std::string::npos);
  EXPECT_EQ(a.stylesheet().find(".pw-spacer-large"), std::string::npos);
}

TEST(RenderStylesheet, InvalidTokensLeftOutAndReported) {
  SiteInput s = site();
  s.designTokens = {
      {"colors", {{"brand", "#123456"}, {"Bad Name", "red"}, {"evil", "red;}body{x:y"},
                  {"img", "url(https://x.example/a.png)"}, {"ie", "expression(alert(1))"},
                  {"esc", "\\65 red"}, {"num", 5}}},
      {"spacing", {{"gutter", "1.5rem"}, {"quote", "\"x\""}}},
      {"radii", "not an object"}};
  auto pages = three_pages();
  SiteRenderer r(s, pages);
  const std::string& css = r.stylesheet();
  EXPECT_NE(css.find("--color-brand: #123456;"), std::string::npos);
  EXPECT_NE(css.find("--space-gutter: 1.5rem;"), std::string::npos);
  for (std::string bad : {"Bad Name", "evil", "--color-img", "expression", "--color-esc", "--color-num", "--space-quote"}) {
    EXPECT_EQ(css.find(bad), std::string::npos) << bad;
  }
  EXPECT_EQ(SiteRenderer(site(), pages).stylesheet_path() == r.stylesheet_path(), false);
  // Nothing is dropped silently: each one is reported with its group and name.
  std::vector<std::string> want = {"colors.Bad Name: not a token name", "colors.esc: not a safe CSS value",
                                   "colors.evil: not a safe CSS value", "colors.ie: not a safe CSS value",
                                   "colors.img: not a safe CSS value",   "colors.num: not a safe CSS value",
                                   "spacing.quote: not a safe CSS value", "radii: not an object"};
  EXPECT_EQ(r.dropped_tokens(), want);
  EXPECT_TRUE(SiteRenderer(site(), pages).dropped_tokens().empty());
  // What was left out falls back to the theme: its radii and its primary stay.
  EXPECT_NE(css.find("--radius-button: 6px;"), std::string::npos);
  EXPECT_NE(css.find("--color-primary: #1d4ed8;"), std::string::npos);
}

TEST(Render404, NoIndexAndSameHead) {
  auto pages = three_pages();
  SiteRenderer r(site(), pages);
  auto doc = parse_html(r.render_404());
  EXPECT_EQ(meta(doc.get(), "name", "robots"), std::vector<std::string>{"noindex"});
  EXPECT_EQ(link_hrefs(doc.get(), "stylesheet"), std::vector<std::string>{r.stylesheet_path()});
  EXPECT_TRUE(link_hrefs(doc.get(), "canonical").empty());
  EXPECT_EQ(text(elements(doc.get(), "title").at(0)), "Page not found | Acme");
  EXPECT_EQ(elements(doc.get(), "nav").size(), 1u);
}

}  // namespace
}  // namespace pw::render::test
