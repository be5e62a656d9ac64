#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gateway/routes.hpp"

namespace {

using pw::gateway::match;
using pw::gateway::Match;
using pw::gateway::MatchResult;
using pw::gateway::parse_query;
using pw::gateway::parse_query_strict;
using pw::gateway::percent_decode;
using pw::gateway::route;
using pw::gateway::route_method;
using pw::gateway::route_name;
using pw::gateway::route_pattern;
using pw::gateway::RouteId;
using Params = std::map<std::string, std::string>;

struct Case {
  const char* method;
  const char* target;
  RouteId id;
  Params params;
};

TEST(Routes, EveryRouteMatchesWithItsParams) {
  const std::vector<Case> cases = {
      {"POST", "/v1/sites", RouteId::create_site, {}},
      {"GET", "/v1/sites", RouteId::list_sites, {}},
      {"GET", "/v1/sites/s1", RouteId::get_site, {{"siteId", "s1"}}},
      {"PATCH", "/v1/sites/s1", RouteId::update_site, {{"siteId", "s1"}}},
      {"POST", "/v1/sites/s1/publish", RouteId::publish_site, {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/deployments", RouteId::list_deployments, {{"siteId", "s1"}}},
      {"GET", "/v1/deployments/d1", RouteId::get_deployment, {{"deploymentId", "d1"}}},
      {"POST", "/v1/deployments/d1/rollback", RouteId::rollback_deployment, {{"deploymentId", "d1"}}},
      {"POST", "/v1/sites/s1/pages", RouteId::create_page, {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/pages", RouteId::list_pages, {{"siteId", "s1"}}},
      {"GET", "/v1/pages/p1", RouteId::get_page, {{"pageId", "p1"}}},
      {"PATCH", "/v1/pages/p1", RouteId::update_page, {{"pageId", "p1"}}},
      {"POST", "/v1/pages/p1/components", RouteId::add_component, {{"pageId", "p1"}}},
      {"PATCH", "/v1/pages/p1/components/c1", RouteId::update_component,
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"POST", "/v1/pages/p1/components/c1/move", RouteId::move_component,
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"DELETE", "/v1/pages/p1/components/c1", RouteId::remove_component,
       {{"pageId", "p1"}, {"componentId", "c1"}}},
      {"GET", "/v1/pages/p1/history", RouteId::page_history, {{"pageId", "p1"}}},
      {"POST", "/v1/pages/p1/publish", RouteId::publish_page, {{"pageId", "p1"}}},
      {"GET", "/v1/sites/s1/events", RouteId::site_events, {{"siteId", "s1"}}},
      {"GET", "/v1/sites/s1/audit/verify", RouteId::verify_audit, {{"siteId", "s1"}}},
      {"GET", "/v1/commands/cmd-1", RouteId::get_command, {{"commandId", "cmd-1"}}},
      {"GET", "/healthz", RouteId::healthz, {}},
      {"GET", "/readyz", RouteId::readyz, {}},
  };
  std::vector<bool> seen(23, false);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    const MatchResult r = route(c.method, c.target);
    ASSERT_EQ(r.kind, MatchResult::Kind::matched);
    ASSERT_TRUE(r.match.has_value());
    EXPECT_EQ(r.match->id, c.id);
    EXPECT_EQ(r.match->params, c.params);
    EXPECT_TRUE(r.allowed.empty());
    EXPECT_EQ(match(c.method, c.target), (Match{c.id, c.params}));
    EXPECT_STREQ(route_method(c.id), c.method);
    seen[static_cast<std::size_t>(c.id)] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << route_name(RouteId(i));
}

TEST(Routes, NamesAndPatterns) {
  EXPECT_STREQ(route_name(RouteId::create_site), "create_site");
  EXPECT_STREQ(route_name(RouteId::readyz), "readyz");
  EXPECT_STREQ(route_pattern(RouteId::move_component),
               "/v1/pages/{pageId}/components/{componentId}/move");
  EXPECT_STREQ(route_method(RouteId::remove_component), "DELETE");
}

TEST(Routes, QueryIsIgnoredByMatching) {
  auto m = match("GET", "/v1/sites/s1/pages?status=draft&limit=10");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, RouteId::list_pages);
  EXPECT_EQ(m->params, (Params{{"siteId", "s1"}}));
  EXPECT_TRUE(match("GET", "/healthz?"));
  EXPECT_TRUE(match("GET", "/v1/sites?x=/../y"));
}

TEST(Routes, NotFound) {
  for (const char* t : {"/", "", "v1/sites", "/v1", "/v2/sites", "/v1/site", "/v1/sites/s1/nope",
                        "/v1/pages/p1/components/c1/move/x", "/V1/sites", "/healthz/x",
                        "/v1/audit", "/v1/sites/s1/design-tokens", "/v1/sites/s1/domains",
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

  EXPECT_EQ(route("DELETE", "/v1/pages/p1").allow_header(), "GET, PATCH");  // delete is (later)
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
  EXPECT_EQ(m->id, RouteId::get_site);
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
