#include "ops/cli/pools.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include "projections/projector.hpp"
#include "workers/build/build_worker.hpp"
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

void add_build_options(CLI::App& cmd, BuildPoolOptions& o) {
  cmd.add_option("--site-base-url", o.base_url,
                 "absolute base of canonical URLs, sitemaps and robots.txt unless a site sets settings.baseUrl "
                 "(\"{subdomain}\" is replaced; default http://{subdomain}.localhost)")
      ->envname("PW_SITE_BASE_URL");
  cmd.add_option("--public-url", o.public_url,
                 "where a deploy is served, reported as the deployment's url (\"{site}\" is replaced; default "
                 "/sites/{site}/)")
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
      while (!stop) {
        auto r = worker.run_once(200ms);
        if (!r.ok()) report("build worker", r.error());
      }
      worker.close();
    });
  }
}

}  // namespace pw::cli
