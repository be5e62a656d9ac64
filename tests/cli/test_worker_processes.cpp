// Two `pagewright worker --pool commands` processes in one consumer group, on
// `pagewright dev-broker` and on a real broker: every command gets one result,
// every site a complete, verifiable history, and every process stops cleanly
// on SIGTERM.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "events/hash_chain.hpp"
#include "tests/audit/kcat_chains.hpp"
#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/support/command_stream.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;

class WorkerProcesses : public ::testing::TestWithParam<BrokerKind> {};

TEST_P(WorkerProcesses, TwoCommandWorkersAppendAVerifiableHistoryAndStopCleanly) {
  TestBroker broker = TestBroker::start(GetParam(), "worker-processes");
  if (!broker.ready()) return;
  const std::string uri = broker.uri();
  const int32_t partitions = broker.partitions();

  auto opened = log::open_log(uri);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& log = **opened;
  ASSERT_TRUE(create_pagewright_topics(log, partitions).ok());

  std::vector<domain::CommandRecord> commands;
  int n = 0;
  for (int s = 0; s < 6; ++s) {
    const std::string sub = "proc-site-" + std::to_string(s);
    const auto site = site_id_for_subdomain(sub);
    const auto home = make_page_id(site, "home");
    commands.push_back(command_record(++n, sub, d::CreateSite{site, "Site", sub}));
    commands.push_back(command_record(++n, sub, d::CreatePage{home, "Home", std::string(), {}}));
    for (int c = 0; c < 5; ++c)
      commands.push_back(command_record(
          ++n, sub, d::AddComponent{home, ComponentId{"h" + std::to_string(c)}, "Heading",
                                    nlohmann::json{{"text", "Heading " + std::to_string(c)}}, {}, {}, {}}));
  }
  auto submitted = submit_commands(log, commands);
  ASSERT_TRUE(submitted.ok()) << submitted.error().message;

  const auto data = std::filesystem::temp_directory_path() / ("pw-worker-" + std::to_string(::getpid()));
  Child w1 = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  Child w2 = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  ASSERT_GT(w1.pid, 0);
  ASSERT_GT(w2.pid, 0);

  // Wait for one result per command.
  std::vector<std::unique_ptr<log::Reader>> results;
  for (int32_t p = 0; p < partitions; ++p)
    results.push_back(std::move(log.reader({std::string(log::kResultsTopic), p}, 0)).value());
  size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (seen < commands.size() && std::chrono::steady_clock::now() < deadline)
    for (auto& r : results) {
      auto got = r->read(100ms, 1000);
      if (got.ok()) seen += got->size();
    }
  EXPECT_EQ(seen, commands.size());

  EXPECT_EQ(stop(w1, 30s), 0) << "worker 1 did not drain and exit cleanly on SIGTERM";
  EXPECT_EQ(stop(w2, 30s), 0) << "worker 2 did not drain and exit cleanly on SIGTERM";

  // Every site's history is complete and its chain verifies.
  std::map<std::string, std::vector<std::string>> by_site;
  for (int32_t p = 0; p < partitions; ++p) {
    // Read up to the partition's end: a fixed number of polls is not enough on a
    // loaded machine, where a new reader's first fetch can take seconds.
    const log::TopicPartition tp{std::string(log::kEventsTopic), p};
    const auto end = log.end_offset(tp);
    ASSERT_TRUE(end.ok()) << end.error().message;
    auto reader = std::move(log.reader(tp, 0)).value();
    int64_t next = 0;
    const auto read_deadline = std::chrono::steady_clock::now() + 60s;
    while (next < *end && std::chrono::steady_clock::now() < read_deadline) {
      auto got = reader->read(200ms, 1000);
      if (!got.ok()) continue;
      for (auto& rec : *got) {
        by_site[rec.key].push_back(rec.value);
        next = rec.offset + 1;
      }
    }
    EXPECT_GE(next, *end) << "partition " << p << " not read to its end";
  }
  EXPECT_EQ(by_site.size(), 6u);
  std::map<std::string, std::string> ours;  // site → "<events> <head> ok"
  for (const auto& [site, values] : by_site) {
    EXPECT_EQ(values.size(), 7u) << site;
    ChainVerifier v;
    for (const auto& value : values) v.add(value);
    const auto report = v.finish();
    EXPECT_TRUE(report.ok) << site;
    ours[site] = std::to_string(report.events) + " " + report.head_hash + (report.ok ? " ok" : " bad");
  }

  // An auditor who is not us: kcat reads the topic, Python's hashlib checks the
  // chain, and both agree with our verifier on every site's head.
  const std::map<std::string, std::string> theirs =
      chain_heads_by_kcat(broker.bootstrap(), partitions, broker.wire(std::string(log::kEventsTopic)));
  EXPECT_EQ(theirs, ours);

  results.clear();
  opened = make_error(Errc::internal, "closed");  // disconnect before the broker goes
  EXPECT_EQ(broker.stop(30s), 0) << "dev-broker did not exit cleanly on SIGTERM";
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

INSTANTIATE_TEST_SUITE_P(Brokers, WorkerProcesses, kBothBrokers);

}  // namespace
}  // namespace pw::test
