#include "ops/cli/pools.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include "projections/projector.hpp"
#include "workers/command_processor.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

void report(const char* what, const Error& e) { std::cerr << what << ": " << e.message << "\n"; }

}  // namespace

Result<void> create_standard_topics(log::EventLog& log) {
  return log.create_topics({{std::string(log::kCommandsTopic), log::kDefaultPartitions},
                            {std::string(log::kEventsTopic), log::kDefaultPartitions},
                            {std::string(log::kResultsTopic), log::kDefaultPartitions}});
}

void start_command_pool(log::EventLog& log, const std::filesystem::path& data, int count,
                        const std::atomic<bool>& stop, gateway::Metrics* metrics, PoolThreads& out,
                        OnWorkerFailure on_failure) {
  for (int i = 0; i < count; ++i) {
    out.threads.emplace_back([&log, data, i, &stop, metrics, &out, on_failure] {
      workers::ProcessorConfig config;
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
      int64_t events_reported = 0;
      while (!stop) {
        auto r = processor.run_once(200ms);
        if (!r.ok()) report("command processor", r.error());
        if (metrics && processor.stats().events != events_reported) {
          metrics->add_events_appended(static_cast<uint64_t>(processor.stats().events - events_reported));
          events_reported = processor.stats().events;
        }
      }
      processor.close();
    });
  }
}

void start_projection_pool(log::EventLog& log, const std::string& pg, int count, const std::atomic<bool>& stop,
                           gateway::Metrics* metrics, PoolThreads& out, OnWorkerFailure on_failure) {
  for (int i = 0; i < count; ++i) {
    out.threads.emplace_back([&log, pg, &stop, metrics, &out, on_failure] {
      auto created = projections::Projector::create(log, pg, {});
      if (!created.ok()) {
        report("projector", created.error());
        ++out.failed;
        on_failure();
        return;
      }
      auto& projector = **created;
      while (!stop) {
        const auto started = std::chrono::steady_clock::now();
        auto r = projector.run_once(200ms);
        if (!r.ok()) report("projector", r.error());
        if (metrics && r.ok() && *r > 0)
          metrics->observe_projection_batch(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      projector.close();
    });
  }
}

}  // namespace pw::cli
