#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"

namespace {

std::vector<std::string> make_chain(int n) {
  std::vector<std::string> out;
  std::string prev = pw::kGenesisHash;
  for (int i = 1; i <= n; ++i) {
    pw::Envelope e;
    e.id = "event-" + std::to_string(i);
    e.type = "ComponentAdded";
    e.tenant_id = "t";
    e.site_id = "s";
    e.aggregate = {"page", "s.p", i};
    e.seq = i;
    e.occurred_at = "2026-11-22T10:00:00.000000Z";
    e.actor = "u";
    e.command_id = "c" + std::to_string(i);
    e.correlation_id = e.command_id;
    e.causation_id = e.command_id;
    e.prev_hash = prev;
    e.data = {{"componentId", "x" + std::to_string(i)}, {"text", "hello \"prevHash\":\"" + std::string(64, '0') + "\""}};
    out.push_back(pw::encode(e));
    prev = pw::sha256_hex(out.back());
  }
  return out;
}

pw::ChainReport verify(const std::vector<std::string>& records) {
  pw::ChainVerifier v;
  for (const auto& r : records) v.add(r);
  return v.finish();
}

TEST(HashChain, IntactChainVerifies) {
  const auto chain = make_chain(10);
  const auto report = verify(chain);
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 10);
  EXPECT_EQ(report.head_hash, pw::sha256_hex(chain.back()));
  EXPECT_FALSE(report.first_bad_seq.has_value());
}

TEST(HashChain, EmptyChainIsOkWithGenesisHead) {
  const auto report = verify({});
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 0);
  EXPECT_EQ(report.head_hash, pw::kGenesisHash);
}

TEST(HashChain, TamperedByteIsDetectedAtItsSeq) {
  for (int target : {1, 4, 9}) {
    auto chain = make_chain(10);
    auto& rec = chain[static_cast<size_t>(target - 1)];
    rec[rec.find("hello")] = 'j';  // one byte inside the data
    const auto report = verify(chain);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_seq, target) << target;
  }
}

TEST(HashChain, TamperedLastRecordIsUndetectableWithoutAHeadButHeadChanges) {
  auto chain = make_chain(5);
  const auto honest_head = verify(chain).head_hash;
  chain.back()[chain.back().find("hello")] = 'j';
  const auto report = verify(chain);
  EXPECT_NE(report.head_hash, honest_head);  // an auditor comparing heads sees it
}

TEST(HashChain, DroppedEventIsDetectedAtTheMissingSeq) {
  auto chain = make_chain(10);
  chain.erase(chain.begin() + 5);  // seq 6
  const auto report = verify(chain);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 6);
  EXPECT_EQ(report.events, 9);
}

TEST(HashChain, ReorderedPairIsDetectedAtTheFirstOfThePair) {
  auto chain = make_chain(10);
  std::swap(chain[2], chain[3]);  // seq 3 and 4
  const auto report = verify(chain);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
}

TEST(HashChain, ForgedPrevHashIsDetectedAtTheForgedRecord) {
  for (int target : {1, 5, 9}) {
    auto chain = make_chain(10);
    auto& rec = chain[static_cast<size_t>(target - 1)];
    const auto at = rec.find("\"prevHash\":\"") + 12;
    rec.replace(at, 64, std::string(64, 'f'));
    const auto report = verify(chain);
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_seq, target) << target;
  }
}

TEST(HashChain, BrokenLastLinkBlamesTheEarliestSuspect) {
  // A forged prevHash on the last record and an altered second-to-last record
  // look the same from the chain alone; the report names the earlier one.
  auto chain = make_chain(10);
  auto& rec = chain.back();
  rec.replace(rec.find("\"prevHash\":\"") + 12, 64, std::string(64, 'f'));
  EXPECT_EQ(verify(chain).first_bad_seq, 9);
}

TEST(HashChain, ConsistentRewriteOfASuffixShowsOnlyInTheHeadHash) {
  // An attacker who rewrites record 4 and recomputes every later prevHash leaves
  // a consistent chain; what gives it away is the head hash an auditor kept.
  auto chain = make_chain(8);
  auto e = *pw::decode(chain[3]);
  e.data["text"] = "rewritten";
  chain[3] = pw::encode(e);
  for (size_t i = 4; i < chain.size(); ++i) {
    auto next = *pw::decode(chain[i]);
    next.prev_hash = pw::sha256_hex(chain[i - 1]);
    chain[i] = pw::encode(next);
  }
  const auto report = verify(chain);
  EXPECT_TRUE(report.ok);
  EXPECT_NE(report.head_hash, verify(make_chain(8)).head_hash);
}

TEST(HashChain, GarbageRecordIsBadAtItsSeq) {
  auto chain = make_chain(5);
  chain[2] = "not json";
  EXPECT_EQ(verify(chain).first_bad_seq, 3);
}

TEST(HashChain, VerifiesFromACheckpoint) {
  const auto chain = make_chain(10);
  pw::ChainVerifier v(6, pw::sha256_hex(chain[4]));
  for (size_t i = 5; i < chain.size(); ++i) v.add(chain[i]);
  const auto report = v.finish();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 5);
}

TEST(HashChain, ScannerIgnoresLookalikesInsideStrings) {
  const auto chain = make_chain(1);
  const auto f = pw::scan_chain_fields(chain[0]);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->seq, 1);
  EXPECT_EQ(pw::to_hex(f->prev_hash), pw::kGenesisHash);
}

}  // namespace
