// The command processor when the log fails under it: appends and recoveries
// that fail (injected by FaultyLog around the local log), snapshots that cannot
// be read, and records it never decided. Each test ends by checking what is in
// the log — one result per command with the status the command deserves, a
// verifiable hash chain per site — and, where there is one, that it is exactly
// what an uninterrupted processor appends for the same commands.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "tests/support/command_stream.hpp"
#include "workers/command_processor.hpp"
#include "workers/snapshot_store.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using domain::CommandRecord;
namespace d = domain;

constexpr int32_t kPartitions = 4;
const std::string kCommands(log::kCommandsTopic);
const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);

// --- the log, with faults on demand -------------------------------------------

// Passes everything to the consumer of the inner log, noting which partitions
// poll() returned records of.
class PeekingConsumer final : public log::Consumer {
 public:
  PeekingConsumer(std::unique_ptr<log::Consumer> inner, std::set<int32_t>& polled)
      : inner_(std::move(inner)), polled_(polled) {}
  log::Consumer& inner() { return *inner_; }

  const std::string& group() const override { return inner_->group(); }
  Result<std::vector<log::Record>> poll(std::chrono::milliseconds timeout, size_t max_records) override {
    auto r = inner_->poll(timeout, max_records);
    if (r.ok())
      for (const auto& rec : *r) polled_.insert(rec.partition);
    return r;
  }
  std::vector<log::TopicPartition> assignment() const override { return inner_->assignment(); }
  Result<void> seek(const log::TopicPartition& tp, int64_t offset) override { return inner_->seek(tp, offset); }
  Result<void> commit(const log::Offsets& offsets) override { return inner_->commit(offsets); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<log::Consumer> inner_;
  std::set<int32_t>& polled_;
};

class FaultyLog final : public log::EventLog {
 public:
  explicit FaultyLog(log::EventLog& inner) : inner_(inner) {}

  bool fail_appends = false;
  std::set<int32_t> failing_end_offsets;  // partitions (of any topic) whose end_offset fails
  int failed_appends = 0;
  int failed_end_offsets = 0;
  std::set<int32_t> polled;  // partitions whose records a consumer of this log was given
  // As on Kafka when a transaction's marker has reached the group's offsets but
  // not yet the results partition: results of these partitions at or past the
  // offset stay unreadable (end_offset stops short, readers hold them back)
  // for the next `results_hidden_for` calls of end_offset.
  std::map<int32_t, int64_t> results_hidden_from;
  int results_hidden_for = 0;
  int hidden_results_ends = 0;

  Result<void> create_topics(const std::vector<log::TopicSpec>& topics) override {
    return inner_.create_topics(topics);
  }
  Result<int32_t> partition_count(const std::string& topic) override { return inner_.partition_count(topic); }
  Result<log::Appended> append(const log::Batch& batch) override {
    if (fail_appends) {
      ++failed_appends;
      return make_error(Errc::unavailable, "injected append failure");
    }
    if (auto* peeking = dynamic_cast<PeekingConsumer*>(batch.consumer)) {
      auto unwrapped = batch;
      unwrapped.consumer = &peeking->inner();
      return inner_.append(unwrapped);
    }
    return inner_.append(batch);
  }
  Result<std::unique_ptr<log::Consumer>> subscribe(const std::string& group, const std::vector<std::string>& topics,
                                                   log::RebalanceListener listener) override {
    auto c = inner_.subscribe(group, topics, std::move(listener));
    if (!c.ok()) return c.error();
    return std::unique_ptr<log::Consumer>(std::make_unique<PeekingConsumer>(std::move(c).value(), polled));
  }
  Result<std::unique_ptr<log::Reader>> reader(const log::TopicPartition& tp, int64_t from) override {
    auto inner = inner_.reader(tp, from);
    if (!inner.ok() || tp.topic != kResults) return inner;
    return std::unique_ptr<log::Reader>(std::make_unique<HoldingReader>(std::move(*inner), *this, tp.partition));
  }
  Result<int64_t> end_offset(const log::TopicPartition& tp) override {
    if (failing_end_offsets.count(tp.partition)) {
      ++failed_end_offsets;
      return make_error(Errc::unavailable, "injected end_offset failure");
    }
    auto end = inner_.end_offset(tp);
    if (!end.ok() || tp.topic != kResults) return end;
    if (const auto hidden = hidden_from(tp.partition)) {
      ++hidden_results_ends;
      if (--results_hidden_for <= 0) results_hidden_from.clear();
      return std::min(*end, *hidden);
    }
    return end;
  }
  Result<std::optional<int64_t>> committed_offset(const std::string& group, const log::TopicPartition& tp) override {
    return inner_.committed_offset(group, tp);
  }

 private:
  std::optional<int64_t> hidden_from(int32_t partition) const {
    auto it = results_hidden_from.find(partition);
    if (it == results_hidden_from.end()) return std::nullopt;
    return it->second;
  }

  // Returns a record only once it is no longer hidden, in order, as a
  // read_committed consumer does before and after a marker.
  class HoldingReader final : public log::Reader {
   public:
    HoldingReader(std::unique_ptr<log::Reader> inner, const FaultyLog& log, int32_t partition)
        : inner_(std::move(inner)), log_(log), partition_(partition) {}
    Result<std::vector<log::Record>> read(std::chrono::milliseconds timeout, size_t max_records) override {
      auto more = inner_->read(timeout, max_records);
      if (!more.ok()) return more;
      for (auto& r : *more) held_.push_back(std::move(r));
      std::vector<log::Record> out;
      const auto hidden = log_.hidden_from(partition_);
      while (!held_.empty() && out.size() < max_records && (!hidden || held_.front().offset < *hidden)) {
        out.push_back(std::move(held_.front()));
        held_.pop_front();
      }
      return out;
    }
    Result<void> seek(int64_t offset) override {
      held_.clear();
      return inner_->seek(offset);
    }

   private:
    std::unique_ptr<log::Reader> inner_;
    const FaultyLog& log_;
    int32_t partition_;
    std::deque<log::Record> held_;
  };

  log::EventLog& inner_;
};

std::set<int32_t> all_partitions() {
  std::set<int32_t> out;
  for (int32_t p = 0; p < kPartitions; ++p) out.insert(p);
  return out;
}

// --- commands -------------------------------------------------------------------

domain::CommandRecord record(int n, const std::string& subdomain, std::string command_id, d::Command command) {
  return command_record(n, subdomain, std::move(command), std::move(command_id));
}

int32_t partition_of(const std::string& subdomain) {
  return log::partition_for(site_id_for_subdomain(subdomain).str(), kPartitions);
}

// A subdomain starting with `prefix` whose records land on a partition not in `avoid`.
std::string subdomain_outside(const std::string& prefix, const std::set<int32_t>& avoid) {
  for (int i = 0;; ++i) {
    auto s = prefix + std::to_string(i);
    if (!avoid.count(partition_of(s))) return s;
  }
}

// Commands submitted in phases (the next phase once the previous one has its
// results), with the status each one must get.
struct Script {
  struct Submitted {
    std::string key;
    std::string value;
  };
  std::vector<std::vector<Submitted>> phases;
  // (command id, fingerprint) → accepted; ("", "") for records that do not decode.
  std::map<std::pair<std::string, std::string>, bool> expected;

  static std::pair<std::string, std::string> expectation_key(std::string_view value) {
    auto cmd = domain::decode_command_record(value);
    if (!cmd.ok()) return {};
    return {cmd->meta.commandId.str(), domain::command_fingerprint(cmd->command)};
  }
  void add_raw(size_t phase, std::string key, std::string value, bool accepted) {
    if (phases.size() <= phase) phases.resize(phase + 1);
    auto [it, fresh] = expected.emplace(expectation_key(value), accepted);
    if (!fresh && it->second != accepted) throw std::logic_error("contradictory expectations");
    phases[phase].push_back({std::move(key), std::move(value)});
  }
  void add(size_t phase, const domain::CommandRecord& r, bool accepted) {
    add_raw(phase, r.meta.siteId.str(), domain::encode_command_record(r), accepted);
  }
  size_t through(size_t phase) const {
    size_t n = 0;
    for (size_t i = 0; i <= phase && i < phases.size(); ++i) n += phases[i].size();
    return n;
  }
  size_t total() const { return through(phases.size()); }
};

// Per site, three phases of accepted commands, rejections and client retries
// (a retry of an accepted command is answered with its first outcome).
Script script(const std::vector<std::string>& subdomains) {
  Script s;
  int n = 0;
  for (const auto& sub : subdomains) {
    const auto site = site_id_for_subdomain(sub);
    const auto home = make_page_id(site, "home");
    const auto id = [&](int k) { return sub + "-cmd-" + std::to_string(k); };
    const auto add_h1 = record(++n, sub, id(3), d::AddComponent{home, ComponentId{"h1"}, "Heading",
                                                               nlohmann::json{{"text", "Hi"}}, {}, {}, {}});
    const auto edit_h1 = record(++n, sub, id(5), d::UpdateComponentProps{home, ComponentId{"h1"}, {{"text", "Edited"}}});
    // Phase 0.
    s.add(0, record(++n, sub, id(1), d::CreateSite{site, "Site " + sub, sub}), true);
    s.add(0, record(++n, sub, id(2), d::CreatePage{home, "Home", "", {}}), true);
    s.add(0, add_h1, true);
    s.add(0, record(++n, sub, id(4), d::CreateSite{site, "Again", sub}), false);  // the site exists
    // Phase 1.
    s.add(1, edit_h1, true);
    s.add(1, record(++n, sub, id(6), d::AddComponent{home, ComponentId{"x1"}, "Marquee", {}, {}, {}, {}}), false);
    s.add(1, add_h1, true);  // retried
    s.add(1, record(++n, sub, id(7), d::CreatePage{make_page_id(site, "about"), "About", "about", {}}), true);
    // Phase 2.
    s.add(2, record(++n, sub, id(8), d::AddComponent{home, ComponentId{"h2"}, "Heading",
                                                      nlohmann::json{{"text", "Two"}}, {}, {}, {}}), true);
    s.add(2, record(++n, sub, id(9), d::CreatePage{make_page_id(site, "about2"), "About", "about", {}}), false);
    s.add(2, edit_h1, true);  // retried
    auto reused = add_h1;     // the id again with another body
    reused.command = d::AddComponent{home, ComponentId{"h3"}, "Heading", nlohmann::json{{"text", "No"}}, {}, {}, {}};
    s.add(2, reused, false);
  }
  return s;
}

void submit(log::EventLog& log, const std::vector<Script::Submitted>& records) {
  log::Batch b;
  for (const auto& r : records) b.records.push_back({kCommands, r.key, r.value, std::nullopt});
  auto appended = log.append(b);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
}

// --- reading the log back -------------------------------------------------------

int64_t end_of(log::EventLog& log, const std::string& topic, int32_t p) {
  auto end = log.end_offset({topic, p});
  if (!end.ok()) throw std::runtime_error(end.error().message);
  return *end;
}

size_t count(log::EventLog& log, const std::string& topic) {
  size_t n = 0;
  for (int32_t p = 0; p < kPartitions; ++p) n += static_cast<size_t>(end_of(log, topic, p));
  return n;
}

std::vector<log::Record> read_partition(log::EventLog& log, const std::string& topic, int32_t p) {
  const auto end = end_of(log, topic, p);
  auto reader = log.reader({topic, p}, 0);
  if (!reader.ok()) throw std::runtime_error(reader.error().message);
  std::vector<log::Record> out;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (static_cast<int64_t>(out.size()) < end && std::chrono::steady_clock::now() < deadline) {
    auto got = (*reader)->read(100ms, 10000);
    if (!got.ok()) throw std::runtime_error(got.error().message);
    for (auto& r : *got) out.push_back(std::move(r));
  }
  if (static_cast<int64_t>(out.size()) != end) throw std::runtime_error("could not read " + topic + " to its end");
  return out;
}

using CommandPosition = std::pair<int32_t, int64_t>;

// What a processor left in the log, in a form two runs can be compared in.
struct Contents {
  std::map<std::string, std::vector<std::string>> events;          // by site, in stream order
  std::map<CommandPosition, std::vector<std::string>> results;     // by the command they answer
  friend bool operator==(const Contents&, const Contents&) = default;
};

Contents contents(log::EventLog& log) {
  Contents c;
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (auto& r : read_partition(log, kEvents, p)) c.events[r.key].push_back(std::move(r.value));
    for (auto& r : read_partition(log, kResults, p)) {
      auto j = nlohmann::json::parse(r.value, nullptr, false);
      const CommandPosition at = j.is_object() && j.contains("commandOffset")
                                     ? CommandPosition{j.value("commandPartition", int32_t{-1}), j.value("commandOffset", int64_t{-1})}
                                     : CommandPosition{-1, -1};
      c.results[at].push_back(std::move(r.value));
    }
  }
  return c;
}

// "" when equal, otherwise the first difference.
std::string difference(const Contents& got, const Contents& want) {
  std::ostringstream out;
  for (const auto& [site, events] : want.events) {
    auto it = got.events.find(site);
    const std::vector<std::string> none;
    const auto& g = it == got.events.end() ? none : it->second;
    for (size_t i = 0; i < std::max(g.size(), events.size()); ++i) {
      if (i < g.size() && i < events.size() && g[i] == events[i]) continue;
      out << "site " << site << ", event " << i + 1 << " of " << events.size() << " (got " << g.size()
          << "): " << (i < g.size() ? g[i].substr(0, 300) : "nothing") << "\n  instead of "
          << (i < events.size() ? events[i].substr(0, 300) : "nothing");
      return out.str();
    }
  }
  for (const auto& [site, events] : got.events)
    if (!want.events.count(site)) return "unexpected events of site " + site;
  for (const auto& [at, results] : want.results) {
    auto it = got.results.find(at);
    if (it == got.results.end() || it->second != results) {
      out << "results of command " << at.first << ":" << at.second << ": "
          << (it == got.results.end() ? std::string("none") : it->second.front()) << " (" 
          << (it == got.results.end() ? 0 : it->second.size()) << ")\n  instead of " << results.front() << " ("
          << results.size() << ")";
      return out.str();
    }
  }
  for (const auto& [at, results] : got.results)
    if (!want.results.count(at))
      return "unexpected result for command " + std::to_string(at.first) + ":" + std::to_string(at.second) + ": " +
             results.front();
  return {};
}

// What must hold of any log the processor wrote, whatever failed on the way:
// every command has exactly one result, with the status the script expects; an
// accepted command's result names its last event; each site's events form a
// verifiable chain that starts with one SiteCreated; no event is appended twice.
void check_log(log::EventLog& log, const Script& script) {
  std::map<CommandPosition, std::vector<domain::CommandOutcome>> results;
  for (int32_t p = 0; p < kPartitions; ++p)
    for (const auto& r : read_partition(log, kResults, p)) {
      auto o = domain::decode_outcome(r.value);
      ASSERT_TRUE(o.ok()) << "unreadable result " << r.value;
      EXPECT_EQ(o->command_partition, p) << r.value;
      results[{o->command_partition, o->command_offset}].push_back(std::move(o).value());
    }
  std::map<int32_t, std::vector<log::Record>> events;
  for (int32_t p = 0; p < kPartitions; ++p) events[p] = read_partition(log, kEvents, p);

  size_t commands = 0;
  std::vector<std::string> unanswered, answered_twice;
  for (int32_t p = 0; p < kPartitions; ++p)
    for (const auto& cmd : read_partition(log, kCommands, p)) {
      ++commands;
      const auto expected = script.expected.find(Script::expectation_key(cmd.value));
      ASSERT_NE(expected, script.expected.end()) << "a command the script does not know";
      const auto it = results.find({p, cmd.offset});
      const auto where = std::to_string(p) + ":" + std::to_string(cmd.offset) + " (" + expected->first.first + ")";
      if (it == results.end()) {
        unanswered.push_back(where);
        continue;
      }
      if (it->second.size() > 1) answered_twice.push_back(where);
      const auto& o = it->second.front();
      EXPECT_EQ(o.command_id, expected->first.first);
      EXPECT_EQ(o.accepted, expected->second) << o.command_id << " at " << where << ": "
                                              << domain::outcome_to_json(o).dump();
      if (!o.accepted) {
        EXPECT_TRUE(o.error.has_value()) << o.command_id;
        EXPECT_TRUE(o.position.empty()) << o.command_id;
        continue;
      }
      // Every accepted command of the script appends events; its result names the last.
      ASSERT_FALSE(o.events.empty()) << o.command_id;
      const auto colon = o.position.find(':');
      ASSERT_NE(colon, std::string::npos) << o.command_id << " has no position: " << domain::outcome_to_json(o).dump();
      EXPECT_EQ(o.position.substr(0, colon), std::to_string(p)) << o.command_id;
      const auto offset = std::stoll(o.position.substr(colon + 1));
      ASSERT_LT(offset, static_cast<int64_t>(events[p].size())) << o.command_id << " at " << o.position;
      auto last = decode(events[p][static_cast<size_t>(offset)].value);
      ASSERT_TRUE(last.ok()) << last.error().message;
      EXPECT_EQ(last->command_id, o.command_id) << o.position;
      EXPECT_EQ(last->seq, o.events.back().seq) << o.position;
      EXPECT_EQ(last->type, o.events.back().type) << o.position;
    }
  const auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  EXPECT_TRUE(unanswered.empty()) << unanswered.size() << " commands without a result: " << join(unanswered);
  EXPECT_TRUE(answered_twice.empty()) << "commands with more than one result: " << join(answered_twice);
  EXPECT_EQ(commands, script.total()) << "commands in the log";
  for (const auto& [at, outs] : results)
    EXPECT_LT(at.second, end_of(log, kCommands, at.first)) << "a result for no command: " << at.first << ":" << at.second;

  std::set<std::string> event_ids;
  std::map<std::string, std::vector<std::string>> by_site;
  for (const auto& [p, recs] : events)
    for (const auto& r : recs) by_site[r.key].push_back(r.value);
  for (const auto& [site, values] : by_site) {
    ChainVerifier verifier;
    int64_t seq = 0;
    int site_created = 0;
    for (const auto& v : values) {
      verifier.add(v);
      auto env = decode(v);
      ASSERT_TRUE(env.ok()) << env.error().message;
      EXPECT_EQ(env->seq, ++seq) << site;
      EXPECT_EQ(env->site_id, site);
      EXPECT_TRUE(event_ids.insert(env->id).second) << "event appended twice: " << v.substr(0, 200);
      if (env->type == "SiteCreated") {
        ++site_created;
        EXPECT_EQ(env->seq, 1) << site;
      }
    }
    EXPECT_EQ(site_created, 1) << site;
    const auto report = verifier.finish();
    EXPECT_TRUE(report.ok) << "chain of " << site << " breaks at seq " << report.first_bad_seq.value_or(-1);
  }
}

// --- the fixture ------------------------------------------------------------------

class ProcessorFaults : public ::testing::Test {
 protected:
  void TearDown() override {
    std::error_code ec;
    for (const auto& d : dirs_) std::filesystem::remove_all(d, ec);
  }

  std::filesystem::path temp_dir(const std::string& what) {
    static std::random_device rd;
    dirs_.push_back(std::filesystem::temp_directory_path() /
                    ("pw-faults-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd())));
    return dirs_.back();
  }

  std::unique_ptr<log::EventLog> fresh_log() {
    auto log = log::open_log("local:" + temp_dir("log").string(), {{"fsync", "false"}});
    if (!log.ok()) throw std::runtime_error(log.error().message);
    auto created = (*log)->create_topics({{kCommands, kPartitions}, {kEvents, kPartitions}, {kResults, kPartitions}});
    if (!created.ok()) throw std::runtime_error(created.error().message);
    return std::move(log).value();
  }

  static std::unique_ptr<workers::CommandProcessor> processor(log::EventLog& log, const std::filesystem::path& snapshots,
                                                              size_t window = 256, int64_t snapshot_every = 1000) {
    workers::ProcessorConfig config;
    config.schemas = ::pw::test::test_schemas();
    config.snapshot_dir = snapshots;
    config.idempotency_window = window;
    config.snapshot_every = snapshot_every;
    auto p = workers::CommandProcessor::create(log, config);
    if (!p.ok()) throw std::runtime_error(p.error().message);
    return std::move(p).value();
  }

  // Runs the processor until `log` holds `results` results, then polls a few
  // more times so that a result too many would show. Returns how many run_once
  // calls failed; `healthy` makes each failure a test failure.
  static int drive(workers::CommandProcessor& p, log::EventLog& log, size_t results, bool healthy = true,
                   std::chrono::seconds patience = 3s) {
    int failures = 0;
    const auto once = [&] {
      Result<size_t> r = size_t{0};
      EXPECT_NO_THROW(r = p.run_once(20ms));
      if (!r.ok()) {
        ++failures;
        if (healthy) ADD_FAILURE() << "run_once: " << r.error().message;
      }
    };
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (count(log, kResults) < results && std::chrono::steady_clock::now() < deadline) once();
    for (int i = 0; i < 3; ++i) once();
    EXPECT_EQ(count(log, kResults), results) << "results in the log after " << patience.count() << " s";
    return failures;
  }

  // What one processor that never fails appends for the script, phase by phase.
  Contents uninterrupted(const Script& s, size_t window = 256) {
    auto log = fresh_log();
    auto p = processor(*log, temp_dir("snap"), window);
    for (size_t phase = 0; phase < s.phases.size(); ++phase) {
      submit(*log, s.phases[phase]);
      drive(*p, *log, s.through(phase));
    }
    p->close();
    {
      SCOPED_TRACE("the uninterrupted reference run");
      check_log(*log, s);
    }
    return contents(*log);
  }

  std::vector<std::filesystem::path> dirs_;
};

// --- 1. failed appends ----------------------------------------------------------

// The batch that failed to append was applied in memory; closing must not
// snapshot that state, or the replacement would skip events that never reached
// the log.
TEST_F(ProcessorFaults, FailedAppendThenCloseLeavesTheReplacementNothingToMiss) {
  const auto s = script({"alpha", "beta", "gamma"});
  const auto reference = uninterrupted(s);

  auto log = fresh_log();
  FaultyLog faulty(*log);
  const auto snapshots = temp_dir("snap");
  submit(*log, s.phases[0]);
  {
    auto p = processor(faulty, snapshots, 256, /*snapshot_every=*/1);  // the good batches are snapshotted
    drive(*p, *log, s.through(0));
    ASSERT_GT(p->stats().snapshots, 0);
    submit(*log, s.phases[1]);
    faulty.fail_appends = true;
    bool failed = false;
    for (int i = 0; i < 50 && !failed; ++i) {
      Result<size_t> r = size_t{0};
      EXPECT_NO_THROW(r = p->run_once(20ms));
      failed = !r.ok();
    }
    ASSERT_TRUE(failed) << "the injected append failure never surfaced";
    EXPECT_EQ(count(*log, kResults), s.through(0));
    EXPECT_NO_THROW(p->close());
  }
  {
    // Its replacement, on the same snapshots, with the log working again.
    auto p = processor(*log, snapshots);
    submit(*log, s.phases[2]);
    drive(*p, *log, s.total());
    p->close();
  }
  check_log(*log, s);
  EXPECT_EQ(difference(contents(*log), reference), "");
}

// The same processor carries on once appends work again: it rebuilds what the
// failed batch changed and re-reads those commands.
TEST_F(ProcessorFaults, FailedAppendIsRetriedByTheSameProcessor) {
  const auto s = script({"alpha", "beta", "gamma"});
  const auto reference = uninterrupted(s);

  auto log = fresh_log();
  FaultyLog faulty(*log);
  auto p = processor(faulty, temp_dir("snap"), 256, 1);
  submit(*log, s.phases[0]);
  drive(*p, *log, s.through(0));
  submit(*log, s.phases[1]);
  faulty.fail_appends = true;
  for (int i = 0; i < 5; ++i) {
    Result<size_t> r = size_t{0};
    EXPECT_NO_THROW(r = p->run_once(20ms));
  }
  ASSERT_GT(faulty.failed_appends, 0);
  EXPECT_EQ(count(*log, kResults), s.through(0));
  faulty.fail_appends = false;
  drive(*p, *log, s.through(1));
  submit(*log, s.phases[2]);
  drive(*p, *log, s.total());
  p->close();
  check_log(*log, s);
  EXPECT_EQ(difference(contents(*log), reference), "");
}

// --- 2. failed recovery, then close -----------------------------------------------

// Recovery fails for every partition when they are assigned. The processor must
// neither throw nor process from a state it never rebuilt, and its close must
// not overwrite the good snapshots with the empty state it holds.
TEST_F(ProcessorFaults, FailedRecoveryThenCloseLeavesTheReplacementAsAnUninterruptedRun) {
  const auto s = script({"alpha", "beta", "gamma"});
  const auto reference = uninterrupted(s);

  auto log = fresh_log();
  const auto snapshots = temp_dir("snap");
  submit(*log, s.phases[0]);
  {
    auto p = processor(*log, snapshots);
    drive(*p, *log, s.through(0));
    p->close();  // snapshots every partition
  }
  submit(*log, s.phases[1]);  // polled while recovery fails
  const auto events_before = count(*log, kEvents);
  {
    FaultyLog faulty(*log);
    faulty.failing_end_offsets = all_partitions();
    auto p = processor(faulty, snapshots);
    for (int i = 0; i < 5; ++i) EXPECT_NO_THROW((void)p->run_once(20ms));
    EXPECT_GT(faulty.failed_end_offsets, 0) << "the fault was never hit";
    // Partitions that cannot be rebuilt wait (others would go on); the failure
    // is counted and kept for the operator, not thrown.
    EXPECT_GT(p->stats().recovery_failures, 0) << "the failed recovery went unnoticed";
    ASSERT_TRUE(p->last_error().has_value());
    EXPECT_EQ(p->last_error()->code, Errc::unavailable);
    EXPECT_EQ(count(*log, kResults), s.through(0)) << "processed commands with a state it never rebuilt";
    EXPECT_EQ(count(*log, kEvents), events_before);
    EXPECT_NO_THROW(p->close());
  }
  {
    auto p = processor(*log, snapshots);
    drive(*p, *log, s.through(1));
    submit(*log, s.phases[2]);
    drive(*p, *log, s.total());
    p->close();
  }
  check_log(*log, s);
  EXPECT_EQ(difference(contents(*log), reference), "");
}

// --- 3. one partition's recovery fails while another's commands are polled -----

TEST_F(ProcessorFaults, RecoveryFailingForOnePartitionLosesNoCommandOnceItClears) {
  const auto a = subdomain_outside("alpha", {});
  const auto b = subdomain_outside("beta", {partition_of(a)});
  const auto c = subdomain_outside("gamma", {partition_of(a)});
  const int32_t pa = partition_of(a);
  ASSERT_NE(partition_of(b), pa);
  const auto s = script({a, b, c});
  const auto reference = uninterrupted(s);

  auto log = fresh_log();
  FaultyLog faulty(*log);
  faulty.failing_end_offsets = {pa};
  auto p = processor(faulty, temp_dir("snap"));
  submit(*log, s.phases[0]);
  for (int i = 0; i < 5; ++i) {
    Result<size_t> r = size_t{0};
    EXPECT_NO_THROW(r = p->run_once(20ms));
  }
  submit(*log, s.phases[1]);
  for (int i = 0; i < 5; ++i) {
    Result<size_t> r = size_t{0};
    EXPECT_NO_THROW(r = p->run_once(20ms));
  }
  EXPECT_GT(faulty.failed_end_offsets, 0) << "the fault was never hit";
  EXPECT_TRUE(std::any_of(faulty.polled.begin(), faulty.polled.end(), [&](int32_t p) { return p != pa; }))
      << "no commands of a healthy partition were polled during the fault: the test shows nothing";
  EXPECT_EQ(end_of(*log, kResults, pa), 0) << "processed partition " << pa << " without recovering it";
  EXPECT_EQ(end_of(*log, kEvents, pa), 0) << "processed partition " << pa << " without recovering it";

  faulty.failing_end_offsets.clear();
  drive(*p, *log, s.through(1));
  submit(*log, s.phases[2]);
  drive(*p, *log, s.total());
  p->close();
  check_log(*log, s);  // exactly one result per command
  EXPECT_EQ(difference(contents(*log), reference), "");
}

// On Kafka the offsets a transaction commits become readable when its marker
// reaches the group's partition; its results, when a marker reaches theirs,
// in no set order. A successor that believed the results' end at that moment
// would decide the site's next seq a second time.
TEST_F(ProcessorFaults, ResultsNotYetReadableBehindTheCommittedOffsetAreWaitedFor) {
  const auto a = subdomain_outside("alpha", {});
  const int32_t pa = partition_of(a);
  const auto s = script({a, subdomain_outside("beta", {pa})});
  const auto reference = uninterrupted(s);

  auto log = fresh_log();
  submit(*log, s.phases[0]);
  {
    auto p = processor(*log, temp_dir("snap"));
    drive(*p, *log, s.through(0));
    p->close();
  }
  const auto results_end = end_of(*log, kResults, pa);
  ASSERT_GT(results_end, 0);
  submit(*log, s.phases[1]);
  FaultyLog faulty(*log);
  // The later half, so that the hidden results surely name events.
  faulty.results_hidden_from = {{pa, results_end / 2}};
  faulty.results_hidden_for = 5;
  // No snapshot: the successor learns every site of `pa` from the log.
  auto p = processor(faulty, temp_dir("snap"));
  drive(*p, *log, s.through(1));
  EXPECT_GT(faulty.hidden_results_ends, 1) << "the successor never looked at the results' end again";
  EXPECT_EQ(p->stats().foreign_events, 0);
  submit(*log, s.phases[2]);
  drive(*p, *log, s.total());
  p->close();
  check_log(*log, s);  // one result per command, a verifiable chain per site
  EXPECT_EQ(difference(contents(*log), reference), "");
}

// --- 4. a site snapshot that cannot be read ---------------------------------------

// Phases 0 and 1 are processed and snapshotted; then `corrupt` overwrites the
// stored snapshot of `victim` with garbage; phase 2 goes to a processor on those
// snapshots, which must rebuild the site from the log and keep its chain.
void corrupt_site_snapshot(const std::filesystem::path& snapshots, const std::string& victim,
                           const workers::Watermark& watermark) {
  auto store = workers::SnapshotStore::open(snapshots);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const auto site = site_id_for_subdomain(victim).str();
  auto before = (*store)->site(partition_of(victim), site);
  ASSERT_TRUE(before.ok() && before->has_value()) << "no snapshot of " << victim << " to corrupt";
  auto written = (*store)->write(partition_of(victim), {{site, std::string("\x01{garbage", 9)}}, watermark);
  ASSERT_TRUE(written.ok()) << written.error().message;
}

workers::Watermark stored_watermark(const std::filesystem::path& snapshots, int32_t partition) {
  auto store = workers::SnapshotStore::open(snapshots);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  auto wm = (*store)->watermark(partition);
  if (!wm.ok()) throw std::runtime_error(wm.error().message);
  return *wm;
}

class CorruptSnapshot : public ProcessorFaults {
 protected:
  // `behind`: the watermark written with the garbage is the one of phase 0, so
  // recovery replays phase 1 into the corrupt site; otherwise it is the current
  // one and recovery has nothing to replay.
  void run(bool behind) {
    const auto victim = subdomain_outside("alpha", {});
    const auto other = subdomain_outside("beta", {partition_of(victim)});  // alone on its partition too
    const auto s = script({victim, other});
    const auto reference = uninterrupted(s);

    auto log = fresh_log();
    const auto snapshots = temp_dir("snap");
    submit(*log, s.phases[0]);
    { auto p = processor(*log, snapshots); drive(*p, *log, s.through(0)); p->close(); }
    const auto after_phase0 = stored_watermark(snapshots, partition_of(victim));
    submit(*log, s.phases[1]);
    { auto p = processor(*log, snapshots); drive(*p, *log, s.through(1)); p->close(); }
    const auto after_phase1 = stored_watermark(snapshots, partition_of(victim));
    ASSERT_NE(after_phase0, after_phase1);
    corrupt_site_snapshot(snapshots, victim, behind ? after_phase0 : after_phase1);

    submit(*log, s.phases[2]);
    {
      auto p = processor(*log, snapshots);
      const int failures = drive(*p, *log, s.total(), /*healthy=*/false);
      EXPECT_LE(failures, 2) << "run_once kept failing on the corrupt snapshot";
      if (count(*log, kResults) < s.total() && !behind)
        ADD_FAILURE() << "the corrupt snapshot of site " << victim << " is never bypassed: a site that "
                      << "cannot be read must send its partition back to a rebuild from the log alone";
      else if (count(*log, kResults) < s.total())
        ADD_FAILURE() << "the site with a corrupt snapshot was never rebuilt from the log";
      p->close();
    }
    check_log(*log, s);
    EXPECT_EQ(difference(contents(*log), reference), "");

    if (HasFailure()) return;
    // The rebuilt site was snapshotted again: one more processor on these
    // snapshots answers a retry without appending anything.
    {
      auto p = processor(*log, snapshots);
      submit(*log, {s.phases[2].front()});
      drive(*p, *log, s.total() + 1, /*healthy=*/false);
      p->close();
    }
    EXPECT_EQ(difference(Contents{contents(*log).events, {}}, Contents{reference.events, {}}), "");
  }
};

TEST_F(CorruptSnapshot, SiteSnapshotBehindTheLogIsRebuiltFromTheLog) { run(/*behind=*/true); }

TEST_F(CorruptSnapshot, SiteSnapshotAtTheLogEndIsRebuiltFromTheLog) { run(/*behind=*/false); }

// --- 5. the idempotency window across restarts -----------------------------------

// With a window of 2, records that were never decided (key ≠ site id, a value
// that does not decode) must not take a place in the window when recovery
// rebuilds it from results: the retry of the first command is a repeat whether
// the processor ran on, restarted on its snapshots, or restarted without any.
TEST_F(ProcessorFaults, UndecidedRecordsTakeNoPlaceInTheIdempotencyWindowAfterARestart) {
  constexpr size_t kWindow = 2;
  const auto alpha = site_id_for_subdomain("alpha");
  const auto home = make_page_id(alpha, "home");
  const auto create = record(1, "alpha", "cmd-1", d::CreateSite{alpha, "Alpha", "alpha"});
  const auto stranger = record(2, "beta", "cmd-2",
                               d::CreatePage{make_page_id(site_id_for_subdomain("beta"), "z"), "Z", "z", {}});
  Script s;
  s.add(0, create, true);
  s.add_raw(0, alpha.str(), domain::encode_command_record(stranger), false);  // keyed by another site
  s.add_raw(0, alpha.str(), "{not a command", false);
  s.add(0, record(3, "alpha", "cmd-3", d::CreatePage{home, "Home", "", {}}), true);
  s.add(1, create, true);  // the client retries cmd-1

  enum class Restart { none, same_snapshots, no_snapshots };
  const auto run_case = [&](Restart restart) {
    auto log = fresh_log();
    const auto snapshots = temp_dir("snap");
    auto p = processor(*log, snapshots, kWindow);
    submit(*log, s.phases[0]);
    drive(*p, *log, s.through(0));
    if (restart != Restart::none) {
      p->close();
      p.reset();
      p = processor(*log, restart == Restart::same_snapshots ? snapshots : temp_dir("snap"), kWindow);
    }
    submit(*log, s.phases[1]);
    drive(*p, *log, s.total());
    p->close();
    check_log(*log, s);
    return contents(*log);
  };

  const auto live = run_case(Restart::none);
  // The retry is answered with cmd-1's first outcome, appending nothing.
  std::vector<domain::CommandOutcome> of_cmd1;
  for (const auto& [at, values] : live.results) {
    auto o = domain::decode_outcome(values.front());
    ASSERT_TRUE(o.ok());
    if (o->command_id == "cmd-1") of_cmd1.push_back(*o);
  }
  ASSERT_EQ(of_cmd1.size(), 2u);
  auto retry = of_cmd1[1];
  retry.command_offset = of_cmd1[0].command_offset;
  EXPECT_EQ(retry, of_cmd1[0]) << "the retry is not answered with the first outcome";

  {
    SCOPED_TRACE("restarted on its snapshots");
    EXPECT_EQ(difference(run_case(Restart::same_snapshots), live), "");
  }
  {
    SCOPED_TRACE("restarted without snapshots");
    EXPECT_EQ(difference(run_case(Restart::no_snapshots), live), "");
  }
}

}  // namespace
}  // namespace pw::test
