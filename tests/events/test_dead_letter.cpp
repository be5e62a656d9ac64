// The dead-letter record: its JSON (text as text, bytes as base64url), the
// reason cut to one line of valid UTF-8, and where append_dead_letter puts it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "events/dead_letter.hpp"
#include "events/encoding.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"

namespace pw::log {
namespace {

using namespace std::chrono_literals;

Record record(std::string key, std::string value) {
  return Record{std::string(kEventsTopic), 3, 17, std::move(key), std::move(value)};
}

TEST(DeadLetter, TextTravelsAsTextAndEveryFieldRoundTrips) {
  const auto d = dead_letter_for(record("site-1", "{\"type\":\"Nope\",\"title\":\"a\\u0000b\"}"), "projections",
                                 "pagewright.projections", "projector: unknown event type");
  const std::string text = encode_dead_letter(d);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["topic"], "pagewright.events");
  EXPECT_EQ(j["partition"], 3);
  EXPECT_EQ(j["offset"], 17);
  EXPECT_EQ(j["key"], "site-1");
  EXPECT_EQ(j["pool"], "projections");
  EXPECT_EQ(j["group"], "pagewright.projections");
  EXPECT_EQ(j["reason"], "projector: unknown event type");
  EXPECT_EQ(j["value"], "{\"type\":\"Nope\",\"title\":\"a\\u0000b\"}");
  EXPECT_FALSE(j.contains("valueBase64"));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto back = decode_dead_letter(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->value, d.value);
  EXPECT_EQ(back->at, d.at);
  EXPECT_EQ(back->reason, d.reason);
}

TEST(DeadLetter, BytesThatAreNotUtf8TravelAsBase64url) {
  const std::string bytes("\xff\xfe\x00garbage\xc3", 11);
  const auto d = dead_letter_for(record(std::string("\x80key", 4), bytes), "builds", "pagewright.builds", "invalid");
  const auto j = nlohmann::json::parse(encode_dead_letter(d));
  EXPECT_FALSE(j.contains("value"));
  EXPECT_EQ(j["valueBase64"], base64url_encode(bytes));
  EXPECT_EQ(j["keyBase64"], base64url_encode(std::string("\x80key", 4)));
  auto back = decode_dead_letter(encode_dead_letter(d));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->value, bytes);
  EXPECT_EQ(back->key, std::string("\x80key", 4));
}

TEST(DeadLetter, TheReasonIsOneLineOfAtMost512BytesOfValidUtf8) {
  const auto multi = dead_letter_for(record("k", "v"), "p", "g", "ERROR:  refused\nDETAIL: the whole record …");
  EXPECT_EQ(multi.reason, "ERROR:  refused");
  const auto bad = dead_letter_for(record("k", "v"), "p", "g", std::string("a\xff" "b", 3));
  EXPECT_EQ(bad.reason, "a?b");
  std::string long_reason(511, 'x');
  long_reason += "\xc3\xa9tail";  // é would straddle the limit
  const auto cut = dead_letter_for(record("k", "v"), "p", "g", long_reason);
  EXPECT_EQ(cut.reason, std::string(511, 'x'));
  EXPECT_TRUE(is_valid_utf8(cut.reason));
}

TEST(DeadLetter, MalformedDeadLettersAreRefused) {
  EXPECT_EQ(decode_dead_letter("not json").error().code, Errc::validation_error);
  EXPECT_EQ(decode_dead_letter("{\"topic\":1}").error().code, Errc::validation_error);
}

TEST(DeadLetter, AppendingToALogWithoutTheTopicCreatesItWithTheSourcesPartitionsAndKeepsThePartition) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-deadletter-" + uuid_v4());
  {
    auto log = open_log("local:" + dir.string(), {{"fsync", "false"}});
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_TRUE((*log)->create_topics({{std::string(kEventsTopic), 5}}).ok());
    const auto d = dead_letter_for(record("site-9", "poison"), "projections", "g", "why");
    ASSERT_TRUE(append_dead_letter(**log, d).ok());
    auto count = (*log)->partition_count(std::string(kDeadLetterTopic));
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, 5);
    auto reader = (*log)->reader({std::string(kDeadLetterTopic), 3}, 0);
    ASSERT_TRUE(reader.ok());
    auto got = (*reader)->read(1s, 10);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->front().key, "site-9");
    auto back = decode_dead_letter(got->front().value);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->offset, 17);
    EXPECT_EQ(back->value, "poison");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace pw::log
