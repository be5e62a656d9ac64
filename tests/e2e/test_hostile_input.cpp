// Hostile input against `pagewright serve` over real HTTP: every string field
// of every write endpoint gets NUL and other control characters, escaped lone
// surrogates, invalid UTF-8, megabyte strings and bidi overrides; bodies get
// deep nesting, pages deep component trees, Text components Markdown bombs.
// Each answer must be a 4xx in the API's error format or a success, the server
// must stay healthy, and after every group another tenant's next edit must
// become visible (X-Pagewright-After) and publish.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/processes.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kSecret = "hostile-secret-0123456789abcdef0123456789abcdef";
constexpr std::string_view kMarker = "\"@@HOSTILE@@\"";

// A value to put into a string field, as raw JSON text (so that escapes the
// JSON library would never write, like a lone surrogate, reach the server).
struct Payload {
  std::string name;
  std::string raw_json;
  enum class Expect { invalid_text, too_large, any } expect;
};

std::string quoted_run(char c, size_t n) { return "\"" + std::string(n, c) + "\""; }

std::vector<Payload> string_payloads() {
  using E = Payload::Expect;
  return {
      {"NUL", R"("x\u0000y")", E::invalid_text},
      {"NUL alone", R"("\u0000")", E::invalid_text},
      {"SOH", R"("a\u0001b")", E::invalid_text},
      {"backspace", R"("a\bb")", E::invalid_text},
      {"vertical tab", R"("a\u000bb")", E::invalid_text},
      {"form feed", R"("a\fb")", E::invalid_text},
      {"escape sequence", R"("\u001b[31mred")", E::invalid_text},
      {"unit separator", R"("a\u001fb")", E::invalid_text},
      {"lone high surrogate", R"("a\ud800b")", E::invalid_text},
      {"lone low surrogate", R"("\udfff")", E::invalid_text},
      {"reversed surrogate pair", R"("\udc00\ud800")", E::invalid_text},
      {"invalid UTF-8", "\"a\xff\xfe" "b\"", E::invalid_text},
      {"overlong UTF-8", "\"\xc0\xaf\"", E::invalid_text},
      {"tab, CR and LF", R"("a\tb\r\nc")", E::any},
      {"bidi override", R"("\u202egnp.exe")", E::any},
      {"bidi isolates", R"("abc\u2066def\u2069")", E::any},
      {"noncharacter", R"("\uffff\ufdd0")", E::any},
      {"emoji", R"("\ud83d\ude00 bread")", E::any},
      {"html", R"("<script>alert(1)</script>")", E::any},
      {"64 KiB", quoted_run('a', 64 * 1024), E::any},
      {"1,000,000 characters", quoted_run('b', 1000000), E::any},
      {"over 1 MiB", quoted_run('c', (1u << 20) + 16), E::too_large},
  };
}

struct Field {
  std::string method;
  std::string path;
  json body;            // with kMarker where the payload goes
  std::string field;    // what details[].field must name for invalid text
};

std::string with_payload(const json& body, const std::string& raw) {
  std::string text = body.dump();
  const auto at = text.find(kMarker);
  if (at == std::string::npos) return text;
  return text.replace(at, kMarker.size(), raw);
}

// The envelope's "error" or "data" member, or an empty object.
json member(const HttpReply& r, const char* name) {
  const json j = r.json();
  if (j.is_object() && j.contains(name) && j[name].is_object()) return j[name];
  return json::object();
}
json error_of(const HttpReply& r) { return member(r, "error"); }
json data_of(const HttpReply& r) { return member(r, "data"); }

bool names_field(const json& error, const std::string& field) {
  for (const auto& d : error.value("details", json::array()))
    if (d.value("field", "").find(field) != std::string::npos) return true;
  return false;
}

class HostileInput : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Connection strings travel in the environment, never in argv.
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
    ::setenv("PW_PG", owner_.c_str(), 1);
    ::setenv("PW_PG_READER", reader_.c_str(), 1);
    data_ = std::filesystem::temp_directory_path() / ("pw-hostile-" + db_);
    // Hundreds of requests from one tenant in seconds: the rate limit would
    // answer them 429 before their bodies are looked at.
    serve_ = spawn({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data_.string(), "--rate-limit-tenant", "off"});
    ASSERT_GT(serve_.pid, 0);
    port_ = read_listening_port(serve_.out);
    ASSERT_NE(port_, 0) << "serve did not start listening";
    http_ = std::make_unique<HttpClient>("127.0.0.1", port_);
    attacker_ = make_tokens(kSecret, "attacker-" + db_.substr(8, 8));
    bystander_ = make_tokens(kSecret, "bystander-" + db_.substr(8, 8));
    set_up_bystander();
    set_up_attacker();
  }
  void TearDown() override {
    http_.reset();
    if (serve_.pid > 0) stop(serve_, 30s);
    ::unsetenv("PW_PG");
    ::unsetenv("PW_PG_READER");
    std::error_code ec;
    if (!data_.empty()) std::filesystem::remove_all(data_, ec);
    PgTest::TearDown();
  }

  HttpClient& http() { return *http_; }

  std::string created(const HttpReply& r, const char* field) {
    EXPECT_EQ(r.status, 201) << r.body;
    return data_of(r).value(field, "");
  }

  void set_up_bystander() {
    by_subdomain_ = "bystander-" + db_.substr(8, 8);
    by_site_ = created(http().send_json("POST", "/v1/sites", bystander_.admin,
                                        {{"name", "Bystander"}, {"subdomain", by_subdomain_}}),
                       "siteId");
    by_page_ = created(http().send_json("POST", "/v1/sites/" + by_site_ + "/pages", bystander_.editor,
                                        {{"title", "News"}, {"slug", "news"}}),
                       "pageId");
    by_heading_ = created(http().send_json("POST", "/v1/pages/" + by_page_ + "/components", bystander_.editor,
                                           {{"type", "Heading"}, {"props", {{"text", "Round 0"}}}}),
                          "componentId");
    ASSERT_FALSE(by_heading_.empty());
  }

  void set_up_attacker() {
    subdomain_ = "attacker-" + db_.substr(8, 8);
    site_ = created(http().send_json("POST", "/v1/sites", attacker_.admin,
                                     {{"name", "Attacker"}, {"subdomain", subdomain_}}),
                    "siteId");
    page_ = created(http().send_json("POST", "/v1/sites/" + site_ + "/pages", attacker_.editor,
                                     {{"title", "Target"}, {"slug", "target"}}),
                    "pageId");
    section_ = created(http().send_json("POST", "/v1/pages/" + page_ + "/components", attacker_.editor,
                                        {{"type", "Section"}}),
                       "componentId");
    heading_ = created(http().send_json("POST", "/v1/pages/" + page_ + "/components", attacker_.editor,
                                        {{"type", "Heading"}, {"props", {{"text", "Hi"}}}}),
                       "componentId");
    ASSERT_FALSE(heading_.empty());
  }

  // The server is up and answers; what a load balancer would check.
  void expect_healthy(const std::string& after) {
    int status = 0;
    ASSERT_EQ(::waitpid(serve_.pid, &status, WNOHANG), 0) << "serve died after " << after;
    EXPECT_EQ(http().request("GET", "/healthz").status, 200) << after;
    EXPECT_EQ(http().request("GET", "/readyz").status, 200) << after;
  }

  // Another tenant's next edit becomes visible and publishes.
  void expect_bystander_unharmed(const std::string& after) {
    ++round_;
    const std::string text = "Round " + std::to_string(round_);
    auto edit = http().send_json("PATCH", "/v1/pages/" + by_page_ + "/components/" + by_heading_, bystander_.editor,
                                 {{"props", {{"text", text}}}});
    ASSERT_EQ(edit.status, 200) << after << ": " << edit.body;
    const std::string position = data_of(edit).value("position", "");
    auto read = http().get("/v1/pages/" + by_page_, bystander_.viewer, {{"X-Pagewright-After", position}});
    ASSERT_EQ(read.status, 200) << after << ": " << read.body;
    EXPECT_NE(read.body.find(text), std::string::npos) << after << ": " << read.body;
    auto publish_page =
        http().send_json("POST", "/v1/pages/" + by_page_ + "/publish", bystander_.admin, json::object());
    ASSERT_EQ(publish_page.status, 200) << after << ": " << publish_page.body;
    auto publish = http().send_json("POST", "/v1/sites/" + by_site_ + "/publish", bystander_.admin, json::object());
    ASSERT_EQ(publish.status, 201) << after << ": " << publish.body;
    const json d = wait_for_deployment(http(), bystander_.viewer, data_of(publish).value("deploymentId", ""));
    ASSERT_EQ(d.value("status", ""), "succeeded") << after << ": " << d.dump();
    auto live = http().request("GET", "/sites/" + by_subdomain_ + "/news/");
    EXPECT_EQ(live.status, 200) << after;
    EXPECT_NE(live.body.find(text), std::string::npos) << after;
  }

  // One hostile request: a 4xx in the API's error format or a success.
  HttpReply send(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& token) {
    return http().request(method, path, body,
                          {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }

  void expect_refused_or_served(const HttpReply& r, const std::string& what) {
    EXPECT_TRUE((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500))
        << what << " → " << r.status << " " << r.body.substr(0, 300);
    const json j = r.json();
    ASSERT_TRUE(j.is_object()) << what << ": not a JSON envelope: " << r.body.substr(0, 300);
    EXPECT_EQ(j.value("success", false), r.status < 300) << what << ": " << r.body.substr(0, 300);
    if (r.status >= 400) {
      EXPECT_FALSE(error_of(r).value("code", "").empty()) << what;
    }
  }

  void attack_field(const Field& f) {
    for (const Payload& p : string_payloads()) {
      const std::string what = f.method + " " + f.path + " " + f.field + " ← " + p.name;
      const HttpReply r = send(f.method, f.path, with_payload(f.body, p.raw_json), attacker_.admin);
      expect_refused_or_served(r, what);
      if (p.expect == Payload::Expect::invalid_text) {
        EXPECT_EQ(r.status, 400) << what << ": " << r.body.substr(0, 300);
        EXPECT_EQ(error_of(r).value("code", ""), "VALIDATION_ERROR") << what;
        EXPECT_TRUE(names_field(error_of(r), f.field)) << what << ": " << r.body.substr(0, 300);
      } else if (p.expect == Payload::Expect::too_large) {
        EXPECT_EQ(r.status, 413) << what;
        EXPECT_EQ(error_of(r).value("code", ""), "PAYLOAD_TOO_LARGE") << what;
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  std::filesystem::path data_;
  Child serve_;
  uint16_t port_ = 0;
  std::unique_ptr<HttpClient> http_;
  Tokens attacker_, bystander_;
  std::string subdomain_, site_, page_, section_, heading_;
  std::string by_subdomain_, by_site_, by_page_, by_heading_;
  int round_ = 0;
};

const json kHere = "@@HOSTILE@@";

TEST_F(HostileInput, EveryStringFieldOfEveryWriteEndpoint) {
  const std::string site = "/v1/sites/" + site_;
  const std::string page = "/v1/pages/" + page_;
  const std::string components = page + "/components";
  const std::vector<std::vector<Field>> groups = {
      {{"POST", "/v1/sites", {{"name", kHere}, {"subdomain", "fresh-" + db_.substr(8, 6)}}, "name"},
       {"POST", "/v1/sites", {{"name", "N"}, {"subdomain", kHere}}, "subdomain"}},
      {{"PATCH", site, {{"name", kHere}}, "name"},
       {"PATCH", site, {{"seo", {{"titleTemplate", kHere}}}}, "titleTemplate"},
       {"PATCH", site, {{"seo", {{"description", kHere}}}}, "description"},
       {"PATCH", site, {{"seo", {{"ogImage", kHere}}}}, "ogImage"},
       {"PATCH", site, {{"settings", {{"footer", {{"note", kHere}}}}}}, "note"}},
      {{"POST", site + "/pages", {{"title", kHere}}, "title"},
       {"POST", site + "/pages", {{"title", "T"}, {"slug", kHere}}, "slug"},
       {"POST", site + "/pages", {{"title", "T"}, {"description", kHere}}, "description"}},
      {{"PATCH", page, {{"title", kHere}}, "title"},
       {"PATCH", page, {{"description", kHere}}, "description"},
       {"PATCH", page, {{"seo", {{"canonical", kHere}}}}, "canonical"},
       {"PATCH", page, {{"seo", {{"ogImage", kHere}}}}, "ogImage"},
       {"PATCH", page, {{"slug", kHere}}, "slug"}},
      {{"POST", components, {{"type", kHere}}, "type"},
       {"POST", components, {{"type", "Heading"}, {"props", {{"text", kHere}}}}, "text"},
       {"POST", components, {{"type", "Text"}, {"props", {{"text", kHere}}}}, "text"},
       {"POST", components, {{"type", "Button"}, {"props", {{"label", kHere}, {"href", "/x"}}}}, "label"},
       {"POST", components, {{"type", "Button"}, {"props", {{"label", "L"}, {"href", kHere}}}}, "href"},
       {"POST", components, {{"type", "Image"}, {"props", {{"src", "/a.png"}, {"alt", kHere}}}}, "alt"},
       {"POST", components, {{"type", "Hero"}, {"props", {{"title", kHere}}}}, "title"},
       {"POST", components, {{"type", "Card"}, {"props", {{"title", "C"}, {"body", kHere}}}}, "body"},
       {"POST", components, {{"type", "Section"}, {"props", {{"anchor", kHere}}}}, "anchor"},
       {"POST", components, {{"type", "Heading"}, {"props", {{"text", "x"}}}, {"parentId", kHere}}, "parentId"},
       {"POST", components,
        {{"type", "Heading"}, {"props", {{"text", "x"}}}, {"parentId", section_}, {"slot", kHere}},
        "slot"}},
      {{"PATCH", components + "/" + heading_, {{"props", {{"text", kHere}}}}, "text"},
       {"POST", components + "/" + heading_ + "/move", {{"parentId", kHere}, {"index", 0}}, "parentId"},
       {"POST", components + "/" + heading_ + "/move", {{"parentId", section_}, {"slot", kHere}, {"index", 0}},
        "slot"}},
      {{"POST", site + "/publish", {{"environment", kHere}}, "environment"},
       {"POST", site + "/publish", {{"strategy", kHere}}, "strategy"}},
      // The editing lifecycle, templates and design tokens.
      {{"POST", page + "/duplicate", {{"title", kHere}}, "title"},
       {"POST", page + "/duplicate", {{"slug", kHere}}, "slug"},
       {"POST", page + "/restore", {{"slug", kHere}}, "slug"},
       {"POST", "/v1/templates", {{"pageId", page_}, {"name", kHere}}, "name"},
       {"POST", "/v1/templates", {{"pageId", page_}, {"name", "N"}, {"description", kHere}}, "description"},
       {"POST", "/v1/templates", {{"pageId", kHere}, {"name", "N"}}, "pageId"},
       {"POST", site + "/pages", {{"title", "T"}, {"templateId", kHere}}, "templateId"},
       {"PUT", site + "/design-tokens", {{"colors", {{"primary", kHere}}}}, "primary"},
       {"PUT", site + "/design-tokens", {{"typography", {{"body", kHere}}}}, "body"},
       {"PUT", site + "/design-tokens", {{"theme", kHere}}, "theme"}},
      {{"POST", site + "/previews", {{"pageIds", {kHere}}}, "pageIds"}},
  };
  for (const auto& group : groups) {
    for (const Field& f : group) {
      attack_field(f);
      ASSERT_FALSE(HasFatalFailure());
    }
    const std::string after = group.front().method + " " + group.front().path;
    expect_healthy(after);
    expect_bystander_unharmed(after);
    ASSERT_FALSE(HasFatalFailure());
  }
}

TEST_F(HostileInput, ObjectKeysAndDeepNesting) {
  const std::string site = "/v1/sites/" + site_;
  auto nul_key = send("PATCH", site, R"({"settings": {"a\u0000b": 1}})", attacker_.admin);
  EXPECT_EQ(nul_key.status, 400) << nul_key.body;
  EXPECT_TRUE(names_field(error_of(nul_key), "settings")) << nul_key.body;
  auto control_key = send("PATCH", site, R"({"settings": {"k\u001b": "v"}})", attacker_.admin);
  EXPECT_EQ(control_key.status, 400) << control_key.body;

  // Deeper than the parser's 64 levels: refused before anything is built.
  std::string deep = "1";
  for (int i = 0; i < 100000; ++i) deep = "[" + deep + "]";
  auto too_deep = send("PATCH", site, R"({"settings": {"x": )" + deep + "}}", attacker_.admin);
  EXPECT_EQ(too_deep.status, 400) << too_deep.body.substr(0, 300);
  EXPECT_EQ(error_of(too_deep).value("code", ""), "VALIDATION_ERROR");
  std::string unclosed(500000, '[');
  expect_refused_or_served(send("PATCH", site, unclosed, attacker_.admin), "500,000 open brackets");
  // Within the parser's depth: stored or refused, never a crash.
  std::string nested = "\"leaf\"";
  for (int i = 0; i < 60; ++i) nested = "{\"n\": " + nested + "}";
  expect_refused_or_served(send("PATCH", site, R"({"settings": )" + nested + "}", attacker_.admin),
                           "settings nested 61 deep");
  // Settings over 64 KiB in total, sent in small PATCHes: refused once over.
  int refused = 0;
  for (int i = 0; i < 12 && refused == 0; ++i) {
    auto r = http().send_json("PATCH", site, attacker_.admin,
                              {{"settings", {{"k" + std::to_string(i), std::string(8 * 1024, 'x')}}}});
    expect_refused_or_served(r, "settings growth " + std::to_string(i));
    if (r.status >= 400) {
      ++refused;
      EXPECT_TRUE(r.status == 413 || r.status == 422) << r.body;
      EXPECT_TRUE(names_field(error_of(r), "settings")) << r.body;
    }
  }
  EXPECT_EQ(refused, 1) << "64 KiB of settings were never refused";
  expect_healthy("deep nesting");
  expect_bystander_unharmed("deep nesting");

  // Component nesting: 32 levels are fine, the 33rd is refused.
  std::string parent;
  int depth = 0;
  for (; depth < 40; ++depth) {
    json body = {{"type", "Section"}};
    if (!parent.empty()) body["parentId"] = parent;
    auto r = http().send_json("POST", "/v1/pages/" + page_ + "/components", attacker_.editor, body);
    if (r.status != 201) {
      EXPECT_EQ(r.status, 422) << r.body;
      break;
    }
    parent = data_of(r).value("componentId", "");
  }
  EXPECT_EQ(depth, 32) << "component nesting was not capped at 32 levels";
  expect_healthy("component nesting");
  expect_bystander_unharmed("component nesting");
}

// A page edited as a Puck document through `serve`: PUT, read back, publish,
// and seen on the live site; then hostile documents, each refused whole.
TEST_F(HostileInput, PuckDocumentsEditPublishAndRefuseWhole) {
  const std::string content = "/v1/pages/" + page_ + "/content";
  // The set-up's three edits, once the read model has them.
  HttpReply got;
  for (int i = 0; i < 200 && got.header("etag") != "\"3\""; ++i) {
    if (i) std::this_thread::sleep_for(25ms);
    got = http().get(content, attacker_.viewer);
  }
  ASSERT_EQ(got.status, 200) << got.body;
  const std::string etag = got.header("etag");
  ASSERT_EQ(etag, "\"3\"");
  json doc = data_of(got);
  ASSERT_EQ(doc["content"].size(), 2u) << doc.dump();
  // The heading moves into the section and changes; a new one comes with Puck's id.
  json heading = doc["content"][1];
  heading["props"]["text"] = "Made in Puck";
  doc["content"].erase(1);
  doc["content"][0]["props"]["children"] = json::array(
      {heading, {{"type", "Text"}, {"props", {{"id", "Text-6e0c3a8d-7f2b-4d1e-8c5a-3b9f0e6d2c17"}, {"text", "With **Markdown**"}}}}});
  auto put = http().request("PUT", content, doc.dump(),
                            {{"Authorization", "Bearer " + attacker_.editor},
                             {"Content-Type", "application/json"},
                             {"If-Match", etag}});
  ASSERT_EQ(put.status, 200) << put.body;
  json types = json::array();
  const json put_data = data_of(put);
  for (const auto& e : put_data["events"]) types.push_back(e["type"]);
  EXPECT_EQ(types, json::array({"ComponentMoved", "ComponentPropsUpdated", "ComponentAdded"}));
  auto back = http().get(content, attacker_.viewer, {{"X-Pagewright-After", data_of(put).value("position", "")}});
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.header("etag"), "\"6\"");
  EXPECT_EQ(data_of(back), doc);

  ASSERT_EQ(http().send_json("POST", "/v1/pages/" + page_ + "/publish", attacker_.admin, json::object()).status, 200);
  auto publish = http().send_json("POST", "/v1/sites/" + site_ + "/publish", attacker_.admin, json::object());
  ASSERT_EQ(publish.status, 201) << publish.body;
  const json d = wait_for_deployment(http(), attacker_.viewer, data_of(publish).value("deploymentId", ""));
  ASSERT_EQ(d.value("status", ""), "succeeded") << d.dump();
  auto live = http().request("GET", "/sites/" + subdomain_ + "/target/");
  ASSERT_EQ(live.status, 200);
  EXPECT_NE(live.body.find("Made in Puck"), std::string::npos) << live.body.substr(0, 2000);
  EXPECT_NE(live.body.find("<strong>Markdown</strong>"), std::string::npos);

  auto attempt = [&](const std::string& body, const std::string& what, int status, const std::string& field) {
    auto r = http().request("PUT", content, body,
                            {{"Authorization", "Bearer " + attacker_.editor},
                             {"Content-Type", "application/json"},
                             {"If-Match", "\"7\""}});  // 6 and PagePublished
    expect_refused_or_served(r, what);
    EXPECT_EQ(r.status, status) << what << ": " << r.body.substr(0, 300);
    if (!field.empty()) {
      EXPECT_TRUE(names_field(error_of(r), field)) << what << ": " << r.body.substr(0, 300);
    }
  };
  auto without_if_match = send("PUT", content, doc.dump(), attacker_.editor);
  EXPECT_EQ(without_if_match.status, 428) << without_if_match.body;
  // A zone that names its own component: refused, not followed round.
  attempt(R"({"content":[{"type":"Section","props":{"id":"A"}}],"zones":{"A:children":[{"type":"Section","props":{"id":"A"}}]}})",
          "zones cycle", 422, "/zones/A:children/0/props/id");
  json deep = {{"type", "Heading"}, {"props", {{"text", "leaf"}}}};
  for (int i = 0; i < 32; ++i) deep = {{"type", "Section"}, {"props", {{"children", json::array({deep})}}}};
  attempt(json{{"content", json::array({deep})}}.dump(), "33 levels", 422, "");
  std::string brackets(100000, '[');
  attempt(R"({"content":)" + brackets + std::string(100000, ']') + "}", "100,000 brackets", 400, "body");
  json many = json::array();
  for (int i = 0; i < 5000; ++i) many.push_back({{"type", "Spacer"}});
  attempt(json{{"content", many}}.dump(), "5,000 components", 422, "/content");
  attempt(R"x({"content":[{"type":"Button","props":{"label":"x","href":"javascript:alert(1)"}}]})x", "javascript: URL",
          422, "/content/0/props/href");
  attempt(R"({"content":[{"type":"Text","props":{"text":")" + std::string((1u << 20) + 16, 'x') + R"("}}]})",
          "over 1 MiB", 413, "");
  auto unchanged = http().get(content, attacker_.viewer);
  EXPECT_EQ(unchanged.header("etag"), "\"7\"");
  EXPECT_EQ(data_of(unchanged), doc);
  expect_healthy("Puck documents");
  expect_bystander_unharmed("Puck documents");
}

TEST_F(HostileInput, MarkdownBombsAreRefusedOrRenderHarmlessly) {
  const std::string components = "/v1/pages/" + page_ + "/components";
  auto row = [](int cells) {
    std::string r = "|";
    for (int i = 0; i < cells; ++i) r += "a|";
    return r + "\n";
  };
  auto delimiter = [](int cells) {
    std::string r = "|";
    for (int i = 0; i < cells; ++i) r += "-|";
    return r + "\n";
  };
  std::string wide = row(1000) + delimiter(1000);
  for (int i = 0; i < 5000 && wide.size() < 19000; ++i) wide += "x\n";
  std::string tall = row(64) + delimiter(64);
  for (int i = 0; i < 100; ++i) tall += "y\n";
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"1,000 columns over one-cell rows", wide},
      {"65 columns", row(65) + delimiter(65)},
      {"64 columns × 101 rows", tall},
      {"20,001 characters", std::string(20001, 'z')},
  };
  for (const auto& [name, text] : refused) {
    auto r = http().send_json("POST", components, attacker_.editor, {{"type", "Text"}, {"props", {{"text", text}}}});
    EXPECT_EQ(r.status, 422) << name << ": " << r.body.substr(0, 300);
    EXPECT_TRUE(names_field(error_of(r), "text")) << name << ": " << r.body.substr(0, 300);
  }
  // Pathological but bounded: accepted or refused, and a publish of them ends.
  const std::vector<std::pair<std::string, std::string>> odd = {
      {"20,000 quote markers", std::string(20000, '>')},
      {"20,000 open brackets", std::string(20000, '[')},
      {"emphasis runs", [] {
         std::string s;
         while (s.size() < 19990) s += "*a_";
         return s;
       }()},
      {"nested lists", [] {
         std::string s;
         for (int i = 0; s.size() < 19000; ++i) s += std::string(static_cast<size_t>(i % 60) * 2, ' ') + "- x\n";
         return s;
       }()},
      {"links and autolinks", [] {
         std::string s;
         while (s.size() < 19000) s += "[a](<b>) <http://x> www.x.y ";
         return s;
       }()},
      {"a 64 × 77 table", [&] {
         std::string s = row(64) + delimiter(64);
         for (int i = 0; i < 76; ++i) s += row(64);
         return s;
       }()},
  };
  for (const auto& [name, text] : odd) {
    auto r = http().send_json("POST", components, attacker_.editor, {{"type", "Text"}, {"props", {{"text", text}}}});
    expect_refused_or_served(r, name);
  }
  auto published = http().send_json("POST", "/v1/pages/" + page_ + "/publish", attacker_.admin, json::object());
  EXPECT_EQ(published.status, 200) << published.body;
  auto deploy = http().send_json("POST", "/v1/sites/" + site_ + "/publish", attacker_.admin, json::object());
  ASSERT_EQ(deploy.status, 201) << deploy.body;
  const json d = wait_for_deployment(http(), attacker_.viewer, data_of(deploy).value("deploymentId", ""));
  EXPECT_TRUE(d.value("status", "") == "succeeded" || d.value("status", "") == "failed") << d.dump();
  expect_healthy("Markdown bombs");
  expect_bystander_unharmed("Markdown bombs");
}

}  // namespace
}  // namespace pw::test
