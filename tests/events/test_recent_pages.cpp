// The page rows a projector just committed, held for the reads that wait for
// them: bounded in bytes and in age, answering only their own tenant.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "events/recent_pages.hpp"

namespace pw::log {
namespace {

using namespace std::chrono_literals;
using Clock = RecentPages::Clock;

PageRowText row(std::string page, int64_t version, std::string tenant = "t-a", size_t content_bytes = 2) {
  PageRowText r;
  r.tenant = std::move(tenant);
  r.page_id = std::move(page);
  r.site_id = "s";
  r.slug = "home";
  r.title = "v" + std::to_string(version);
  r.seo = "{}";
  r.status = "draft";
  r.version = version;
  r.updated_at = "2026-12-07T10:00:00.000000Z";
  r.content = std::string(content_bytes, ' ');
  r.content.front() = '[';
  r.content.back() = ']';
  return r;
}

struct FakeClock {
  Clock::time_point now = Clock::time_point{} + 1h;
  std::function<Clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST(RecentPages, AnswersTheLastCommittedRowOfAPageToItsTenantOnly) {
  RecentPages recent;
  recent.committed({row("p1", 1), row("p2", 1, "t-b")});
  recent.committed({row("p1", 2)});
  auto p1 = recent.find("t-a", "p1");
  ASSERT_NE(p1, nullptr);
  EXPECT_EQ(p1->version, 2);
  EXPECT_EQ(p1->title, "v2");
  EXPECT_EQ(recent.find("t-b", "p1"), nullptr) << "another tenant's page asks Postgres, where row-level security decides";
  EXPECT_EQ(recent.find("t-a", "p2"), nullptr);
  EXPECT_NE(recent.find("t-b", "p2"), nullptr);
  EXPECT_EQ(recent.find("t-a", "p3"), nullptr);
  const auto stats = recent.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 3u);
}

TEST(RecentPages, AnOlderRowNeverReplacesANewerOne) {
  RecentPages recent;
  recent.committed({row("p1", 5)});
  recent.committed({row("p1", 4)});
  ASSERT_NE(recent.find("t-a", "p1"), nullptr);
  EXPECT_EQ(recent.find("t-a", "p1")->version, 5);
}

TEST(RecentPages, RowsAreAnsweredOnlyWhileFresh) {
  FakeClock clock;
  RecentPages::Limits limits;
  limits.fresh_for = 1s;
  RecentPages recent(limits, clock.fn());
  recent.committed({row("p1", 1)});
  clock.now += 900ms;
  EXPECT_NE(recent.find("t-a", "p1"), nullptr);
  clock.now += 200ms;
  EXPECT_EQ(recent.find("t-a", "p1"), nullptr) << "another writer may have replaced it since";
  // The next commit lets go of what is too old.
  recent.committed({row("p2", 1)});
  EXPECT_LT(recent.bytes(), 2 * sizeof(PageRowText) + 100);
  EXPECT_NE(recent.find("t-a", "p2"), nullptr);
}

TEST(RecentPages, TheOldestRowsGoFirstPastTheByteBudget) {
  RecentPages::Limits limits;
  limits.max_bytes = 10 * (sizeof(PageRowText) + 1200);
  RecentPages recent(limits);
  for (int i = 0; i < 30; ++i) recent.committed({row("p" + std::to_string(i), 1, "t-a", 1000)});
  EXPECT_LE(recent.bytes(), limits.max_bytes);
  EXPECT_EQ(recent.find("t-a", "p0"), nullptr);
  EXPECT_EQ(recent.find("t-a", "p17"), nullptr);
  EXPECT_NE(recent.find("t-a", "p29"), nullptr);
  EXPECT_NE(recent.find("t-a", "p21"), nullptr);
}

TEST(RecentPages, ARowTooLargeToKeepAlsoDropsTheOneItReplaces) {
  RecentPages::Limits limits;
  limits.max_row_bytes = 4096;
  RecentPages recent(limits);
  recent.committed({row("p1", 1)});
  recent.committed({row("p1", 2, "t-a", 8192)});
  EXPECT_EQ(recent.find("t-a", "p1"), nullptr) << "version 1 is no longer the page";
  EXPECT_EQ(recent.bytes(), 0u);
}

TEST(RecentPages, KeepingAPageAgainLeavesOneRowOfIt) {
  RecentPages recent;
  for (int v = 1; v <= 1000; ++v) recent.committed({row("p1", v)});
  EXPECT_LT(recent.bytes(), 2 * sizeof(PageRowText) + 100);
  EXPECT_EQ(recent.find("t-a", "p1")->version, 1000);
}

TEST(RecentPages, ForgettingDropsEverything) {
  RecentPages recent;
  recent.committed({row("p1", 1), row("p2", 1)});
  recent.forget_all();
  EXPECT_EQ(recent.find("t-a", "p1"), nullptr);
  EXPECT_EQ(recent.find("t-a", "p2"), nullptr);
  EXPECT_EQ(recent.bytes(), 0u);
  EXPECT_EQ(recent.stats().forgotten, 1u);
  recent.committed({row("p1", 2)});
  EXPECT_EQ(recent.find("t-a", "p1")->version, 2);
}

}  // namespace
}  // namespace pw::log
