// The token buckets of the gateway's rate limits, on an injected clock: the
// boundary (exactly `burst` requests pass, the next is refused with the right
// Retry-After), refill, the header values, bounded memory, and the client
// address a request counts under.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gateway/rate_limit.hpp"

namespace pw::gateway {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct FakeTime {
  steady::time_point now = steady::time_point{} + 1000h;
  RateLimiter::Clock clock() {
    return [this] { return now; };
  }
};

TEST(RateLimit, ParsesRatesBurstsAndOff) {
  auto off = parse_rate_limit("off");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->has_value());
  auto plain = parse_rate_limit("30/s");
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_EQ(**plain, (RateLimit{30, 300})) << "burst defaults to 10 s of the rate";
  auto per_minute = parse_rate_limit("600/min,burst=20");
  ASSERT_TRUE(per_minute.ok() && per_minute->has_value());
  EXPECT_EQ(**per_minute, (RateLimit{10, 20}));
  auto slow = parse_rate_limit("1/h");
  ASSERT_TRUE(slow.ok() && slow->has_value());
  EXPECT_EQ((*slow)->burst, 1) << "at least one token";
  for (const char* bad : {"", "30", "30/day", "0/s", "-1/s", "x/s", "30/s,burst=0", "30/s,burst=", "30/s,size=3",
                          "30/s,burst=3,burst=4", "ON"}) {
    auto r = parse_rate_limit(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::validation_error) << bad;
    }
  }
}

TEST(RateLimit, ExactlyTheBurstPassesThenTheNextIsRefusedWithRetryAfter) {
  FakeTime t;
  RateLimiter limiter({2, 5}, RateLimiter::kDefaultMaxKeys, t.clock());  // 2/s, burst 5
  for (int i = 0; i < 5; ++i) {
    const RateDecision d = limiter.take("tenant-a");
    ASSERT_TRUE(d.allowed) << "request " << i + 1;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.retry_after, 0);
  }
  const RateDecision refused = limiter.take("tenant-a");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.limit, 5);
  EXPECT_EQ(refused.retry_after, 1) << "half a second to the next token, in whole seconds up";
  EXPECT_EQ(refused.reset, 3) << "2.5 s until the bucket is full again";
  // Another key has its own full bucket.
  EXPECT_TRUE(limiter.take("tenant-b").allowed);
}

TEST(RateLimit, RefillsAtTheRateAndNeverBeyondTheBurst) {
  FakeTime t;
  RateLimiter limiter({0.5, 2}, RateLimiter::kDefaultMaxKeys, t.clock());  // one token every 2 s
  EXPECT_TRUE(limiter.take("k").allowed);
  EXPECT_TRUE(limiter.take("k").allowed);
  RateDecision d = limiter.take("k");
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 2);
  t.now += 1999ms;
  d = limiter.take("k");
  EXPECT_FALSE(d.allowed) << "a refused request takes nothing, but the token is not there yet";
  EXPECT_EQ(d.retry_after, 1);
  t.now += 1ms;
  d = limiter.take("k");
  EXPECT_TRUE(d.allowed) << "exactly one token after 2 s";
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(limiter.take("k").allowed);
  t.now += 1h;
  EXPECT_TRUE(limiter.take("k").allowed);
  d = limiter.take("k");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(limiter.take("k").allowed) << "an idle hour refills the burst, not more";
}

TEST(RateLimit, SlowRatesGiveLongRetryAfterAtLeastOneSecond) {
  FakeTime t;
  RateLimiter slow({1.0 / 60, 1}, RateLimiter::kDefaultMaxKeys, t.clock());
  EXPECT_TRUE(slow.take("k").allowed);
  RateDecision d = slow.take("k");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 60);
  EXPECT_EQ(d.reset, 60);
  RateLimiter fast({1000, 1}, RateLimiter::kDefaultMaxKeys, t.clock());
  EXPECT_TRUE(fast.take("k").allowed);
  d = fast.take("k");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 1) << "never 0";
}

TEST(RateLimit, MemoryIsBoundedAndRefilledBucketsAreForgottenFirst) {
  FakeTime t;
  const size_t max_keys = 64 * 8;
  RateLimiter limiter({1, 3}, max_keys, t.clock());
  // An attacker drains one bucket; then many other keys pass by.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("drained").allowed);
  for (int i = 0; i < 100000; ++i) {
    limiter.take("k" + std::to_string(i));
    if (i % 1000 == 0) t.now += 1ms;
  }
  EXPECT_LE(limiter.size(), max_keys);
  // Idle buckets that refilled are dropped before busy ones: after 3 s, every
  // bucket (drained one included) is full, so forgetting it changed nothing.
  t.now += 3s;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("again").allowed);
  EXPECT_FALSE(limiter.take("again").allowed);
  EXPECT_LE(limiter.size(), max_keys);
}

TEST(RateLimit, ConcurrentTakesNeverServeMoreThanTheBurst) {
  FakeTime t;  // frozen: no refill
  RateLimiter limiter({1, 1000}, RateLimiter::kDefaultMaxKeys, t.clock());
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j)
        if (limiter.take("tenant").allowed) ++served;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(served.load(), 1000);
}

TEST(ClientAddress, TheSocketCountsUnlessThePeerIsATrustedProxy) {
  const std::vector<std::string> none;
  const std::vector<std::string> proxy{"10.0.0.1"};
  EXPECT_EQ(client_address_key("192.0.2.7", std::nullopt, none), "192.0.2.7");
  EXPECT_EQ(client_address_key("192.0.2.7", "203.0.113.9", none), "192.0.2.7") << "X-Forwarded-For is not trusted";
  EXPECT_EQ(client_address_key("192.0.2.7", "203.0.113.9", proxy), "192.0.2.7") << "the peer is no trusted proxy";
  EXPECT_EQ(client_address_key("10.0.0.1", "203.0.113.9", proxy), "203.0.113.9");
  // The client may send its own X-Forwarded-For: only the entry our proxy
  // appended (the rightmost untrusted one) counts.
  EXPECT_EQ(client_address_key("10.0.0.1", "1.2.3.4, 203.0.113.9", proxy), "203.0.113.9");
  EXPECT_EQ(client_address_key("10.0.0.1", "203.0.113.9, 10.0.0.1", proxy), "203.0.113.9");
  EXPECT_EQ(client_address_key("10.0.0.1", " , ", proxy), "10.0.0.1");
  // A trusted proxy matches in any spelling of its address.
  EXPECT_EQ(client_address_key("::ffff:10.0.0.1", "203.0.113.9", proxy), "203.0.113.9");
  EXPECT_EQ(client_address_key("[::1]", "203.0.113.9", {"0:0:0:0:0:0:0:1"}), "203.0.113.9");
  EXPECT_EQ(client_address_key("10.0.0.1", "203.0.113.9, ::ffff:10.0.0.1", proxy), "203.0.113.9");
}

TEST(ClientAddress, IPv6CountsByItsSlash64AndMappedIPv4AsIPv4) {
  const std::vector<std::string> none;
  EXPECT_EQ(client_address_key("2001:db8:1:2:aaaa::1", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_key("2001:db8:1:2:bbbb::9", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_NE(client_address_key("2001:db8:1:3::1", std::nullopt, none), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_key("::ffff:192.0.2.7", std::nullopt, none), "192.0.2.7");
}

}  // namespace
}  // namespace pw::gateway
