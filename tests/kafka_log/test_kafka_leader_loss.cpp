// A partition's leader dies (the mock's broker goes down and leadership moves
// on, as a real cluster's controller moves it): end offsets, which append's
// visibility wait also asks for, come from the new leader within the
// operation timeout instead of waiting for the dead one to come back. Before
// librdkafka 2.3, rd_kafka_query_watermark_offsets retried its request to the
// dead broker on every reconnect attempt, past its timeout (librdkafka #4460):
// on a three-node cluster with a node SIGKILLed, appends then gave up on
// visibility until the node was restarted.
#include <future>

#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

TEST_F(KafkaTest, EndOffsetAsksTheNewLeaderWhileTheOldOneIsDown) {
  ASSERT_TRUE(on_mock()) << "moves leadership with the mock's hooks";
  const auto t = topic("leader-loss", 1);
  ASSERT_TRUE(mock_->set_leader(t, 0, 1).ok());
  auto a = log_->append(batch_of({{t, "k", "a", 0}, {t, "k", "b", 0}, {t, "k", "c", 0}}));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto before = log_->end_offset({t, 0});  // the offsets client now knows broker 1 as the leader
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_EQ(*before, a->offsets.back() + 1);

  mock_->set_broker_up(1, false);
  ASSERT_TRUE(mock_->set_leader(t, 0, 2).ok());
  auto answer = std::async(std::launch::async, [&] { return log_->end_offset({t, 0}); });
  // Generous: one try per 5 s within operation.timeout.ms (15 s here).
  const bool answered = answer.wait_for(60s) == std::future_status::ready;
  mock_->set_broker_up(1, true);  // so that a call still waiting returns and the test ends
  ASSERT_TRUE(answered) << "end_offset still waiting for the dead leader after 60 s";
  auto after = answer.get();
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(*after, *before);
}

}  // namespace
}  // namespace pw::test
