// A dead letter the broker refuses as too large still records where the
// original is: it is appended again without the value.
#include <gtest/gtest.h>

#include "events/dead_letter.hpp"
#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;

TEST_F(KafkaTest, ADeadLetterTooLargeForTheBrokerKeepsThePositionWithoutTheValue) {
  auto small = open({{"producer.message.max.bytes", "10000"}});
  ASSERT_TRUE(small);
  const std::string source = topic("source", 2);
  const std::string dl(log::kDeadLetterTopic);
  auto before = small->end_offset({dl, 1});
  const int64_t from = before.ok() ? *before : 0;
  // Each quote is escaped in the dead letter's JSON: twice the bytes.
  const log::Record original{source, 1, 41, "site-1", std::string(9000, '"')};
  ASSERT_TRUE(log::append_dead_letter(*small, log::dead_letter_for(original, "projections", "g", "big")).ok());
  auto reader = small->reader({dl, 1}, from);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  std::vector<log::Record> got;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    auto r = (*reader)->read(200ms, 10);
    ASSERT_TRUE(r.ok()) << r.error().message;
    got = *r;
  }
  ASSERT_EQ(got.size(), 1u);
  auto d = log::decode_dead_letter(got[0].value);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->topic, source);
  EXPECT_EQ(d->partition, 1);
  EXPECT_EQ(d->offset, 41);
  EXPECT_EQ(d->key, "site-1");
  ASSERT_TRUE(d->value_omitted.has_value());
  EXPECT_EQ(*d->value_omitted, 9000u);
  EXPECT_TRUE(d->value.empty());
}

}  // namespace
}  // namespace pw::test
