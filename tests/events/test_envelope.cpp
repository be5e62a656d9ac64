#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"

namespace {

pw::Envelope sample() {
  pw::Envelope e;
  e.id = "0b9b5f4e-8d3c-4f0e-9a55-1d2c3b4a5f60";
  e.type = "PageCreated";
  e.schema_version = 1;
  e.tenant_id = "tenant-a";
  e.site_id = "5f0c8a1e-0000-5000-8000-000000000001";
  e.aggregate = {"page", e.site_id + ".home", 1};
  e.seq = 2;
  e.occurred_at = "2026-11-22T10:00:00.123456Z";
  e.actor = "user-1";
  e.command_id = "cmd-1";
  e.correlation_id = "corr-1";
  e.causation_id = "cmd-1";
  e.prev_hash = std::string(64, 'a');
  e.data = {{"title", "Hello \"world\"\n"}, {"slug", ""}, {"nested", {{"b", 1}, {"a", {1, 2}}}}};
  return e;
}

TEST(Envelope, EncodesCompactJsonInFixedOrderWithoutNewlines) {
  const auto bytes = pw::encode(sample());
  EXPECT_EQ(bytes.find('\n'), std::string::npos);
  EXPECT_EQ(bytes.rfind("{\"id\":", 0), 0u);
  const auto parsed = nlohmann::json::parse(bytes);
  EXPECT_EQ(parsed.dump(), nlohmann::json::parse(bytes).dump());
  const std::vector<std::string> order = {"\"id\"", "\"type\"", "\"schemaVersion\"", "\"tenantId\"",
                                          "\"siteId\"", "\"aggregate\"", "\"seq\"", "\"occurredAt\"",
                                          "\"actor\"", "\"commandId\"", "\"correlationId\"",
                                          "\"causationId\"", "\"prevHash\"", "\"data\""};
  size_t last = 0;
  for (const auto& key : order) {
    const auto at = bytes.find(key + ":", last);
    ASSERT_NE(at, std::string::npos) << key;
    last = at;
  }
}

TEST(Envelope, RoundTripsExactly) {
  const auto e = sample();
  const auto bytes = pw::encode(e);
  auto decoded = pw::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, e);
  EXPECT_EQ(pw::encode(*decoded), bytes);  // stored bytes are reproducible
}

TEST(Envelope, EscapesLikeNlohmann) {
  auto e = sample();
  static constexpr char kActor[] = "ctl\x01\x1f tab\t quote\" back\\ utf8 \xc3\xa9";
  e.actor = std::string(kActor, sizeof kActor - 1);
  const auto bytes = pw::encode(e);
  EXPECT_EQ(nlohmann::json::parse(bytes)["actor"].get<std::string>(), e.actor);
  EXPECT_NE(bytes.find(nlohmann::json(e.actor).dump()), std::string::npos);
}

struct BadCase {
  const char* name;
  std::function<void(nlohmann::ordered_json&)> mutate;
  const char* field;
};

TEST(Envelope, DecodeIsStrict) {
  const std::vector<BadCase> cases = {
      {"missing field", [](auto& j) { j.erase("actor"); }, "actor"},
      {"unknown field", [](auto& j) { j["extra"] = 1; }, "extra"},
      {"seq zero", [](auto& j) { j["seq"] = 0; }, "seq"},
      {"seq string", [](auto& j) { j["seq"] = "1"; }, "seq"},
      {"short prevHash", [](auto& j) { j["prevHash"] = "abc"; }, "prevHash"},
      {"uppercase prevHash", [](auto& j) { j["prevHash"] = std::string(64, 'A'); }, "prevHash"},
      {"bad timestamp", [](auto& j) { j["occurredAt"] = "2026-11-22T10:00:00Z"; }, "occurredAt"},
      {"month 13", [](auto& j) { j["occurredAt"] = "2026-13-22T10:00:00.000000Z"; }, "occurredAt"},
      {"data not object", [](auto& j) { j["data"] = nlohmann::json::array(); }, "data"},
      {"aggregate extra", [](auto& j) { j["aggregate"]["x"] = 1; }, "aggregate"},
      {"aggregate version string", [](auto& j) { j["aggregate"]["version"] = "1"; }, "aggregate"},
      {"type number", [](auto& j) { j["type"] = 5; }, "type"},
      {"empty site", [](auto& j) { j["siteId"] = ""; }, "siteId"},
  };
  for (const auto& c : cases) {
    auto j = nlohmann::ordered_json::parse(pw::encode(sample()));
    c.mutate(j);
    auto r = pw::decode(j.dump());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, pw::Errc::validation_error) << c.name;
    ASSERT_FALSE(r.error().details.empty()) << c.name;
    EXPECT_EQ(r.error().details[0].field, c.field) << c.name;
  }
}

TEST(Envelope, DecodeRefusesDuplicateKeysAndGarbage) {
  auto bytes = pw::encode(sample());
  const std::string dup = bytes.substr(0, bytes.size() - 1) + ",\"seq\":3}";
  EXPECT_FALSE(pw::decode(dup).ok());
  for (const std::string& bad : std::vector<std::string>{"", "null", "[]", "{", "{\"id\":}", "{}x", bytes + "x"})
    EXPECT_FALSE(pw::decode(bad).ok()) << bad;
}

// decode reads plain strings and integers straight from the text and parses
// only the rest: escaped and non-ASCII strings, and every odd number, must
// come out exactly as a full JSON parse makes them, and bad ones stay refused.
TEST(Envelope, EscapedAndNonAsciiValuesDecodeAsAFullParseDoes) {
  auto e = sample();
  static constexpr char kActor[] = "ctl\x01\x1f tab\t quote\" back\\ slash/ utf8 \xc3\xa9 \xf0\x9f\x98\x80";
  e.actor = std::string(kActor, sizeof kActor - 1);
  e.command_id = "caf\xc3\xa9";
  const auto bytes = pw::encode(e);
  auto decoded = pw::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, e);
  EXPECT_EQ(pw::encode(*decoded), bytes);
  // \u escapes another writer may use decode to the same characters.
  auto j = nlohmann::ordered_json::parse(bytes);
  std::string text = j.dump();
  const std::string plain = "\"actor\":" + nlohmann::json(e.actor).dump();
  ASSERT_NE(text.find(plain), std::string::npos);
  text.replace(text.find(plain), plain.size(), "\"actor\":\"\\u0041\\u00e9\\ud83d\\ude00\"");
  auto escaped = pw::decode(text);
  ASSERT_TRUE(escaped.ok()) << escaped.error().message;
  EXPECT_EQ(escaped->actor, "A\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(Envelope, OddNumbersAndBrokenStringsAreJudgedAsBefore) {
  const std::string good = pw::encode(sample());
  const auto with = [&](const std::string& field, const std::string& raw) {
    auto j = nlohmann::ordered_json::parse(good);
    j[field] = "@@";
    std::string text = j.dump();
    text.replace(text.find("\"@@\""), 4, raw);
    return pw::decode(text);
  };
  struct Case {
    std::string field, raw, blamed;  // blamed "": refused as malformed JSON
  };
  const std::vector<Case> refused = {
      {"seq", "1.0", "seq"},          {"seq", "1e0", "seq"},        {"seq", "-3", "seq"},
      {"seq", "01", ""},              {"seq", "+1", ""},            {"seq", "99999999999999999999999", "seq"},
      {"schemaVersion", "0", "schemaVersion"}, {"schemaVersion", "true", "schemaVersion"},
      {"actor", "\"a\x01b\"", ""},     {"actor", "\"\xc3\"", ""},      {"actor", "\"bad \\q escape\"", ""},
      {"actor", "\"\\ud83d\"", ""},    {"actor", "null", "actor"},   {"actor", "7", "actor"},
  };
  for (const auto& c : refused) {
    auto r = with(c.field, c.raw);
    ASSERT_FALSE(r.ok()) << c.field << " = " << c.raw;
    EXPECT_EQ(r.error().code, pw::Errc::validation_error);
    ASSERT_FALSE(r.error().details.empty());
    EXPECT_EQ(r.error().details[0].field, c.blamed) << c.field << " = " << c.raw << ": "
                                                    << r.error().details[0].message;
  }
  auto big = with("seq", "123456789012345678");
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->seq, 123456789012345678);
  auto spaced = with("seq", " 7 ");
  ASSERT_TRUE(spaced.ok()) << spaced.error().message;
  EXPECT_EQ(spaced->seq, 7);
}

TEST(Envelope, HashIsSha256OfExactBytes) {
  // sha256("abc") from FIPS 180-2.
  EXPECT_EQ(pw::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto bytes = pw::encode(sample());
  EXPECT_EQ(pw::sha256_hex(bytes), pw::to_hex(pw::sha256(bytes)));
}

// Found by tests/fuzz/envelope: a canonical timestamp outside the clock's span
// (years before 1678 or after 2261) overflowed the nanosecond cast.
TEST(Envelope, TimestampsOutsideTheClocksSpanHaveNoTimePoint) {
  EXPECT_EQ(pw::parse_rfc3339("0815-11-22T10:00:00.123456Z"), std::nullopt);
  EXPECT_EQ(pw::parse_rfc3339("9999-12-31T23:59:59.999999Z"), std::nullopt);
  EXPECT_EQ(pw::parse_rfc3339("0000-01-01T00:00:00.000000Z"), std::nullopt);
  const auto early = pw::parse_rfc3339("1678-01-01T00:00:00.000000Z");
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(pw::format_rfc3339(*early), "1678-01-01T00:00:00.000000Z");
  const auto late = pw::parse_rfc3339("2262-04-11T00:00:00.000000Z");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(pw::format_rfc3339(*late), "2262-04-11T00:00:00.000000Z");
  // Before 1970 the fraction still counts up from its second.
  const auto before = pw::parse_rfc3339("1969-12-31T23:59:59.250000Z");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(pw::format_rfc3339(*before), "1969-12-31T23:59:59.250000Z");
  // The envelope itself still decodes: its time is text, kept as written.
  auto e = sample();
  e.occurred_at = "0815-11-22T10:00:00.123456Z";
  auto decoded = pw::decode(pw::encode(e));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->occurred_at, e.occurred_at);
}

}  // namespace
