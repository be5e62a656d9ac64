// sitemap.xml of a real deploy, judged by xmllint and libxml2's XPath rather
// than by the renderer's own idea of well-formed.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <algorithm>
#include <set>

#include "tests/published/fixture.hpp"

namespace pw::published {
namespace {

constexpr const char* kSitemapNs = "http://www.sitemaps.org/schemas/sitemap/0.9";

// Every <loc> text, via a registered namespace prefix: a <loc> in another (or
// no) namespace does not count.
std::vector<std::string> locs(const std::string& xml) {
  std::vector<std::string> out;
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "sitemap.xml", nullptr, XML_PARSE_NONET);
  if (doc == nullptr) return out;
  xmlXPathContext* ctx = xmlXPathNewContext(doc);
  xmlXPathRegisterNs(ctx, BAD_CAST "sm", BAD_CAST kSitemapNs);
  xmlXPathObject* res = xmlXPathEvalExpression(BAD_CAST "/sm:urlset/sm:url/sm:loc", ctx);
  if (res != nullptr && res->nodesetval != nullptr) {
    for (int i = 0; i < res->nodesetval->nodeNr; ++i) {
      xmlChar* s = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
      out.emplace_back(reinterpret_cast<const char*>(s));
      xmlFree(s);
    }
  }
  xmlXPathFreeObject(res);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return out;
}

class Sitemap : public ::testing::Test {
 protected:
  void SetUp() override {
    xmllint_ = find_in_path("xmllint");
    PW_REQUIRE_TOOL(!xmllint_.empty(), std::string("xmllint (package libxml2-utils)"));
    site_ = build_fixture();
    ASSERT_TRUE(site_.error.empty()) << site_.error;
    path_ = (site_.deploy / "sitemap.xml").string();
    ASSERT_TRUE(fs::is_regular_file(path_));
  }
  std::string xmllint_;
  BuiltSite site_;
  std::string path_;
};

TEST_F(Sitemap, IsWellFormedForXmllint) {
  Ran r = run({xmllint_, "--noout", "--nonet", path_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST_F(Sitemap, RootIsAUrlsetInTheSitemapsNamespace) {
  Ran r = run({xmllint_, "--nonet", "--xpath", "concat(local-name(/*), ' ', namespace-uri(/*))", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  EXPECT_EQ(out, std::string("urlset ") + kSitemapNs);
}

TEST_F(Sitemap, ListsEveryIndexablePageAbsolutelyAndNothingElse) {
  std::vector<std::string> found = locs(slurp(path_));
  for (const auto& loc : found) {
    EXPECT_TRUE(loc.starts_with(std::string(kBaseUrl) + "/")) << "not absolute on the site: " << loc;
  }
  std::set<std::string> expected;
  for (const auto& slug : indexable_slugs()) expected.insert(std::string(kBaseUrl) + "/" + (slug.empty() ? "" : slug + "/"));
  EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), expected);
  EXPECT_EQ(found.size(), expected.size()) << "duplicate <loc>s";
  const std::string no_index = std::string(kBaseUrl) + "/" + std::string(kNoIndexSlug) + "/";
  EXPECT_EQ(std::count(found.begin(), found.end(), no_index), 0) << "the noIndex page is listed";
}

TEST_F(Sitemap, RobotsPointsAtTheAbsoluteSitemap) {
  std::string robots = slurp(site_.deploy / "robots.txt");
  EXPECT_NE(robots.find("Sitemap: " + std::string(kBaseUrl) + "/sitemap.xml"), std::string::npos) << robots;
}

}  // namespace
}  // namespace pw::published
