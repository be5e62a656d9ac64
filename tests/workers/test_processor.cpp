// The command processor against a real event log: what it appends, how it
// answers repeats, and that a processor killed mid-stream and restarted appends
// exactly what an uninterrupted one does.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/kafka_log/broker.hpp"
#include "tests/workers/backend.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

extern char** environ;

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using domain::CommandRecord;
namespace d = domain;

constexpr int32_t kPartitions = 4;
const std::string kCommands(log::kCommandsTopic);
const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);

domain::CommandRecord record(int n, const std::string& subdomain, d::Command command,
                     std::string command_id = "") {
  return command_record(n, subdomain, std::move(command), std::move(command_id));
}

// A deterministic mix: site and page creation, component edits, rejections
// (unknown type, slug taken) and repeated command ids.
std::vector<domain::CommandRecord> command_stream(int sites, int edits_per_site, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<domain::CommandRecord> out;
  int n = 0;
  std::vector<std::string> subdomains;
  for (int s = 0; s < sites; ++s) {
    subdomains.push_back("site-" + std::to_string(s));
    const auto& sub = subdomains.back();
    out.push_back(record(++n, sub, d::CreateSite{site_id_for_subdomain(sub), "Site " + sub, sub}));
    out.push_back(record(++n, sub, d::CreatePage{make_page_id(site_id_for_subdomain(sub), "home"), "Home", "", {}}));
  }
  for (int i = 0; i < edits_per_site * sites; ++i) {
    const auto& sub = subdomains[rng() % subdomains.size()];
    const auto site = site_id_for_subdomain(sub);
    const auto page = make_page_id(site, "home");
    const int kind = static_cast<int>(rng() % 10);
    const std::string component = "c" + std::to_string(rng() % 20);
    ++n;
    if (kind < 4) {
      out.push_back(record(n, sub, d::AddComponent{page, ComponentId{component}, "Heading",
                                                   nlohmann::json{{"text", "Title " + std::to_string(n)}}, {}, {}, {}}));
    } else if (kind < 6) {
      out.push_back(record(n, sub, d::UpdateComponentProps{page, ComponentId{component},
                                                           {{"text", "Edited " + std::to_string(n)}}}));
    } else if (kind < 7) {
      out.push_back(record(n, sub, d::MoveComponent{page, ComponentId{component}, {}, {}, 0}));
    } else if (kind < 8) {
      out.push_back(record(n, sub, d::AddComponent{page, ComponentId{"x" + std::to_string(n)}, "Marquee", {}, {}, {}, {}}));
    } else if (kind < 9) {
      out.push_back(record(n, sub, d::CreatePage{make_page_id(site, "p" + std::to_string(n)), "About", "about", {}}));
    } else if (!out.empty()) {
      out.push_back(out[rng() % out.size()]);  // a client retrying an earlier command
    }
  }
  return out;
}

std::unique_ptr<log::EventLog> open(const std::string& uri, const log::Config& config) {
  auto r = log::open_log(uri, config);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return std::move(r).value();
}

void create_topics(log::EventLog& log) {
  auto r = create_pagewright_topics(log, kPartitions);
  if (!r.ok()) throw std::runtime_error(r.error().message);
}

void submit(log::EventLog& log, const std::vector<domain::CommandRecord>& commands) {
  auto r = submit_commands(log, commands);
  ASSERT_TRUE(r.ok()) << r.error().message;
}

// Every record of a topic per partition, reading until `total` records arrived.
std::map<int32_t, std::vector<log::Record>> read_all(log::EventLog& log, const std::string& topic,
                                                     size_t total) {
  std::map<int32_t, std::vector<log::Record>> out;
  std::vector<std::unique_ptr<log::Reader>> readers;
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto r = log.reader({topic, p}, 0);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    readers.push_back(std::move(r).value());
  }
  size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool quiet = false;
  while (std::chrono::steady_clock::now() < deadline && (seen < total || !quiet)) {
    quiet = true;
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto got = readers[static_cast<size_t>(p)]->read(seen < total ? 50ms : 300ms, 1000);
      if (!got.ok()) throw std::runtime_error(got.error().message);
      if (!got->empty()) quiet = false;
      seen += got->size();
      for (auto& rec : *got) out[p].push_back(std::move(rec));
    }
  }
  return out;
}

// Runs a processor in this process until `results_wanted` results are in the log.
// `recovered`, when given, follows stats().recoveries: a processor has
// partitions of its own once it recovered one.
workers::ProcessorStats run_until(log::EventLog& log, const std::filesystem::path& snapshots,
                                  size_t results_wanted, int64_t snapshot_every = 50,
                                  size_t max_batch = 256, std::atomic<int64_t>* recovered = nullptr) {
  workers::ProcessorConfig config;
  config.schemas = ::pw::test::test_schemas();
  config.snapshot_dir = snapshots;
  config.snapshot_every = snapshot_every;
  config.max_batch = max_batch;
  config.max_cached_sites = 3;  // exercise eviction and reloads from snapshots
  auto processor = workers::CommandProcessor::create(log, config);
  if (!processor.ok()) throw std::runtime_error(processor.error().message);
  std::vector<std::unique_ptr<log::Reader>> readers;
  for (int32_t p = 0; p < kPartitions; ++p) readers.push_back(std::move(log.reader({kResults, p}, 0)).value());
  size_t results = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (results < results_wanted && std::chrono::steady_clock::now() < deadline) {
    auto r = (*processor)->run_once(50ms);
    if (!r.ok()) ADD_FAILURE() << r.error().message;
    if (recovered) recovered->store((*processor)->stats().recoveries);
    for (auto& reader : readers) {
      auto got = reader->read(1ms, 10000);
      if (got.ok()) results += got->size();
    }
  }
  EXPECT_GE(results, results_wanted);
  (*processor)->close();
  return (*processor)->stats();
}

std::map<std::string, std::vector<std::string>> events_by_site(
    const std::map<int32_t, std::vector<log::Record>>& events) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [p, recs] : events)
    for (const auto& r : recs) out[r.key].push_back(r.value);
  return out;
}

class Processor : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = make_processor_backend();
    require_server(backend_->missing());
    if (IsSkipped() || HasFatalFailure()) return;
    snapshots_ = std::filesystem::temp_directory_path() / ("pw-snap-" + std::to_string(::getpid()) + "-" +
                                                           std::to_string(counter_++));
  }
  void TearDown() override {
    if (snapshots_.empty()) return;
    std::error_code ec;
    for (int i = 0; i < 3; ++i) std::filesystem::remove_all(snapshots_.string() + std::to_string(i), ec);
    std::filesystem::remove_all(snapshots_, ec);
  }
  std::filesystem::path snap(int i) const { return snapshots_.string() + std::to_string(i); }

  // The events one uninterrupted processor appends for `commands`.
  std::map<std::string, std::vector<std::string>> uninterrupted_run(const std::vector<domain::CommandRecord>& commands) {
    auto log = open(backend_->fresh_uri(), backend_->config());
    create_topics(*log);
    submit(*log, commands);
    run_until(*log, snap(0), commands.size());
    return events_by_site(read_all(*log, kEvents, 1));
  }

  std::unique_ptr<ProcessorBackend> backend_;
  std::filesystem::path snapshots_;
  static inline int counter_ = 0;
};

// "" when equal; otherwise where the two streams of events first differ.
std::string difference(const std::map<std::string, std::vector<std::string>>& got,
                       const std::map<std::string, std::vector<std::string>>& want) {
  if (got.size() != want.size())
    return "sites: " + std::to_string(got.size()) + " instead of " + std::to_string(want.size());
  for (const auto& [site, events] : want) {
    const auto it = got.find(site);
    if (it == got.end()) return "site " + site + " missing";
    const auto& g = it->second;
    for (size_t i = 0; i < std::max(g.size(), events.size()); ++i) {
      if (i < g.size() && i < events.size() && g[i] == events[i]) continue;
      return "site " + site + " differs at event " + std::to_string(i + 1) + " of " +
             std::to_string(events.size()) + " (got " + std::to_string(g.size()) + "): " +
             (i < g.size() ? g[i].substr(0, 220) : "nothing") + " instead of " +
             (i < events.size() ? events[i].substr(0, 220) : "nothing");
    }
  }
  return {};
}

TEST_F(Processor, AppendsAVerifiableChainPerSiteAndAResultPerCommand) {
  const auto uri = backend_->fresh_uri();
  auto log = open(uri, backend_->config());
  create_topics(*log);
  const auto commands = command_stream(5, 30, 7);
  submit(*log, commands);
  run_until(*log, snap(0), commands.size());

  const auto results = read_all(*log, kResults, commands.size());
  size_t result_count = 0, accepted = 0;
  for (const auto& [p, recs] : results) {
    for (const auto& rec : recs) {
      ++result_count;
      auto o = domain::decode_outcome(rec.value);
      ASSERT_TRUE(o.ok());
      if (o->accepted) ++accepted;
      if (o->accepted && !o->events.empty()) {
        EXPECT_EQ(o->position.rfind(std::to_string(p) + ":", 0), 0u) << o->position;
      }
    }
  }
  EXPECT_EQ(result_count, commands.size());
  EXPECT_GT(accepted, commands.size() / 3);

  const auto events = read_all(*log, kEvents, 1);
  const auto sites = events_by_site(events);
  EXPECT_EQ(sites.size(), 5u);
  for (const auto& [site, values] : sites) {
    ChainVerifier verifier;
    int64_t seq = 0;
    for (const auto& v : values) {
      verifier.add(v);
      auto env = decode(v);
      ASSERT_TRUE(env.ok()) << env.error().message;
      EXPECT_EQ(env->seq, ++seq);
      EXPECT_EQ(env->site_id, site);
    }
    const auto report = verifier.finish();
    EXPECT_TRUE(report.ok) << site << " bad at " << report.first_bad_seq.value_or(-1);
  }
}

TEST_F(Processor, RepeatedCommandIdYieldsOneSetOfEventsAndTheFirstOutcome) {
  const auto uri = backend_->fresh_uri();
  auto log = open(uri, backend_->config());
  create_topics(*log);
  const auto site = site_id_for_subdomain("repeat");
  const auto page = make_page_id(site, "home");
  std::vector<domain::CommandRecord> commands = {
      record(1, "repeat", d::CreateSite{site, "Repeat", "repeat"}),
      record(2, "repeat", d::CreatePage{page, "Home", "", {}}),
      record(3, "repeat", d::AddComponent{page, ComponentId{"h1"}, "Heading", nlohmann::json{{"text", "Hi"}}, {}, {}, {}}),
  };
  commands.push_back(commands[2]);  // same batch
  submit(*log, commands);
  run_until(*log, snap(0), commands.size());
  // The same id again, later, and once more with another body.
  auto other_body = commands[2];
  other_body.command = d::AddComponent{page, ComponentId{"h2"}, "Heading", nlohmann::json{{"text", "Other"}}, {}, {}, {}};
  submit(*log, {commands[2], other_body});
  run_until(*log, snap(0), commands.size() + 2);

  const auto events = read_all(*log, kEvents, 3);
  size_t event_count = 0;
  for (const auto& [p, recs] : events) event_count += recs.size();
  EXPECT_EQ(event_count, 3u);  // SiteCreated, PageCreated, ComponentAdded

  std::vector<domain::CommandOutcome> outcomes;
  for (const auto& [p, recs] : read_all(*log, kResults, 6))
    for (const auto& rec : recs) outcomes.push_back(*domain::decode_outcome(rec.value));
  ASSERT_EQ(outcomes.size(), 6u);
  auto first = outcomes[2];
  EXPECT_TRUE(first.accepted);
  EXPECT_FALSE(first.position.empty());
  for (size_t i : {3u, 4u}) {
    auto repeat = outcomes[i];
    EXPECT_EQ(repeat.command_id, first.command_id);
    repeat.command_offset = first.command_offset;
    EXPECT_EQ(repeat, first) << i;
  }
  ASSERT_TRUE(outcomes[5].error.has_value());
  EXPECT_EQ(outcomes[5].error->code, Errc::duplicate);
}

// API.md "Limits": no event over 512 KiB. A build report may hold 200 log
// lines of 2,000 characters each, and at four bytes a character that is up to
// 1.6 MB; 80 such lines (640 KB, a command record Kafka still takes) are
// refused whole (413, naming the field), nothing is appended for them, and the
// site's next command goes on from the same version.
TEST_F(Processor, ACommandWhoseEventWouldExceed512KiBIsRefusedWhole) {
  const auto uri = backend_->fresh_uri();
  auto log = open(uri, backend_->config());
  create_topics(*log);
  const auto site = site_id_for_subdomain("oversize");
  const auto dep = make_deployment_id(site, "d1");
  std::string line;
  for (int i = 0; i < 2000; ++i) line += "\xf0\x9f\x98\x80";  // U+1F600, four bytes
  const std::vector<std::string> too_big(80, line), fits(60, line);
  const std::vector<domain::CommandRecord> commands = {
      record(1, "oversize", d::CreateSite{site, "Oversize", "oversize"}),
      record(2, "oversize", d::RequestDeployment{dep, "production", "all-at-once"}),
      record(3, "oversize", d::StartDeployment{dep, "builder-1"}),
      record(4, "oversize", d::FailDeployment{d::DeploymentFailed{dep, "failed", too_big}}),
      record(5, "oversize", d::FailDeployment{d::DeploymentFailed{dep, "failed", fits}}),
  };
  submit(*log, commands);
  run_until(*log, snap(0), commands.size());

  std::vector<domain::CommandOutcome> outcomes;
  for (const auto& [p, recs] : read_all(*log, kResults, commands.size()))
    for (const auto& rec : recs) outcomes.push_back(*domain::decode_outcome(rec.value));
  ASSERT_EQ(outcomes.size(), commands.size());
  const auto& refused = outcomes[3];
  EXPECT_FALSE(refused.accepted);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, Errc::payload_too_large);
  EXPECT_EQ(errc_http_status(refused.error->code), 413);
  ASSERT_FALSE(refused.error->details.empty());
  EXPECT_EQ(refused.error->details[0].field, "log");
  EXPECT_NE(refused.error->details[0].message.find("524288"), std::string::npos) << refused.error->details[0].message;
  EXPECT_TRUE(refused.events.empty());
  EXPECT_TRUE(refused.position.empty());
  EXPECT_EQ(refused.version, 2) << "the deployment's version, unchanged";

  const auto& next = outcomes[4];
  ASSERT_TRUE(next.accepted) << (next.error ? next.error->message : "");
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].seq, 4) << "seq 4 follows seq 3: nothing was appended in between";

  const auto events = events_by_site(read_all(*log, kEvents, 4));
  const auto& stored = events.at(site.str());
  ASSERT_EQ(stored.size(), 4u);
  ChainVerifier verifier;
  for (const auto& v : stored) {
    verifier.add(v);
    EXPECT_LE(v.size(), size_t{512} << 10);
  }
  EXPECT_GT(stored.back().size(), size_t{400} << 10);
  EXPECT_TRUE(verifier.finish().ok);
}

// Records in pagewright.events that no processor wrote (garbage, an unknown
// type, an event that does not link to its site's head, one that links but
// does not fit the state) are skipped by a recovery that has to read past
// them, and the site's next command gets the next link of the real chain.
TEST_F(Processor, RecoverySkipsEventsNoProcessorWroteAndTheSiteGoesOn) {
  auto log = open(backend_->fresh_uri(), backend_->config());
  create_topics(*log);
  const auto site = site_id_for_subdomain("foreign");
  const auto page = make_page_id(site, "home");
  auto heading = [&](int n, const char* id) {
    return record(n, "foreign",
                  d::AddComponent{page, ComponentId{id}, "Heading", nlohmann::json{{"text", id}}, {}, {}, {}});
  };
  submit(*log, {record(1, "foreign", d::CreateSite{site, "Foreign", "foreign"}),
                record(2, "foreign", d::CreatePage{page, "Home", "", {}}), heading(3, "h1")});
  run_until(*log, snap(0), 3);

  const int32_t partition = log::partition_for(site.str(), kPartitions);
  auto real = read_all(*log, kEvents, 3)[partition];
  ASSERT_EQ(real.size(), 3u);
  auto head = decode(real.back().value);
  ASSERT_TRUE(head.ok());
  const std::string head_hash = sha256_hex(real.back().value);
  auto forged = [&](std::string type, nlohmann::json data, std::string prev) {
    Envelope e = *head;
    e.id = "00000000-0000-4000-8000-000000000001";
    e.type = std::move(type);
    e.seq = head->seq + 1;
    e.prev_hash = std::move(prev);
    e.data = std::move(data);
    return encode(e);
  };
  log::Batch foreign;
  for (std::string value :
       {std::string("\xff\xfe not an event"), forged("PageVanished", {{"pageId", page.str()}}, head_hash),
        forged("PageMetadataUpdated", d::event_data(d::PageMetadataUpdated{page, "Forged", {}, {}}),
               std::string(64, 'a')),
        forged("ComponentRemoved", d::event_data(d::ComponentRemoved{page, ComponentId{"ghost"}}), head_hash)})
    foreign.records.push_back({kEvents, site.str(), value, partition});
  ASSERT_TRUE(log->append(foreign).ok());

  // A processor without snapshots appends the next command's event past them
  // (its recovery ends at the last real event)…
  submit(*log, {heading(4, "h2")});
  run_until(*log, snap(1), 4);
  // …and another one without snapshots must read past them to rebuild.
  submit(*log, {heading(5, "h3")});
  const auto stats = run_until(*log, snap(2), 5);
  EXPECT_EQ(stats.foreign_events, 4);
  EXPECT_EQ(stats.recovery_failures, 0);

  std::vector<std::string> chain;
  const auto events = read_all(*log, kEvents, 9);
  for (const auto& rec : events.at(partition)) {
    auto env = decode(rec.value);
    if (env.ok() && env->id != "00000000-0000-4000-8000-000000000001") chain.push_back(rec.value);
  }
  ASSERT_EQ(chain.size(), 5u);
  ChainVerifier verifier;
  for (const auto& v : chain) verifier.add(v);
  EXPECT_TRUE(verifier.finish().ok);
  auto last = decode(chain.back());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seq, 5);
  EXPECT_EQ(last->data.value("componentId", ""), "h3");
  std::vector<domain::CommandOutcome> outcomes;
  const auto results = read_all(*log, kResults, 5);
  for (const auto& rec : results.at(partition))
    outcomes.push_back(*domain::decode_outcome(rec.value));
  ASSERT_EQ(outcomes.size(), 5u);
  for (const auto& o : outcomes) EXPECT_TRUE(o.accepted) << o.command_id;
}

// Only processors append results. One that does not decode, or names no
// position an append gives, says nothing of any command: recovery skips and
// counts it, and the partition's next command is decided on the real state.
TEST_F(Processor, RecoverySkipsResultsNoProcessorWroteAndThePartitionGoesOn) {
  auto log = open(backend_->fresh_uri(), backend_->config());
  create_topics(*log);
  const auto site = site_id_for_subdomain("junk-results");
  const auto page = make_page_id(site, "home");
  auto heading = [&](int n, const char* id) {
    return record(n, "junk-results",
                  d::AddComponent{page, ComponentId{id}, "Heading", nlohmann::json{{"text", id}}, {}, {}, {}});
  };
  submit(*log, {record(1, "junk-results", d::CreateSite{site, "Junk", "junk-results"}),
                record(2, "junk-results", d::CreatePage{page, "Home", "", {}})});
  run_until(*log, snap(0), 2);

  const int32_t partition = log::partition_for(site.str(), kPartitions);
  const auto real = read_all(*log, kResults, 2)[partition];
  ASSERT_EQ(real.size(), 2u);
  auto forged = nlohmann::json::parse(real.back().value);
  forged["position"] = "not-a-position";
  log::Batch junk;
  for (std::string value : {std::string("{\"commandId\": "), std::string(R"({"commandId": "cmd-9"})"), forged.dump()})
    junk.records.push_back({kResults, site.str(), value, partition});
  ASSERT_TRUE(log->append(junk).ok());

  // A processor without snapshots replays the results past the junk.
  submit(*log, {heading(3, "h1")});
  const auto stats = run_until(*log, snap(1), 2 + 3 + 1);
  EXPECT_EQ(stats.foreign_results, 3);
  EXPECT_EQ(stats.recovery_failures, 0);
  EXPECT_EQ(stats.accepted, 1);

  const auto events = read_all(*log, kEvents, 3).at(partition);
  ASSERT_EQ(events.size(), 3u);
  ChainVerifier verifier;
  for (const auto& rec : events) verifier.add(rec.value);
  EXPECT_TRUE(verifier.finish().ok);
  auto last = decode(events.back().value);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seq, 3);
  EXPECT_EQ(last->data.value("componentId", ""), "h1");
}

TEST_F(Processor, ReplacedMidStreamAppendsExactlyWhatAnUninterruptedRunDoes) {
  const auto commands = command_stream(6, 60, 13);
  const auto reference = uninterrupted_run(commands);
  auto log = open(backend_->fresh_uri(), backend_->config());
  create_topics(*log);
  submit(*log, commands);
  // The first processor stops a third of the way; its replacement has no
  // snapshots of its own (another machine) and rebuilds from the log.
  run_until(*log, snap(1), commands.size() / 3, 20, 7);
  run_until(*log, snap(2), commands.size());
  EXPECT_EQ(difference(events_by_site(read_all(*log, kEvents, 1)), reference), "");
  // A third one, back on the first one's stale snapshots, finds nothing to do
  // and appends nothing.
  submit(*log, {commands.front()});
  run_until(*log, snap(1), commands.size() + 1);
  EXPECT_EQ(difference(events_by_site(read_all(*log, kEvents, 1)), reference), "");
}

TEST_F(Processor, TwoProcessorsSplitThePartitionsAndAppendWhatOneWould) {
  const auto commands = command_stream(8, 40, 17);
  const auto reference = uninterrupted_run(commands);
  const auto uri = backend_->fresh_uri();
  auto log = open(uri, backend_->config());
  // A second process where the backend allows one; the local log is shared by
  // the threads of one process.
  auto second_log = backend_->single_process() ? nullptr : open(uri, backend_->config());
  log::EventLog& other = second_log ? *second_log : *log;
  create_topics(*log);
  // Both own partitions before the first command is there: on a broker, the
  // first member to join could otherwise decide every command before the
  // rebalance that gives the second its share.
  workers::ProcessorStats a, b;
  std::atomic<int64_t> a_recovered{0}, b_recovered{0};
  std::thread second([&] { b = run_until(other, snap(2), commands.size(), 20, 5, &b_recovered); });
  std::thread first([&] { a = run_until(*log, snap(1), commands.size(), 20, 5, &a_recovered); });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while ((a_recovered == 0 || b_recovered == 0) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_GT(a_recovered, 0);
  EXPECT_GT(b_recovered, 0);
  submit(*log, commands);
  first.join();
  second.join();
  EXPECT_GT(a.commands, 0);
  EXPECT_GT(b.commands, 0);
  EXPECT_EQ(difference(events_by_site(read_all(*log, kEvents, 1)), reference), "");
}

// --- crash test: a child process runs the processor until SIGKILLed ---------

// Starts this test binary as a child processor; its stdout (one line per batch:
// the commands it has processed so far) comes back through `progress_fd`.
pid_t spawn_child(const std::string& uri, const std::filesystem::path& snapshots, int& progress_fd) {
  std::vector<std::string> env_strings = {"PW_PROCESSOR_CHILD_URI=" + uri,
                                          "PW_PROCESSOR_CHILD_SNAPSHOTS=" + snapshots.string()};
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string self = "/proc/self/exe";
  // The environment takes over before any test runs; the filter only makes
  // sure gtest sets environments up at all.
  std::string filter = "--gtest_filter=*KilledMidStream*";
  char* argv[] = {self.data(), filter.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return -1;
  }
  progress_fd = fds[0];
  return pid;
}

// Blocks until the child reports at least `count` processed commands; false if
// it ended first.
bool wait_for_progress(int fd, int64_t count) {
  FILE* in = ::fdopen(::dup(fd), "r");
  if (!in) return false;
  char line[256];
  bool reached = false;
  while (std::fgets(line, sizeof line, in)) {  // gtest's banner comes first
    long long seen = 0;
    if (std::sscanf(line, "progress %lld", &seen) == 1 && seen >= count) {
      reached = true;
      break;
    }
  }
  std::fclose(in);
  return reached;
}

// In the child: process commands until killed. Runs as a test environment, so
// after static initialisation of every translation unit.
class ChildMode : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* uri = std::getenv("PW_PROCESSOR_CHILD_URI");
    const char* snapshots = std::getenv("PW_PROCESSOR_CHILD_SNAPSHOTS");
    if (!uri || !snapshots) return;
    auto backend = make_processor_backend();
    auto config = backend->config();
    if (backend->single_process()) config["fsync"] = "true";  // a realistic pace: one synced write per batch
    auto log = log::open_log(uri, config);
    if (!log.ok()) {
      std::fprintf(stderr, "child: %s\n", log.error().message.c_str());
      std::_Exit(3);
    }
    workers::ProcessorConfig pc;
    pc.schemas = ::pw::test::test_schemas();
    pc.snapshot_dir = snapshots;
    pc.snapshot_every = 20;
    pc.max_batch = 7;  // many small transactions: more places to be killed in
    auto processor = workers::CommandProcessor::create(**log, pc);
    if (!processor.ok()) {
      std::fprintf(stderr, "child: %s\n", processor.error().message.c_str());
      std::_Exit(4);
    }
    for (;;) {
      (void)(*processor)->run_once(100ms);
      std::printf("progress %lld\n", static_cast<long long>((*processor)->stats().commands));
      std::fflush(stdout);
    }
  }
};
[[maybe_unused]] const auto* const child_mode = ::testing::AddGlobalTestEnvironment(new ChildMode);

TEST_F(Processor, KilledMidStreamAndRestartedAppendsExactlyWhatAnUninterruptedRunDoes) {
  if (auto gap = backend_->cannot("hiding aborted records"); !gap.empty()) GTEST_SKIP() << gap;
  const auto commands = command_stream(6, 150, 11);
  const auto reference = uninterrupted_run(commands);

  std::mt19937 rng(42);
  for (int round = 0; round < 3; ++round) {
    const auto uri = backend_->fresh_uri();
    auto log = open(uri, backend_->config());
    create_topics(*log);
    submit(*log, commands);
    if (backend_->single_process()) log.reset();

    int progress = -1;
    const pid_t child = spawn_child(uri, snap(1), progress);
    ASSERT_GT(child, 0);
    // Kill it somewhere in the middle, at a point that differs per round.
    const auto kill_after = static_cast<int64_t>(100 + rng() % (commands.size() - 300));
    EXPECT_TRUE(wait_for_progress(progress, kill_after));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    ::close(progress);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended on its own: status " << status;

    if (!log) log = open(uri, backend_->config());
    size_t before = 0;
    for (const auto& [p, recs] : read_all(*log, kResults, 0)) before += recs.size();
    std::printf("round %d: the child had processed %zu of %zu commands when killed\n", round, before,
                commands.size());
    EXPECT_GT(before, 0u) << "killed before it started: the test proves nothing";
    EXPECT_LT(before, commands.size()) << "killed after it finished: the test proves nothing";
    // The replacement reuses the dead one's snapshots, as a restart would.
    run_until(*log, snap(1), commands.size());
    const auto got = events_by_site(read_all(*log, kEvents, 1));
    EXPECT_EQ(difference(got, reference), "") << "round " << round;
    std::error_code ec;
    std::filesystem::remove_all(snap(1), ec);
  }
}

}  // namespace
}  // namespace pw::test
