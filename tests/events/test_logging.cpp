// The structured log: one JSON object per line with the fields asked for, the
// level honoured, and no secret through the sink whoever passes it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/logging.hpp"

namespace pw::logging {
namespace {

class Logging : public ::testing::Test {
 protected:
  void SetUp() override {
    capture_for_tests([this](std::string_view line) { lines.emplace_back(line); });
    configure("test-role", Level::info);
  }
  void TearDown() override {
    capture_for_tests({});
    configure("pagewright", Level::info);
  }
  nlohmann::json only_line() {
    EXPECT_EQ(lines.size(), 1u);
    return lines.empty() ? nlohmann::json() : nlohmann::json::parse(lines.back());
  }
  std::vector<std::string> lines;
};

TEST_F(Logging, ALineIsOneJsonObjectWithTsLevelRoleMsgAndFields) {
  info("command decided", {{kRequestId, "req-1"}, {kTenant, "tenant-a"}, {kCommandId, std::string("cmd-1")},
                           {kCorrelationId, "req-1"}, {"offset", int64_t{42}}, {"accepted", true},
                           {"duration_ms", 1.5}});
  const auto j = only_line();
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["role"], "test-role");
  EXPECT_EQ(j["msg"], "command decided");
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["tenant"], "tenant-a");
  EXPECT_EQ(j["command_id"], "cmd-1");
  EXPECT_EQ(j["correlation_id"], "req-1");
  EXPECT_EQ(j["offset"], 42);
  EXPECT_EQ(j["accepted"], true);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
  const std::string ts = j["ts"];
  // 2026-12-07T01:02:03.456789Z
  ASSERT_EQ(ts.size(), 27u) << ts;
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
}

TEST_F(Logging, ControlCharactersAndQuotesStayInsideTheirString) {
  info("line\nbreak \"quoted\" back\\slash \x01", {{"path", "/a\tb"}});
  const auto j = only_line();
  EXPECT_EQ(j["msg"], "line\nbreak \"quoted\" back\\slash \x01");
  EXPECT_EQ(j["path"], "/a\tb");
  EXPECT_EQ(lines.back().find('\n'), std::string::npos);
}

TEST_F(Logging, LinesBelowTheLevelAreNotWritten) {
  debug("hidden");
  EXPECT_FALSE(enabled(Level::debug));
  EXPECT_TRUE(enabled(Level::info));
  configure("test-role", Level::warn);
  info("hidden too");
  warn("shown");
  configure("test-role", Level::off);
  error("not even errors");
  EXPECT_FALSE(enabled(Level::error));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "shown");
  EXPECT_EQ(nlohmann::json::parse(lines[0])["level"], "warn");
  configure("test-role", Level::trace);
  trace("now");
  EXPECT_EQ(lines.size(), 2u);
}

TEST(LogLevels, ParseTheOptionsNamesOnly) {
  EXPECT_EQ(parse_level("trace"), Level::trace);
  EXPECT_EQ(parse_level("debug"), Level::debug);
  EXPECT_EQ(parse_level("info"), Level::info);
  EXPECT_EQ(parse_level("warn"), Level::warn);
  EXPECT_EQ(parse_level("error"), Level::error);
  EXPECT_EQ(parse_level("off"), Level::off);
  EXPECT_EQ(parse_level("warning"), std::nullopt);
  EXPECT_EQ(parse_level("INFO"), std::nullopt);
  EXPECT_EQ(parse_level(""), std::nullopt);
}

const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJ0ZW5hbnQiOiJ0LTEifQ."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmU";

TEST(Redaction, BearerTokensAndJwtsAnywhere) {
  for (const std::string& text : std::vector<std::string>
       {"Authorization: Bearer " + kJwt, "bad token " + kJwt + " refused", "/v1/sites?access_token=" + kJwt + "&x=1",
        "/v1/sites?auth=Bearer%20" + kJwt, "bearer " + kJwt.substr(0, 20), "{\"authorization\":\"Bearer " + kJwt + "\"}",
        std::string("Bearer not-a-jwt-but-a-token")}) {
    const std::string out = redact(text);
    EXPECT_EQ(out.find(kJwt.substr(0, 12)), std::string::npos) << out;
    EXPECT_EQ(out.find("not-a-jwt"), std::string::npos) << out;
    EXPECT_NE(out.find("[redacted]"), std::string::npos) << out;
  }
  // A token cut short is still a token.
  EXPECT_EQ(redact("token eyJhbGciOiJIUz"), "token [redacted]");
  // Ordinary text stays as it was.
  EXPECT_EQ(redact("command decided for site s-1 at 3@17"), "command decided for site s-1 at 3@17");
  EXPECT_EQ(redact("https://example.com/a?page=2"), "https://example.com/a?page=2");
}

TEST(Redaction, HeaderAndQueryValues) {
  EXPECT_EQ(redact("Cookie: session=abc; theme=dark"), "Cookie: [redacted]");
  EXPECT_EQ(redact("authorization: Basic dXNlcjpwYXNz"), "authorization: [redacted]");
  EXPECT_EQ(redact("/v1/x?token=s3cr3t&page=2"), "/v1/x?token=[redacted]&page=2");
  EXPECT_EQ(redact("PW_JWT_SECRET=hunter2hunter2 pagewright serve"), "PW_JWT_SECRET=[redacted] pagewright serve");
  EXPECT_EQ(redact("{\"password\":\"p4ss w0rd\",\"user\":\"u\"}"), "{\"password\":\"[redacted]\",\"user\":\"u\"}");
  // A field named like a secret is blanked whole, whatever it holds.
  EXPECT_EQ(redact("anything at all", "authorization"), "[redacted]");
  EXPECT_EQ(redact("x", "jwt_secret"), "[redacted]");
}

TEST(Redaction, ConnectionStringPasswords) {
  EXPECT_EQ(redact("connection to postgresql://owner:Sup3r@secret@db.example:5432/pw failed"),
            "connection to postgresql://owner:[redacted]@db.example:5432/pw failed");
  EXPECT_EQ(redact("postgres://reader:pw%2Fx@127.0.0.1/pw?sslmode=disable"),
            "postgres://reader:[redacted]@127.0.0.1/pw?sslmode=disable");
  EXPECT_EQ(redact("host=db user=owner password=letmein dbname=pw"),
            "host=db user=owner password=[redacted] dbname=pw");
  EXPECT_EQ(redact("host=db password='two words' dbname=pw"), "host=db password='[redacted]' dbname=pw");
  // No password, nothing to hide.
  EXPECT_EQ(redact("postgresql://owner@db/pw"), "postgresql://owner@db/pw");
}

TEST_F(Logging, RegisteredSecretsAreBlankedWhereverTheyAppear) {
  add_secret("the-process-jwt-secret-0123456789");
  add_connection_secret("postgresql://owner:Qx7-unusual@127.0.0.1:5432/pw");
  add_connection_secret("host=127.0.0.1 password=kv-form-pass dbname=pw");
  add_secret("abc");  // too short to be told from words: ignored
  error("the server said: password authentication failed for Qx7-unusual",
        {{"detail", "secret the-process-jwt-secret-0123456789 echoed"}, {"other", "kv-form-pass"},
         {"plain", "abc"}});
  const std::string& line = lines.back();
  EXPECT_EQ(line.find("Qx7-unusual"), std::string::npos) << line;
  EXPECT_EQ(line.find("the-process-jwt-secret"), std::string::npos) << line;
  EXPECT_EQ(line.find("kv-form-pass"), std::string::npos) << line;
  const auto j = only_line();
  EXPECT_EQ(j["plain"], "abc");
  EXPECT_EQ(j["other"], "[redacted]");
}

TEST_F(Logging, EveryCallerGoesThroughTheRedactingSink) {
  // The message, a text field, and a field whose name says secret.
  warn("refused Bearer " + kJwt, {{"route", "/v1/sites?token=" + kJwt}, {"authorization", "Bearer x"},
                                  {"cookie", "a=b"}, {"pg", "postgresql://u:pw-in-uri@h/d"}});
  const std::string& line = lines.back();
  EXPECT_EQ(line.find(kJwt.substr(0, 12)), std::string::npos) << line;
  EXPECT_EQ(line.find("pw-in-uri"), std::string::npos) << line;
  const auto j = only_line();
  EXPECT_EQ(j["authorization"], "[redacted]");
  EXPECT_EQ(j["cookie"], "[redacted]");
  EXPECT_EQ(j["pg"], "postgresql://u:[redacted]@h/d");
}

}  // namespace
}  // namespace pw::logging
