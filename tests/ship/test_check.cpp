// check_deploy: the checks a deploy must pass before it goes live.
#include <sys/stat.h>

#include "tests/ship/ship_fixture.hpp"

namespace pw::ship::testing {
namespace {

namespace fs = std::filesystem;

std::string page(const std::string& body) {
  return "<!DOCTYPE html><html><head><title>t</title><link rel=\"stylesheet\" href=\"/assets/x.css\"></head><body>" +
         body + "</body></html>";
}

const char* kSitemap =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>https://s.example/</loc></url></urlset>";

std::map<std::string, std::string> good_site() {
  return {
      {"index.html", page("<a href=\"about/\">about</a> <a href=\"blog/2024/post/\">post</a> <img src=\"assets/logo.png\">"
                          "<a href=\"https://elsewhere.example/x\">x</a> <a href=\"mailto:a@b.c\">m</a>"
                          "<a href=\"tel:+123\">t</a> <a href=\"#top\">top</a> <a href=\"//cdn.example/x.js\">c</a>"
                          "<script src=\"assets/x.js?v=3\"></script>")},
      {"about/index.html", page("<a href=\"../\">home</a> <a href=\"../blog/2024/post/index.html#c\">post</a>"
                                "<a href=\"/about\">self by dir</a> <a href=\"?page=2\">same</a>")},
      {"blog/2024/post/index.html", page("<a href=\"../../../about/\">about</a> <a href=\"../../../assets/x.css\">css</a>"
                                         "<a href=\"../../../index.html\">home</a> <a href=\"my%20file.txt\">f</a>")},
      {"blog/2024/post/my file.txt", "file"},
      {"assets/x.css", "body{}"},
      {"assets/x.js", "1;"},
      {"assets/logo.png", "PNG"},
      {"sitemap.xml", kSitemap},
      {"robots.txt", "User-agent: *"},
  };
}

class CheckTest : public StoreTest {
 protected:
  CheckReport check(const std::map<std::string, std::string>& files, const std::string& id = "d1") {
    EXPECT_TRUE(store_->trees().write_deploy("site", id, publish(files)).ok());
    auto r = store_->checker().check_deploy("site", id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : CheckReport{false, {"check failed"}};
  }
  static std::string joined(const CheckReport& r) {
    std::string s;
    for (const auto& p : r.problems) s += p + "\n";
    return s;
  }
};

TEST_F(CheckTest, GoodDeployPasses) {
  auto r = check(good_site());
  EXPECT_TRUE(r.ok) << joined(r);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.html_parsed, 3u);
}

TEST_F(CheckTest, RepublishParsesOnlyNewHtml) {
  ASSERT_TRUE(check(good_site(), "d1").ok);
  auto files = good_site();
  files["about/index.html"] = page("<a href=\"../\">home, edited</a>");
  auto r = check(files, "d2");
  EXPECT_TRUE(r.ok) << joined(r);
  EXPECT_EQ(r.html_parsed, 1u);
}

TEST_F(CheckTest, MissingFile) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", publish(good_site())).ok());
  fs::remove(deploy_dir("site", "d1") / "assets/logo.png");
  auto r = *store_->checker().check_deploy("site", "d1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("assets/logo.png: missing"), std::string::npos) << joined(r);
}

TEST_F(CheckTest, TruncatedFile) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", publish(good_site())).ok());
  fs::path css = deploy_dir("site", "d1") / "assets/x.css";
  fs::permissions(css, fs::perms::owner_write, fs::perm_options::add);
  fs::resize_file(css, 2);
  auto r = *store_->checker().check_deploy("site", "d1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("assets/x.css: size 2, manifest says 6"), std::string::npos) << joined(r);
}

TEST_F(CheckTest, ChangedBytesSameSize) {
  ASSERT_TRUE(store_->trees().write_deploy("site", "d1", publish(good_site())).ok());
  ASSERT_TRUE(store_->checker().check_deploy("site", "d1")->ok);  // warms the verified-hash cache
  fs::path css = deploy_dir("site", "d1") / "assets/x.css";
  fs::permissions(css, fs::perms::owner_write, fs::perm_options::add);
  { std::ofstream out(css, std::ios::binary | std::ios::trunc); out << "BODY{}"; }
  auto r = *store_->checker().check_deploy("site", "d1");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("assets/x.css: content does not match"), std::string::npos) << joined(r);
}

TEST_F(CheckTest, MalformedSitemap) {
  auto files = good_site();
  files["sitemap.xml"] = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url></urlset>";
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("sitemap.xml: not well-formed XML"), std::string::npos) << joined(r);
}

TEST_F(CheckTest, SitemapWrongNamespace) {
  auto files = good_site();
  files["sitemap.xml"] = "<urlset xmlns=\"http://example.com/other\"></urlset>";
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("sitemaps.org namespace"), std::string::npos) << joined(r);
}

TEST_F(CheckTest, SitemapIndexListsChildren) {
  auto files = good_site();
  files["sitemap.xml"] =
      "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
      "<sitemap><loc>https://s.example/sitemap-1.xml</loc></sitemap>"
      "<sitemap><loc>https://s.example/sitemap-2.xml</loc></sitemap></sitemapindex>";
  files["sitemap-1.xml"] = kSitemap;
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("lists sitemap-2.xml"), std::string::npos) << joined(r);
  files["sitemap-2.xml"] = "<urlset>";
  r = check(files, "d2");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("sitemap-2.xml: not well-formed"), std::string::npos) << joined(r);
  files["sitemap-2.xml"] = kSitemap;
  r = check(files, "d3");
  EXPECT_TRUE(r.ok) << joined(r);
}

TEST_F(CheckTest, BrokenRelativeLink) {
  auto files = good_site();
  files["blog/2024/post/index.html"] = page("<a href=\"../../about/\">wrong depth</a>");
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("blog/2024/post/index.html: broken link ../../about/ (blog/about/index.html"),
            std::string::npos)
      << joined(r);
}

TEST_F(CheckTest, LinkEscapingRoot) {
  auto files = good_site();
  files["about/index.html"] = page("<img src=\"../../secret.png\">");
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(joined(r).find("about/index.html: link ../../secret.png leaves the site root"), std::string::npos)
      << joined(r);
}

TEST_F(CheckTest, ProblemsAreCapped) {
  auto files = good_site();
  std::string body;
  for (int i = 0; i < 200; ++i) body += "<a href=\"missing-" + std::to_string(i) + ".html\">x</a>";
  files["index.html"] = page(body);
  auto r = check(files);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problems.size(), CheckReport::kMaxProblems + 1);
  EXPECT_NE(r.problems.back().find("150 more"), std::string::npos) << r.problems.back();
}

TEST_F(CheckTest, UnknownDeploy) {
  EXPECT_EQ(store_->checker().check_deploy("site", "nope").error().code, Errc::not_found);
  EXPECT_EQ(store_->checker().check_deploy("site", "../x").error().code, Errc::validation_error);
}

}  // namespace
}  // namespace pw::ship::testing
