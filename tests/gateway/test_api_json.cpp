#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/api_json.hpp"

namespace {

using nlohmann::json;
using pw::Errc;
using pw::Error;
using pw::ErrorDetail;
using pw::gateway::dump_json;
using pw::gateway::error_envelope;
using pw::gateway::is_valid_utf8;
using pw::gateway::kMaxBodyBytes;
using pw::gateway::kMaxDepth;
using pw::gateway::Pagination;
using pw::gateway::parse_body;
using pw::gateway::reject_unknown_fields;
using pw::gateway::success_envelope;

// {"a":"xxx…"} padded to exactly `size` bytes.
std::string object_of_size(std::size_t size) {
  const std::string head = "{\"a\":\"";
  const std::string tail = "\"}";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

// An object nesting `depth` containers: {"a":[[...]]} with depth-1 arrays.
std::string nested(int depth) {
  std::string s = "{\"a\":";
  for (int i = 1; i < depth; ++i) s += "[";
  s += "1";
  for (int i = 1; i < depth; ++i) s += "]";
  s += "}";
  return s;
}

void expect_validation(const pw::Result<json>& r, const std::string& field) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::validation_error);
  ASSERT_FALSE(r.error().details.empty());
  EXPECT_EQ(r.error().details[0].field, field);
}

TEST(ParseBody, AcceptsAnObject) {
  auto r = parse_body(R"({"name":"Acme","n":-3,"u":18446744073709551615,"f":1.5,"b":true,)"
                      R"("z":null,"arr":[1,{"x":"é"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["name"], "Acme");
  EXPECT_EQ((*r)["n"], -3);
  EXPECT_EQ((*r)["u"].get<uint64_t>(), 18446744073709551615ULL);
  EXPECT_EQ((*r)["f"], 1.5);
  EXPECT_EQ((*r)["b"], true);
  EXPECT_TRUE((*r)["z"].is_null());
  EXPECT_EQ((*r)["arr"][1]["x"], "é");
  EXPECT_EQ(*r, json::parse(R"({"name":"Acme","n":-3,"u":18446744073709551615,"f":1.5,"b":true,
                              "z":null,"arr":[1,{"x":"é"}]})"));
}

TEST(ParseBody, SizeBoundary) {
  const std::string exact = object_of_size(kMaxBodyBytes);
  ASSERT_EQ(exact.size(), std::size_t{1} << 20);
  auto ok = parse_body(exact);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["a"].get<std::string>().size(), kMaxBodyBytes - 8);

  auto big = parse_body(object_of_size(kMaxBodyBytes + 1));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::payload_too_large);
  EXPECT_EQ(pw::errc_http_status(big.error().code), 413);
}

TEST(ParseBody, EmptyAndMalformedNameTheBytePosition) {
  auto empty = parse_body("");
  expect_validation(empty, "body");
  EXPECT_NE(empty.error().details[0].message.find("at byte 0"), std::string::npos);

  auto bad = parse_body(R"({"a": tru})");  // the bad byte is the 10th
  expect_validation(bad, "body");
  EXPECT_NE(bad.error().details[0].message.find("malformed JSON at byte 10"), std::string::npos)
      << bad.error().details[0].message;

  for (const char* s : {"{", "{\"a\":1,}", "{\"a\":1} x", "{'a':1}", "{\"a\":01}", "   ",
                        "{\"a\":1e999}", "{\"a\":\"\x01\"}", "{/*c*/}"}) {
    auto r = parse_body(s);
    // A string that is not text is named by its field; other errors by "body".
    expect_validation(r, std::string_view(s) == "{\"a\":\"\x01\"}" ? "a" : "body");
    EXPECT_NE(r.error().details[0].message.find("malformed JSON at byte "), std::string::npos)
        << s;
  }
}

TEST(ParseBody, NonObjectRefused) {
  for (const char* s : {"[]", "[1,2]", "1", "\"s\"", "null", "true"}) {
    auto r = parse_body(s);
    expect_validation(r, "body");
    EXPECT_EQ(r.error().message, "request body must be a JSON object") << s;
  }
}

TEST(ParseBody, DepthBoundary) {
  auto ok = parse_body(nested(kMaxDepth));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto deep = parse_body(nested(kMaxDepth + 1));
  expect_validation(deep, "body");
  EXPECT_EQ(deep.error().message, "request body is nested too deeply");

  // Objects count the same as arrays.
  std::string objs;
  for (int i = 0; i < kMaxDepth; ++i) objs += "{\"k\":";
  objs += "1";
  for (int i = 0; i < kMaxDepth; ++i) objs += "}";
  EXPECT_TRUE(parse_body(objs).ok());
  EXPECT_FALSE(parse_body("{\"k\":" + objs + "}").ok());
}

TEST(ParseBody, MegabyteOfOpenBracketsIsRefusedWithoutCrashing) {
  auto arrays = parse_body(std::string(kMaxBodyBytes, '['));
  expect_validation(arrays, "body");
  EXPECT_EQ(arrays.error().message, "request body is nested too deeply");

  std::string objs;
  while (objs.size() + 5 <= kMaxBodyBytes) objs += "{\"a\":";
  auto o = parse_body(objs);
  expect_validation(o, "body");
  EXPECT_EQ(o.error().message, "request body is nested too deeply");
}

TEST(ParseBody, DuplicateKeysRefusedWithTheirPath) {
  expect_validation(parse_body(R"({"a":1,"a":2})"), "a");
  expect_validation(parse_body(R"({"seo":{"title":"x","title":"y"}})"), "seo.title");
  expect_validation(parse_body(R"({"items":[{},{},{"id":1,"id":1}]})"), "items[2].id");
  expect_validation(parse_body(R"({"a":[[{"b":{"c":1,"c":1}}]]})"), "a[0][0].b.c");
  // Escapes are compared decoded.
  expect_validation(parse_body(R"({"a":1,"\u0061":2})"), "a");
  // The same key in sibling objects is fine.
  EXPECT_TRUE(parse_body(R"({"x":{"a":1},"y":{"a":1}})").ok());
}

TEST(ParseBody, InvalidUtf8Refused) {
  for (std::string s : {std::string("{\"a\":\"\xff\"}"), std::string("{\"a\":\"\xc0\xaf\"}"),
                        std::string("{\"a\":\"\xed\xa0\x80\"}"), std::string("{\"\xe9\":1}"),
                        std::string("{\"a\":\"\\ud800\"}"), std::string("{\"a\":\"\xf4\x90\x80\x80\"}"),
                        std::string("{\"s\":{\"k\":[1,\"\xff\"]}}"), std::string("{\"s\":{\"\xff\":1}}")}) {
    auto r = parse_body(s);
    // The field of the value (or, for a bad key, of its object) is named.
    const std::string field = s == "{\"\xe9\":1}"                 ? "body"
                              : s.rfind("{\"s\":{\"k\"", 0) == 0 ? "s.k[1]"
                              : s.rfind("{\"s\"", 0) == 0         ? "s"
                                                                   : "a";
    expect_validation(r, field);
    // The detail is always safe to serialise.
    EXPECT_TRUE(is_valid_utf8(r.error().details[0].message));
    EXPECT_NO_THROW((void)error_envelope(r.error(), "r", "t").dump());
  }
  EXPECT_TRUE(parse_body("{\"a\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80\"}").ok());
}

// Storable text (API.md "Limits"): no control character but tab, CR and LF in
// any string value or key, raw or escaped, reported at its path.
TEST(ParseBody, ControlCharactersRefusedWithTheirPath) {
  std::vector<std::string> refused;
  for (int c = 0; c < 0x20; ++c)
    if (c != '\t' && c != '\n' && c != '\r') refused.push_back(std::string(1, static_cast<char>(c)));
  refused.push_back("\x7f");
  for (int c = 0x80; c <= 0x9f; ++c) refused.push_back(std::string("\xc2") + static_cast<char>(c));
  char escape[8];
  for (const std::string& raw : refused) {
    const auto cp = raw.size() == 1 ? static_cast<unsigned char>(raw[0]) : static_cast<unsigned char>(raw[1]);
    std::snprintf(escape, sizeof escape, "\\u%04x", cp);
    // Raw bytes: raw C0 characters make the JSON malformed and raw DEL and C1
    // are valid JSON refused as text; either way the field is named.
    expect_validation(parse_body("{\"title\":\"a" + raw + "b\"}"), "title");
    if (cp >= 0x7f) expect_validation(parse_body("{\"a\":{\"k" + raw + "\":1}}"), "a.k" + raw);
    // Escaped: \u0000 decodes to a real NUL, which is what cannot be stored.
    auto r = parse_body(std::string("{\"title\":\"a") + escape + "b\"}");
    expect_validation(r, "title");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().details[0].message.find("U+"), std::string::npos);
    EXPECT_TRUE(is_valid_utf8(r.error().details[0].message));
    // Keys count as strings; a key is named by its own path.
    r = parse_body(std::string("{\"seo\":{\"x") + escape + "\":1}}");
    ASSERT_FALSE(r.ok()) << escape;
    EXPECT_EQ(r.error().code, Errc::validation_error);
    EXPECT_EQ(r.error().details[0].field, "seo.x" + (cp < 0x80 ? std::string(1, static_cast<char>(cp)) : raw));
  }
}

TEST(ParseBody, ControlCharactersNestedPathsNameTheField) {
  expect_validation(parse_body(R"({"seo":{"description":"x\u0000"}})"), "seo.description");
  expect_validation(parse_body(R"({"props":{"text":"\u001b[31m"}})"), "props.text");
  expect_validation(parse_body(R"({"settings":{"a":{"b":"\u0007"}}})"), "settings.a.b");
  expect_validation(parse_body(R"({"settings":{"list":["ok",{"x":["\u0001"]}]}})"), "settings.list[1].x[0]");
  expect_validation(parse_body(R"({"a":"ok","settings":{"\u0000":1}})"), std::string("settings.") + '\0');
  // The whole body is refused: nothing of it reaches a command.
  auto r = parse_body(R"({"title":"fine","description":"x\u0000y"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.size(), 1u);
}

TEST(ParseBody, TabCrLfAndOtherTextAccepted) {
  // (Raw, they are not JSON inside a string; escaped, they are text.)
  auto r = parse_body("{\"text\":\"a\\tb\\r\\nc\\n\\td\",\"k\\t\":1}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["text"], "a\tb\r\nc\n\td");
  // U+00A0 sits right after the C1 range and is text. U+202E (right-to-left
  // override) and the other bidi controls are format characters (Cf), not
  // control characters (Cc): they are valid text in Arabic and Hebrew
  // content, every store takes them, and the renderer escapes them like any
  // other character, so refusing them would refuse real writing.
  r = parse_body("{\"title\":\"\xc2\xa0\\u00a0 \xe2\x80\xae\\u202e\\u2066x\\u2069\"}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["title"], "\xc2\xa0\xc2\xa0 \xe2\x80\xae\xe2\x80\xae\xe2\x81\xa6x\xe2\x81\xa9");
}

TEST(ParseBody, EscapedLoneSurrogatesRefused) {
  for (const char* s : {R"({"a":"\ud800"})", R"({"a":"\udfff"})", R"({"a":"x\ud83dy"})",
                        R"({"a":"\ude00\ud83d"})", R"({"\ud800":1})"}) {
    expect_validation(parse_body(s), std::string_view(s) == R"({"\ud800":1})" ? "body" : "a");
  }
  EXPECT_TRUE(parse_body(R"({"a":"\ud83d\ude00"})").ok());
}

TEST(IsValidUtf8, Basics) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\x80"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xb0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
}

TEST(Envelopes, SuccessShape) {
  const json e = success_envelope(json{{"siteId", "s1"}}, "req-1", "2026-01-01T00:00:00Z");
  EXPECT_EQ(e, json::parse(R"({"success":true,"data":{"siteId":"s1"},
      "meta":{"requestId":"req-1","timestamp":"2026-01-01T00:00:00Z"}})"));
  EXPECT_EQ(success_envelope(nullptr, "r", "t")["data"], nullptr);
}

TEST(Envelopes, PaginationShape) {
  const json more = success_envelope(json::array({1, 2}), Pagination{2, "c2"}, "r", "t");
  EXPECT_EQ(more, json::parse(R"({"success":true,"data":[1,2],
      "pagination":{"limit":2,"nextCursor":"c2"},"meta":{"requestId":"r","timestamp":"t"}})"));
  const json last = success_envelope(json::array(), Pagination{50, std::nullopt}, "r", "t");
  ASSERT_TRUE(last["pagination"].contains("nextCursor"));
  EXPECT_TRUE(last["pagination"]["nextCursor"].is_null());
  EXPECT_EQ(last["pagination"]["limit"], 50);
}

TEST(Envelopes, ErrorShape) {
  const Error err = pw::make_error(Errc::validation_error, "bad input",
                                   {{"name", "required"}, {"subdomain", "too long"}});
  EXPECT_EQ(error_envelope(err, "req-9", "ts"), json::parse(R"({"success":false,
      "error":{"code":"VALIDATION_ERROR","message":"bad input",
               "details":[{"field":"name","message":"required"},
                          {"field":"subdomain","message":"too long"}]},
      "meta":{"requestId":"req-9","timestamp":"ts"}})"));

  const json none = error_envelope(pw::make_error(Errc::not_found, "no such page"), "r", "t");
  ASSERT_TRUE(none["error"]["details"].is_array());
  EXPECT_TRUE(none["error"]["details"].empty());
  EXPECT_EQ(none["error"]["code"], "NOT_FOUND");

  EXPECT_EQ(error_envelope(pw::make_error(Errc::fenced, "x"), "r", "t")["error"]["code"], "INTERNAL");
  EXPECT_EQ(error_envelope(pw::make_error(Errc::payload_too_large, "x"), "r", "t")["error"]["code"],
            "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(pw::gateway::http_status(pw::make_error(Errc::rate_limited, "x")), 429);
  EXPECT_EQ(pw::gateway::http_status(pw::make_error(Errc::precondition_required, "x")), 428);
  EXPECT_EQ(error_envelope(pw::make_error(Errc::precondition_required, "x"), "r", "t")["error"]["code"],
            "PRECONDITION_REQUIRED");
}

TEST(ParseBody, ARouteMayAllowDeeperNesting) {
  std::string deep = "1";
  for (int i = 0; i < 99; ++i) deep = "[" + deep + "]";
  const std::string body = "{\"a\":" + deep + "}";  // 100 levels
  auto refused = parse_body(body);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().details[0].field, "body");
  EXPECT_TRUE(parse_body(body, 100).ok());
  EXPECT_FALSE(parse_body(body, 99).ok());
}

TEST(Envelopes, DumpNeverThrowsOnBadUtf8) {
  const json e = error_envelope(pw::make_error(Errc::internal, "bad \xff byte"), "r", "t");
  std::string out;
  EXPECT_NO_THROW(out = dump_json(e));
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(dump_json(json{{"a", 1}}), R"({"a":1})");
}

TEST(RejectUnknownFields, AcceptsKnown) {
  EXPECT_TRUE(reject_unknown_fields(json{{"name", "x"}, {"subdomain", "y"}}, {"name", "subdomain"}).ok());
  EXPECT_TRUE(reject_unknown_fields(json::object(), {"name"}).ok());
  EXPECT_TRUE(reject_unknown_fields(json::object(), {}).ok());
}

TEST(RejectUnknownFields, ListsEveryUnknownField) {
  auto r = reject_unknown_fields(json{{"name", 1}, {"zeta", 2}, {"alpha", 3}}, {"name"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::validation_error);
  EXPECT_EQ(r.error().details, (std::vector<ErrorDetail>{{"alpha", "unknown field"},
                                                         {"zeta", "unknown field"}}));

  auto nested = reject_unknown_fields(json{{"titleTemplate", ""}, {"bogus", 1}},
                                      {"titleTemplate", "description", "ogImage"}, "seo");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().details, (std::vector<ErrorDetail>{{"seo.bogus", "unknown field"}}));

  auto not_obj = reject_unknown_fields(json::array(), {"a"}, "seo");
  ASSERT_FALSE(not_obj.ok());
  EXPECT_EQ(not_obj.error().details, (std::vector<ErrorDetail>{{"seo", "must be an object"}}));
  auto not_obj_body = reject_unknown_fields(json(1), {"a"});
  ASSERT_FALSE(not_obj_body.ok());
  EXPECT_EQ(not_obj_body.error().details[0].field, "body");
}

}  // namespace
