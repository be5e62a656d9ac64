// Consumer groups of the kafka backend: assignment, rebalancing, seeks, commits.
#include <algorithm>
#include <map>
#include <set>

#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using log::Batch;
using log::Offsets;
using log::TopicPartition;

TEST_F(KafkaTest, CommittedOffsetsResumeTheGroupAndOnlyOwnersMayCommit) {
  const auto t = topic("commit", 2);
  Batch input;
  for (int i = 0; i < 10; ++i) input.records.push_back({t, "k" + std::to_string(i), std::to_string(i), std::nullopt});
  ASSERT_TRUE(log_->append(input).ok());

  Offsets next;
  std::set<std::string> expected_rest;
  {
    auto c = subscribe(*log_, group("g.commit"), t);
    ASSERT_TRUE(c);
    const auto recs = poll_for(*c, 10);
    ASSERT_EQ(recs.size(), 10u);
    // Commit the first half of what each partition delivered.
    std::map<TopicPartition, std::vector<log::Record>> by_tp;
    for (const auto& r : recs) by_tp[{r.topic, r.partition}].push_back(r);
    for (const auto& [tp, rs] : by_tp) {
      const size_t half = rs.size() / 2;
      if (half > 0) next[tp] = rs[half - 1].offset + 1;
      for (size_t i = half; i < rs.size(); ++i) expected_rest.insert(rs[i].value);
    }
    auto committed = c->commit(next);
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(c->commit({{{t + ".other", 0}, 1}}).error().code, Errc::fenced);
    c->close();
    EXPECT_EQ(c->commit(next).error().code, Errc::fenced);
  }
  for (const auto& [tp, offset] : next) {
    auto committed = log_->committed_offset(group("g.commit"), tp);
    ASSERT_TRUE(committed.ok()) << committed.error().message;
    EXPECT_EQ(*committed, std::optional<int64_t>(offset));
  }
  auto none = log_->committed_offset(group("g.nobody"), {t, 0});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(*none, std::nullopt);

  auto c2 = subscribe(*log_, group("g.commit"), t);
  ASSERT_TRUE(c2);
  std::set<std::string> rest;
  for (const auto& r : poll_for(*c2, expected_rest.size())) rest.insert(r.value);
  EXPECT_EQ(rest, expected_rest);
}

// Two members split a topic; when one leaves, the other ends up with all of it.
// Returns the listener calls, e.g. "c1+2" for two partitions assigned to c1.
std::vector<std::string> split_then_take_over(KafkaTest& test, const std::string& strategy);

TEST_F(KafkaTest, MembersSplitThePartitionsAndTheSurvivorTakesOverOnClose) {
  const auto events = split_then_take_over(*this, "range");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "c1+4");  // eager: everything revoked, then reassigned
}

TEST_F(KafkaTest, CooperativeMembersOnlyMoveThePartitionsThatChangeOwner) {
  const auto events = split_then_take_over(*this, "cooperative-sticky");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "c1+2");  // incremental: c1 keeps its two and gains two
  // While c2 joins, c1 may first hold all four and hand two over; only the take-over counts.
  const auto closed = std::find(events.begin(), events.end(), "c2 closed");
  ASSERT_NE(closed, events.end());
  EXPECT_EQ(std::count_if(closed, events.end(), [](const auto& e) { return e.starts_with("c1-"); }), 0)
      << "c1 lost partitions when c2 left";
}

std::vector<std::string> split_then_take_over(KafkaTest& test, const std::string& strategy) {
  auto log = test.open({{"consumer.partition.assignment.strategy", strategy}});
  auto other_process = test.open({{"consumer.partition.assignment.strategy", strategy}});
  if (!log || !other_process) return {};
  const auto t = test.topic("split", 4);
  std::set<int32_t> owned1, owned2;
  std::vector<std::string> events;
  auto listener = [&events](std::set<int32_t>& owned, std::string name) {
    return log::RebalanceListener{
        [&owned, &events, name](const std::vector<TopicPartition>& tps) {
          for (const auto& tp : tps) owned.insert(tp.partition);
          events.push_back(name + "+" + std::to_string(tps.size()));
        },
        [&owned, &events, name](const std::vector<TopicPartition>& tps) {
          for (const auto& tp : tps) owned.erase(tp.partition);
          events.push_back(name + "-" + std::to_string(tps.size()));
        }};
  };
  auto c1 = test.subscribe(*log, test.group("g.split"), t, listener(owned1, "c1"));
  auto c2 = test.subscribe(*other_process, test.group("g.split"), t, listener(owned2, "c2"));
  if (!c1 || !c2) return {};

  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         !(owned1.size() == 2 && owned2.size() == 2)) {
    EXPECT_TRUE(c1->poll(50ms, 10).ok());
    EXPECT_TRUE(c2->poll(50ms, 10).ok());
  }
  EXPECT_EQ(owned1.size(), 2u);
  EXPECT_EQ(owned2.size(), 2u);
  for (int32_t p : owned1) EXPECT_FALSE(owned2.contains(p)) << "partition " << p << " owned twice";
  std::set<int32_t> from_c1;
  for (const auto& tp : c1->assignment()) from_c1.insert(tp.partition);
  EXPECT_EQ(from_c1, owned1);

  c2->close();  // revokes on this thread before returning
  events.push_back("c2 closed");
  EXPECT_TRUE(owned2.empty());
  EXPECT_TRUE(c2->assignment().empty());
  const auto deadline2 = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline2 && owned1.size() < 4)
    EXPECT_TRUE(c1->poll(50ms, 10).ok());
  EXPECT_EQ(owned1.size(), 4u);
  EXPECT_EQ(c1->assignment().size(), 4u);
  EXPECT_EQ(c2->poll(10ms, 1).error().code, Errc::unavailable);  // closed
  return events;
}

TEST_F(KafkaTest, SeekFromOnAssignedOrLaterMovesTheReadPosition) {
  const auto t = topic("seek", 1);
  Batch input;
  for (int i = 0; i < 5; ++i) input.records.push_back({t, "k", std::to_string(i), 0});
  auto appended = log_->append(input);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  const auto& offsets = appended->offsets;

  log::Consumer* self = nullptr;
  log::RebalanceListener listener;
  listener.on_assigned = [&](const std::vector<TopicPartition>& tps) {
    for (const auto& tp : tps) EXPECT_TRUE(self->seek(tp, offsets[3]).ok());
  };
  auto c = subscribe(*log_, group("g.seek"), t, listener);
  ASSERT_TRUE(c);
  self = c.get();
  auto recs = poll_for(*c, 2);
  ASSERT_EQ(values(recs), (std::vector<std::string>{"3", "4"}));

  ASSERT_TRUE(c->seek({t, 0}, offsets[1]).ok());
  recs = poll_for(*c, 4);
  EXPECT_EQ(values(recs), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(c->seek({t, 9}, 0).error().code, Errc::validation_error);
}

}  // namespace
}  // namespace pw::test

namespace pw::test {
namespace {

// How long a member that joins a group whose members are already consuming
// waits for its partitions, with the given log URI. librdkafka's mock cluster
// holds such a rebalance for the members' session.timeout.ms - 1 s (a real
// broker ends it once every member has rejoined): with librdkafka's default of
// 45 s, the split deployment's command processors stalled that long whenever a
// CPU-starved worker joined late or had its SyncGroup refused.
std::chrono::milliseconds late_join(KafkaTest& test, const std::string& uri) {
  auto log1 = log::open_log(uri);
  auto log2 = log::open_log(uri);
  EXPECT_TRUE(log1.ok() && log2.ok());
  if (!log1.ok() || !log2.ok()) return std::chrono::milliseconds::max();
  const auto t = test.topic("late", 4);
  std::set<int32_t> owned1, owned2;
  auto listener = [](std::set<int32_t>& owned) {
    return log::RebalanceListener{
        [&owned](const std::vector<TopicPartition>& tps) {
          for (const auto& tp : tps) owned.insert(tp.partition);
        },
        [&owned](const std::vector<TopicPartition>& tps) {
          for (const auto& tp : tps) owned.erase(tp.partition);
        }};
  };
  auto c1 = test.subscribe(**log1, test.group("g.late"), t, listener(owned1));
  if (!c1) return std::chrono::milliseconds::max();
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && owned1.size() < 4) EXPECT_TRUE(c1->poll(50ms, 10).ok());
  EXPECT_EQ(owned1.size(), 4u);

  auto c2 = test.subscribe(**log2, test.group("g.late"), t, listener(owned2));
  if (!c2) return std::chrono::milliseconds::max();
  const auto joined = std::chrono::steady_clock::now();
  deadline = joined + 60s;
  while (std::chrono::steady_clock::now() < deadline && !(owned1.size() == 2 && owned2.size() == 2)) {
    EXPECT_TRUE(c1->poll(50ms, 10).ok());
    EXPECT_TRUE(c2->poll(50ms, 10).ok());
  }
  EXPECT_EQ(owned1.size(), 2u);
  EXPECT_EQ(owned2.size(), 2u);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - joined);
  c2->close();
  c1->close();
  return took;
}

TEST_F(KafkaTest, ALateMemberGetsItsPartitionsWithinTheDefaultSessionTimeout) {
  // No session.timeout.ms of ours: the consumer's default applies.
  const auto took = late_join(*this, "kafka:" + bootstrap_ + "?operation.timeout.ms=15000");
  EXPECT_LT(took, 20s) << "the group's rebalance took " << took.count() << " ms";
}

TEST_F(KafkaTest, LogUriOptionsReachTheGroupConsumers) {
  // A process configured by its --log URI alone (pagewright worker, gateway).
  // The mock holds a rebalance for session.timeout.ms - 1 s: about 2 s with the
  // URI's 3 s (it never completes one with 2 s), about 9 s with our 10 s
  // default. The bound sits just under the default's with room for a loaded
  // machine (CI runs JVMs next to this; 8.1 s was seen there).
  const std::string session = on_mock() ? "3000" : "6000";
  const auto took = late_join(*this, "kafka:" + bootstrap_ + "?consumer.session.timeout.ms=" + session +
                                         "&consumer.heartbeat.interval.ms=500&operation.timeout.ms=15000");
  EXPECT_LT(took, on_mock() ? 8500ms : 15000ms) << "the group's rebalance took " << took.count() << " ms";
}

}  // namespace
}  // namespace pw::test
