// What librdkafka 2.0.2's mock cluster does not do, pinned so that an upgrade
// which closes a gap fails here: then drop the matching GTEST_SKIP elsewhere.
//
// Source evidence (librdkafka src/rdkafka_mock_handlers.c):
//  - the handler table has no entry for CreateTopics, and rdkafka_mock.h says
//    "The Topic Admin API (CreateTopics) is not supported by the mock broker";
//  - Fetch answers LastStableOffset = end_offset and "#Aborted = 0", and EndTxn
//    only checks the producer id: no markers, no aborted-transaction index, so
//    the client has nothing to filter with;
//  - TxnOffsetCommit parses the offsets and answers, but never calls
//    rd_kafka_mock_commit_offset (only OffsetCommit does);
//  - there is no ListGroups or DescribeGroups handler either: describing a
//    group is a clear error, asked without the request that would crash the
//    client (see events/kafka_groups.cpp).
#include "events/backends.hpp"
#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using log::Batch;

class MockGap : public KafkaTest {
 protected:
  void SetUp() override {
    KafkaTest::SetUp();
    if (!on_mock()) GTEST_SKIP() << "describes the mock cluster only";
  }
};

TEST_F(MockGap, NoCreateTopicsApi) {
  // A bootstrap string the mock did not register a topic creator under, as a
  // process other than the mock's own would have.
  std::string reordered = bootstrap_.substr(bootstrap_.find(',') + 1) + "," +
                          bootstrap_.substr(0, bootstrap_.find(','));
  auto log = log::open_kafka_log(reordered, config({{"operation.timeout.ms", "1500"}}));
  ASSERT_TRUE(log.ok()) << log.error().message;
  auto r = (*log)->create_topics({{"gap.create", 3}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
  // The same request in the mock's own process goes through its creator.
  ASSERT_TRUE(log_->create_topics({{"gap.create", 3}}).ok());
  EXPECT_EQ(*(*log)->partition_count("gap.create"), 3);
}

TEST_F(MockGap, AbortedRecordsAreServedToReadCommitted) {
  const auto in = topic("gap.in", 1);
  const auto out = topic("gap.out", 1);
  auto c = subscribe(*log_, group("g.gap"), in);
  ASSERT_TRUE(c);
  Batch b{{{out, "k", "aborted", 0}}, {}, {{{in, 0}, 1}}, c.get()};
  auto r = log_->append(b);
  ASSERT_EQ(r.error().code, Errc::fenced);
  EXPECT_EQ(values(read_all({out, 0}, 0, 1)), std::vector<std::string>{"aborted"});
}

TEST_F(MockGap, TransactionalOffsetsAreNotStored) {
  const auto in = topic("gap.txnoffsets", 1);
  ASSERT_TRUE(log_->append(batch_of({{in, "k", "v", 0}})).ok());
  auto c = subscribe(*log_, group("g.gap"), in);
  ASSERT_TRUE(c);
  const auto recs = poll_for(*c, 1);
  ASSERT_EQ(recs.size(), 1u);
  Batch b{{}, {}, {{{in, 0}, recs[0].offset + 1}}, c.get()};
  auto r = log_->append(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto committed = log_->committed_offset(group("g.gap"), {in, 0});
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(*committed, std::nullopt);
  c->close();
}

TEST_F(MockGap, NoGroupApisAndDescribingAGroupSaysSo) {
  auto c = subscribe(*log_, group("g.gap"), topic("gap.groups", 1));
  ASSERT_TRUE(c);
  for (int i = 0; i < 5; ++i) {  // the crash it avoids came at random
    auto r = log::describe_kafka_groups(bootstrap_, config(), {group("g.gap"), group("g.other")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
    EXPECT_NE(r.error().message.find("describe group " + group("g.gap") + ": "), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("not supported by broker"), std::string::npos) << r.error().message;
  }
  c->close();
}

}  // namespace
}  // namespace pw::test
