#pragma once
// The Kafka broker a process-level test runs the roles on, either way it comes:
// `pagewright dev-broker` (librdkafka's mock cluster) in a child process, or
// the real broker named by PW_TEST_KAFKA_BOOTSTRAP, where the test gets a
// namespace of its own (tests share that broker, two at a time). A scenario is
// written once as a TEST_P and instantiated for both:
//   INSTANTIATE_TEST_SUITE_P(Brokers, Suite, kBothBrokers);
// Needs PW_BINARY (and PW_SOURCE_DIR for the broker listings) defined by the target.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <ostream>
#include <set>
#include <string>
#include <utility>

#include "events/ids.hpp"
#include "events/log.hpp"
#include "tests/cli/processes.hpp"

namespace pw::test {

enum class BrokerKind { dev, real };

inline const auto kBothBrokers = ::testing::Values(BrokerKind::dev, BrokerKind::real);

// Also the tests' names in ctest: gtest calls them …/0 and …/1 and lists
// each with its printed value, which gtest_discover_tests puts in their place.
inline void PrintTo(BrokerKind kind, std::ostream* os) {
  *os << (kind == BrokerKind::dev ? "DevBroker" : "RealBroker");
}

class TestBroker {
 public:
  TestBroker() = default;

  // Starts the dev broker (with `dev_partitions` per topic), or names the real
  // one under a fresh namespace "<tag>-<random>". When it cannot, the test has
  // failed, or (a real broker outside CI) been skipped: check ready().
  static TestBroker start(BrokerKind kind, const std::string& tag, int32_t dev_partitions = 4) {
    TestBroker b;
    b.kind_ = kind;
    if (kind == BrokerKind::dev) {
      b.child_ = spawn({PW_BINARY, "dev-broker", "--partitions", std::to_string(dev_partitions)});
      b.bootstrap_ = read_bootstrap(b.child_);
      if (b.bootstrap_.empty()) ADD_FAILURE() << "dev-broker printed no bootstrap servers";
      b.partitions_ = dev_partitions;
      return b;
    }
    const char* bootstrap = std::getenv("PW_TEST_KAFKA_BOOTSTRAP");
    if (bootstrap == nullptr || *bootstrap == '\0') {
      missing_real_broker();
      return b;
    }
    b.bootstrap_ = bootstrap;
    b.namespace_ = tag + "-" + uuid_v4().substr(0, 8);
    // The roles create the topics (ops/cli/pools.cpp), with the default count.
    b.partitions_ = log::kDefaultPartitions;
    return b;
  }

  bool ready() const { return !bootstrap_.empty(); }
  BrokerKind kind() const { return kind_; }
  bool real() const { return kind_ == BrokerKind::real; }
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& name_space() const { return namespace_; }
  int32_t partitions() const { return partitions_; }

  // The --log URI every role of the test takes.
  std::string uri() const {
    if (!real()) {
      // The mock cluster holds a rebalance of a live group for the members'
      // session.timeout.ms - 1 s, and its SyncGroup rejects a follower that
      // syncs after the leader (a CPU-starved worker does), forcing another:
      // keep sessions short, as the in-process mock tests do. Short fetch waits
      // too: the mock answers an empty fetch only after fetch.wait.max.ms,
      // however soon data arrives.
      return "kafka:" + bootstrap_ +
             "?consumer.session.timeout.ms=3000&consumer.heartbeat.interval.ms=500&consumer.fetch.wait.max.ms=10";
    }
    // A real broker answers a fetch as soon as data arrives, and completes a
    // rebalance as soon as every member has rejoined. Sessions are short (the
    // broker allows 1 s) so a SIGKILLed member's partitions move within
    // seconds.
    return "kafka:" + bootstrap_ + "?namespace=" + namespace_ +
           "&consumer.session.timeout.ms=3000&consumer.heartbeat.interval.ms=500";
  }

  // A topic's name on the broker (for tools that are not our client, like kcat).
  std::string wire(const std::string& plain) const { return namespace_.empty() ? plain : namespace_ + "." + plain; }

  // The dev broker's exit status on SIGTERM; 0 for the real one, which stays.
  int stop(std::chrono::seconds patience) {
    if (!real() && child_.pid > 0) return pw::test::stop(child_, patience);
    return 0;
  }

 private:
  static void missing_real_broker() {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true")
      GTEST_FAIL() << "PW_TEST_KAFKA_BOOTSTRAP is not set; CI runs this test against a real Kafka broker "
                      "(ops/test starts one with ops/kafka)";
    GTEST_SKIP() << "PW_TEST_KAFKA_BOOTSTRAP is not set (a real broker, e.g. `ops/kafka start` and "
                    "`export PW_TEST_KAFKA_BOOTSTRAP=$(ops/kafka url)`)";
  }

  BrokerKind kind_ = BrokerKind::dev;
  Child child_;
  std::string bootstrap_;
  std::string namespace_;
  int32_t partitions_ = 0;
};

// What one of Kafka's own tools lists on the real broker, one name a line:
// `ops/kafka tool topics --list`, `… consumer-groups --list`, `… transactions
// list` (whose first column is the transactional id).
inline std::set<std::string> kafka_tool_names(const TestBroker& broker, const std::string& tool) {
  const std::string cmd = "PW_KAFKA_BOOTSTRAP='" + broker.bootstrap() + "' " PW_SOURCE_DIR "/ops/kafka tool " + tool +
                          " 2>/dev/null";
  std::set<std::string> names;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << cmd;
    return names;
  }
  char line[1024];
  while (std::fgets(line, sizeof line, pipe)) {
    std::string name(line);
    name = name.substr(0, name.find_first_of(" \t\n"));
    if (!name.empty()) names.insert(name);
  }
  EXPECT_EQ(::pclose(pipe), 0) << cmd;
  return names;
}

// Topics, consumer groups and transactional ids on the real broker.
struct BrokerNames {
  std::set<std::string> topics, groups, transactions;
};

inline BrokerNames broker_names(const TestBroker& broker) {
  // At once: each tool is a JVM that takes seconds to start.
  auto list = [&broker](const char* tool) {
    return std::async(std::launch::async, [&broker, tool] { return kafka_tool_names(broker, tool); });
  };
  auto topics = list("topics --list");
  auto groups = list("consumer-groups --list");
  auto transactions = list("transactions list");
  return {topics.get(), groups.get(), transactions.get()};
}

// The names that appeared since `before`: none of them a pagewright name
// outside a namespace (what a client that missed the test's namespace would
// have made), and the namespace's own names in `mine`.
inline BrokerNames names_since(const BrokerNames& before, const BrokerNames& after, const TestBroker& broker,
                               BrokerNames& mine) {
  BrokerNames stray;
  const std::string ours = broker.name_space() + ".";
  auto sort = [&](const std::set<std::string>& was, const std::set<std::string>& now, std::set<std::string>& in,
                  std::set<std::string>& out) {
    for (const auto& n : now) {
      if (n.rfind(ours, 0) == 0) in.insert(n.substr(ours.size()));
      else if (!was.contains(n) && n.rfind("pagewright", 0) == 0) out.insert(n);
    }
  };
  sort(before.topics, after.topics, mine.topics, stray.topics);
  sort(before.groups, after.groups, mine.groups, stray.groups);
  sort(before.transactions, after.transactions, mine.transactions, stray.transactions);
  return stray;
}

}  // namespace pw::test
