// The request handler called directly, without sockets: an HttpRequest in, the
// HttpResponse it answers out. Behind it run the real parts — the embedded log,
// a command processor, a projector into a scratch Postgres database, the
// read model as the reader role — so each test checks what a client would see.
#include "events/hash_chain.hpp"
#include "tests/gateway/handler_fixture.hpp"

namespace pw::gateway {
namespace {

using test_support::HandlerTest;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_F(HandlerTest, CreationAnswers201WithTheEnvelopeAndIsReadableAtItsPosition) {
  std::string position;
  const std::string site = create_site("handler-one", &position);
  ASSERT_FALSE(site.empty());
  ASSERT_FALSE(position.empty());
  auto got = call("GET", "/v1/sites/" + site, token(Role::viewer), {}, {{"x-pagewright-after", position}});
  ASSERT_EQ(got.response.status, 200) << got.response.body;
  const json body = got.body();
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["data"]["subdomain"], "handler-one");
  EXPECT_EQ(body["data"]["name"], "Shop");
  EXPECT_FALSE(body["meta"].value("requestId", "").empty());
  EXPECT_EQ(body["meta"]["requestId"], got.header("X-Request-Id"));
  EXPECT_EQ(got.header("Content-Type"), "application/json");
}

TEST_F(HandlerTest, ClientRequestIdIsEchoedAndUnsafeOnesAreReplaced) {
  auto kept = call("GET", "/healthz", {}, {}, {{"x-request-id", "trace-42.a"}});
  EXPECT_EQ(kept.header("X-Request-Id"), "trace-42.a");
  auto replaced = call("GET", "/healthz", {}, {}, {{"x-request-id", "bad id\r\nInjected: 1"}});
  EXPECT_NE(replaced.header("X-Request-Id"), "bad id\r\nInjected: 1");
  EXPECT_EQ(replaced.header("X-Request-Id").size(), 36u);
}

TEST_F(HandlerTest, IdempotencyKeyRepeatsTheFirstOutcomeAndADifferentBodyIsDuplicate) {
  const std::string site = create_site("handler-idem");
  const std::string pages = "/v1/sites/" + site + "/pages";
  const std::vector<std::pair<std::string, std::string>> key = {{"idempotency-key", "create-about-1"}};
  auto first = call("POST", pages, token(Role::editor), R"({"title":"About"})", key);
  ASSERT_EQ(first.response.status, 201) << first.response.body;
  auto again = call("POST", pages, token(Role::editor), R"({"title":"About"})", key);
  ASSERT_EQ(again.response.status, 201) << again.response.body;
  EXPECT_EQ(again.body()["data"], first.body()["data"]);
  auto other = call("POST", pages, token(Role::editor), R"({"title":"Contact"})", key);
  EXPECT_EQ(other.response.status, 409) << other.response.body;
  EXPECT_EQ(other.body()["error"]["code"], "DUPLICATE");

  const std::string position = first.body()["data"].value("position", "");
  auto list = call("GET", pages, token(Role::viewer), {}, {{"x-pagewright-after", position}});
  ASSERT_EQ(list.response.status, 200);
  EXPECT_EQ(list.body()["data"].size(), 1u) << list.response.body;
}

TEST_F(HandlerTest, RespondAsyncAnswers202AndTheCommandStatusLaterHoldsTheOutcome) {
  const std::string site = create_site("handler-async");
  auto accepted = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor), R"({"title":"Later"})",
                       {{"prefer", "respond-async"}});
  ASSERT_EQ(accepted.response.status, 202) << accepted.response.body;
  const std::string id = accepted.body()["data"].value("commandId", "");
  EXPECT_EQ(accepted.header("Location"), "/v1/commands/" + id);
  json status;
  for (int i = 0; i < 200; ++i) {
    status = call("GET", "/v1/commands/" + id, token(Role::viewer)).body()["data"];
    if (status.value("status", "") != "pending") break;
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(status.value("status", ""), "accepted") << status.dump();
  EXPECT_EQ(status["events"][0].value("type", ""), "PageCreated") << status.dump();
  EXPECT_EQ(call("GET", "/v1/commands/" + id, token(Role::viewer, "t-else")).response.status, 404);
}

TEST_F(HandlerTest, VersionConflictNamesTheCurrentVersion) {
  const std::string site = create_site("handler-ifmatch");
  auto stale = call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"name":"Renamed"})",
                    {{"if-match", "\"7\""}});
  ASSERT_EQ(stale.response.status, 409) << stale.response.body;
  const json error = stale.body()["error"];
  EXPECT_EQ(error["code"], "VERSION_CONFLICT");
  ASSERT_EQ(error["details"].size(), 1u);
  EXPECT_EQ(error["details"][0]["field"], "version");
  EXPECT_NE(error["details"][0].value("message", "").find("current version is 1"), std::string::npos)
      << stale.response.body;
  auto fresh = call("PATCH", "/v1/sites/" + site, token(Role::admin), R"({"name":"Renamed"})",
                    {{"if-match", "\"1\""}});
  EXPECT_EQ(fresh.response.status, 200) << fresh.response.body;
  EXPECT_EQ(fresh.body()["data"]["version"], 2);
}

TEST_F(HandlerTest, RolesAndTenantsAreEnforcedBeforeAnythingIsWritten) {
  const std::string site = create_site("handler-roles");
  EXPECT_EQ(call("POST", "/v1/sites/" + site + "/pages", token(Role::viewer), R"({"title":"X"})").response.status,
            403);
  EXPECT_EQ(call("GET", "/v1/sites/" + site, token(Role::owner, "t-other")).response.status, 404);
  EXPECT_EQ(call("POST", "/v1/sites/" + site + "/pages", token(Role::owner, "t-other"), R"({"title":"X"})")
                .response.status,
            404);
  auto none = call("GET", "/v1/sites/" + site);
  EXPECT_EQ(none.response.status, 401);
  EXPECT_EQ(none.body()["error"]["code"], "UNAUTHENTICATED");
  auto verify = call("GET", "/v1/sites/" + site + "/audit/verify", token(Role::viewer));
  ASSERT_EQ(verify.response.status, 200) << verify.response.body;
  EXPECT_EQ(verify.body()["data"]["events"], 1) << "only SiteCreated: refused requests appended nothing";
}

TEST_F(HandlerTest, OversizedBodyIs413AndUnknownRouteIs404) {
  HttpRequest big;
  big.method = "POST";
  big.target = "/v1/sites";
  big.body_too_large = true;
  std::promise<HttpResponse> p;
  gateway_->handle(std::move(big), [&p](HttpResponse r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(call("GET", "/v2/nothing", token(Role::viewer)).response.status, 404);
  auto wrong = call("DELETE", "/v1/sites", token(Role::owner));
  EXPECT_EQ(wrong.response.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET, POST");
}

TEST_F(HandlerTest, ReadinessFailsWhileDrainingAndMetricsCountRequestsButAreNotOnTheApiPort) {
  EXPECT_EQ(call("GET", "/readyz").response.status, 200);
  gateway_->set_draining(true);
  auto draining = call("GET", "/readyz");
  EXPECT_EQ(draining.response.status, 503);
  EXPECT_EQ(draining.header("Retry-After"), "1");
  EXPECT_EQ(call("GET", "/healthz").response.status, 200) << "alive while draining";
  gateway_->set_draining(false);

  create_site("handler-metrics");
  // Metrics have their own listener (ops/cli --metrics): the API answers 404.
  auto metrics = call("GET", "/metrics");
  EXPECT_EQ(metrics.response.status, 404);
  EXPECT_EQ(metrics.body()["error"]["code"], "NOT_FOUND");
  const std::string rendered = metrics_.render();
  EXPECT_NE(rendered.find("http_requests_total{route=\"create_site\",status=\"201\"} 1"), std::string::npos)
      << rendered.substr(0, 3000);
  EXPECT_NE(rendered.find("commands_total{outcome=\"accepted\",type=\"CreateSite\"} 1"), std::string::npos)
      << rendered.substr(0, 3000);
}

TEST_F(HandlerTest, ProtocolErrorsUseTheErrorFormat) {
  const HttpResponse r = gateway_->protocol_error(400, "malformed request line");
  EXPECT_EQ(r.status, 400);
  const json body = json::parse(r.body);
  EXPECT_EQ(body["success"], false);
  EXPECT_EQ(body["error"]["code"], "VALIDATION_ERROR");
  EXPECT_EQ(body["error"]["message"], "malformed request line");
}

// GET …/events pages: ?limit= above 10,000 is refused naming "limit"; a page
// that stops early says where to continue (JSON: pagination.nextCursor,
// NDJSON: X-Pagewright-Next-After-Seq), and the pages join into the exact,
// linked stream.
TEST_F(HandlerTest, EventsArePagedWithinTheCaps) {
  const std::string site = create_site("handler-events");
  std::string position;
  for (int i = 0; i < 3; ++i) {
    auto page = call("POST", "/v1/sites/" + site + "/pages", token(Role::editor),
                     json{{"title", "Page " + std::to_string(i)}}.dump());
    ASSERT_EQ(page.response.status, 201) << page.response.body;
    position = page.body()["data"].value("position", "");
  }
  const std::string events = "/v1/sites/" + site + "/events";
  auto too_many = call("GET", events + "?limit=10001", token(Role::viewer));
  ASSERT_EQ(too_many.response.status, 400) << too_many.response.body;
  EXPECT_EQ(too_many.body()["error"]["code"], "VALIDATION_ERROR");
  ASSERT_FALSE(too_many.body()["error"]["details"].empty());
  EXPECT_EQ(too_many.body()["error"]["details"][0]["field"], "limit");

  auto first = call("GET", events + "?limit=2", token(Role::viewer), {}, {{"x-pagewright-after", position}});
  ASSERT_EQ(first.response.status, 200) << first.response.body;
  EXPECT_EQ(first.body()["data"].size(), 2u);
  EXPECT_EQ(first.body()["pagination"]["nextCursor"], "2");
  auto rest = call("GET", events + "?afterSeq=2&limit=2", token(Role::viewer));
  ASSERT_EQ(rest.response.status, 200) << rest.response.body;
  ASSERT_EQ(rest.body()["data"].size(), 2u);
  EXPECT_EQ(rest.body()["data"][1]["seq"], 4);
  EXPECT_TRUE(rest.body()["pagination"]["nextCursor"].is_null()) << "exactly full, nothing follows";

  auto lines_of = [](test_support::Reply& r) {
    std::string body = r.response.body;
    if (r.response.next_chunk)
      while (auto c = r.response.next_chunk()) body += *c;
    std::vector<std::string> lines;
    for (size_t at = 0, nl; (nl = body.find('\n', at)) != std::string::npos; at = nl + 1)
      lines.push_back(body.substr(at, nl - at));
    return lines;
  };
  const std::vector<std::pair<std::string, std::string>> ndjson{{"accept", "application/x-ndjson"}};
  auto head = call("GET", events + "?limit=3", token(Role::viewer), {}, ndjson);
  ASSERT_EQ(head.response.status, 200) << head.response.body;
  EXPECT_EQ(head.header("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(head.header("X-Pagewright-Next-After-Seq"), "3");
  auto tail = call("GET", events + "?afterSeq=3", token(Role::viewer), {}, ndjson);
  ASSERT_EQ(tail.response.status, 200) << tail.response.body;
  EXPECT_EQ(tail.header("X-Pagewright-Next-After-Seq"), "");
  auto lines = lines_of(head);
  for (auto& l : lines_of(tail)) lines.push_back(std::move(l));
  ASSERT_EQ(lines.size(), 4u);
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(json::parse(lines[i])["prevHash"], sha256_hex(lines[i - 1])) << "line " << i;

  // Another tenant's next edit still becomes visible.
  auto other = call("POST", "/v1/sites", token(Role::admin, "t-other"),
                    json{{"name", "Other"}, {"subdomain", "handler-events-other"}}.dump());
  ASSERT_EQ(other.response.status, 201) << other.response.body;
  auto seen = call("GET", "/v1/sites/" + other.body()["data"].value("siteId", ""), token(Role::viewer, "t-other"),
                   {}, {{"x-pagewright-after", other.body()["data"].value("position", "")}});
  EXPECT_EQ(seen.response.status, 200) << seen.response.body;
}

}  // namespace
}  // namespace pw::gateway
