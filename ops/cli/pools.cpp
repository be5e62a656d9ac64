#include "ops/cli/pools.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "events/dead_letter.hpp"
#include "events/logging.hpp"
#include "projections/projector.hpp"
#include "workers/build/build_worker.hpp"
#include "workers/command_processor.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

void report(const char* what, const Error& e) { logging::error(what, {{"error", e.message}}); }

// After a failed run_once the worker waits before trying again, 50 ms
// doubling to 5 s, so an outage (Postgres down, the log unavailable) costs
// neither a spinning core nor a flood of retries; a success resets it.
class Backoff {
 public:
  void succeeded() { delay_ = 0ms; }
  // Waits the next delay, waking early when `stop` is raised.
  void failed(const std::atomic<bool>& stop) {
    delay_ = delay_ == 0ms ? kFirst : std::min(delay_ * 2, kLongest);
    const auto until = std::chrono::steady_clock::now() + delay_;
    while (!stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::min(delay_, 50ms));
  }

 private:
  static constexpr std::chrono::milliseconds kFirst{50}, kLongest{5000};
  std::chrono::milliseconds delay_{0};
};

// A worker's error lines: the first failure, then at most one line every
// 10 s with how many failures it did not print, and one when it recovers.
class ErrorLines {
 public:
  explicit ErrorLines(const char* what) : what_(what) {}
  void failed(const Error& e) {
    ++failures_;
    const auto now = std::chrono::steady_clock::now();
    if (printed_ != std::chrono::steady_clock::time_point{} && now - printed_ < 10s) {
      ++unprinted_;
      return;
    }
    logging::error(what_, {{"error", e.message}, {"unprinted_failures", unprinted_}});
    printed_ = now;
    unprinted_ = 0;
  }
  void succeeded() {
    if (failures_ == 0) return;
    logging::info(what_, {{"recovered_after_failures", failures_}});
    failures_ = unprinted_ = 0;
    printed_ = {};
  }

 private:
  const char* what_;
  int64_t failures_ = 0;
  int64_t unprinted_ = 0;
  std::chrono::steady_clock::time_point printed_{};
};

// What a worker's loop does after each run_once: a success resets the
// pacing; a failure is logged (rate-limited) and backed off.
class Pacing {
 public:
  explicit Pacing(const char* what) : errors_(what) {}
  template <class T>
  void settle(const Result<T>& r, const std::atomic<bool>& stop) {
    if (r.ok()) {
      backoff_.succeeded();
      errors_.succeeded();
    } else {
      errors_.failed(r.error());
      backoff_.failed(stop);
    }
  }

 private:
  Backoff backoff_;
  ErrorLines errors_;
};

// Adds to one of the process's counters what a worker's running total (in
// its stats) grew by since the last call.
class CounterReport {
 public:
  using Add = void (*)(gateway::Metrics&, uint64_t);
  CounterReport(gateway::Metrics* metrics, Add add) : metrics_(metrics), add_(add) {}
  void update(int64_t total) {
    if (!metrics_ || total == reported_) return;
    add_(*metrics_, static_cast<uint64_t>(total - reported_));
    reported_ = total;
  }

 private:
  gateway::Metrics* metrics_;
  Add add_;
  int64_t reported_ = 0;
};

// Keeps partitions_owned{pool} equal to what this worker owns (one worker's
// share of the process's gauge), and gives it back when the worker leaves.
class OwnedPartitions {
 public:
  OwnedPartitions(gateway::Metrics* metrics, const char* pool) : metrics_(metrics), pool_(pool) {}
  ~OwnedPartitions() { update(0); }
  void update(size_t owned) {
    if (!metrics_ || static_cast<int64_t>(owned) == reported_) return;
    metrics_->add_partitions_owned(pool_, static_cast<int64_t>(owned) - reported_);
    reported_ = static_cast<int64_t>(owned);
  }

 private:
  gateway::Metrics* metrics_;
  const char* pool_;
  int64_t reported_ = 0;
};


}  // namespace

Result<void> create_standard_topics(log::EventLog& log) {
  auto made = log.create_topics({{std::string(log::kCommandsTopic), log::kDefaultPartitions},
                                 {std::string(log::kEventsTopic), log::kDefaultPartitions},
                                 {std::string(log::kResultsTopic), log::kDefaultPartitions}});
  if (!made.ok()) return made;
  // Dead letters keep their record's partition number: as many as the events
  // have (a broker may have made those with another count).
  auto events = log.partition_count(std::string(log::kEventsTopic));
  if (!events.ok()) return events.error();
  return log.create_topics({{std::string(log::kDeadLetterTopic), *events}});
}

std::shared_ptr<const domain::Schemas> load_schemas(const char* role) {
  auto loaded = domain::Schemas::load(domain::Schemas::default_dir());
  if (!loaded.ok()) {
    logging::error("schemas", {{"component", role}, {"error", loaded.error().message}});
    return nullptr;
  }
  return std::move(loaded).value();
}

void start_command_pool(log::EventLog& log, const std::filesystem::path& data, int count,
                        std::shared_ptr<const domain::Schemas> schemas, const std::atomic<bool>& stop,
                        gateway::Metrics* metrics, PoolThreads& out, OnWorkerFailure on_failure,
                        std::function<void(const domain::CommandOutcome&)> on_decided, domain::HandOff* hand_off) {
  for (int i = 0; i < count; ++i) {
    out.threads.emplace_back([&log, data, schemas, i, &stop, metrics, &out, on_failure, on_decided, hand_off] {
      workers::ProcessorConfig config;
      config.schemas = schemas;
      config.on_decided = on_decided;
      config.hand_off = hand_off;
      // Each processor keeps its own snapshots: they are a cache of the log.
      config.snapshot_dir = data / ("processor-" + std::to_string(::getpid()) + "-" + std::to_string(i));
      auto created = workers::CommandProcessor::create(log, config);
      if (!created.ok()) {
        report("command processor", created.error());
        ++out.failed;
        on_failure();
        return;
      }
      auto& processor = **created;
      CounterReport events(metrics, [](gateway::Metrics& m, uint64_t n) { m.add_events_appended(n); });
      CounterReport foreign_events(metrics,
                                   [](gateway::Metrics& m, uint64_t n) { m.add_foreign_records("events", n); });
      CounterReport foreign_results(metrics,
                                    [](gateway::Metrics& m, uint64_t n) { m.add_foreign_records("results", n); });
      Pacing pacing("command processor");
      OwnedPartitions owned(metrics, "commands");
      while (!stop) {
        auto r = processor.run_once(200ms);
        owned.update(processor.assignment().size());
        pacing.settle(r, stop);
        events.update(processor.stats().events);
        foreign_events.update(processor.stats().foreign_events);
        foreign_results.update(processor.stats().foreign_results);
      }
      processor.close();
    });
  }
}

void start_projection_pool(log::EventLog& log, const std::string& pg, int count, const std::atomic<bool>& stop,
                           gateway::Metrics* metrics, PoolThreads& out, OnWorkerFailure on_failure,
                           log::ProjectedPositions* positions, log::RecentPages* recent_pages) {
  for (int i = 0; i < count; ++i) {
    out.threads.emplace_back([&log, pg, &stop, metrics, &out, on_failure, positions, recent_pages] {
      projections::ProjectorConfig config;
      config.positions = positions;
      config.recent_pages = recent_pages;
      auto created = projections::Projector::create(log, pg, config);
      if (!created.ok()) {
        report("projector", created.error());
        ++out.failed;
        on_failure();
        return;
      }
      auto& projector = **created;
      Pacing pacing("projector");
      CounterReport dead_letters(metrics,
                                 [](gateway::Metrics& m, uint64_t n) { m.add_dead_letters("projections", n); });
      OwnedPartitions owned(metrics, "projections");
      while (!stop) {
        const auto started = std::chrono::steady_clock::now();
        auto r = projector.run_once(200ms);
        owned.update(projector.assignment().size());
        if (metrics && r.ok() && *r > 0)
          metrics->observe_projection_batch(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        dead_letters.update(projector.stats().dead_letters);
        pacing.settle(r, stop);
      }
      projector.close();
    });
  }
}

void add_build_options(CLI::App& cmd, BuildPoolOptions& o) {
  cmd.add_option("--site-base-url", o.base_url,
                 "absolute base of canonical URLs, sitemaps and robots.txt unless a site sets settings.baseUrl "
                 "(\"{subdomain}\" is replaced; default http://{subdomain}.localhost)")
      ->envname("PW_SITE_BASE_URL");
  cmd.add_option("--public-url", o.public_url,
                 "where a production deploy is served, reported as the deployment's url (\"{site}\" is "
                 "replaced; default /sites/{site}/); staging and preview deploys are reported at their "
                 "unguessable /previews/<token>/ url")
      ->envname("PW_PUBLIC_URL");
  cmd.add_option("--render-threads", o.render_threads, "threads rendering the pages of one build")
      ->envname("PW_RENDER_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
}

void start_build_pool(log::EventLog& log, const BuildPoolOptions& options, int count,
                      const std::atomic<bool>& stop, gateway::Metrics* metrics, PoolThreads& out,
                      OnWorkerFailure on_failure) {
  for (int i = 0; i < count; ++i) {
    out.threads.emplace_back([&log, options, i, &stop, metrics, &out, on_failure] {
      builds::BuildWorkerConfig config;
      config.sites_dir = options.sites_dir;
      if (!options.base_url.empty()) config.base_url = options.base_url;
      if (!options.public_url.empty()) config.public_url = options.public_url;
      config.render_threads = options.render_threads;
      config.worker_name = "builder-" + std::to_string(::getpid()) + "-" + std::to_string(i);
      if (metrics)
        config.on_build = [metrics](bool ok, double seconds) { metrics->observe_deployment(ok, seconds); };
      auto created = builds::BuildWorker::create(log, config);
      if (!created.ok()) {
        report("build worker", created.error());
        ++out.failed;
        on_failure();
        return;
      }
      auto& worker = **created;
      Pacing pacing("build worker");
      CounterReport dead_letters(metrics, [](gateway::Metrics& m, uint64_t n) { m.add_dead_letters("builds", n); });
      OwnedPartitions owned(metrics, "builds");
      while (!stop) {
        auto r = worker.run_once(200ms);
        owned.update(worker.assignment().size());
        dead_letters.update(worker.stats().dead_letters);
        pacing.settle(r, stop);
      }
      worker.close();
    });
  }
}

}  // namespace pw::cli
