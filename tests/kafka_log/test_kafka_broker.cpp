// Proves the broker version ops/kafka-pom.xml chose, against ops/kafka's
// broker (test_kafka_log_broker only).
//
// Apache Kafka 4.0 removed the oldest versions of many requests (KIP-896).
// librdkafka does not simply pick newer versions: it decides which protocol
// features it uses from version ranges per feature (rdkafka_feature.c), and
// several of those ranges start at versions 4.0 removed (MsgVer1 needs
// Produce/Fetch v2, BrokerBalancedConsumer JoinGroup v0 and OffsetCommit
// v1..2, IdempotentProducer InitProducerId v0, ...). Against a 4.x broker an
// older librdkafka, such as Debian's 2.0.2, turns such features off without
// failing (librdkafka issue #4948), and the transactional producer or the
// consumer groups this backend relies on break later and obscurely. So the
// newest 3.9.x is used, and this file checks two things:
//  1. what librdkafka itself concluded: with debug=feature,broker it logs
//     "Updated enabled protocol features to <list>" after ApiVersions; every
//     feature the backend needs must be in that list, and every request a
//     transaction takes must still be served from version 0 (librdkafka 2.0.2
//     sends AddPartitionsToTxn and AddOffsetsToTxn at v0 only);
//  2. that it works: the backend's transactional append with consumer offsets,
//     an aborted (fenced) transaction, and read_committed consumers.
#include <librdkafka/rdkafka.h>

#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using log::Batch;

struct CapturedLog {
  std::mutex mu;
  std::vector<std::string> lines;
};

void capture(const rd_kafka_t* rk, int, const char* facility, const char* line) {
  auto* log = static_cast<CapturedLog*>(rd_kafka_opaque(rk));
  std::lock_guard lock(log->mu);
  log->lines.push_back(std::string(facility) + " " + line);
}

// The debug log of one client of this librdkafka connecting to the broker:
// lines until it reported the features it enabled (or 15 s passed).
std::vector<std::string> negotiation_log(const std::string& bootstrap) {
  CapturedLog log;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", bootstrap}, {"debug", "feature,broker"}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << k << ": " << err;
      rd_kafka_conf_destroy(conf);
      return {};
    }
  }
  rd_kafka_conf_set_log_cb(conf, capture);
  rd_kafka_conf_set_opaque(conf, &log);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    ADD_FAILURE() << err;
    return {};
  }
  const rd_kafka_metadata_t* md = nullptr;
  const auto err_md = rd_kafka_metadata(rk, 0, nullptr, &md, 10000);
  EXPECT_EQ(err_md, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err_md);
  if (md) rd_kafka_metadata_destroy(md);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  auto reported = [&] {
    std::lock_guard lock(log.mu);
    for (const auto& l : log.lines)
      if (l.find("Updated enabled protocol features to ") != std::string::npos) return true;
    return false;
  };
  while (!reported() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  rd_kafka_destroy(rk);  // the log callback runs no more after this
  return log.lines;
}

class KafkaBrokerVersion : public KafkaTest {};

TEST_F(KafkaBrokerVersion, LibrdkafkaKeepsTheProtocolFeaturesTransactionsAndGroupsNeed) {
  const auto lines = negotiation_log(bootstrap_);
  std::set<std::string> enabled;
  std::map<std::string, std::pair<int, int>> versions;  // request name -> broker's min..max
  const std::regex api(R"(ApiKey (\w+) \(\d+\) Versions (\d+)\.\.(\d+))");
  const std::string marker = "Updated enabled protocol features to ";
  for (const auto& l : lines) {
    if (auto at = l.find(marker); at != std::string::npos) {
      enabled.clear();  // the newest report counts
      std::stringstream list(l.substr(at + marker.size()));
      for (std::string f; std::getline(list, f, ',');) enabled.insert(f);
    }
    if (std::smatch m; std::regex_search(l, m, api))
      versions[m[1]] = {std::stoi(m[2]), std::stoi(m[3])};
  }
  std::cout << "[ broker ] librdkafka " << rd_kafka_version_str() << " enabled:";
  for (const auto& f : enabled) std::cout << " " << f;
  std::cout << "\n";
  ASSERT_FALSE(enabled.empty()) << "librdkafka reported no protocol features; its log:\n"
                                << (lines.empty() ? "" : lines.front());
  for (const char* needed : {"ApiVersion", "MsgVer2", "IdempotentProducer", "BrokerGroupCoordinator",
                             "BrokerBalancedConsumer", "MsgVer1", "ThrottleTime", "OffsetTime"})
    EXPECT_TRUE(enabled.contains(needed)) << "librdkafka turned off " << needed;
  for (const char* request : {"InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn",
                              "TxnOffsetCommit", "FindCoordinator", "JoinGroup", "OffsetCommit",
                              "OffsetFetch", "Produce", "Fetch"}) {
    auto it = versions.find(request);
    ASSERT_NE(it, versions.end()) << "the broker did not list " << request;
    EXPECT_EQ(it->second.first, 0) << request << " is no longer served from version 0";
  }
}

TEST_F(KafkaBrokerVersion, TransactionsWithOffsetsAndReadCommittedConsumersWork) {
  const auto in = topic("version.in", 1);
  const auto out = topic("version.out", 1);
  Batch commands;
  for (int i = 0; i < 4; ++i) commands.records.push_back({in, "k", "cmd-" + std::to_string(i), 0});
  ASSERT_TRUE(log_->append(commands).ok());

  auto member = subscribe(*log_, group("g.version"), in);
  ASSERT_TRUE(member);
  const auto recs = poll_for(*member, 4);
  ASSERT_EQ(recs.size(), 4u);
  // Output and the group's offsets in one transaction (AddOffsetsToTxn, TxnOffsetCommit).
  Batch done{{{out, "k", "done-0", 0}, {out, "k", "done-1", 0}}, {}, {{{in, 0}, recs[1].offset + 1}}, member.get()};
  auto committed = log_->append(done);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  member->close();
  auto stored = log_->committed_offset(group("g.version"), {in, 0});
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(*stored, std::optional<int64_t>(recs[1].offset + 1));

  // A member that owns nothing: its transaction is aborted after its records were written.
  auto outsider = subscribe(*log_, group("g.version.outsider"), in);
  ASSERT_TRUE(outsider);
  Batch zombie{{{out, "k", "aborted", 0}}, {}, {{{in, 0}, 4}}, outsider.get()};
  auto fenced = log_->append(zombie);
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().code, Errc::fenced) << fenced.error().message;
  outsider->close();
  ASSERT_TRUE(log_->append(batch_of({{out, "k", "done-2", 0}})).ok());

  // read_committed: a reader and a group member see the committed records only.
  EXPECT_EQ(values(read_all({out, 0}, 0, 3)), (std::vector<std::string>{"done-0", "done-1", "done-2"}));
  auto auditor = subscribe(*log_, group("g.version.audit"), out);
  ASSERT_TRUE(auditor);
  EXPECT_EQ(values(poll_for(*auditor, 3)), (std::vector<std::string>{"done-0", "done-1", "done-2"}));
  // The group resumes after what it committed with its output.
  auto resumed = subscribe(*log_, group("g.version"), in);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(values(poll_for(*resumed, 2)), (std::vector<std::string>{"cmd-2", "cmd-3"}));
  auditor->close();
  resumed->close();
}

}  // namespace
}  // namespace pw::test
