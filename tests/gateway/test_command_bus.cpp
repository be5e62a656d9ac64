// The gateway's command bus against a real event log with a real command
// processor running in a thread: outcomes reach the right waiters, batching,
// timeouts, repeats, tenants and shutdown. Linked with tests/workers'
// backend_local.cpp (unit) or backend_kafka.cpp (kafka, the mock cluster).
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "events/ids.hpp"
#include "gateway/command_bus.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/kafka_log/broker.hpp"
#include "tests/workers/backend.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using Outcome = Result<std::optional<domain::CommandOutcome>>;

constexpr int32_t kPartitions = 4;
const std::string kEvents(log::kEventsTopic);

// "cmd-<n>" of tenant "tenant-<subdomain>" creating site <subdomain>.
domain::CommandRecord create_site(int n, const std::string& subdomain) {
  const auto site = site_id_for_subdomain(subdomain);
  return command_record(n, subdomain, domain::CreateSite{site, "Site " + subdomain, subdomain});
}

template <class Pred>
void wait_for(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "condition not reached in time";
    std::this_thread::sleep_for(5ms);
  }
}

std::future<Outcome> submit_async(gateway::CommandBus& bus, domain::CommandRecord record,
                                  std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<Outcome>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto future = promise->get_future();
  bus.submit(std::move(record), wait, [promise, calls](Outcome r) {
    EXPECT_EQ(++*calls, 1) << "done called twice";
    if (*calls == 1) promise->set_value(std::move(r));
  });
  return future;
}

Outcome submit_and_wait(gateway::CommandBus& bus, domain::CommandRecord record, std::chrono::milliseconds wait) {
  auto f = submit_async(bus, std::move(record), wait);
  if (f.wait_for(wait + 90s) != std::future_status::ready) return make_error(Errc::internal, "done never called");
  return f.get();
}

// A fresh log with the pagewright topics, and a command processor polling in a
// thread of its own (started on demand, so tests can hold decisions back).
class CommandBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = make_processor_backend();
    require_server(backend_->missing());
    if (IsSkipped() || HasFatalFailure()) return;
    auto log = log::open_log(backend_->fresh_uri(), backend_->config());
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(log).value();
    auto topics = create_pagewright_topics(*log_, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.error().message;
    snapshots_ = std::filesystem::temp_directory_path() /
                 ("pw-bus-snap-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
  }
  void TearDown() override {
    stop_ = true;
    if (processor_.joinable()) processor_.join();
    log_.reset();
    std::error_code ec;
    std::filesystem::remove_all(snapshots_, ec);
  }

  // With a relay, the processor announces its outcomes as `serve`'s do.
  void start_processor(gateway::OutcomeRelay* relay = nullptr) {
    processor_ = std::thread([this, relay] {
      workers::ProcessorConfig config;
      config.schemas = ::pw::test::test_schemas();
      config.snapshot_dir = snapshots_;
      if (relay) config.on_decided = [relay](const domain::CommandOutcome& o) { relay->deliver(o); };
      auto p = workers::CommandProcessor::create(*log_, config);
      if (!p.ok()) {
        ADD_FAILURE() << p.error().message;
        return;
      }
      while (!stop_) {
        auto r = (*p)->run_once(20ms);
        if (!r.ok()) std::this_thread::sleep_for(20ms);
      }
      (*p)->close();
    });
  }

  std::unique_ptr<gateway::CommandBus> start_bus(gateway::CommandBusConfig config = {}) {
    auto bus = gateway::CommandBus::start(*log_, config);
    if (!bus.ok()) throw std::runtime_error("bus: " + bus.error().message);
    return std::move(bus).value();
  }

  std::unique_ptr<ProcessorBackend> backend_;
  std::unique_ptr<log::EventLog> log_;
  std::filesystem::path snapshots_;
  std::atomic<bool> stop_{false};
  std::thread processor_;
  static inline int counter_ = 0;
};

TEST_F(CommandBusTest, ConcurrentSubmittersEachGetTheirOwnAcceptedOutcome) {
  start_processor();
  auto bus = start_bus();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::mutex mu;
  std::map<std::string, int> calls;
  std::map<std::string, Outcome> outcomes;
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * 1000 + i + 1;
        const std::string sub = "bus-" + std::to_string(t) + "-" + std::to_string(i);
        auto record = create_site(n, sub);
        const std::string id = record.meta.commandId.str();
        bus->submit(std::move(record), 60s, [&, id](Outcome r) {
          std::lock_guard lk(mu);
          ++calls[id];
          outcomes.insert_or_assign(id, std::move(r));
          ++finished;
        });
      }
    });
  for (auto& th : threads) th.join();
  wait_for([&] { return finished.load() >= kThreads * kPerThread; }, 90s);
  std::this_thread::sleep_for(50ms);  // a second call, if any, would show now
  std::lock_guard lk(mu);
  ASSERT_EQ(calls.size(), size_t{kThreads * kPerThread});
  for (const auto& [id, count] : calls) EXPECT_EQ(count, 1) << id;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i) {
      const std::string id = "cmd-" + std::to_string(t * 1000 + i + 1);
      const auto site = site_id_for_subdomain("bus-" + std::to_string(t) + "-" + std::to_string(i));
      const auto& r = outcomes.at(id);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_TRUE(r->has_value()) << id << " timed out";
      const auto& o = **r;
      EXPECT_EQ(o.command_id, id);
      EXPECT_TRUE(o.accepted) << id;
      EXPECT_EQ(o.aggregate_id, site.str());
      EXPECT_EQ(o.command_partition, log::partition_for(site.str(), kPartitions));
      // position = "partition:offset" of its last event, in the site's partition.
      ASSERT_FALSE(o.position.empty());
      EXPECT_EQ(o.position.substr(0, o.position.find(':')), std::to_string(o.command_partition)) << o.position;
    }
  // The position names the command's event.
  const auto& first = **outcomes.at("cmd-1");
  const auto colon = first.position.find(':');
  auto reader = log_->reader({kEvents, std::stoi(first.position.substr(0, colon))},
                             std::stoll(first.position.substr(colon + 1)));
  ASSERT_TRUE(reader.ok());
  std::vector<log::Record> got;
  for (int i = 0; i < 100 && got.empty(); ++i) got = std::move((*reader)->read(100ms, 1)).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].value.find("\"commandId\":\"cmd-1\""), std::string::npos) << got[0].value;

  const auto stats = bus->stats();
  EXPECT_EQ(stats.records, kThreads * kPerThread);
  EXPECT_LT(stats.batches, stats.records) << "concurrent submissions should share appends";
  EXPECT_GE(stats.results, kThreads * kPerThread);
  EXPECT_EQ(stats.timeouts, 0);
  EXPECT_EQ(stats.failures, 0);
}

TEST_F(CommandBusTest, RejectedCommandGetsItsRejection) {
  start_processor();
  auto bus = start_bus();
  auto first = submit_and_wait(*bus, create_site(1, "taken"), 60s);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_TRUE((*first)->accepted);
  // The same site again under another command id: a domain rule refuses it.
  auto again = submit_and_wait(*bus, create_site(2, "taken"), 60s);
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(again->has_value());
  const auto& o = **again;
  EXPECT_EQ(o.command_id, "cmd-2");
  EXPECT_FALSE(o.accepted);
  ASSERT_TRUE(o.error.has_value());
  EXPECT_TRUE(o.events.empty());
  auto status = bus->status("cmd-2", TenantId{"tenant-taken"});
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, gateway::CommandState::decided);
  ASSERT_TRUE(status->outcome.has_value());
  EXPECT_FALSE(status->outcome->accepted);
}

TEST_F(CommandBusTest, WaitElapsesThenStatusShowsTheDecisionLater) {
  auto bus = start_bus();  // no processor yet: nothing is decided
  const auto t0 = std::chrono::steady_clock::now();
  auto r = submit_and_wait(*bus, create_site(1, "slow"), 200ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
  EXPECT_GE(took, 200ms);
  // wait == 0: nullopt as soon as the append is durable.
  auto now = submit_and_wait(*bus, create_site(2, "slow-2"), 0ms);
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE(now->has_value());
  EXPECT_EQ(bus->stats().timeouts, 2);

  auto pending = bus->status("cmd-1", TenantId{"tenant-slow"});
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->state, gateway::CommandState::pending);
  EXPECT_FALSE(pending->outcome.has_value());

  start_processor();
  wait_for([&] {
    auto s = bus->status("cmd-1", TenantId{"tenant-slow"});
    return s && s->state == gateway::CommandState::decided;
  }, 60s);
  auto decided = bus->status("cmd-1", TenantId{"tenant-slow"});
  ASSERT_TRUE(decided.has_value());
  EXPECT_EQ(decided->state, gateway::CommandState::decided);
  ASSERT_TRUE(decided->outcome.has_value());
  EXPECT_TRUE(decided->outcome->accepted);
  EXPECT_EQ(decided->outcome->command_id, "cmd-1");
}

TEST_F(CommandBusTest, StatusIsPerTenant) {
  start_processor();
  auto bus = start_bus();
  auto r = submit_and_wait(*bus, create_site(1, "mine"), 60s);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(bus->status("cmd-1", TenantId{"tenant-mine"}).has_value());
  EXPECT_FALSE(bus->status("cmd-1", TenantId{"tenant-other"}).has_value());
  EXPECT_FALSE(bus->status("cmd-unknown", TenantId{"tenant-mine"}).has_value());
}

TEST_F(CommandBusTest, RepeatedCommandIdGetsTheFirstOutcome) {
  start_processor();
  auto bus = start_bus();
  auto first = submit_and_wait(*bus, create_site(1, "again"), 60s);
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE((*first)->accepted);
  // Sequential repeat.
  auto second = submit_and_wait(*bus, create_site(1, "again"), 60s);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_TRUE((*second)->accepted);
  EXPECT_EQ((*second)->position, (*first)->position);
  EXPECT_EQ((*second)->version, (*first)->version);
  EXPECT_EQ((*second)->events, (*first)->events);

  // Concurrent repeat (both in flight together), and a reuse of the id with
  // another body, which gets its own DUPLICATE answer, not the first outcome.
  auto a = submit_async(*bus, create_site(7, "twice"), 60s);
  auto b = submit_async(*bus, create_site(7, "twice"), 60s);
  auto other = create_site(7, "twice");  // same id, tenant and site; another body
  other.command = domain::CreateSite{site_id_for_subdomain("twice"), "Another name", "twice"};
  auto c = submit_async(*bus, std::move(other), 60s);
  auto ra = a.get(), rb = b.get(), rc = c.get();
  ASSERT_TRUE(ra.ok() && ra->has_value());
  ASSERT_TRUE(rb.ok() && rb->has_value());
  ASSERT_TRUE(rc.ok() && rc->has_value());
  EXPECT_TRUE((*ra)->accepted);
  EXPECT_TRUE((*rb)->accepted);
  EXPECT_EQ((*ra)->position, (*rb)->position);
  EXPECT_FALSE((*rc)->accepted);
  ASSERT_TRUE((*rc)->error.has_value());
  EXPECT_EQ((*rc)->error->code, Errc::duplicate);
  // The first decision stands in status().
  auto status = bus->status("cmd-7", TenantId{"tenant-twice"});
  ASSERT_TRUE(status && status->outcome);
  EXPECT_TRUE(status->outcome->accepted);
}

TEST_F(CommandBusTest, DoneMaySubmitAgain) {
  start_processor();
  auto bus = start_bus();
  std::promise<Outcome> second;
  bus->submit(create_site(1, "chain-1"), 60s, [&](Outcome first) {
    EXPECT_TRUE(first.ok() && first->has_value());
    bus->submit(create_site(2, "chain-2"), 60s, [&](Outcome r) { second.set_value(std::move(r)); });
  });
  auto fut = second.get_future();
  ASSERT_EQ(fut.wait_for(90s), std::future_status::ready);
  auto r = fut.get();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE((*r)->accepted);
}

TEST_F(CommandBusTest, CloseCompletesPendingWaitersOnce) {
  auto bus = start_bus();  // no processor: every waiter stays pending
  constexpr int kPending = 5;
  std::mutex mu;
  std::map<int, std::vector<Outcome>> calls;
  for (int i = 1; i <= kPending; ++i)
    bus->submit(create_site(i, "closing-" + std::to_string(i)), 600s, [&, i](Outcome r) {
      std::lock_guard lk(mu);
      calls[i].push_back(std::move(r));
    });
  wait_for([&] { return bus->stats().records == kPending; }, 30s);
  {
    std::lock_guard lk(mu);
    EXPECT_TRUE(calls.empty());
  }
  bus->close();
  bus->close();  // idempotent
  {
    std::lock_guard lk(mu);
    ASSERT_EQ(calls.size(), size_t{kPending});
    for (const auto& [i, results] : calls) {
      ASSERT_EQ(results.size(), 1u) << i;
      ASSERT_TRUE(results[0].ok());
      EXPECT_FALSE(results[0]->has_value());
    }
  }
  // After close: refused at once.
  auto late = submit_and_wait(*bus, create_site(9, "late"), 1s);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, Errc::unavailable);
  bus.reset();
}

TEST_F(CommandBusTest, CloseFromInsideDoneDoesNotDeadlock) {
  auto bus = start_bus();
  std::promise<Outcome> first;
  bus->submit(create_site(1, "self-close"), 0ms, [&](Outcome r) {
    bus->close();  // on the appender thread: cannot join itself
    first.set_value(std::move(r));
  });
  auto fut = first.get_future();
  ASSERT_EQ(fut.wait_for(30s), std::future_status::ready);
  auto r = fut.get();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto late = submit_and_wait(*bus, create_site(2, "self-close-2"), 1s);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, Errc::unavailable);
  bus.reset();  // joins the threads
}

TEST_F(CommandBusTest, OnlyResultsAfterStartAreSeen) {
  start_processor();
  {
    auto before = start_bus();
    auto r = submit_and_wait(*before, create_site(1, "old"), 60s);
    ASSERT_TRUE(r.ok() && r->has_value());
  }
  auto bus = start_bus();
  EXPECT_EQ(bus->stats().results, 0);
  EXPECT_FALSE(bus->status("cmd-1", TenantId{"tenant-old"}).has_value());
  auto r = submit_and_wait(*bus, create_site(2, "new"), 60s);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(bus->stats().results, 1);
}

TEST_F(CommandBusTest, AnotherGatewaysOutcomesAreKnownToo) {
  start_processor();
  auto mine = start_bus();
  auto theirs = start_bus();
  auto r = submit_and_wait(*theirs, create_site(1, "shared"), 60s);
  ASSERT_TRUE(r.ok() && r->has_value());
  wait_for([&] { return mine->status("cmd-1", TenantId{"tenant-shared"}).has_value(); }, 30s);
  auto s = mine->status("cmd-1", TenantId{"tenant-shared"});
  ASSERT_TRUE(s && s->outcome);
  EXPECT_EQ(s->state, gateway::CommandState::decided);
  EXPECT_EQ(*s->outcome, **r);
}

TEST_F(CommandBusTest, AResultThatDoesNotDecodeIsCountedAndTheNextOutcomeStillArrives) {
  start_processor();
  auto bus = start_bus();
  // Not JSON, and JSON that is no outcome: neither was written by a processor.
  const std::string key = site_id_for_subdomain("junk").str();
  log::Batch junk;
  junk.records.push_back({std::string(log::kResultsTopic), key, "{\"commandId\": ", std::nullopt});
  junk.records.push_back({std::string(log::kResultsTopic), key, R"({"commandId": "cmd-1"})", std::nullopt});
  auto appended = log_->append(junk);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  wait_for([&] { return bus->stats().malformed_results == 2; }, 60s);

  // A command whose id the junk named, on the same partition, is answered by its own result.
  auto r = submit_and_wait(*bus, create_site(1, "junk"), 60s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE((*r)->accepted);
  EXPECT_EQ((*r)->command_id, "cmd-1");
  EXPECT_EQ(bus->stats().malformed_results, 2);
  EXPECT_EQ(bus->stats().results, 3);
}

// `serve`: the processors hand their outcomes to the bus, which reads nothing
// back from pagewright.results.
TEST_F(CommandBusTest, DeliveredOutcomesAnswerEveryWaiterWithoutReadingResults) {
  gateway::OutcomeRelay relay;
  start_processor(&relay);
  auto bus = start_bus({.tail_results = false});
  relay.attach(bus.get());

  auto first = submit_and_wait(*bus, create_site(1, "direct"), 60s);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->accepted);
  EXPECT_EQ((*first)->command_id, "cmd-1");
  const auto site = site_id_for_subdomain("direct");
  EXPECT_EQ((*first)->position.substr(0, (*first)->position.find(':')),
            std::to_string(log::partition_for(site.str(), kPartitions)));

  auto taken = submit_and_wait(*bus, create_site(2, "direct"), 60s);
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_FALSE((*taken)->accepted);
  ASSERT_TRUE((*taken)->error.has_value());

  // A repeat gets the first outcome; a reuse of the id with another body its DUPLICATE.
  auto repeat = submit_async(*bus, create_site(1, "direct"), 60s);
  auto other = create_site(1, "direct");
  other.command = domain::CreateSite{site, "Another name", "direct"};
  auto reuse = submit_async(*bus, std::move(other), 60s);
  auto rr = repeat.get(), ru = reuse.get();
  ASSERT_TRUE(rr.ok() && rr->has_value());
  EXPECT_TRUE((*rr)->accepted);
  EXPECT_EQ((*rr)->position, (*first)->position);
  ASSERT_TRUE(ru.ok() && ru->has_value());
  ASSERT_TRUE((*ru)->error.has_value());
  EXPECT_EQ((*ru)->error->code, Errc::duplicate);

  auto status = bus->status("cmd-2", TenantId{"tenant-direct"});
  ASSERT_TRUE(status && status->outcome);
  EXPECT_EQ(status->state, gateway::CommandState::decided);
  EXPECT_FALSE(status->outcome->accepted);

  // What lands on pagewright.results is not read: junk there is never seen.
  log::Batch junk;
  junk.records.push_back({std::string(log::kResultsTopic), site.str(), "{\"commandId\": ", std::nullopt});
  ASSERT_TRUE(log_->append(junk).ok());
  auto later = submit_and_wait(*bus, create_site(3, "direct-2"), 60s);
  ASSERT_TRUE(later.ok() && later->has_value());
  EXPECT_TRUE((*later)->accepted);
  const auto stats = bus->stats();
  EXPECT_EQ(stats.malformed_results, 0);
  EXPECT_EQ(stats.results, 5);  // one per decided command, none read back
  EXPECT_EQ(stats.timeouts, 0);
  relay.detach();
}

TEST_F(CommandBusTest, DeliveredOutcomesStillTimeOutAndAreRememberedWhenTheyComeLate) {
  gateway::OutcomeRelay relay;
  auto bus = start_bus({.tail_results = false});
  relay.attach(bus.get());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = submit_and_wait(*bus, create_site(1, "direct-slow"), 200ms);  // no processor yet
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(bus->stats().timeouts, 1);

  start_processor(&relay);
  wait_for([&] {
    auto s = bus->status("cmd-1", TenantId{"tenant-direct-slow"});
    return s && s->state == gateway::CommandState::decided;
  }, 60s);
  auto decided = bus->status("cmd-1", TenantId{"tenant-direct-slow"});
  ASSERT_TRUE(decided && decided->outcome);
  EXPECT_TRUE(decided->outcome->accepted);
  relay.detach();  // as `serve` does before its bus goes
}

}  // namespace
}  // namespace pw::test
