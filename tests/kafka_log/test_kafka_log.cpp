// Appends, reads and transactions of the kafka backend.
#include <map>
#include <thread>

#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using log::Batch;
using log::OutRecord;
using log::TopicPartition;

TEST_F(KafkaTest, RecordsLandInTheirMurmur2PartitionAndKeepTheirOrder) {
  const auto t = topic("order", 4);
  std::map<std::string, std::vector<std::string>> sent;
  std::map<TopicPartition, std::vector<int64_t>> appended;
  for (int b = 0; b < 10; ++b) {
    Batch batch;
    for (int i = 0; i < 10; ++i) {
      std::string key = "site-" + std::to_string(i % 7);
      std::string value = key + "#" + std::to_string(b * 10 + i);
      sent[key].push_back(value);
      batch.records.push_back({t, key, value, std::nullopt});
    }
    auto r = log_->append(batch);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (size_t i = 0; i < batch.records.size(); ++i) {
      EXPECT_EQ(r->partitions[i].partition, log::partition_for(batch.records[i].key, 4));
      appended[r->partitions[i]].push_back(r->offsets[i]);
    }
  }

  auto c = subscribe(*log_, group("g.order"), t);
  ASSERT_TRUE(c);
  const auto recs = poll_for(*c, 100);
  ASSERT_EQ(recs.size(), 100u);
  std::map<std::string, std::vector<std::string>> got;
  std::map<TopicPartition, std::vector<int64_t>> consumed;
  for (const auto& rec : recs) {
    EXPECT_EQ(rec.partition, log::partition_for(rec.key, 4));
    got[rec.key].push_back(rec.value);
    consumed[{rec.topic, rec.partition}].push_back(rec.offset);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(consumed, appended);  // same offsets, in increasing order per partition
  c->close();
}

TEST_F(KafkaTest, ReaderStartsAtAnOffsetAndEndOffsetIsPastTheLastVisibleRecord) {
  const auto t = topic("reader", 1);
  auto empty = log_->end_offset({t, 0});
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(*empty, 0);

  auto first = log_->append(batch_of({{t, "k", "a", 0}, {t, "k", "b", 0}, {t, "k", "c", 0}}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = log_->append(batch_of({{t, "k", "d", 0}, {t, "k", "e", 0}}));
  ASSERT_TRUE(second.ok()) << second.error().message;

  // On a real broker the commit markers make the LSO larger than this, and
  // end_offset still answers one past the last record.
  auto end = log_->end_offset({t, 0});
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_EQ(*end, second->offsets.back() + 1);

  const auto recs = read_all({t, 0}, first->offsets[2], 3);
  EXPECT_EQ(values(recs), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(recs.front().offset, first->offsets[2]);
}

// A broker answers EndTxn before it writes the commit markers, and until then
// read_committed readers do not see the transaction: append waits for them,
// so what it returned is visible at once (on a real broker, about one append
// in five ended before its markers were written).
TEST_F(KafkaTest, EveryAppendIsVisibleWhenItReturns) {
  const auto t = topic("visible", 2);
  for (int i = 0; i < 40; ++i) {
    auto a = log_->append(batch_of({{t, "k", std::to_string(i), i % 2}, {t, "k", "+" + std::to_string(i), 1}}));
    ASSERT_TRUE(a.ok()) << a.error().message;
    for (size_t r = 0; r < a->offsets.size(); ++r) {
      auto end = log_->end_offset(a->partitions[r]);
      ASSERT_TRUE(end.ok()) << end.error().message;
      EXPECT_GT(*end, a->offsets[r]) << "append " << i << " returned before record " << r << " was visible";
    }
  }
}

// A broker answers "not leader" for a partition whose leader is still taking
// over, as right after the topic was created: end_offset waits that out.
TEST_F(KafkaTest, AJustCreatedTopicHasItsEndOffsetsAtOnce) {
  for (int round = 0; round < 3; ++round) {
    const auto t = topic("fresh" + std::to_string(round), 8);
    for (int32_t p = 0; p < 8; ++p) {
      auto end = log_->end_offset({t, p});
      ASSERT_TRUE(end.ok()) << end.error().message;
      EXPECT_EQ(*end, 0);
    }
  }
}

TEST_F(KafkaTest, InvalidBatchesFailBeforeAnythingIsWritten) {
  const auto t = topic("invalid", 2);
  Batch no_consumer{{{t, "k", "v", std::nullopt}}, {}, {{{t, 0}, 1}}, nullptr};
  EXPECT_EQ(log_->append(no_consumer).error().code, Errc::validation_error);
  EXPECT_EQ(log_->append(batch_of({{t + ".missing", "k", "v", std::nullopt}})).error().code, Errc::not_found);
  EXPECT_EQ(log_->append(batch_of({{t, "k", "v", 0}, {t, "k", "v", 7}})).error().code,
            Errc::validation_error);
  EXPECT_EQ(log_->partition_count(t + ".missing").error().code, Errc::not_found);
  EXPECT_EQ(*log_->partition_count(t), 2);
  EXPECT_TRUE(read_all({t, 0}).empty());
}

TEST_F(KafkaTest, OversizedRecordFailsItsBatchAndTheProducerCarriesOn) {
  auto small = open({{"producer.message.max.bytes", "10000"}});
  ASSERT_TRUE(small);
  const auto t = topic("oversized", 1);
  auto bad = small->append(batch_of({{t, "k", "fits", 0}, {t, "k", std::string(50000, 'x'), 0}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::payload_too_large) << bad.error().message;
  auto good = small->append(batch_of({{t, "k", "kept", 0}}));
  ASSERT_TRUE(good.ok()) << good.error().message;
  if (on_mock()) GTEST_SKIP() << kNoAbortFiltering;
  EXPECT_EQ(values(read_all({t, 0}, 0, 1)), std::vector<std::string>{"kept"});
}

TEST_F(KafkaTest, ConcurrentAppendsAllLandInOrderPerKey) {
  const auto t = topic("concurrent", 3);
  constexpr int kThreads = 8, kAppends = 25;
  std::vector<std::vector<int64_t>> offsets(kThreads);
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < kAppends; ++i) {
        auto r = log_->append(batch_of({{t, "site-" + std::to_string(th), std::to_string(i), std::nullopt}}));
        ASSERT_TRUE(r.ok()) << r.error().message;
        offsets[th].push_back(r->offsets[0]);
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& o : offsets) EXPECT_TRUE(std::is_sorted(o.begin(), o.end()));

  std::map<std::string, std::vector<std::string>> per_key;
  size_t total = 0;
  for (int32_t p = 0; p < 3; ++p)
    for (const auto& rec : read_all({t, p})) {
      per_key[rec.key].push_back(rec.value);
      ++total;
    }
  EXPECT_EQ(total, size_t{kThreads * kAppends});
  for (const auto& [key, vals] : per_key) {
    std::vector<std::string> expected;
    for (int i = 0; i < kAppends; ++i) expected.push_back(std::to_string(i));
    EXPECT_EQ(vals, expected) << key;
  }
}

TEST_F(KafkaTest, ContinuationSeesTheOffsetsAndJoinsTheTransaction) {
  const auto events = topic("cont.events", 2);
  const auto results = topic("cont.results", 2);
  Batch b;
  b.records = {{events, "s", "e1", std::nullopt}, {events, "s", "e2", std::nullopt}};
  int calls = 0;
  b.then = [&](const log::Appended& a) {
    ++calls;
    return std::vector<OutRecord>{{results, "s", std::to_string(a.offsets[1]), std::nullopt}};
  };
  auto r = log_->append(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(r->offsets.size(), 3u);
  EXPECT_EQ(r->partitions[2].topic, results);
  const auto recs = read_all(r->partitions[2], r->offsets[2], 1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value, std::to_string(r->offsets[1]));

  Batch failing;
  failing.records = {{events, "s", "doomed", std::nullopt}};
  failing.then = [](const log::Appended&) -> std::vector<OutRecord> {
    throw std::runtime_error("decider bug");
  };
  auto f = log_->append(failing);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::internal);
  EXPECT_NE(f.error().message.find("decider bug"), std::string::npos);
}

// The member owns nothing (it never polled), so its offsets are fenced after
// the records were already written: the transaction must be aborted.
TEST_F(KafkaTest, FencedAppendIsAbortedAndNeverVisible) {
  const auto in = topic("fenced.in", 1);
  const auto out_a = topic("fenced.a", 1);
  const auto out_b = topic("fenced.b", 1);
  auto c = subscribe(*log_, group("g.fenced"), in);
  ASSERT_TRUE(c);
  Batch b{{{out_a, "k", "doomed-a", 0}, {out_b, "k", "doomed-b", 0}}, {}, {{{in, 0}, 1}}, c.get()};
  auto r = log_->append(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fenced) << r.error().message;

  auto kept = log_->append(batch_of({{out_a, "k", "kept", 0}}));
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  if (on_mock()) GTEST_SKIP() << kNoAbortFiltering;
  EXPECT_EQ(values(read_all({out_a, 0}, 0, 1)), std::vector<std::string>{"kept"});
  EXPECT_TRUE(read_all({out_b, 0}).empty());
}

// A zombie's offsets rejected by the group coordinator (KIP-447) abort its
// transaction and surface as Errc::fenced. Needs the mock's error injection.
TEST_F(KafkaTest, OffsetsRejectedByTheCoordinatorFenceTheAppend) {
  if (!on_mock())
    GTEST_SKIP() << "needs the mock cluster's error injection: runs in test_kafka_log, not on a real broker";
  const auto in = topic("zombie.in", 1);
  const auto out = topic("zombie.out", 1);
  ASSERT_TRUE(log_->append(batch_of({{in, "k", "cmd", 0}})).ok());
  auto c = subscribe(*log_, group("g.zombie"), in);
  ASSERT_TRUE(c);
  const auto recs = poll_for(*c, 1);
  ASSERT_EQ(recs.size(), 1u);

  constexpr int16_t kTxnOffsetCommit = 28, kIllegalGeneration = 22;
  mock_->fail_requests(kTxnOffsetCommit, kIllegalGeneration);
  Batch b{{{out, "k", "event", 0}}, {}, {{{in, 0}, recs[0].offset + 1}}, c.get()};
  auto r = log_->append(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fenced) << r.error().message;

  auto retry = log_->append(b);  // the member is still in its generation
  EXPECT_TRUE(retry.ok()) << retry.error().message;
  c->close();
}

TEST_F(KafkaTest, OffsetsCommittedWithTheOutputResumeTheGroup) {
  const auto in = topic("atomic.in", 1);
  const auto out = topic("atomic.out", 1);
  Batch input;
  for (int i = 0; i < 6; ++i) input.records.push_back({in, "k", "cmd-" + std::to_string(i), 0});
  ASSERT_TRUE(log_->append(input).ok());

  int64_t next = -1;
  {
    auto c = subscribe(*log_, group("g.atomic"), in);
    ASSERT_TRUE(c);
    auto recs = poll_for(*c, 6);
    ASSERT_EQ(recs.size(), 6u);
    Batch b;
    b.consumer = c.get();
    for (int i = 0; i < 3; ++i) b.records.push_back({out, "k", "done-" + recs[i].value, 0});
    next = recs[2].offset + 1;
    b.offsets[{in, 0}] = next;
    auto r = log_->append(b);
    ASSERT_TRUE(r.ok()) << r.error().message;
    c->close();
  }
  EXPECT_EQ(read_all({out, 0}, 0, 3).size(), 3u);
  if (on_mock()) GTEST_SKIP() << kNoTxnOffsets;

  auto committed = log_->committed_offset(group("g.atomic"), {in, 0});
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(*committed, std::optional<int64_t>(next));
  auto c2 = subscribe(*log_, group("g.atomic"), in);
  ASSERT_TRUE(c2);
  const auto rest = poll_for(*c2, 3);
  EXPECT_EQ(values(rest), (std::vector<std::string>{"cmd-3", "cmd-4", "cmd-5"}));
}

}  // namespace
}  // namespace pw::test
