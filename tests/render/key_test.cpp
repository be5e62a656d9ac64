// site_key/page_key: equal keys mean identical HTML; any input of the HTML
// changes the key. Rendering is const and safe on several threads.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

std::vector<PageInput> pages() {
  return {page("", "Home", {comp("Hero", {{"title", "Welcome"}})}),
          page("about", "About", {comp("Section", {{"padding", "small"}},
                                       {{"children", {comp("Text", {{"text", "Hello *world*"}})}}})})};
}

TEST(RenderKeys, EqualInputsEqualKeysAndBytes) {
  auto p1 = pages(), p2 = pages();
  SiteRenderer a(site(), p1), b(site(), p2);
  EXPECT_EQ(a.site_key(), b.site_key());
  EXPECT_EQ(a.site_key().size(), 64u);
  for (size_t i = 0; i < p1.size(); ++i) {
    EXPECT_EQ(a.page_key(p1[i]), b.page_key(p2[i]));
    EXPECT_EQ(render_ok(a, p1[i]), render_ok(b, p2[i]));
  }
  // Not inputs of the HTML: publish metadata leaves key and bytes alone.
  PageInput moved = p1[1];
  moved.pageId = "other";
  moved.version = 99;
  moved.publishedAt = "2030-01-01T00:00:00Z";
  EXPECT_EQ(a.page_key(moved), a.page_key(p1[1]));
  EXPECT_EQ(render_ok(a, moved), render_ok(a, p1[1]));
}

TEST(RenderKeys, PageChangesChangeTheKey) {
  auto ps = pages();
  SiteRenderer r(site(), ps);
  const PageInput base = ps[1];
  std::vector<std::function<void(PageInput&)>> edits = {
      [](PageInput& p) { p.title = "About Acme"; },
      [](PageInput& p) { p.slug = "about-us"; },
      [](PageInput& p) { p.description = "d"; },
      [](PageInput& p) { p.seo.noIndex = true; },
      [](PageInput& p) { p.seo.canonical = "https://x.example/"; },
      [](PageInput& p) { p.seo.ogImage = "/a.png"; },
      [](PageInput& p) { p.content[0].props["padding"] = "large"; },
      [](PageInput& p) { p.content[0].slots["children"][0].props["text"] = "Bye"; },
      [](PageInput& p) { p.content.push_back(comp("Spacer")); },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    PageInput p = base;
    edits[i](p);
    EXPECT_NE(r.page_key(p), r.page_key(base)) << "edit " << i;
  }
}

TEST(RenderKeys, SiteChangesChangeEveryKey) {
  auto ps = pages();
  SiteRenderer base(site(), ps);
  std::vector<std::function<void(SiteInput&)>> edits = {
      [](SiteInput& s) { s.name = "Acme Inc"; },
      [](SiteInput& s) { s.baseUrl = "https://www.acme.example"; },
      [](SiteInput& s) { s.seo.titleTemplate = "%s!"; },
      [](SiteInput& s) { s.seo.description = "d"; },
      [](SiteInput& s) { s.seo.ogImage = "/og.png"; },
      [](SiteInput& s) { s.settings["lang"] = "fr"; },
      [](SiteInput& s) { s.designTokens = {{"colors", {{"primary", "#000000"}}}}; },
      [](SiteInput& s) { s.designTokens = {{"theme", "dark"}}; },
      [](SiteInput& s) { s.settings["navigation"] = {"about"}; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    SiteInput s = site();
    edits[i](s);
    SiteRenderer r(s, ps);
    EXPECT_NE(r.site_key(), base.site_key()) << "edit " << i;
    EXPECT_NE(r.page_key(ps[1]), base.page_key(ps[1])) << "edit " << i;
  }
  // Another page's title shows in the navigation, so it is a site-wide input.
  auto renamed = ps;
  renamed[0].title = "Start";
  EXPECT_NE(SiteRenderer(site(), renamed).page_key(ps[1]), base.page_key(ps[1]));
}

TEST(RenderKeys, ConcurrentRenderingMatchesSequential) {
  std::vector<PageInput> ps = pages();
  for (int i = 0; i < 30; ++i) {
    ps.push_back(page("p" + std::to_string(i), "Page " + std::to_string(i),
                      {comp("Text", {{"text", "| a | b |\n|---|---|\n| " + std::to_string(i) + " | ~~x~~ |"}}),
                       comp("Card", {{"title", "t"}, {"body", "**b**"}, {"href", "/x"}})}));
  }
  SiteRenderer r(site(), ps);
  std::vector<std::string> expected;
  for (const auto& p : ps) expected.push_back(render_ok(r, p));
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (const auto& p : ps) got[t].push_back(render_ok(r, p));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) {
    ASSERT_EQ(g.size(), ps.size() * 5);
    for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(g[i], expected[i % ps.size()]);
  }
}

}  // namespace
}  // namespace pw::render::test
