// One site's hostile pages cannot hold another site's publish, and a page over
// a limit fails its own deployment only. SiteBuilder is driven directly with
// the pages as stored: content that skipped the deciders' checks (stored
// before them) is exactly what the renderer must survive.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "commands/markdown_limits.hpp"
#include "workers/build/site_builder.hpp"

namespace pw::builds {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

domain::Component text(const std::string& id, const std::string& markdown) {
  domain::Component c;
  c.id = ComponentId(id);
  c.type = "Text";
  c.props = json{{"text", markdown}};
  return c;
}

render::PageInput page(const std::string& id, const std::string& slug, std::vector<domain::Component> content,
                       int64_t version = 1) {
  render::PageInput p;
  p.pageId = id;
  p.slug = slug;
  p.title = slug.empty() ? "Home" : slug;
  p.content = std::move(content);
  p.version = version;
  p.publishedAt = "2026-12-01T10:00:00Z";
  return p;
}

BuildRequest request(const std::string& subdomain, const std::string& deploy, std::vector<render::PageInput> pages) {
  BuildRequest rq;
  rq.subdomain = subdomain;
  rq.deploy = deploy;
  rq.environment = "production";
  rq.site.siteId = subdomain;
  rq.site.name = subdomain;
  rq.site.subdomain = subdomain;
  rq.site.baseUrl = "https://" + subdomain + ".example.test";
  rq.pages = std::move(pages);
  return rq;
}

// The table: a 1,000-column header over one-cell rows (16 KB of text).
std::string wide_table() {
  std::string t = "|";
  for (int i = 0; i < 1000; ++i) t += "h|";
  t += "\n|";
  for (int i = 0; i < 1000; ++i) t += "-|";
  t += "\n";
  for (int r = 0; r < 4000; ++r) t += "|x\n";
  return t;
}

// The largest table a Text may hold (64 columns, about 5,000 cells): costly,
// but bounded, work under the Markdown lock.
std::string widest_allowed_table() {
  std::string t = "|";
  for (int i = 0; i < 64; ++i) t += "h|";
  t += "\n|";
  for (int i = 0; i < 64; ++i) t += "-|";
  t += "\n";
  for (int r = 0; r < 77; ++r) t += "|x\n";
  return t;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class SiteBuilderLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("pw-limits-" + std::to_string(rd()) + std::to_string(rd()));
    // Two build workers sharing the store, as a build pool of two has.
    for (auto* s : {&store_a_, &store_b_}) {
      auto opened = ship::Shipper::open(dir_);
      ASSERT_TRUE(opened.ok()) << opened.error().message;
      *s = std::move(opened).value();
    }
    a_ = std::make_unique<SiteBuilder>(*store_a_, 2);
    b_ = std::make_unique<SiteBuilder>(*store_b_, 2);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    store_a_.reset();
    store_b_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::optional<std::string> live(const std::string& subdomain) {
    auto l = store_a_->pointers().live(subdomain, "production");
    return l.ok() ? *l : std::nullopt;
  }

  fs::path dir_;
  std::unique_ptr<ship::Shipper> store_a_, store_b_;
  std::unique_ptr<SiteBuilder> a_, b_;
};

TEST_F(SiteBuilderLimits, AHostilePageFailsItsDeployWithoutDelayingAnotherSitesPublish) {
  // The hostile site first has a good deploy live.
  ASSERT_TRUE(a_->build(request("evil", "e1", {page("evil.home", "", {text("t0", "fine")})})).ok);
  // Then: the 1,000-column table on one page, and pages full of the costliest
  // Texts the limits allow, so its builds keep the Markdown lock busy.
  std::vector<render::PageInput> hostile = {page("evil.home", "", {text("t0", "fine")}),
                                            page("evil.table", "docs/table", {text("t1", wide_table())}, 2)};
  for (int i = 0; i < 8; ++i) {
    std::vector<domain::Component> costly;
    for (int k = 0; k < 20; ++k) costly.push_back(text("c" + std::to_string(k), widest_allowed_table()));
    hostile.push_back(page("evil.p" + std::to_string(i), "p" + std::to_string(i), std::move(costly)));
  }

  std::atomic<bool> other_done{false};
  std::atomic<int> hostile_builds{0};
  BuildOutcome hostile_outcome;
  double hostile_seconds = 0;
  std::thread evil([&] {
    int n = 0;
    do {
      const auto started = Clock::now();
      hostile_outcome = a_->build(request("evil", "e" + std::to_string(2 + n++), hostile));
      hostile_seconds = std::max(hostile_seconds, seconds_since(started));
      ++hostile_builds;
    } while (!other_done.load());
  });
  // The other site starts once the hostile build is under way.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto started = Clock::now();
  BuildOutcome other = b_->build(request("other", "o1", {page("other.home", "", {text("t", "~~old~~ **new**")})}));
  const double other_seconds = seconds_since(started);
  other_done = true;
  evil.join();

  std::cout << "other site's publish: " << other_seconds * 1000 << " ms while the hostile site was built "
            << hostile_builds.load() << " times (slowest " << hostile_seconds * 1000 << " ms)\n";
  ASSERT_TRUE(other.ok) << other.reason;
  EXPECT_LT(other_seconds, 2.0);
  auto manifest = store_b_->reader().read_manifest("other", "o1");
  ASSERT_TRUE(manifest.ok());
  auto index = std::find_if(manifest->entries.begin(), manifest->entries.end(),
                            [](const store::ManifestEntry& e) { return e.path == "index.html"; });
  ASSERT_NE(index, manifest->entries.end());
  auto html = store_b_->blobs().read(index->hash);
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("<del>old</del>"), std::string::npos);  // the extensions still parse under concurrency

  ASSERT_FALSE(hostile_outcome.ok);
  EXPECT_NE(hostile_outcome.reason.find("page evil.table (/docs/table)"), std::string::npos) << hostile_outcome.reason;
  EXPECT_NE(hostile_outcome.reason.find("1000 columns"), std::string::npos) << hostile_outcome.reason;
  EXPECT_EQ(live("evil"), "e1");  // untouched

  // The builder goes on: the page without the table publishes.
  hostile.erase(hostile.begin() + 1);
  BuildOutcome next = a_->build(request("evil", "e-next", hostile));
  ASSERT_TRUE(next.ok) << next.reason;
  EXPECT_EQ(live("evil"), "e-next");
}

TEST_F(SiteBuilderLimits, APageOverFiveMebibytesFailsTheDeployAndTheLiveOneStays) {
  ASSERT_TRUE(a_->build(request("big", "b1", {page("big.home", "", {text("t0", "small")})})).ok);
  // Components near their own limits: 300 Texts of 20,000 characters.
  std::vector<domain::Component> many;
  for (int i = 0; i < 300; ++i) many.push_back(text("t" + std::to_string(i), std::string(20000, 'w')));
  BuildOutcome out = a_->build(request(
      "big", "b2", {page("big.home", "", {text("t0", "small")}, 2), page("big.huge", "huge/page", many, 1)}));
  ASSERT_FALSE(out.ok);
  EXPECT_EQ(out.reason.rfind("render failed: page big.huge (/huge/page): ", 0), 0u) << out.reason;
  EXPECT_NE(out.reason.find("over the limit of 5242880 bytes"), std::string::npos) << out.reason;
  EXPECT_NE(std::find(out.log.begin(), out.log.end(), out.reason), out.log.end());
  EXPECT_EQ(live("big"), "b1");
  EXPECT_FALSE(store_a_->reader().has_deploy("big", "b2"));

  // And the next request is built.
  BuildOutcome next = a_->build(request("big", "b3", {page("big.home", "", {text("t0", "edited")}, 3)}));
  ASSERT_TRUE(next.ok) << next.reason;
  EXPECT_EQ(live("big"), "b3");
}

TEST_F(SiteBuilderLimits, ARefusedDesignTokenIsNamedInTheDeploymentLog) {
  BuildRequest rq = request("tok", "k1", {page("tok.home", "", {text("t0", "hello")})});
  rq.site.designTokens = {{"colors", {{"primary", "red;} body{background:url(javascript:x)"}}}};
  BuildOutcome out = a_->build(rq);
  ASSERT_TRUE(out.ok) << out.reason;
  EXPECT_NE(std::find(out.log.begin(), out.log.end(),
                      "design token left at the theme's value: colors.primary: not a safe CSS value"),
            out.log.end());
  EXPECT_EQ(live("tok"), "k1");
}

}  // namespace
}  // namespace pw::builds
