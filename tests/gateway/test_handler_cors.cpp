// CORS (API.md): a listed origin's browser may call /v1 — preflight and the
// headers on every answer, errors included; any other origin, and every path
// outside /v1, gets none of them.
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using namespace test_support;

const std::string kEditor = "http://editor.example.test:5173";
const std::vector<std::string> kCorsHeaders = {"Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                                               "Access-Control-Allow-Headers", "Access-Control-Expose-Headers",
                                               "Access-Control-Max-Age", "Vary"};

class CorsTest : public HandlerTest {
 protected:
  void SetUp() override {
    HandlerTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    GatewayOptions options{kSecret};
    auto cors = CorsPolicy::parse(kEditor + ", https://cms.example.test");
    ASSERT_TRUE(cors.ok()) << cors.error().message;
    options.cors = std::move(cors).value();
    gateway_ = std::make_unique<Gateway>(
        GatewayDeps{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()}, std::move(options));
  }

  static void expect_no_cors(const Reply& r) {
    for (const auto& name : kCorsHeaders) EXPECT_EQ(r.header(name), "") << name << " must not be sent";
  }
};

TEST(CorsPolicy, ParsesOriginsAndRefusesWhatABrowserNeverSends) {
  auto ok = CorsPolicy::parse(" https://a.example.test , http://localhost:5173,https://a.example.test");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->origins(), (std::vector<std::string>{"https://a.example.test", "http://localhost:5173"}));
  EXPECT_FALSE(CorsPolicy::parse("").value().enabled());
  for (const char* bad : {"*", "https://a.example.test/", "https://a.example.test/editor", "ftp://a.example.test",
                          "a.example.test", "https://A.example.test", "https://", "null"}) {
    auto refused = CorsPolicy::parse(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code, Errc::validation_error) << bad;
    ASSERT_EQ(refused.error().details.size(), 1u);
    EXPECT_EQ(refused.error().details[0].field, "--cors-origins");
    EXPECT_NE(refused.error().details[0].message.find(bad), std::string::npos) << bad;
  }
}

TEST_F(CorsTest, AListedOriginsPreflightIsAnsweredWithTheAllowedMethodsAndHeaders) {
  const auto r = call("OPTIONS", "/v1/pages/p-1/content", {}, {},
                      {{"origin", kEditor},
                       {"access-control-request-method", "PUT"},
                       {"access-control-request-headers", "authorization, content-type, if-match"}});
  EXPECT_EQ(r.response.status, 204);
  EXPECT_EQ(r.response.body, "");
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kEditor);
  EXPECT_EQ(r.header("Vary"), "Origin");
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"})
    EXPECT_NE(r.header("Access-Control-Allow-Methods").find(method), std::string::npos) << method;
  for (const char* header : {"Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Prefer",
                             "X-Pagewright-After", "X-Request-Id"})
    EXPECT_NE(r.header("Access-Control-Allow-Headers").find(header), std::string::npos) << header;
  EXPECT_NE(r.header("Access-Control-Max-Age"), "");
  EXPECT_NE(r.header("X-Request-Id"), "");
}

TEST_F(CorsTest, AListedOriginGetsTheHeadersOnAnswersAndOnErrors) {
  const auto ok = call("GET", "/v1/sites", token(Role::viewer), {}, {{"origin", kEditor}});
  EXPECT_EQ(ok.response.status, 200) << ok.response.body;
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), kEditor);
  EXPECT_EQ(ok.header("Vary"), "Origin");
  for (const char* header : {"ETag", "Location", "X-Request-Id", "Retry-After"})
    EXPECT_NE(ok.header("Access-Control-Expose-Headers").find(header), std::string::npos) << header;
  EXPECT_EQ(ok.header("Access-Control-Allow-Credentials"), "") << "tokens travel in Authorization, not cookies";

  // A browser must be able to read why a call failed, or the editor could only say "network error".
  const auto unauthenticated = call("GET", "/v1/sites", {}, {}, {{"origin", kEditor}});
  EXPECT_EQ(unauthenticated.response.status, 401);
  EXPECT_EQ(unauthenticated.body()["error"]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(unauthenticated.header("Access-Control-Allow-Origin"), kEditor);
  const auto missing = call("GET", "/v1/pages/p-nowhere", token(Role::viewer), {}, {{"origin", kEditor}});
  EXPECT_EQ(missing.response.status, 404);
  EXPECT_EQ(missing.header("Access-Control-Allow-Origin"), kEditor);
}

TEST_F(CorsTest, AnUnlistedOriginGetsNoneOfTheHeadersAndItsPreflightIsRefused) {
  const auto r = call("GET", "/v1/sites", token(Role::viewer), {}, {{"origin", "https://evil.example.test"}});
  EXPECT_EQ(r.response.status, 200) << "CORS is the browser's rule; the API itself still answers";
  expect_no_cors(r);

  const auto preflight = call("OPTIONS", "/v1/sites", {}, {},
                              {{"origin", "https://evil.example.test"}, {"access-control-request-method", "POST"}});
  EXPECT_EQ(preflight.response.status, 405);
  EXPECT_EQ(preflight.body()["error"]["code"], "VALIDATION_ERROR");
  expect_no_cors(preflight);

  // A listed origin's prefix or suffix is another origin.
  expect_no_cors(call("GET", "/v1/sites", token(Role::viewer), {}, {{"origin", kEditor + "0"}}));
  expect_no_cors(call("GET", "/v1/sites", token(Role::viewer), {}, {{"origin", "http://editor.example.test"}}));
  // No Origin at all (curl, servers): nothing to add.
  expect_no_cors(call("GET", "/v1/sites", token(Role::viewer)));
}

TEST_F(CorsTest, PathsOutsideV1NeverGetTheHeaders) {
  expect_no_cors(call("GET", "/healthz", {}, {}, {{"origin", kEditor}}));
  expect_no_cors(call("GET", "/sites/nowhere/", {}, {}, {{"origin", kEditor}}));
  const auto preflight =
      call("OPTIONS", "/sites/nowhere/", {}, {}, {{"origin", kEditor}, {"access-control-request-method", "GET"}});
  EXPECT_NE(preflight.response.status, 204);
  expect_no_cors(preflight);
}

TEST_F(CorsTest, WithoutCorsOriginsNoOriginGetsTheHeaders) {
  gateway_ = std::make_unique<Gateway>(
      GatewayDeps{*log_, *bus_, *read_model_, metrics_, blocking_, static_host_.get()}, GatewayOptions{kSecret});
  expect_no_cors(call("GET", "/v1/sites", token(Role::viewer), {}, {{"origin", kEditor}}));
  const auto preflight =
      call("OPTIONS", "/v1/sites", {}, {}, {{"origin", kEditor}, {"access-control-request-method", "POST"}});
  EXPECT_EQ(preflight.response.status, 405);
  expect_no_cors(preflight);
}

TEST_F(CorsTest, AWriteFromAListedOriginIsAppliedAndAnotherTenantsNextEditStillShows) {
  const auto created = call("POST", "/v1/sites", token(Role::admin), json{{"name", "Shop"}, {"subdomain", "cors-shop"}}.dump(),
                            {{"origin", kEditor}});
  ASSERT_EQ(created.response.status, 201) << created.response.body;
  EXPECT_EQ(created.header("Access-Control-Allow-Origin"), kEditor);

  const std::string other = "t-cors-other";
  const auto theirs = call("POST", "/v1/sites", token(Role::admin, other),
                           json{{"name", "Other"}, {"subdomain", "cors-other"}}.dump());
  ASSERT_EQ(theirs.response.status, 201) << theirs.response.body;
  const auto seen = call("GET", "/v1/sites/" + theirs.body()["data"]["siteId"].get<std::string>(),
                         token(Role::viewer, other), {},
                         {{"x-pagewright-after", theirs.body()["data"]["position"].get<std::string>()}});
  EXPECT_EQ(seen.response.status, 200) << seen.response.body;
}

}  // namespace
}  // namespace pw::gateway
