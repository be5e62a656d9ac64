// `pagewright worker --pool commands|projections|builds`: one pool's workers in this
// process, any number of processes per pool (Kafka consumer groups share the
// partitions). SIGTERM/SIGINT drain: the batch in flight commits, then every
// worker leaves its group cleanly.
#include <iostream>

#include "events/log.hpp"
#include "events/logging.hpp"
#include "ops/cli/cli.hpp"
#include "ops/cli/observability.hpp"
#include "ops/cli/pools.hpp"
#include "ops/cli/signals.hpp"
#include "projections/pg.hpp"

namespace pw::cli {
namespace {

struct WorkerOptions {
  std::string pool;
  std::string log_uri;
  std::string pg;
  std::string data = "var/worker";
  int threads = 1;
  std::string metrics;  // HOST:PORT for GET /metrics; empty or "off": not served
  std::string sites = "var/sites";
  BuildPoolOptions builds;
};

int run_worker(const WorkerOptions& o) {
  block_stop_signals();
  auto log = log::open_log(o.log_uri);
  if (!log.ok()) {
    logging::error("event log", {{"error", log.error().message}});
    return 1;
  }
  if (auto topics = create_standard_topics(**log); !topics.ok()) {
    logging::error("topics", {{"error", topics.error().message}});
    return 1;
  }
  if (o.pool == "projections") {
    auto migrated = projections::migrate(o.pg);
    if (!migrated.ok()) {
      logging::error("migrations", {{"error", migrated.error().message}});
      return 1;
    }
  }

  gateway::Metrics metrics;
  std::unique_ptr<MetricsEndpoint> endpoint;
  if (!o.metrics.empty() && o.metrics != "off") {
    auto started = MetricsEndpoint::start(o.metrics, metrics);
    if (!started.ok()) {
      logging::error("metrics", {{"error", started.error().message}});
      return 1;
    }
    endpoint = std::move(started).value();
  }

  StopFlag stop;
  PoolThreads pool;
  // A worker that cannot start stops the others too.
  auto fail = [&stop] { stop.stop(); };
  if (o.pool == "commands") {
    auto schemas = load_schemas("worker");
    if (!schemas) return 1;
    start_command_pool(**log, o.data, o.threads, std::move(schemas), stop.flag(), &metrics, pool, fail);
  } else if (o.pool == "builds") {
    BuildPoolOptions builds = o.builds;
    builds.sites_dir = o.sites;
    start_build_pool(**log, builds, o.threads, stop.flag(), &metrics, pool, fail);
  } else {
    start_projection_pool(**log, o.pg, o.threads, stop.flag(), &metrics, pool, fail);
    start_lag_reporter(**log, o.pg, stop.flag(), metrics, pool);
  }
  logging::info("worker started", {{"pool", o.pool}, {"threads", o.threads}, {"log", o.log_uri}});
  pool.join();
  return pool.failed > 0 ? 1 : 0;
}

}  // namespace

Runner add_worker(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("worker", "Run one worker pool (commands, projections or builds) against the event log");
  auto o = std::make_shared<WorkerOptions>();
  cmd->add_option("--pool", o->pool, "commands | projections | builds")
      ->envname("PW_POOL")
      ->required()
      ->check(CLI::IsMember({"commands", "projections", "builds"}));
  cmd->add_option("--log", o->log_uri, "event log: kafka:<bootstrap> or local:<dir>, then ?key=value&... for client options")->envname("PW_LOG")->required();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo (projections pool)")->envname("PW_PG");
  cmd->add_option("--data", o->data, "directory for local state (processor snapshots)")
      ->envname("PW_DATA")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "workers in this process")
      ->envname("PW_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--sites", o->sites, "deploy store the builds pool writes (blobs, deploys, live pointers)")
      ->envname("PW_SITES")
      ->capture_default_str();
  add_build_options(*cmd, o->builds);
  cmd->add_option("--metrics", o->metrics, "HOST:PORT to serve GET /metrics and /healthz on, or off (the default)")
      ->envname("PW_METRICS");
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    if (o->pool == "projections" && o->pg.empty()) {
      logging::error("--pg (or PW_PG) is required for the projections pool");
      return 2;
    }
    return run_worker(*o);
  };
}

}  // namespace pw::cli
