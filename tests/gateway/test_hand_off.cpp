// `serve`'s hand-off (commands/hand_off.hpp) between the gateway's command bus
// and the command processors of the same process, on a real embedded log:
// offered commands are decided and appended with their own records in one
// write, an offer nobody takes in time is appended by the bus (so a 202 still
// means durable), and commands the bus appended itself are decided before
// any offer of their partition.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "commands/hand_off.hpp"
#include "gateway/command_bus.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/schemas.hpp"
#include "workers/command_processor.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using Outcome = Result<std::optional<domain::CommandOutcome>>;

constexpr int32_t kPartitions = 4;
const std::string kCommands(log::kCommandsTopic);
const std::string kResults(log::kResultsTopic);

domain::CommandRecord create_site(int n, const std::string& subdomain) {
  return command_record(n, subdomain,
                        domain::CreateSite{site_id_for_subdomain(subdomain), "Site " + subdomain, subdomain});
}

domain::CommandRecord create_page(int n, const std::string& subdomain, const std::string& slug) {
  const auto site = site_id_for_subdomain(subdomain);
  return command_record(n, subdomain, domain::CreatePage{make_page_id(site, slug), "Page " + slug, slug, {}});
}

std::future<Outcome> submit_async(gateway::CommandBus& bus, domain::CommandRecord record,
                                  std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  auto future = promise->get_future();
  bus.submit(std::move(record), wait, [promise](Outcome r) { promise->set_value(std::move(r)); });
  return future;
}

class HandOffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pw-hand-off-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    auto log = log::open_log("local:" + (dir_ / "log").string(), {});
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(log).value();
    ASSERT_TRUE(create_pagewright_topics(*log_, kPartitions).ok());
  }
  void TearDown() override {
    stop_ = true;
    for (auto& t : processors_) t.join();
    relay_.detach();
    bus_.reset();
    log_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start_bus() {
    auto bus = gateway::CommandBus::start(*log_, {.tick = 5ms, .tail_results = false, .hand_off = &hand_off_});
    ASSERT_TRUE(bus.ok()) << bus.error().message;
    bus_ = std::move(bus).value();
    relay_.attach(bus_.get());
  }

  // As `serve` runs them: several processors sharing the hand-off.
  void start_processors(int count) {
    for (int i = 0; i < count; ++i)
      processors_.emplace_back([this, i] {
        workers::ProcessorConfig config;
        config.schemas = test_schemas();
        config.snapshot_dir = dir_ / ("snapshots-" + std::to_string(i));
        config.on_decided = [this](const domain::CommandOutcome& o) { relay_.deliver(o); };
        config.hand_off = &hand_off_;
        auto p = workers::CommandProcessor::create(*log_, config);
        if (!p.ok()) {
          ADD_FAILURE() << p.error().message;
          return;
        }
        while (!stop_) {
          if (auto r = (*p)->run_once(20ms); !r.ok()) std::this_thread::sleep_for(20ms);
        }
        handed_over_ += (*p)->stats().handed_over;
        (*p)->close();
      });
  }

  // Every record of the topic, partition by partition.
  std::vector<log::Record> read_all(const std::string& topic) {
    std::vector<log::Record> out;
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto end = log_->end_offset({topic, p});
      EXPECT_TRUE(end.ok());
      auto reader = log_->reader({topic, p}, 0);
      EXPECT_TRUE(reader.ok());
      int64_t got = 0;
      while (got < *end) {
        auto recs = (*reader)->read(200ms, 1000);
        EXPECT_TRUE(recs.ok());
        for (auto& r : *recs) out.push_back(std::move(r));
        got += static_cast<int64_t>(recs->size());
      }
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
  domain::HandOff hand_off_{kPartitions};
  gateway::OutcomeRelay relay_;
  std::unique_ptr<gateway::CommandBus> bus_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> handed_over_{0};
  std::vector<std::thread> processors_;
  static inline int counter_ = 0;
};

TEST_F(HandOffTest, OfferedCommandsAreAppendedByTheirProcessorWithTheirOutcomes) {
  start_bus();
  start_processors(2);
  std::vector<std::future<Outcome>> futures;
  for (int s = 0; s < 20; ++s) {
    const std::string sub = "offered-" + std::to_string(s);
    futures.push_back(submit_async(*bus_, create_site(s * 10, sub), 60s));
    for (int p = 1; p <= 4; ++p)
      futures.push_back(submit_async(*bus_, create_page(s * 10 + p, sub, "p" + std::to_string(p)), 60s));
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(90s), std::future_status::ready);
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->has_value()) << "not decided within its wait";
    EXPECT_TRUE((*r)->accepted) << (*r)->command_id << ": " << ((*r)->error ? (*r)->error->message : "");
  }
  const auto stats = bus_->stats();
  EXPECT_EQ(stats.handed_over, 100);
  EXPECT_EQ(stats.withdrawn, 0);
  EXPECT_EQ(stats.batches, 0) << "the bus appended nothing itself";

  // Each command record is on the log, at the offset its result names, keyed
  // by its site: what the log path would have left.
  const auto commands = read_all(kCommands);
  ASSERT_EQ(commands.size(), 100u);
  std::map<std::pair<int32_t, int64_t>, std::string> command_at;
  for (const auto& c : commands) {
    auto decoded = domain::decode_command_record(c.value);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->meta.siteId.str(), c.key);
    EXPECT_EQ(c.partition, log::partition_for(c.key, kPartitions));
    command_at[{c.partition, c.offset}] = decoded->meta.commandId.str();
  }
  const auto results = read_all(kResults);
  ASSERT_EQ(results.size(), 100u);
  for (const auto& r : results) {
    auto o = domain::decode_outcome(r.value);
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(command_at[std::make_pair(o->command_partition, o->command_offset)], o->command_id);
  }
  stop_ = true;
  for (auto& t : processors_) t.join();
  processors_.clear();
  EXPECT_EQ(handed_over_, 100);
}

TEST_F(HandOffTest, AnOfferNoProcessorTakesInTimeIsAppendedByTheBusAndDecidedFromTheLog) {
  start_bus();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = submit_async(*bus_, create_site(1, "untaken"), 200ms).get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value()) << "no processor runs: it cannot be decided";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(bus_->stats().withdrawn, 1);
  // Answered only once durable, as a 202 promises.
  const auto commands = read_all(kCommands);
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].key, site_id_for_subdomain("untaken").str());

  start_processors(1);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::optional<gateway::CommandBus::Status> s;
  while (std::chrono::steady_clock::now() < deadline) {
    s = bus_->status("cmd-1", TenantId{"tenant-untaken"});
    if (s && s->state == gateway::CommandState::decided) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(s && s->outcome);
  EXPECT_TRUE(s->outcome->accepted);
  EXPECT_EQ(read_all(kCommands).size(), 1u) << "decided once, never appended twice";
}

TEST_F(HandOffTest, CommandsTheBusAppendedAreDecidedBeforeTheOffersOfTheirPartition) {
  start_bus();
  // Prefer: respond-async: appended by the bus, answered once durable.
  auto site = submit_async(*bus_, create_site(1, "ordered"), 0ms).get();
  ASSERT_TRUE(site.ok() && !site->has_value());
  // Offered after it, for the same site: deciding it first would find no site.
  auto page = submit_async(*bus_, create_page(2, "ordered", "home"), 60s);
  start_processors(2);
  auto decided = page.get();
  ASSERT_TRUE(decided.ok() && decided->has_value());
  EXPECT_TRUE((*decided)->accepted) << ((*decided)->error ? (*decided)->error->message : "");
  const auto commands = read_all(kCommands);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].offset, 0);
  EXPECT_EQ(commands[1].offset, 1);
  EXPECT_EQ((*decided)->command_offset, 1);
}

}  // namespace
}  // namespace pw::test
