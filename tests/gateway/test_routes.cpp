#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gateway/route_table.hpp"
#include "gateway/routes.hpp"

namespace {

using pw::gateway::match;
using pw::gateway::Match;
using pw::gateway::MatchResult;
using pw::gateway::parse_query;
using pw::gateway::parse_query_strict;
using pw::gateway::percent_decode;
using pw::gateway::route;
using pw::gateway::find_route;
using pw::gateway::Route;
using pw::gateway::route_table;
using Params = std::map<std::string, std::string>;

struct Case {
  const char* method;
  const char* target;
  const char* name;
  Params params;
};

TEST(Routes, EveryRouteMatchesWithItsParams) {
  const std::vector<Case> cases = {
      {"POST", "/v1/sites", "create_site", {}},
      {"GET", "/v1/sites", "list_sites", {}},
      {"GET", "/v1/sites/s1", "get_site", {{"siteId", "s1"}}},
      {"PATCH", "/v1/sites/s1", "update_site", {{"siteId", "s1"}}},
      {"POST", "/v1/sites/s1/publish", "publish_site", {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/deployments", "list_deployments", {{"siteId", "s1"}}},
      {"GET", "/v1/deployments/d1", "get_deployment", {{"deploymentId", "d1"}}},
      {"POST", "/v1/deployments/d1/rollback", "rollback_deployment", {{"deploymentId", "d1"}}},
      {"POST", "/v1/sites/s1/pages", "create_page", {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/pages", "list_pages", {{"siteId", "s1"}}},
      {"GET", "/v1/pages/p1", "get_page", {{"pageId", "p1"}}},
      {"PATCH", "/v1/pages/p1", "update_page", {{"pageId", "p1"}}},
      {"POST", "/v1/pages/p1/components", "add_component", {{"pageId", "p1"}}},
      {"PATCH", "/v1/pages/p1/components/c1", "update_component",
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"POST", "/v1/pages/p1/components/c1/move", "move_component",
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"DELETE", "/v1/pages/p1/components/c1", "remove_component",
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"GET", "/v1/pages/p1/history", "page_history", {{"pageId", "p1"}}},
      {"POST", "/v1/pages/p1/publish", "publish_page", {{"pageId", "p1"}}},
      {"GET", "/v1/sites/s1/events", "site_events", {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/audit/verify", "verify_audit", {{"siteId", "s1"}}},
      {"GET", "/v1/commands/cmd-1", "get_command", {{"commandId", "cmd-1"}}},
      {"GET", "/healthz", "healthz", {}},
      {"GET", "/readyz", "readyz", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    const MatchResult r = route(c.method, c.target);
    ASSERT_EQ(r.kind, MatchResult::Kind::matched);
    ASSERT_TRUE(r.match.has_value());
    EXPECT_EQ(r.match->route->name, c.name);
    EXPECT_EQ(r.match->params, c.params);
    EXPECT_TRUE(r.allowed.empty());
    EXPECT_EQ(match(c.method, c.target), (Match{find_route(c.name), c.params}));
    EXPECT_EQ(r.match->route->method, c.method);
  }
}

// Every row is reachable: its own pattern, with each {param} filled in, routes
// to it (no earlier row shadows it), and names are unique.
TEST(Routes, EveryRowOfTheTableIsReachable) {
  std::set<std::string_view> names;
  for (const Route& r : route_table()) {
    SCOPED_TRACE(std::string(r.name));
    EXPECT_TRUE(names.insert(r.name).second) << "duplicate name";
    const std::string target = std::regex_replace(std::string(r.pattern), std::regex("\\{[A-Za-z]+\\}"), "x1");
    const auto m = match(r.method, target);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->route, &r);
    EXPECT_EQ(find_route(r.name), &r);
  }
  EXPECT_EQ(find_route("no_such_route"), nullptr);
}

// What a row says about roles and kinds: writes need their API.md role, reads a
// viewer, and only the operations endpoints skip authentication.
TEST(Routes, RolesAndKinds) {
  using pw::gateway::Role;
  using pw::gateway::RouteKind;
  EXPECT_EQ(find_route("create_site")->least_role, Role::admin);
  EXPECT_EQ(find_route("publish_site")->least_role, Role::admin);
  EXPECT_EQ(find_route("add_component")->least_role, Role::editor);
  EXPECT_EQ(find_route("add_component")->kind, RouteKind::command);
  EXPECT_EQ(find_route("get_page")->least_role, Role::viewer);
  EXPECT_EQ(find_route("get_page")->kind, RouteKind::query);
  for (const Route& r : route_table()) {
    if (r.kind == RouteKind::command) {
      EXPECT_NE(r.method, "GET") << r.name;
    }
    // Reads need a viewer, but the tenant-wide audit log needs an admin.
    if (r.method == "GET") {
      EXPECT_EQ(r.least_role, r.name == "audit_log" ? Role::admin : Role::viewer) << r.name;
    }
    if (r.kind == RouteKind::operations) {
      EXPECT_FALSE(r.pattern.starts_with("/v1/")) << r.name;
    }
  }
}

TEST(Routes, NamesAndPatterns) {
  EXPECT_EQ(find_route("readyz")->pattern, "/readyz");
  EXPECT_EQ(find_route("move_component")->pattern, "/v1/pages/{pageId}/components/{componentId}/move");
  EXPECT_EQ(find_route("remove_component")->method, "DELETE");
}

TEST(Routes, QueryIsIgnoredByMatching) {
  auto m = match("GET", "/v1/sites/s1/pages?status=draft&limit=10");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route->name, "list_pages");
  EXPECT_EQ(m->params, (Params{{"siteId", "s1"}}));
  EXPECT_TRUE(match("GET", "/healthz?"));
  EXPECT_TRUE(match("GET", "/v1/sites?x=/../y"));
}

TEST(Routes, NotFound) {
  for (const char* t : {"/", "", "v1/sites", "/v1", "/v2/sites", "/v1/site", "/v1/sites/s1/nope",
                        "/v1/pages/p1/components/c1/move/x", "/V1/sites", "/healthz/x",
                        "/v1/audits", "/v1/sites/s1/domains",
                        "/v1/deployments/d1/x", "/v1/sites/s1/deployments/x", "/sites/acme/index.html"}) {
    SCOPED_TRACE(t);
    const MatchResult r = route("GET", t);
    EXPECT_EQ(r.kind, MatchResult::Kind::not_found);
    EXPECT_FALSE(r.match);
    EXPECT_TRUE(r.allowed.empty());
    EXPECT_FALSE(match("GET", t));
    EXPECT_EQ(route("POST", t).kind, MatchResult::Kind::not_found);
  }
}

TEST(Routes, MethodNotAllowedListsAllow) {
  auto r = route("DELETE", "/v1/sites");
  EXPECT_EQ(r.kind, MatchResult::Kind::method_not_allowed);
  EXPECT_FALSE(r.match);
  EXPECT_EQ(r.allowed, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(r.allow_header(), "GET, POST");

  EXPECT_EQ(route("PUT", "/v1/pages/p1/history").allow_header(), "GET");
  EXPECT_EQ(route("GET", "/v1/pages/p1/components/c1").allow_header(), "DELETE, PATCH");
  EXPECT_EQ(route("GET", "/v1/pages/p1/components/c1/move").allow_header(), "POST");
  EXPECT_EQ(route("PUT", "/v1/sites/s1").allow_header(), "GET, PATCH");
  EXPECT_EQ(route("POST", "/healthz").allow_header(), "GET");
  EXPECT_EQ(route("HEAD", "/readyz").allow_header(), "GET");
  // Metrics have their own listener (--metrics), not the API port.
  EXPECT_EQ(route("GET", "/metrics").kind, MatchResult::Kind::not_found);
  EXPECT_EQ(route("get", "/v1/sites").kind, MatchResult::Kind::method_not_allowed);  // case-sensitive
  EXPECT_EQ(route("POST", "/v1/sites/s1/audit/verify?x=1").allow_header(), "GET");
  EXPECT_FALSE(match("DELETE", "/v1/sites"));
}

TEST(Routes, PercentDecodedParams) {
  auto m = match("GET", "/v1/sites/a%20b%2Dc");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.at("siteId"), "a b-c");
  m = match("GET", "/v1/sites/%C3%A9t%c3%a9");  // é, hex in both cases
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.at("siteId"), "\xc3\xa9t\xc3\xa9");
  m = match("GET", "/v1/sites/a+b");  // '+' is literal in paths
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.at("siteId"), "a+b");
  // Literal segments compare decoded.
  m = match("GET", "/v1/%73ites/s1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route->name, "get_site");
}

TEST(Routes, UnsafeTargetsDoNotMatch) {
  for (const char* t : {
           "/v1/sites/%", "/v1/sites/%4", "/v1/sites/%zz", "/v1/sites/%G0", "/v1/sites/a%",
           "/v1/sites/..", "/v1/sites/.", "/v1/sites/%2e%2e", "/v1/sites/%2E", "/v1/sites/.%2e",
           "/v1/sites/s1/../s2", "/v1/sites/a%2Fb", "/v1/sites/a%5Cb", "/v1/sites/a%00b",
           "/v1/sites/a%0Ab", "/v1/sites/a%7Fb", "/v1/sites/%FF", "/v1/sites/%C0%AF",
           "/v1/sites/%ED%A0%80", "/v1//sites", "/v1/sites/", "//v1/sites", "/v1/sites//pages",
           "/v1/sites/s1#frag", "/v1/sites/%"}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(route("GET", t).kind, MatchResult::Kind::not_found);
  }
  // A "..": not resolved, just refused — even when the result would be a route.
  EXPECT_FALSE(match("GET", "/v1/pages/p1/../../sites"));
  EXPECT_FALSE(match("GET", "/v1/./sites"));
  // An encoded '?' is part of the segment, not a query.
  auto m = match("GET", "/v1/sites/a%3Fb?c=d");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params.at("siteId"), "a?b");
}

TEST(PercentDecode, Basics) {
  EXPECT_EQ(percent_decode("a%41+b", false), "aA+b");
  EXPECT_EQ(percent_decode("a%41+b", true), "aA b");
  EXPECT_EQ(percent_decode("", true), "");
  EXPECT_EQ(percent_decode("%25", true), "%");
  EXPECT_EQ(percent_decode("%2525", true), "%25");  // decoded once only
  EXPECT_FALSE(percent_decode("%", true));
  EXPECT_FALSE(percent_decode("%a", true));
  EXPECT_FALSE(percent_decode("%ag", true));
  EXPECT_FALSE(percent_decode("ab%", true));
}

TEST(ParseQuery, Basics) {
  EXPECT_EQ(parse_query("status=draft&q=hello+world&limit=10"),
            (Params{{"status", "draft"}, {"q", "hello world"}, {"limit", "10"}}));
  EXPECT_EQ(parse_query("?a=1"), (Params{{"a", "1"}}));
  EXPECT_EQ(parse_query(""), Params{});
  EXPECT_EQ(parse_query("?"), Params{});
  EXPECT_EQ(parse_query("flag&x="), (Params{{"flag", ""}, {"x", ""}}));
  EXPECT_EQ(parse_query("&&a=1&&"), (Params{{"a", "1"}}));
  EXPECT_EQ(parse_query("=v&a=1"), (Params{{"a", "1"}}));  // empty key skipped
  EXPECT_EQ(parse_query("q=a%26b%3Dc&cursor=x%2By"), (Params{{"q", "a&b=c"}, {"cursor", "x+y"}}));
  EXPECT_EQ(parse_query("a=b=c"), (Params{{"a", "b=c"}}));
  EXPECT_EQ(parse_query("q=what?"), (Params{{"q", "what?"}}));
  EXPECT_EQ(parse_query("na%6De=%C3%A9"), (Params{{"name", "\xc3\xa9"}}));
}

TEST(ParseQuery, FirstDuplicateWins) {
  EXPECT_EQ(parse_query("limit=10&limit=1000"), (Params{{"limit", "10"}}));
  EXPECT_EQ(parse_query("a=1&%61=2"), (Params{{"a", "1"}}));
}

TEST(ParseQuery, InvalidPairsDroppedOrRefused) {
  EXPECT_EQ(parse_query("a=%zz&b=2&c%=1&d=%FF&e=5"), (Params{{"b", "2"}, {"e", "5"}}));

  auto ok = parse_query_strict("a=1&b=x+y");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (Params{{"a", "1"}, {"b", "x y"}}));

  auto bad_value = parse_query_strict("a=1&limit=%zz");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.error().code, pw::Errc::validation_error);
  ASSERT_EQ(bad_value.error().details.size(), 1u);
  EXPECT_EQ(bad_value.error().details[0].field, "limit");

  auto bad_key = parse_query_strict("%zz=1");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().details[0].field, "query");

  auto bad_utf8 = parse_query_strict("q=%C0%AF");
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_EQ(bad_utf8.error().details[0].field, "q");
}

}  // namespace

// Only the asset upload takes more than the API's 1 MiB body.
TEST(Routes, BodyLimits) {
  using pw::gateway::kDefaultMaxBody;
  EXPECT_EQ(find_route("upload_asset")->max_body, std::size_t{10} << 20);
  EXPECT_EQ(find_route("upload_asset")->least_role, pw::gateway::Role::editor);
  EXPECT_EQ(find_route("delete_asset")->least_role, pw::gateway::Role::editor);
  for (const Route& r : route_table())
    if (r.name != "upload_asset") {
      EXPECT_EQ(r.max_body, kDefaultMaxBody) << r.name;
    }
  EXPECT_EQ(pw::gateway::max_body_for("POST", "/v1/sites/s1/assets?filename=a.png"), std::size_t{10} << 20);
  EXPECT_EQ(pw::gateway::max_body_for("POST", "/v1/sites/s1/pages"), kDefaultMaxBody);
  EXPECT_EQ(pw::gateway::max_body_for("PUT", "/v1/sites/s1/assets"), kDefaultMaxBody);
  EXPECT_EQ(pw::gateway::max_body_for("POST", "/nowhere"), kDefaultMaxBody);
  EXPECT_EQ(pw::gateway::largest_max_body(), std::size_t{10} << 20);
}
