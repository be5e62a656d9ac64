// The event log's contract, checked the same way against every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/kafka_log/broker.hpp"
#include "tests/log/backend.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using log::Batch;
using log::OutRecord;
using log::Record;
using log::TopicPartition;

class LogConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = make_backend();
    require_server(backend_->missing());
    if (IsSkipped() || HasFatalFailure()) return;
    log_ = backend_->open();
  }
  void TearDown() override {
    log_.reset();
    backend_.reset();
  }

  void create(const std::string& topic, int32_t partitions) {
    auto r = log_->create_topics({{topic, partitions}});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // Reads a partition from `from` until `expect` records arrived and the
  // position reached `end`, then waits a little longer to catch any extra
  // (e.g. an aborted record wrongly visible).
  std::vector<Record> read_partition(log::EventLog& log, const TopicPartition& tp, size_t expect,
                                     int64_t from = 0, int64_t end = 0) {
    auto reader = log.reader(tp, from);
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) return {};
    std::vector<Record> out;
    const auto deadline = std::chrono::steady_clock::now() + backend_->settle();
    auto done = [&] { return out.size() >= expect && (out.empty() ? from : out.back().offset + 1) >= end; };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->read(200ms, 1000);
      EXPECT_TRUE(got.ok());
      if (!got.ok()) break;
      out.insert(out.end(), got->begin(), got->end());
    }
    auto extra = (*reader)->read(300ms, 1000);
    if (extra.ok()) out.insert(out.end(), extra->begin(), extra->end());
    return out;
  }

  // Every partition up to its end offset (a position: on Kafka, transaction
  // markers hold offsets too, so it does not count records).
  std::vector<Record> read_topic(const std::string& topic, int32_t partitions) {
    std::vector<Record> all;
    for (int32_t p = 0; p < partitions; ++p) {
      auto end = log_->end_offset({topic, p});
      EXPECT_TRUE(end.ok());
      auto part = read_partition(*log_, {topic, p}, 0, 0, end.ok() ? *end : 0);
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }

  // Polls until every record wanted arrived or the backend's settle time passed.
  std::vector<Record> poll_for(log::Consumer& c, size_t want) {
    std::vector<Record> out;
    const auto deadline = std::chrono::steady_clock::now() + backend_->settle() * 3;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto got = c.poll(100ms, 500);
      EXPECT_TRUE(got.ok());
      if (got.ok()) out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }

  std::unique_ptr<log::Consumer> subscribe(log::EventLog& log, const std::string& group,
                                           const std::string& topic, log::RebalanceListener l = {}) {
    auto c = log.subscribe(group, {topic}, std::move(l));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(c).value() : nullptr;
  }

  Result<log::Appended> append(std::vector<OutRecord> records) {
    Batch b;
    b.records = std::move(records);
    return log_->append(b);
  }

  std::unique_ptr<LogBackend> backend_;
  std::unique_ptr<log::EventLog> log_;
};

TEST_F(LogConformance, KeyedRecordsKeepTheirOrderWithinTheirMurmur2Partition) {
  create("t.order", 4);
  std::map<std::string, std::vector<std::string>> sent;
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<OutRecord> records;
    for (int i = 0; i < 10; ++i) {
      const std::string key = "site-" + std::to_string(i % 7);
      const std::string value = key + "#" + std::to_string(batch * 10 + i);
      sent[key].push_back(value);
      records.push_back({"t.order", key, value, std::nullopt});
    }
    auto r = append(records);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->offsets.size(), 10u);
    for (size_t i = 0; i < records.size(); ++i)
      EXPECT_EQ(r->partitions[i].partition, log::partition_for(records[i].key, 4));
  }
  std::map<std::string, std::vector<std::string>> got;
  for (const auto& rec : read_topic("t.order", 4)) {
    EXPECT_EQ(rec.partition, log::partition_for(rec.key, 4));
    got[rec.key].push_back(rec.value);
  }
  EXPECT_EQ(got, sent);
}

TEST_F(LogConformance, OffsetsAreReturnedAndReadBack) {
  create("t.offsets", 1);
  auto first = append({{"t.offsets", "k", "a", 0}, {"t.offsets", "k", "b", 0}});
  ASSERT_TRUE(first.ok());
  auto second = append({{"t.offsets", "k", "c", 0}});
  ASSERT_TRUE(second.ok());
  EXPECT_LT(first->offsets[0], first->offsets[1]);
  EXPECT_LT(first->offsets[1], second->offsets[0]);
  auto end = log_->end_offset({"t.offsets", 0});
  ASSERT_TRUE(end.ok());
  EXPECT_GT(*end, second->offsets[0]);
  const auto recs = read_partition(*log_, {"t.offsets", 0}, 1, second->offsets[0]);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value, "c");
  EXPECT_EQ(recs[0].offset, second->offsets[0]);
}

// A reader visits scattered records by seeking: forward past records it does
// not want, back to one it read already, and to an offset a failed or other
// batch's bookkeeping may occupy (it then gets the next record that exists).
TEST_F(LogConformance, ReaderSeeksToScatteredOffsets) {
  create("t.seek", 1);
  std::vector<int64_t> offsets;
  for (int batch = 0; batch < 5; ++batch) {
    auto r = append({{"t.seek", "k", "v" + std::to_string(2 * batch), 0},
                     {"t.seek", "k", "v" + std::to_string(2 * batch + 1), 0}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    offsets.insert(offsets.end(), r->offsets.begin(), r->offsets.end());
  }
  auto reader = log_->reader({"t.seek", 0}, 0);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  // The first record wanted (index into offsets/values), read alone.
  auto read_one = [&](size_t i) -> std::optional<Record> {
    auto s = (*reader)->seek(offsets[i]);
    EXPECT_TRUE(s.ok()) << s.error().message;
    const auto deadline = std::chrono::steady_clock::now() + backend_->settle();
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = (*reader)->read(200ms, 1);
      EXPECT_TRUE(got.ok());
      if (!got.ok()) return std::nullopt;
      if (!got->empty()) return got->front();
    }
    return std::nullopt;
  };
  for (size_t i : {size_t{7}, size_t{2}, size_t{9}, size_t{0}, size_t{2}}) {
    auto rec = read_one(i);
    ASSERT_TRUE(rec.has_value()) << "offset " << offsets[i];
    EXPECT_EQ(rec->offset, offsets[i]);
    EXPECT_EQ(rec->value, "v" + std::to_string(i));
  }
  // After a seek, reading on continues in order from there.
  ASSERT_TRUE((*reader)->seek(offsets[6]).ok());
  std::vector<std::string> rest;
  const auto deadline = std::chrono::steady_clock::now() + backend_->settle();
  while (rest.size() < 4 && std::chrono::steady_clock::now() < deadline) {
    auto got = (*reader)->read(200ms, 10);
    ASSERT_TRUE(got.ok());
    for (const auto& r : *got) rest.push_back(r.value);
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"v6", "v7", "v8", "v9"}));
  // Between two batches (a transaction marker on Kafka): the next record.
  ASSERT_TRUE((*reader)->seek(offsets[1] + 1).ok());
  auto got = (*reader)->read(backend_->settle(), 1);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().value, "v2");
  auto bad = (*reader)->seek(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::validation_error);
}

TEST_F(LogConformance, MultiTopicBatchIsVisibleTogether) {
  create("t.a", 2);
  create("t.b", 2);
  auto r = append({{"t.a", "x", "a1", std::nullopt}, {"t.b", "x", "b1", std::nullopt},
                   {"t.a", "y", "a2", std::nullopt}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(read_topic("t.a", 2).size(), 2u);
  EXPECT_EQ(read_topic("t.b", 2).size(), 1u);
}

TEST_F(LogConformance, ContinuationSeesOffsetsAndJoinsTheBatch) {
  create("t.events", 2);
  create("t.results", 2);
  Batch b;
  b.records = {{"t.events", "s", "e1", std::nullopt}, {"t.events", "s", "e2", std::nullopt}};
  b.then = [](const log::Appended& a) {
    return std::vector<OutRecord>{{"t.results", "s",
                                   std::to_string(a.partitions[1].partition) + ":" +
                                       std::to_string(a.offsets[1]),
                                   std::nullopt}};
  };
  auto r = log_->append(b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->offsets.size(), 3u);
  const auto results = read_topic("t.results", 2);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].value, std::to_string(r->partitions[1].partition) + ":" + std::to_string(r->offsets[1]));
}

TEST_F(LogConformance, FailedBatchIsNeverVisible) {
  create("t.fail", 2);
  create("t.fail2", 2);
  // The last record names a partition that does not exist: the whole batch fails.
  auto bad = append({{"t.fail", "k", "doomed-1", 0}, {"t.fail2", "k", "doomed-2", 1},
                     {"t.fail", "k", "doomed-3", 7}});
  EXPECT_FALSE(bad.ok());
  auto good = append({{"t.fail", "k", "kept", 0}});
  ASSERT_TRUE(good.ok()) << good.error().message;
  const auto recs = read_topic("t.fail", 2);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value, "kept");
  EXPECT_TRUE(read_topic("t.fail2", 2).empty());
}

TEST_F(LogConformance, AppendToMissingTopicFails) {
  auto r = append({{"t.missing", "k", "v", std::nullopt}});
  EXPECT_FALSE(r.ok());
}

TEST_F(LogConformance, CommittedOffsetsResumeTheGroup) {
  if (auto gap = backend_->cannot("transactional offsets"); !gap.empty()) GTEST_SKIP() << gap;
  create("t.in", 2);
  create("t.out", 2);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(append({{"t.in", "k" + std::to_string(i), std::to_string(i), std::nullopt}}).ok());

  std::set<std::string> processed;
  {
    auto c = subscribe(*log_, "g.resume", "t.in");
    ASSERT_TRUE(c);
    auto first = poll_for(*c, 10);
    ASSERT_GE(first.size(), 10u);
    first.resize(10);
    // Transform the first ten and commit them with their output.
    Batch b;
    b.consumer = c.get();
    for (const auto& rec : first) {
      b.records.push_back({"t.out", rec.key, "out-" + rec.value, std::nullopt});
      auto& next = b.offsets[{rec.topic, rec.partition}];
      next = std::max(next, rec.offset + 1);
      processed.insert(rec.value);
    }
    auto r = log_->append(b);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& [tp, next] : b.offsets) {
      auto committed = log_->committed_offset("g.resume", tp);
      ASSERT_TRUE(committed.ok());
      EXPECT_EQ(*committed, std::optional<int64_t>(next));
    }
    c->close();
  }
  // A new member of the group starts after what was committed.
  auto c2 = subscribe(*log_, "g.resume", "t.in");
  ASSERT_TRUE(c2);
  const auto rest = poll_for(*c2, 20 - processed.size());
  std::set<std::string> seen;
  for (const auto& rec : rest) {
    EXPECT_FALSE(processed.count(rec.value)) << "redelivered " << rec.value;
    seen.insert(rec.value);
  }
  EXPECT_EQ(seen.size() + processed.size(), 20u);
}

TEST_F(LogConformance, TwoMembersSplitPartitionsAndRebalanceWhenOneLeaves) {
  create("t.split", 4);
  std::set<int32_t> owned1, owned2;
  auto listener = [](std::set<int32_t>& owned) {
    return log::RebalanceListener{
        [&owned](const std::vector<TopicPartition>& tps) { for (auto& tp : tps) owned.insert(tp.partition); },
        [&owned](const std::vector<TopicPartition>& tps) { for (auto& tp : tps) owned.erase(tp.partition); }};
  };
  auto other = backend_->open();
  auto c1 = subscribe(*log_, "g.split", "t.split", listener(owned1));
  auto c2 = subscribe(*other, "g.split", "t.split", listener(owned2));
  ASSERT_TRUE(c1 && c2);

  const auto deadline = std::chrono::steady_clock::now() + backend_->settle() * 4;
  while (std::chrono::steady_clock::now() < deadline &&
         !(owned1.size() + owned2.size() == 4 && !owned1.empty() && !owned2.empty())) {
    ASSERT_TRUE(c1->poll(50ms, 10).ok());
    ASSERT_TRUE(c2->poll(50ms, 10).ok());
  }
  EXPECT_FALSE(owned1.empty());
  EXPECT_FALSE(owned2.empty());
  std::set<int32_t> both;
  for (int32_t p : owned1) both.insert(p);
  for (int32_t p : owned2) EXPECT_TRUE(both.insert(p).second) << "partition " << p << " owned twice";
  EXPECT_EQ(both.size(), 4u);

  c2->close();
  const auto deadline2 = std::chrono::steady_clock::now() + backend_->settle() * 4;
  while (std::chrono::steady_clock::now() < deadline2 && owned1.size() < 4) ASSERT_TRUE(c1->poll(50ms, 10).ok());
  EXPECT_EQ(owned1.size(), 4u);
  EXPECT_TRUE(owned2.empty());
}

// A member that dies between polling and committing loses nothing and
// duplicates nothing: its uncommitted work is redone once by the survivor.
TEST_F(LogConformance, NoLossOrDuplicationWhenAMemberDiesMidBatch) {
  if (auto gap = backend_->cannot("transactional offsets"); !gap.empty()) GTEST_SKIP() << gap;
  create("t.src", 4);
  create("t.dst", 4);
  const int n = 200;
  for (int i = 0; i < n; i += 10) {
    std::vector<OutRecord> batch;
    for (int j = i; j < i + 10; ++j) batch.push_back({"t.src", "k" + std::to_string(j), std::to_string(j), std::nullopt});
    ASSERT_TRUE(append(batch).ok());
  }
  auto transform = [&](log::EventLog& log, log::Consumer& c, const std::vector<Record>& recs) {
    Batch b;
    b.consumer = &c;
    for (const auto& rec : recs) {
      b.records.push_back({"t.dst", rec.key, rec.value, std::nullopt});
      auto& next = b.offsets[{rec.topic, rec.partition}];
      next = std::max(next, rec.offset + 1);
    }
    return log.append(b);
  };

  auto dying_log = backend_->open();
  {
    auto dying = subscribe(*dying_log, "g.crash", "t.src");
    ASSERT_TRUE(dying);
    auto got = poll_for(*dying, 50);
    ASSERT_FALSE(got.empty());
    std::vector<Record> committed(got.begin(), got.begin() + static_cast<long>(got.size() / 2));
    ASSERT_TRUE(transform(*dying_log, *dying, committed).ok());
    // ... and dies holding the other half, uncommitted: no close().
  }
  auto survivor = subscribe(*log_, "g.crash", "t.src");
  ASSERT_TRUE(survivor);
  const auto deadline = std::chrono::steady_clock::now() + backend_->settle() * 4;
  int64_t total = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = survivor->poll(100ms, 100);
    ASSERT_TRUE(got.ok());
    if (!got->empty()) {
      ASSERT_TRUE(transform(*log_, *survivor, *got).ok());
    }
    total = 0;
    for (int32_t p = 0; p < 4; ++p) {
      auto c = log_->committed_offset("g.crash", {"t.src", p});
      auto e = log_->end_offset({"t.src", p});
      if (c.ok() && e.ok() && c->has_value() && **c >= *e) ++total;
    }
    if (total == 4) break;
  }
  survivor->close();
  std::multiset<std::string> out;
  for (const auto& rec : read_topic("t.dst", 4)) out.insert(rec.value);
  EXPECT_EQ(out.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(out.count(std::to_string(i)), 1u) << i;
}

}  // namespace
}  // namespace pw::test
