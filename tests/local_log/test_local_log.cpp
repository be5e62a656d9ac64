// The local backend's storage: ordering, atomicity, recovery, group commit and
// blocking reads. Consumer groups are in test_local_group.cpp, crashes in
// test_local_crash.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/local_log/local_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using log::Batch;
using log::TopicPartition;

class LocalLog : public ::testing::Test {
 protected:
  void SetUp() override { log_ = open_or_die(dir_.path()); }
  Result<log::Appended> append(std::vector<log::OutRecord> records) {
    Batch b;
    b.records = std::move(records);
    return log_->append(b);
  }
  int64_t end(const std::string& topic, int32_t p) {
    auto r = log_->end_offset({topic, p});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : -1;
  }

  TempDir dir_;
  std::unique_ptr<log::EventLog> log_;
};

TEST_F(LocalLog, AppendsReadBackInOrderFromAnyOffset) {
  PW_ASSERT_OK(log_->create_topics({{"t", 2}}));
  for (int i = 0; i < 10; ++i) {
    auto r = append({rec("t", "k", "v" + std::to_string(i), 1)});
    PW_ASSERT_OK(r);
    EXPECT_EQ(r->offsets, std::vector<int64_t>{i});
    EXPECT_EQ(r->partitions, (std::vector<TopicPartition>{{"t", 1}}));
  }
  EXPECT_EQ(end("t", 0), 0);
  EXPECT_EQ(end("t", 1), 10);
  auto all = read_all(*log_, {"t", 1});
  ASSERT_EQ(all.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(all[i].offset, i);
    EXPECT_EQ(all[i].key, "k");
    EXPECT_EQ(all[i].value, "v" + std::to_string(i));
    EXPECT_EQ(all[i].topic, "t");
    EXPECT_EQ(all[i].partition, 1);
  }
  auto reader = log_->reader({"t", 1}, 7);
  PW_ASSERT_OK(reader);
  auto tail = (*reader)->read(0ms, 2);
  PW_ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].offset, 7);
  EXPECT_EQ((*tail)[1].offset, 8);
}

TEST_F(LocalLog, PartitionsComeFromTheRecordOrTheKeyHash) {
  PW_ASSERT_OK(log_->create_topics({{"t", 12}}));
  auto r = append({rec("t", "site-a", "1"), rec("t", "site-b", "2"), rec("t", "site-a", "3", 11)});
  PW_ASSERT_OK(r);
  EXPECT_EQ(r->partitions[0].partition, log::partition_for("site-a", 12));
  EXPECT_EQ(r->partitions[1].partition, log::partition_for("site-b", 12));
  EXPECT_EQ(r->partitions[2].partition, 11);

  const int64_t end0 = end("t", 0);
  auto bad = append({rec("t", "k", "ok", 0), rec("t", "k", "bad", 12)});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::validation_error);
  auto negative = append({rec("t", "k", "bad", -1)});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, Errc::validation_error);
  EXPECT_EQ(end("t", 0), end0);

  auto missing = append({rec("nope", "k", "v")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(LocalLog, TopicsAreCreatedOnceAndValidated) {
  PW_ASSERT_OK(log_->create_topics({{"a", 3}, {"b", 1}}));
  PW_ASSERT_OK(log_->create_topics({{"a", 7}, {"c", 2}}));  // "a" stays as it is
  EXPECT_EQ(*log_->partition_count("a"), 3);
  EXPECT_EQ(*log_->partition_count("b"), 1);
  EXPECT_EQ(*log_->partition_count("c"), 2);
  auto missing = log_->partition_count("d");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(log_->create_topics({{"bad name", 1}}).error().code, Errc::validation_error);
  EXPECT_EQ(log_->create_topics({{"zero", 0}}).error().code, Errc::validation_error);
  EXPECT_EQ(log_->end_offset({"d", 0}).error().code, Errc::not_found);
  EXPECT_EQ(log_->end_offset({"a", 3}).error().code, Errc::validation_error);
  EXPECT_EQ(log_->reader({"d", 0}, 0).error().code, Errc::not_found);
  EXPECT_EQ(log_->committed_offset("g", {"d", 0}).error().code, Errc::not_found);
  EXPECT_EQ(*log_->committed_offset("g", {"a", 0}), std::nullopt);
}

TEST_F(LocalLog, BadConfigIsRejected) {
  TempDir other;
  auto r = log::open_local_log(other.path(), {{"fsync", "sometimes"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::validation_error);
}

TEST_F(LocalLog, MultiTopicBatchLandsWholeOrNotAtAll) {
  PW_ASSERT_OK(log_->create_topics({{"events", 2}, {"results", 2}}));
  auto ok = append(
      {rec("events", "s", "e1", 0), rec("results", "s", "r1", 1), rec("events", "s", "e2", 0)});
  PW_ASSERT_OK(ok);
  EXPECT_EQ(ok->offsets, (std::vector<int64_t>{0, 0, 1}));

  auto bad =
      append({rec("events", "s", "e3", 0), rec("results", "s", "r2", 1), rec("missing", "s", "x")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(end("events", 0), 2);
  EXPECT_EQ(end("results", 1), 1);

  // A failing continuation also drops the records before it, and leaves no gap.
  Batch b;
  b.records = {rec("events", "s", "e3", 0)};
  b.then = [](const log::Appended&) {
    return std::vector<log::OutRecord>{rec("missing", "s", "x")};
  };
  ASSERT_FALSE(log_->append(b).ok());
  Batch thrower;
  thrower.records = {rec("events", "s", "e3", 0)};
  thrower.then = [](const log::Appended&) -> std::vector<log::OutRecord> {
    throw std::runtime_error("boom");
  };
  auto threw = log_->append(thrower);
  ASSERT_FALSE(threw.ok());
  EXPECT_NE(threw.error().message.find("boom"), std::string::npos);
  EXPECT_EQ(end("events", 0), 2);
  auto next = append({rec("events", "s", "e4", 0)});
  PW_ASSERT_OK(next);
  EXPECT_EQ(next->offsets[0], 2);
}

TEST_F(LocalLog, ContinuationSeesOffsetsAndJoinsTheBatch) {
  PW_ASSERT_OK(log_->create_topics({{"events", 1}, {"results", 1}}));
  PW_ASSERT_OK(append({rec("events", "s", "e0")}));
  Batch b;
  b.records = {rec("events", "s", "e1"), rec("events", "s", "e2")};
  b.then = [](const log::Appended& a) {
    EXPECT_EQ(a.offsets.size(), 2u);
    return std::vector<log::OutRecord>{rec("results", "s", "last@" + std::to_string(a.offsets[1]))};
  };
  auto r = log_->append(b);
  PW_ASSERT_OK(r);
  EXPECT_EQ(r->offsets, (std::vector<int64_t>{1, 2, 0}));
  EXPECT_EQ(r->partitions[2], (TopicPartition{"results", 0}));
  auto results = read_all(*log_, {"results", 0});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].value, "last@2");
}

TEST_F(LocalLog, ReopenRecoversEndsTopicsAndCommittedOffsets) {
  PW_ASSERT_OK(log_->create_topics({{"a", 3}, {"b", 1}}));
  for (int i = 0; i < 5; ++i)
    PW_ASSERT_OK(append({rec("a", "k", std::to_string(i), i % 3), rec("b", "k", "x")}));
  {
    auto c = log_->subscribe("g", {"a"}, {});
    PW_ASSERT_OK(c);
    PW_ASSERT_OK((*c)->poll(1s, 1));  // takes the assignment
    PW_ASSERT_OK((*c)->commit({{{"a", 1}, 2}}));
  }
  log_.reset();
  log_ = open_or_die(dir_.path());
  EXPECT_EQ(*log_->partition_count("a"), 3);
  EXPECT_EQ(end("a", 0), 2);
  EXPECT_EQ(end("a", 1), 2);
  EXPECT_EQ(end("a", 2), 1);
  EXPECT_EQ(end("b", 0), 5);
  EXPECT_EQ(*log_->committed_offset("g", {"a", 1}), std::optional<int64_t>(2));
  EXPECT_EQ(*log_->committed_offset("g", {"a", 0}), std::nullopt);
  auto r = append({rec("b", "k", "after")});
  PW_ASSERT_OK(r);
  EXPECT_EQ(r->offsets[0], 5);
  auto all = read_all(*log_, {"b", 0});
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.back().value, "after");
}

// Operators' tools (`pagewright deadletter`) read a log another process
// (serve) owns: a second writer is refused, a read-only open is not; it sees
// what was there when it opened, and every write fails, changing nothing.
TEST_F(LocalLog, AReadOnlyOpenSharesTheDirectoryWithItsWriterAndWritesNothing) {
  PW_ASSERT_OK(log_->create_topics({{"t", 2}}));
  for (int i = 0; i < 3; ++i) PW_ASSERT_OK(append({rec("t", "k", "v" + std::to_string(i), 1)}));
  auto second = log::open_local_log(dir_.path(), {{"fsync", "false"}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::unavailable) << second.error().message;

  auto ro = log::open_local_log(dir_.path(), {{"read_only", "true"}});
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  EXPECT_EQ(*(*ro)->partition_count("t"), 2);
  EXPECT_EQ(*(*ro)->end_offset({"t", 1}), 3);
  auto seen = read_all(**ro, {"t", 1});
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].value, "v2");
  Batch b;
  b.records.push_back(rec("t", "k", "from the reader", 1));
  EXPECT_FALSE((*ro)->append(b).ok());
  EXPECT_FALSE((*ro)->create_topics({{"new", 1}}).ok());
  // The writer goes on; the reader's view stays what it opened.
  PW_ASSERT_OK(append({rec("t", "k", "v3", 1)}));
  EXPECT_EQ(end("t", 1), 4);
  EXPECT_EQ(*(*ro)->end_offset({"t", 1}), 3);
  EXPECT_EQ(read_all(*log_, {"t", 1}).size(), 4u);
  EXPECT_FALSE(log_->partition_count("new").ok());

  auto missing = log::open_local_log(dir_.path() + "/nothing-here", {{"read_only", "true"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/nothing-here"));
  auto bad = log::open_local_log(dir_.path(), {{"read_only", "yes"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::validation_error);
}

TEST_F(LocalLog, ConcurrentAppendersShareSyncsAndKeepTheirOrder) {
  log_.reset();
  log_ = open_or_die(dir_.path(), {{"fsync", "true"}});
  PW_ASSERT_OK(log_->create_topics({{"t", 1}, {"u", 1}}));
  constexpr int kThreads = 8, kAppends = 500;
  std::vector<std::vector<int64_t>> offsets(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        Batch b;
        b.records = {rec("t", "k", std::to_string(t) + ":" + std::to_string(i), 0),
                     rec("u", "k", std::to_string(t), 0)};
        auto r = log_->append(b);
        ASSERT_TRUE(r.ok()) << r.error().message;
        offsets[t].push_back(r->offsets[0]);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(end("t", 0), kThreads * kAppends);
  EXPECT_EQ(end("u", 0), kThreads * kAppends);
  auto all = read_all(*log_, {"t", 0});
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kAppends));
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].offset, static_cast<int64_t>(i));
    auto colon = all[i].value.find(':');
    int t = std::stoi(all[i].value.substr(0, colon));
    int seq = std::stoi(all[i].value.substr(colon + 1));
    ASSERT_EQ(seq, next[t]++) << "thread " << t << " out of order";
    ASSERT_EQ(offsets[t][seq], static_cast<int64_t>(i));
  }
}

TEST_F(LocalLog, BlockedReaderWakesOnAppend) {
  PW_ASSERT_OK(log_->create_topics({{"t", 1}}));
  auto reader = log_->reader({"t", 0}, 0);
  PW_ASSERT_OK(reader);
  std::chrono::steady_clock::time_point appended_at, woke_at;
  std::thread appender([&] {
    std::this_thread::sleep_for(100ms);
    appended_at = std::chrono::steady_clock::now();
    EXPECT_TRUE(append({rec("t", "k", "v")}).ok());
  });
  auto got = (*reader)->read(5s, 10);
  woke_at = std::chrono::steady_clock::now();
  appender.join();
  PW_ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_LT(woke_at - appended_at, 1s);

  auto start = std::chrono::steady_clock::now();
  auto empty = (*reader)->read(150ms, 10);
  PW_ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 140ms);
}

}  // namespace
}  // namespace pw::test
