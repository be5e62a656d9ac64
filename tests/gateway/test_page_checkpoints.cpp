// Time travel's kept page states: the nearest at or below a version, per
// tenant, least recently used ones dropped past the byte budget.
#include <gtest/gtest.h>

#include "gateway/page_checkpoints.hpp"

namespace pw::gateway {
namespace {

domain::PageAt at(const std::string& page, int64_t version) {
  domain::PageAt a;
  a.page.id = PageId{page};
  a.page.version = version;
  a.at = version * 1000;
  return a;
}

TEST(PageCheckpoints, NearestAtOrBelowPerTenant) {
  PageCheckpoints c;
  const TenantId t{"t1"}, other{"t2"};
  c.keep(t, at("p", 50));
  c.keep(t, at("p", 100));
  EXPECT_FALSE(c.at_or_below(t, PageId{"p"}, 49));
  EXPECT_EQ(c.at_or_below(t, PageId{"p"}, 50)->page.version, 50);
  EXPECT_EQ(c.at_or_below(t, PageId{"p"}, 99)->page.version, 50);
  EXPECT_EQ(c.at_or_below(t, PageId{"p"}, 1000)->page.version, 100);
  EXPECT_FALSE(c.at_or_below(other, PageId{"p"}, 1000));  // another tenant's read made them
  EXPECT_FALSE(c.at_or_below(t, PageId{"q"}, 1000));
}

TEST(PageCheckpoints, LeastRecentlyUsedGoPastTheBudget) {
  const size_t one = 2 * 3 + 512;  // an empty page's estimate
  PageCheckpoints c(3 * one);
  const TenantId t{"t1"};
  c.keep(t, at("a", 50));
  c.keep(t, at("b", 50));
  c.keep(t, at("c", 50));
  EXPECT_TRUE(c.at_or_below(t, PageId{"a"}, 50));  // a is now the most recent
  c.keep(t, at("d", 50));                          // b goes
  EXPECT_FALSE(c.at_or_below(t, PageId{"b"}, 50));
  EXPECT_TRUE(c.at_or_below(t, PageId{"a"}, 50));
  EXPECT_TRUE(c.at_or_below(t, PageId{"c"}, 50));
  EXPECT_TRUE(c.at_or_below(t, PageId{"d"}, 50));
  EXPECT_EQ(c.bytes(), 3 * one);
}

}  // namespace
}  // namespace pw::gateway
