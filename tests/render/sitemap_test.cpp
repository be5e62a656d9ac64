// sitemap.xml and robots.txt, checked with libxml2's XML parser.
#include <gtest/gtest.h>

#include "tests/render/dom.hpp"

namespace pw::render::test {
namespace {

constexpr const char* kNs = "http://www.sitemaps.org/schemas/sitemap/0.9";

std::string ns_of(xmlNode* n) {
  return n->ns != nullptr && n->ns->href != nullptr ? reinterpret_cast<const char*>(n->ns->href) : "";
}

std::vector<std::string> locs(xmlDoc* doc) {
  std::vector<std::string> out;
  for (xmlNode* n : elements(doc, "loc")) out.push_back(text(n));
  return out;
}

TEST(RenderSitemap, SingleFileWithAbsoluteEscapedLocs) {
  SiteInput s = site();
  s.baseUrl = "https://acme.example/a&b";
  std::vector<PageInput> pages = {page("docs/intro", "Intro"), page("", "Home"), page("about", "About"),
                                  page("hidden", "Hidden")};
  pages[3].seo.noIndex = true;
  pages[2].publishedAt = "not a date";
  SiteRenderer r(s, pages);
  auto files = r.sitemaps(pages);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "sitemap.xml");
  auto doc = parse_xml(files[0].bytes);
  ASSERT_NE(doc, nullptr) << files[0].bytes;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  EXPECT_EQ(name_of(root), "urlset");
  EXPECT_EQ(ns_of(root), kNs);
  EXPECT_EQ(locs(doc.get()), (std::vector<std::string>{"https://acme.example/a&b/", "https://acme.example/a&b/about/",
                                                       "https://acme.example/a&b/docs/intro/"}));
  auto lastmods = elements(doc.get(), "lastmod");
  ASSERT_EQ(lastmods.size(), 2u);  // the page with a bad timestamp has none
  EXPECT_EQ(text(lastmods[0]), "2026-11-30");
}

std::vector<PageInput> numbered(size_t n) {
  std::vector<PageInput> pages;
  pages.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    PageInput p;
    p.slug = "p" + std::to_string(i);
    pages.push_back(std::move(p));
  }
  return pages;
}

TEST(RenderSitemap, FiftyThousandFitOneFile) {
  auto pages = numbered(50000);
  SiteRenderer r(site(), {});
  auto files = r.sitemaps(pages);
  ASSERT_EQ(files.size(), 1u);
  auto doc = parse_xml(files[0].bytes);
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(locs(doc.get()).size(), 50000u);
}

TEST(RenderSitemap, PastFiftyThousandAnIndexAndParts) {
  auto pages = numbered(50001);
  SiteRenderer r(site(), {});
  auto files = r.sitemaps(pages);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "sitemap.xml");
  EXPECT_EQ(files[1].path, "sitemap-1.xml");
  EXPECT_EQ(files[2].path, "sitemap-2.xml");
  auto index = parse_xml(files[0].bytes);
  ASSERT_NE(index, nullptr);
  xmlNode* root = xmlDocGetRootElement(index.get());
  EXPECT_EQ(name_of(root), "sitemapindex");
  EXPECT_EQ(ns_of(root), kNs);
  EXPECT_EQ(locs(index.get()), (std::vector<std::string>{"https://acme.example/sitemap-1.xml",
                                                         "https://acme.example/sitemap-2.xml"}));
  size_t total = 0;
  for (size_t i = 1; i < files.size(); ++i) {
    auto part = parse_xml(files[i].bytes);
    ASSERT_NE(part, nullptr);
    EXPECT_EQ(ns_of(xmlDocGetRootElement(part.get())), kNs);
    auto l = locs(part.get());
    EXPECT_LE(l.size(), 50000u);
    total += l.size();
    for (const auto& loc : l) EXPECT_TRUE(loc.starts_with("https://acme.example/p")) << loc;
  }
  EXPECT_EQ(total, 50001u);
}

TEST(RenderRobots, PointsAtSitemap) {
  SiteRenderer r(site(), {});
  EXPECT_EQ(r.robots(), "User-agent: *\nAllow: /\n\nSitemap: https://acme.example/sitemap.xml\n");
}

}  // namespace
}  // namespace pw::render::test
