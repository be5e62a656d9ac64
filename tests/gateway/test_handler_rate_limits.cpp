// Rate limits at the handler (API.md "Rate limits"), on a frozen clock so the
// boundary is exact: per tenant on /v1, per client address on the public
// paths and on /v1 requests without a valid token; 429 RATE_LIMITED with
// Retry-After and the RateLimit-* headers, which served requests carry too.
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using test_support::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class RateLimitTest : public HandlerTest {
 protected:
  // The fixture's gateway again, with limits and a clock that moves only when told.
  void limit(std::optional<RateLimit> tenant, std::optional<RateLimit> address,
             std::vector<std::string> trusted_proxies = {}) {
    GatewayOptions options{test_support::kSecret};
    options.trusted_proxies = std::move(trusted_proxies);
    options.tenant_limit = tenant;
    options.address_limit = address;
    GatewayDeps deps{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()};
    deps.rate_clock = [this] { return now_.load(); };
    gateway_ = std::make_unique<Gateway>(std::move(deps), std::move(options));
  }

  void expect_refused(const Reply& r, const std::string& scope, const std::string& retry_after,
                      const std::string& limit) {
    ASSERT_EQ(r.response.status, 429) << r.response.body;
    const json error = r.body()["error"];
    EXPECT_EQ(error["code"], "RATE_LIMITED");
    ASSERT_EQ(error["details"].size(), 1u) << r.response.body;
    EXPECT_EQ(error["details"][0]["field"], scope);
    EXPECT_EQ(r.header("Retry-After"), retry_after);
    EXPECT_EQ(r.header("RateLimit-Limit"), limit);
    EXPECT_EQ(r.header("RateLimit-Remaining"), "0");
    EXPECT_FALSE(r.header("RateLimit-Reset").empty());
    EXPECT_FALSE(r.header("X-Request-Id").empty());
  }

  // A site the read model already shows (read with X-Pagewright-After before
  // the limits apply).
  std::string visible_site(const std::string& subdomain, const std::string& tenant = "t-handler") {
    auto r = call("POST", "/v1/sites", token(Role::admin, tenant),
                  json{{"name", "Shop"}, {"subdomain", subdomain}}.dump());
    EXPECT_EQ(r.response.status, 201) << r.response.body;
    const std::string site = r.body()["data"].value("siteId", "");
    auto read = call("GET", "/v1/sites/" + site, token(Role::viewer, tenant), {},
                     {{"x-pagewright-after", r.body()["data"].value("position", "")}});
    EXPECT_EQ(read.response.status, 200) << read.response.body;
    return site;
  }

  void advance(std::chrono::steady_clock::duration d) { now_.store(now_.load() + d); }

  std::atomic<std::chrono::steady_clock::time_point> now_{std::chrono::steady_clock::now()};
};

TEST_F(RateLimitTest, ATenantGetsExactlyItsBurstThen429WithRetryAfterAndTheRateLimitHeaders) {
  const std::string site = visible_site("rate-boundary");
  limit(RateLimit{0.5, 3}, std::nullopt);  // a token every 2 s, 3 at once
  for (int i = 0; i < 3; ++i) {
    auto served = call("GET", "/v1/sites/" + site, token(Role::viewer));
    ASSERT_EQ(served.response.status, 200) << served.response.body;
    EXPECT_EQ(served.header("RateLimit-Limit"), "3");
    EXPECT_EQ(served.header("RateLimit-Remaining"), std::to_string(2 - i));
    EXPECT_EQ(served.header("RateLimit-Reset"), std::to_string(2 * (i + 1))) << "seconds until the bucket is full";
  }
  // Reads and writes share the tenant's bucket; the user does not matter.
  expect_refused(call("GET", "/v1/sites/" + site, token(Role::viewer)), "tenant", "2", "3");
  expect_refused(call("POST", "/v1/sites/" + site + "/pages", token(Role::editor), R"({"title":"X"})"), "tenant",
                 "2", "3");
  EXPECT_NE(metrics_.render().find("rate_limited_total{scope=\"tenant\"} 2"), std::string::npos)
      << metrics_.render();

  // Another tenant has its own bucket.
  EXPECT_EQ(call("GET", "/v1/sites", token(Role::viewer, "t-neighbour")).response.status, 200);
  // Operations routes are not limited.
  EXPECT_EQ(call("GET", "/healthz").response.status, 200);

  advance(1999ms);
  expect_refused(call("GET", "/v1/sites/" + site, token(Role::viewer)), "tenant", "1", "3");
  advance(1ms);
  auto refilled = call("GET", "/v1/sites/" + site, token(Role::viewer));
  EXPECT_EQ(refilled.response.status, 200) << "one token after 2 s";
  EXPECT_EQ(refilled.header("RateLimit-Remaining"), "0");
}

TEST_F(RateLimitTest, ARefusedWriteAppendsNothing) {
  const std::string site = visible_site("rate-write");
  limit(RateLimit{1, 2}, std::nullopt);
  ASSERT_EQ(call("GET", "/v1/sites/" + site, token(Role::viewer)).response.status, 200);
  ASSERT_EQ(call("GET", "/v1/sites/" + site, token(Role::viewer)).response.status, 200);
  auto refused = call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"name":"Renamed"})",
                      {{"if-match", "\"1\""}, {"idempotency-key", "rename-1"}});
  expect_refused(refused, "tenant", "1", "2");
  auto page = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor), R"({"title":"Never"})");
  expect_refused(page, "tenant", "1", "2");

  advance(10s);
  auto verify = call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer));
  ASSERT_EQ(verify.response.status, 200) << verify.response.body;
  EXPECT_EQ(verify.body()["data"]["events"], 1) << "only SiteCreated";
  auto read = call("GET", "/v1/sites/" + site, token(Role::viewer));
  EXPECT_EQ(read.body()["data"]["version"], 1);
  EXPECT_EQ(read.body()["data"]["name"], "Shop");
  // The same write, once allowed, is decided afresh (the refusal was not
  // remembered under its idempotency key).
  advance(10s);
  auto renamed = call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"name":"Renamed"})",
                      {{"if-match", "\"1\""}, {"idempotency-key", "rename-1"}});
  EXPECT_EQ(renamed.response.status, 200) << renamed.response.body;
  EXPECT_EQ(renamed.body()["data"]["version"], 2);
}

TEST_F(RateLimitTest, OneTenantsFloodOf4000ReadsLeavesAnotherTenantServed) {
  const std::string flooded = visible_site("rate-flood");
  const std::string other_site = visible_site("rate-calm", "t-calm");
  // The CLI's default tenant limit.
  limit(*parse_rate_limit("30/s,burst=300").value(), std::nullopt);
  const std::string flooder = token(Role::viewer);
  int served = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    const int status = call("GET", "/v1/sites/" + flooded, flooder).response.status;
    if (status == 200) ++served;
    if (status == 429) ++refused;
  }
  EXPECT_EQ(served, 300) << "the burst, and no more while the clock stands";
  EXPECT_EQ(refused, 3700);

  auto page = call("POST", "/v1/sites/" + other_site + "/pages", token(Role::editor, "t-calm"), R"({"title":"Calm"})");
  ASSERT_EQ(page.response.status, 201) << page.response.body;
  EXPECT_EQ(page.header("RateLimit-Remaining"), "299");
  const std::string position = page.body()["data"].value("position", "");
  const std::string page_id = page.body()["data"].value("pageId", "");
  auto visible = call("GET", "/v1/pages/" + page_id, token(Role::viewer, "t-calm"), {},
                      {{"x-pagewright-after", position}});
  ASSERT_EQ(visible.response.status, 200) << visible.response.body;
  EXPECT_EQ(visible.body()["data"]["title"], "Calm");
  EXPECT_EQ(call("GET", "/v1/sites/" + flooded, flooder).response.status, 429) << "the flooder still waits";
}

// Behind a proxy that adds an X-Forwarded-For line of its own (instead of
// appending to the client's), every line counts, in order: the client cannot
// pick its bucket with a line it wrote. A dual-stack listener sees the IPv4
// proxy as ::ffff:10.0.0.1, which is still the trusted 10.0.0.1.
TEST_F(RateLimitTest, EveryForwardedForLineCountsAndTrustedProxiesMatchInAnySpelling) {
  limit(std::nullopt, RateLimit{1, 3}, {"10.0.0.1"});
  for (int i = 0; i < 3; ++i) {
    auto served = call_from("::ffff:10.0.0.1", "GET", "/sites/nothing-here/", {}, {},
                            {{"x-forwarded-for", "198.51.100." + std::to_string(i)},
                             {"x-forwarded-for", "203.0.113.5"}});
    EXPECT_EQ(served.response.status, 404) << i;
    EXPECT_EQ(served.header("RateLimit-Remaining"), std::to_string(2 - i));
  }
  expect_refused(call_from("::ffff:10.0.0.1", "GET", "/sites/nothing-here/", {}, {},
                           {{"x-forwarded-for", "198.51.100.99"}, {"x-forwarded-for", "203.0.113.5"}}),
                 "address", "1", "3");
  // Another client behind the same proxy has a bucket of its own.
  EXPECT_EQ(call_from("::ffff:10.0.0.1", "GET", "/sites/nothing-here/", {}, {},
                      {{"x-forwarded-for", "203.0.113.6"}})
                .response.status,
            404);
}

TEST_F(RateLimitTest, PublicPathsAndRequestsWithoutAValidTokenCountPerClientAddress) {
  limit(std::nullopt, RateLimit{1, 3});
  // Not a trusted proxy's header: the socket's address counts.
  auto first = call_from("192.0.2.1", "GET", "/sites/nothing-here/", {}, {}, {{"x-forwarded-for", "203.0.113.1"}});
  EXPECT_EQ(first.response.status, 404);
  EXPECT_EQ(first.header("RateLimit-Limit"), "3");
  EXPECT_EQ(first.header("RateLimit-Remaining"), "2");
  auto anonymous = call_from("192.0.2.1", "GET", "/v1/sites", {}, {}, {{"x-forwarded-for", "203.0.113.2"}});
  EXPECT_EQ(anonymous.response.status, 401);
  EXPECT_EQ(anonymous.header("RateLimit-Remaining"), "1");
  auto forged = call_from("192.0.2.1", "GET", "/v1/sites", "not-a-token");
  EXPECT_EQ(forged.response.status, 401);
  EXPECT_EQ(forged.body()["error"]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(forged.header("RateLimit-Remaining"), "0");

  expect_refused(call_from("192.0.2.1", "GET", "/sites/nothing-here/"), "address", "1", "3");
  expect_refused(call_from("192.0.2.1", "GET", "/previews/anything/"), "address", "1", "3");
  expect_refused(call_from("192.0.2.1", "GET", "/v1/sites"), "address", "1", "3");
  EXPECT_NE(metrics_.render().find("rate_limited_total{scope=\"address\"} 3"), std::string::npos)
      << metrics_.render();

  // Another address, and an authenticated tenant from the same address, are served.
  EXPECT_EQ(call_from("192.0.2.2", "GET", "/sites/nothing-here/").response.status, 404);
  EXPECT_EQ(call_from("192.0.2.1", "GET", "/v1/sites", token(Role::viewer)).response.status, 200);
  advance(1s);
  EXPECT_EQ(call_from("192.0.2.1", "GET", "/sites/nothing-here/").response.status, 404);
}

TEST_F(RateLimitTest, WithoutLimitsNoRateLimitHeadersAreSent) {
  auto r = call("GET", "/v1/sites", token(Role::viewer));
  ASSERT_EQ(r.response.status, 200);
  EXPECT_EQ(r.header("RateLimit-Limit"), "");
  EXPECT_EQ(r.header("RateLimit-Remaining"), "");
}

}  // namespace
}  // namespace pw::gateway
