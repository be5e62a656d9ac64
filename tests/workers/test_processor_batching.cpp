// Deciding a poll's commands as one batch is an optimisation only: a processor
// that takes one command per append and one that takes hundreds, each on its
// own fresh local log, append byte-identical events and results. So is
// `serve`'s hand-off: commands offered to the processor, which appends their
// records itself, leave the same bytes on every topic as commands it read
// from the log.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "commands/command_record.hpp"
#include "commands/hand_off.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/schemas.hpp"
#include "workers/command_processor.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;

constexpr int32_t kPartitions = 4;
const std::string kCommands(log::kCommandsTopic);
const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);

// A command record as the log holds it: most are encoded commands, a few are
// bytes no codec accepts.
struct Submitted {
  std::string key;
  std::string value;
};

// Many sites and pages, most command types, rejections (unknown type, unknown
// page, slug taken, a stale If-Match, a site of another tenant), repeated
// command ids with the same body (a retry) and with another (DUPLICATE), and
// records that do not decode or name another site than their key.
std::vector<Submitted> workload(int sites, int edits, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<d::CommandRecord> records;
  std::vector<Submitted> out;
  int n = 0;
  auto add = [&](const std::string& sub, d::Command c, std::optional<int64_t> expected = std::nullopt) {
    auto r = command_record(++n, sub, std::move(c));
    r.meta.expectedVersion = expected;
    records.push_back(r);
    out.push_back({r.meta.siteId.str(), d::encode_command_record(r)});
  };
  std::vector<std::string> subs;
  for (int s = 0; s < sites; ++s) {
    subs.push_back("batch-" + std::to_string(s));
    const auto& sub = subs.back();
    const auto site = site_id_for_subdomain(sub);
    add(sub, d::CreateSite{site, "Site " + sub, sub});
    for (int p = 0; p < 3; ++p)
      add(sub, d::CreatePage{make_page_id(site, "p" + std::to_string(p)), "Page " + std::to_string(p),
                             "page-" + std::to_string(p), {}});
  }
  for (int i = 0; i < edits; ++i) {
    const auto& sub = subs[rng() % subs.size()];
    const auto site = site_id_for_subdomain(sub);
    const auto page = make_page_id(site, "p" + std::to_string(rng() % 4));  // p3 never exists
    const std::string component = "c" + std::to_string(rng() % 12);
    const std::string text = "Text " + std::to_string(n);
    switch (rng() % 17) {
      case 0: case 1: case 2:
        add(sub, d::AddComponent{page, ComponentId{component}, "Heading", nlohmann::json{{"text", text}}, {}, {}, {}});
        break;
      case 3: case 4:
        add(sub, d::UpdateComponentProps{page, ComponentId{component}, {{"text", text}}});
        break;
      case 5:
        add(sub, d::MoveComponent{page, ComponentId{component}, {}, {}, 0});
        break;
      case 6:
        add(sub, d::RemoveComponent{page, ComponentId{component}});
        break;
      case 7:
        add(sub, d::AddComponent{page, ComponentId{"x" + std::to_string(n)}, "Marquee", {}, {}, {}, {}});
        break;
      case 8:
        add(sub, d::UpdatePageMetadata{page, text, std::nullopt, std::nullopt}, int64_t(rng() % 4));
        break;
      case 9:
        add(sub, d::ChangePageSlug{page, "page-" + std::to_string(rng() % 3)});
        break;
      case 10:
        add(sub, d::PublishPage{page});
        break;
      case 11:
        add(sub, rng() % 2 ? d::Command(d::DeletePage{page}) : d::Command(d::RestorePage{page}));
        break;
      case 12:
        add(sub, d::UpdateDesignTokens{{{"colors", {{"primary", rng() % 2 ? "#112233" : "not a colour"}}}}});
        break;
      case 13:
        add(sub, d::LabelVersion{page, 1, "v" + std::to_string(rng() % 3)});
        break;
      case 14: {  // a client retrying an earlier command
        const auto& again = records[rng() % records.size()];
        out.push_back({again.meta.siteId.str(), d::encode_command_record(again)});
        break;
      }
      case 15: {  // an earlier command id reused for another command
        auto reused = records[rng() % records.size()];
        reused.command = d::UpdateSiteSettings{"Renamed " + std::to_string(n), std::nullopt, std::nullopt};
        out.push_back({reused.meta.siteId.str(), d::encode_command_record(reused)});
        break;
      }
      default:
        if (rng() % 2) {
          out.push_back({site.str(), "{\"meta\": not json"});
        } else {  // keyed by one site, naming another
          auto stranger = command_record(++n, subs[rng() % subs.size()], d::PublishPage{page});
          out.push_back({site.str(), d::encode_command_record(stranger)});
        }
    }
  }
  return out;
}

struct Appended {
  std::map<int32_t, std::vector<std::string>> commands;  // values per partition, in offset order
  std::map<int32_t, std::vector<std::string>> events;
  std::map<int32_t, std::vector<std::string>> results;
  workers::ProcessorStats stats;
};

std::map<int32_t, std::vector<std::string>> read_topic(log::EventLog& log, const std::string& topic) {
  std::map<int32_t, std::vector<std::string>> out;
  for (int32_t p = 0; p < kPartitions; ++p) {
    auto end = log.end_offset({topic, p});
    if (!end.ok()) throw std::runtime_error(end.error().message);
    auto reader = log.reader({topic, p}, 0);
    if (!reader.ok()) throw std::runtime_error(reader.error().message);
    auto& values = out[p];
    while (static_cast<int64_t>(values.size()) < *end) {
      auto got = (*reader)->read(200ms, 1000);
      if (!got.ok()) throw std::runtime_error(got.error().message);
      for (auto& rec : *got) values.push_back(std::move(rec.value));
    }
  }
  return out;
}

// One processor with `max_batch` on a fresh local log until every command has
// its result.
Appended process(const std::vector<Submitted>& commands, size_t max_batch, const std::filesystem::path& dir) {
  auto opened = log::open_log("local:" + (dir / "log").string(), {});
  if (!opened.ok()) throw std::runtime_error(opened.error().message);
  auto& log = **opened;
  if (auto made = create_pagewright_topics(log, kPartitions); !made.ok()) throw std::runtime_error(made.error().message);
  for (size_t i = 0; i < commands.size(); i += 100) {
    log::Batch batch;
    for (size_t j = i; j < std::min(commands.size(), i + 100); ++j)
      batch.records.push_back({kCommands, commands[j].key, commands[j].value, std::nullopt});
    if (auto appended = log.append(batch); !appended.ok()) throw std::runtime_error(appended.error().message);
  }
  workers::ProcessorConfig config;
  config.schemas = test_schemas();
  config.snapshot_dir = dir / "snapshots";
  config.max_batch = max_batch;
  config.snapshot_every = 40;   // snapshots in the middle of the stream
  config.max_cached_sites = 5;  // and sites evicted and reloaded from them
  auto processor = workers::CommandProcessor::create(log, config);
  if (!processor.ok()) throw std::runtime_error(processor.error().message);
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while ((*processor)->stats().commands < static_cast<int64_t>(commands.size()) &&
         std::chrono::steady_clock::now() < deadline) {
    auto r = (*processor)->run_once(50ms);
    if (!r.ok()) ADD_FAILURE() << "run_once: " << r.error().message;
  }
  (*processor)->close();
  return Appended{read_topic(log, kCommands), read_topic(log, kEvents), read_topic(log, kResults),
                  (*processor)->stats()};
}

// The same commands as `serve`'s gateway gives them: each offered through a
// hand-off, but for the records no gateway writes (bytes no codec accepts, a
// site id that is not the key), which reach the log directly in between, once
// everything offered before them is decided: the processor meets both paths.
Appended process_handed_over(const std::vector<Submitted>& commands, size_t max_batch,
                             const std::filesystem::path& dir) {
  auto opened = log::open_log("local:" + (dir / "log").string(), {});
  if (!opened.ok()) throw std::runtime_error(opened.error().message);
  auto& log = **opened;
  if (auto made = create_pagewright_topics(log, kPartitions); !made.ok()) throw std::runtime_error(made.error().message);
  d::HandOff hand_off(kPartitions);
  workers::ProcessorConfig config;
  config.schemas = test_schemas();
  config.snapshot_dir = dir / "snapshots";
  config.max_batch = max_batch;
  config.snapshot_every = 40;
  config.max_cached_sites = 5;
  config.hand_off = &hand_off;
  auto processor = workers::CommandProcessor::create(log, config);
  if (!processor.ok()) throw std::runtime_error(processor.error().message);
  int64_t fed = 0;
  auto drain = [&] {
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while ((*processor)->stats().commands < fed && std::chrono::steady_clock::now() < deadline) {
      auto r = (*processor)->run_once(5ms);
      if (!r.ok()) ADD_FAILURE() << "run_once: " << r.error().message;
    }
  };
  for (const auto& c : commands) {
    const int32_t partition = log::partition_for(c.key, kPartitions);
    auto decoded = d::decode_command_record(c.value);
    if (decoded.ok() && decoded->meta.siteId.str() == c.key) {
      const auto fingerprint = d::command_fingerprint(decoded->command);
      hand_off.offer(partition, d::Offer{static_cast<uint64_t>(fed + 1), c.key, c.value,
                                         std::make_shared<const d::CommandRecord>(std::move(decoded).value()),
                                         fingerprint});
    } else {
      drain();
      std::lock_guard writer(hand_off.writer(partition));
      log::Batch batch;
      batch.records.push_back({kCommands, c.key, c.value, partition});
      if (auto appended = log.append(batch); !appended.ok()) throw std::runtime_error(appended.error().message);
    }
    ++fed;
  }
  drain();
  (*processor)->close();
  return Appended{read_topic(log, kCommands), read_topic(log, kEvents), read_topic(log, kResults),
                  (*processor)->stats()};
}

// "" when equal; otherwise the first record that differs.
std::string difference(const std::map<int32_t, std::vector<std::string>>& got,
                       const std::map<int32_t, std::vector<std::string>>& want) {
  for (const auto& [p, values] : want) {
    const auto& g = got.at(p);
    for (size_t i = 0; i < std::max(g.size(), values.size()); ++i) {
      if (i < g.size() && i < values.size() && g[i] == values[i]) continue;
      return "partition " + std::to_string(p) + " offset " + std::to_string(i) + ": " +
             (i < g.size() ? g[i].substr(0, 300) : "nothing") + " instead of " +
             (i < values.size() ? values[i].substr(0, 300) : "nothing");
    }
  }
  return {};
}

class ProcessorBatching : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pw-batching-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(ProcessorBatching, OneCommandPerAppendAndManyPerAppendWriteTheSameBytes) {
  const auto commands = workload(16, 1500, 29);
  const Appended one = process(commands, 1, dir_ / "one");
  const Appended many = process(commands, 512, dir_ / "many");

  // The workload is what it claims: every kind of outcome, in quantity.
  EXPECT_EQ(one.stats.commands, static_cast<int64_t>(commands.size()));
  EXPECT_GT(one.stats.accepted, 400);
  EXPECT_GT(one.stats.rejected, 800);
  EXPECT_GT(one.stats.repeats, 100);
  EXPECT_GT(one.stats.events, 300);
  size_t undecodable = 0, duplicates = 0;
  for (const auto& [p, values] : one.results)
    for (const auto& v : values) {
      auto o = d::decode_outcome(v);
      ASSERT_TRUE(o.ok()) << o.error().message;
      if (o->error && o->command_id.empty()) ++undecodable;
      if (o->error && o->error->code == Errc::duplicate) ++duplicates;
    }
  EXPECT_GT(undecodable, 5u);
  EXPECT_GT(duplicates, 5u);

  EXPECT_EQ(difference(many.events, one.events), "");
  EXPECT_EQ(difference(many.results, one.results), "");
  EXPECT_EQ(many.stats.commands, one.stats.commands);
  EXPECT_EQ(many.stats.accepted, one.stats.accepted);
  EXPECT_EQ(many.stats.rejected, one.stats.rejected);
  EXPECT_EQ(many.stats.repeats, one.stats.repeats);
  EXPECT_EQ(many.stats.events, one.stats.events);
}

TEST_F(ProcessorBatching, HandedOverCommandsLeaveTheSameBytesOnEveryTopicAsCommandsReadFromTheLog) {
  const auto commands = workload(16, 1500, 31);
  const Appended read = process(commands, 512, dir_ / "read");
  const Appended one = process_handed_over(commands, 1, dir_ / "handed-one");
  const Appended many = process_handed_over(commands, 512, dir_ / "handed-many");

  EXPECT_GT(many.stats.handed_over, 1200);
  EXPECT_LT(many.stats.handed_over, many.stats.commands) << "some reached the log directly";
  for (const Appended* handed : {&one, &many}) {
    EXPECT_EQ(difference(handed->commands, read.commands), "");
    EXPECT_EQ(difference(handed->events, read.events), "");
    EXPECT_EQ(difference(handed->results, read.results), "");
    EXPECT_EQ(handed->stats.commands, read.stats.commands);
    EXPECT_EQ(handed->stats.accepted, read.stats.accepted);
    EXPECT_EQ(handed->stats.rejected, read.stats.rejected);
    EXPECT_EQ(handed->stats.repeats, read.stats.repeats);
    EXPECT_EQ(handed->stats.events, read.stats.events);
  }
}

}  // namespace
}  // namespace pw::test
