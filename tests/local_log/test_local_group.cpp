// Consumer groups of the local backend: assignment, eager rebalance, fencing,
// hand-over on close, crash and eviction, committed offsets, exactly-once.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "tests/local_log/local_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using log::Batch;
using log::TopicPartition;
using TPs = std::vector<TopicPartition>;

// Follows one member's callbacks; used only by the thread that polls it.
struct Tracker {
  std::set<TopicPartition> owned;
  std::vector<TPs> assigned, revoked;
  std::function<void(const TPs&)> during_revoke;

  log::RebalanceListener listener() {
    return {[this](const TPs& tps) {
              assigned.push_back(tps);
              for (const auto& tp : tps) EXPECT_TRUE(owned.insert(tp).second);
            },
            [this](const TPs& tps) {
              revoked.push_back(tps);
              if (during_revoke) during_revoke(tps);
              for (const auto& tp : tps) EXPECT_EQ(owned.erase(tp), 1u);
            }};
  }
};

TPs parts(const std::string& topic, std::initializer_list<int32_t> ps) {
  TPs out;
  for (int32_t p : ps) out.push_back({topic, p});
  return out;
}

std::set<TopicPartition> set_of(const TPs& tps) { return {tps.begin(), tps.end()}; }

class LocalGroup : public ::testing::Test {
 protected:
  void SetUp() override { open({{"fsync", "false"}}); }
  void open(const log::Config& config) {
    log_.reset();
    log_ = open_or_die(dir_.path(), config);
    PW_ASSERT_OK(log_->create_topics({{"t", 4}, {"out", 1}}));
  }
  // `n` records into each partition of t, values "p:i".
  void fill(int n) {
    for (int i = 0; i < n; ++i)
      for (int32_t p = 0; p < 4; ++p) {
        Batch b;
        b.records = {rec("t", "k", std::to_string(p) + ":" + std::to_string(i), p)};
        PW_ASSERT_OK(log_->append(b));
      }
  }
  std::unique_ptr<log::Consumer> join(Tracker& tr, const std::string& group = "g") {
    auto c = log_->subscribe(group, {"t"}, tr.listener());
    if (!c.ok()) throw std::runtime_error(c.error().message);
    return std::move(c).value();
  }
  // Polls until `want` records arrived or 3 s passed.
  static std::vector<log::Record> drain(log::Consumer& c, size_t want) {
    std::vector<log::Record> out;
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto got = c.poll(50ms, 100);
      EXPECT_TRUE(got.ok());
      if (got.ok()) out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<log::EventLog> log_;
};

TEST_F(LocalGroup, SoleMemberTakesEveryPartitionFromTheCommittedOffset) {
  fill(3);
  Tracker t1;
  auto c1 = join(t1);
  EXPECT_EQ(drain(*c1, 12).size(), 12u);
  EXPECT_EQ(t1.owned, set_of(parts("t", {0, 1, 2, 3})));
  EXPECT_EQ(set_of(c1->assignment()), t1.owned);
  PW_ASSERT_OK(c1->commit({{{"t", 0}, 2}}));
  c1->close();
  EXPECT_TRUE(t1.owned.empty());

  Tracker t2;
  auto c2 = join(t2);
  auto got = drain(*c2, 10);
  ASSERT_EQ(got.size(), 10u);
  for (const auto& r : got) {
    if (r.partition == 0) {
      EXPECT_EQ(r.offset, 2);
    }
  }
}

TEST_F(LocalGroup, JoinersSplitPartitionsOnlyAfterTheOwnerRevokes) {
  Tracker t1, t2, t3;
  auto c1 = join(t1);
  PW_ASSERT_OK(c1->poll(0ms, 10));
  EXPECT_EQ(t1.owned, set_of(parts("t", {0, 1, 2, 3})));

  auto c2 = join(t2);
  PW_ASSERT_OK(c2->poll(50ms, 10));
  EXPECT_TRUE(t2.owned.empty()) << "assigned before the owner revoked";
  PW_ASSERT_OK(c1->poll(0ms, 10));
  ASSERT_EQ(t1.revoked.size(), 1u);
  EXPECT_EQ(t1.revoked[0], parts("t", {2, 3}));
  PW_ASSERT_OK(c2->poll(0ms, 10));
  EXPECT_EQ(t1.owned, set_of(parts("t", {0, 1})));
  EXPECT_EQ(t2.owned, set_of(parts("t", {2, 3})));
  EXPECT_EQ(c1->assignment(), parts("t", {0, 1}));

  auto c3 = join(t3);
  PW_ASSERT_OK(c3->poll(0ms, 10));
  PW_ASSERT_OK(c1->poll(0ms, 10));  // keeps 0 and 1: no callback
  EXPECT_EQ(t1.revoked.size(), 1u);
  PW_ASSERT_OK(c2->poll(0ms, 10));
  PW_ASSERT_OK(c3->poll(0ms, 10));
  EXPECT_EQ(t2.owned, set_of(parts("t", {2})));
  EXPECT_EQ(t3.owned, set_of(parts("t", {3})));
}

TEST_F(LocalGroup, FormerOwnerIsFencedAndAppendsNothing) {
  fill(2);
  Tracker t1, t2;
  auto c1 = join(t1);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  auto c2 = join(t2);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  PW_ASSERT_OK(c2->poll(0ms, 0));
  ASSERT_EQ(t2.owned, set_of(parts("t", {2, 3})));

  Batch stale;
  stale.records = {rec("out", "k", "from a zombie")};
  stale.offsets = {{{"t", 0}, 1}, {{"t", 2}, 1}};
  stale.consumer = c1.get();
  auto r = log_->append(stale);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fenced);
  EXPECT_EQ(*log_->end_offset({"out", 0}), 0);
  EXPECT_EQ(*log_->committed_offset("g", {"t", 0}), std::nullopt);
  EXPECT_EQ(c1->commit({{{"t", 3}, 1}}).error().code, Errc::fenced);
  PW_ASSERT_OK(c1->commit({{{"t", 0}, 1}}));
  PW_ASSERT_OK(c2->commit({{{"t", 3}, 2}}));
  EXPECT_EQ(*log_->committed_offset("g", {"t", 3}), std::optional<int64_t>(2));

  Batch orphan;
  orphan.offsets = {{{"t", 0}, 1}};
  EXPECT_EQ(log_->append(orphan).error().code, Errc::validation_error);
  c1->close();
  EXPECT_EQ(c1->commit({{{"t", 0}, 2}}).error().code, Errc::fenced);
}

TEST_F(LocalGroup, RevokingMemberMayStillCommitInsideOnRevoked) {
  fill(5);
  Tracker t1, t2;
  auto c1 = join(t1);
  t1.during_revoke = [&](const TPs& tps) {
    log::Offsets done;
    for (const auto& tp : tps) done[tp] = 3;
    Batch b;
    b.records = {rec("out", "k", "handover")};
    b.offsets = done;
    b.consumer = c1.get();
    auto r = log_->append(b);
    EXPECT_TRUE(r.ok()) << r.error().message;
  };
  PW_ASSERT_OK(c1->poll(0ms, 0));
  auto c2 = join(t2);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  auto got = drain(*c2, 4);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& r : got) {
    EXPECT_TRUE(r.partition == 2 || r.partition == 3);
    EXPECT_GE(r.offset, 3);
  }
  EXPECT_EQ(*log_->end_offset({"out", 0}), 1);
}

TEST_F(LocalGroup, CloseAndDestructionHandPartitionsOver) {
  Tracker t1, t2, t3;
  auto c1 = join(t1);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  auto c2 = join(t2);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  PW_ASSERT_OK(c2->poll(0ms, 0));
  c2->close();
  EXPECT_TRUE(t2.owned.empty());
  EXPECT_EQ(t2.revoked.back(), parts("t", {2, 3}));
  PW_ASSERT_OK(c1->poll(0ms, 0));
  EXPECT_EQ(t1.owned.size(), 4u);

  auto c3 = join(t3);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  PW_ASSERT_OK(c3->poll(0ms, 0));
  EXPECT_EQ(t3.owned.size(), 2u);
  c3.reset();  // a member that vanishes without close() still leaves
  PW_ASSERT_OK(c1->poll(0ms, 0));
  EXPECT_EQ(t1.owned.size(), 4u);
}

TEST_F(LocalGroup, IdleMemberIsEvictedThenRejoins) {
  open({{"fsync", "false"}, {"max.poll.interval.ms", "300"}});
  Tracker t1, t2;
  auto c1 = join(t1);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  auto c2 = join(t2);
  const auto start = std::chrono::steady_clock::now();
  while (t2.owned.size() < 4 && std::chrono::steady_clock::now() - start < 3s)
    PW_ASSERT_OK(c2->poll(50ms, 0));
  EXPECT_EQ(t2.owned.size(), 4u) << "c1 was not evicted";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(c1->commit({{{"t", 0}, 1}}).error().code, Errc::fenced);

  PW_ASSERT_OK(c1->poll(0ms, 0));  // learns of the eviction and rejoins
  EXPECT_TRUE(t1.owned.empty());
  PW_ASSERT_OK(c2->poll(0ms, 0));
  PW_ASSERT_OK(c1->poll(0ms, 0));
  EXPECT_EQ(t2.owned, set_of(parts("t", {0, 1})));
  EXPECT_EQ(t1.owned, set_of(parts("t", {2, 3})));
}

TEST_F(LocalGroup, SeekMovesTheReadPosition) {
  fill(5);
  Tracker t1;
  auto c1 = join(t1);
  EXPECT_EQ(drain(*c1, 20).size(), 20u);
  PW_ASSERT_OK(c1->seek({"t", 1}, 3));
  auto again = drain(*c1, 2);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].offset, 3);
  EXPECT_EQ(again[0].partition, 1);
  EXPECT_EQ(c1->seek({"t", 1}, -1).error().code, Errc::validation_error);
  EXPECT_EQ(c1->seek({"out", 0}, 0).error().code, Errc::validation_error);
}

TEST_F(LocalGroup, GroupsReadIndependently) {
  fill(2);
  Tracker ta, tb;
  auto a = join(ta, "a");
  auto b = join(tb, "b");
  EXPECT_EQ(drain(*a, 8).size(), 8u);
  EXPECT_EQ(drain(*b, 8).size(), 8u);
}

TEST_F(LocalGroup, PollWakesOnAppend) {
  Tracker t1;
  auto c1 = join(t1);
  PW_ASSERT_OK(c1->poll(0ms, 0));
  std::thread appender([&] {
    std::this_thread::sleep_for(100ms);
    Batch b;
    b.records = {rec("t", "k", "v", 2)};
    EXPECT_TRUE(log_->append(b).ok());
  });
  const auto start = std::chrono::steady_clock::now();
  auto got = c1->poll(5s, 10);
  appender.join();
  PW_ASSERT_OK(got);
  EXPECT_EQ(got->size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

// Members come and go (close, crash) while others transform t into out and
// commit offsets in the same batch: every input appears in out exactly once.
TEST_F(LocalGroup, ExactlyOnceAcrossMembershipChanges) {
  constexpr int kPerPartition = 150;
  fill(kPerPartition);
  struct Worker {
    std::atomic<bool> stop{false};
    bool crash = false;
    std::thread thread;
  };
  std::atomic<size_t> revocations{0};
  auto run = [&](Worker& w) {
    Tracker tr;
    auto c = join(tr);
    while (!w.stop) {
      auto got = c->poll(20ms, 7);
      ASSERT_TRUE(got.ok()) << got.error().message;
      if (got->empty()) continue;
      Batch b;
      b.consumer = c.get();
      for (const auto& r : *got) {
        b.records.push_back(rec("out", r.key, r.value));
        b.offsets[{r.topic, r.partition}] = r.offset + 1;
      }
      auto r = log_->append(b);
      ASSERT_TRUE(r.ok()) << r.error().message;
      std::this_thread::sleep_for(1ms);  // so membership changes land mid-stream
    }
    if (w.crash) {
      ASSERT_TRUE(c->poll(20ms, 7).ok());  // fetched, never committed: must be redone
      c.reset();
    } else {
      c->close();
    }
    revocations += tr.revoked.size();
  };
  auto out_count = [&] { return *log_->end_offset({"out", 0}); };
  auto wait_for = [&](int64_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (out_count() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
  };
  std::vector<std::unique_ptr<Worker>> workers;
  auto start = [&](bool crash) {
    workers.push_back(std::make_unique<Worker>());
    workers.back()->crash = crash;
    workers.back()->thread = std::thread(run, std::ref(*workers.back()));
  };
  auto stop = [&](size_t i) {
    workers[i]->stop = true;
    workers[i]->thread.join();
  };
  start(false);
  wait_for(60);
  start(true);
  wait_for(150);
  start(false);
  wait_for(250);
  stop(0);
  wait_for(350);
  stop(1);  // leaves without close()
  start(false);
  wait_for(4 * kPerPartition);
  stop(2);
  stop(3);

  EXPECT_GE(revocations.load(), 3u);
  std::multiset<std::string> seen;
  for (const auto& r : read_all(*log_, {"out", 0})) seen.insert(r.value);
  EXPECT_EQ(seen.size(), 4u * kPerPartition);
  for (int32_t p = 0; p < 4; ++p)
    for (int i = 0; i < kPerPartition; ++i)
      EXPECT_EQ(seen.count(std::to_string(p) + ":" + std::to_string(i)), 1u);
}

}  // namespace
}  // namespace pw::test
