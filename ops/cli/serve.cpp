// `pagewright serve`: every role in one process on the embedded log (DESIGN.md
// decision 2) — the HTTP gateway, the command processors and the projectors.
// SIGTERM drains in order: HTTP first (its in-flight commands still need the
// processors), then the workers commit their batches and leave.
#include <filesystem>
#include <iostream>

#include "events/log.hpp"
#include "events/logging.hpp"
#include "events/private_files.hpp"
#include "events/projected_positions.hpp"
#include "events/recent_pages.hpp"
#include "gateway/command_bus.hpp"
#include "ops/cli/cli.hpp"
#include "ops/cli/gateway_role.hpp"
#include "ops/cli/observability.hpp"
#include "ops/cli/pools.hpp"
#include "ops/cli/signals.hpp"
#include "projections/pg.hpp"

namespace pw::cli {
namespace {

struct ServeOptions {
  std::string data = "var/data";
  std::string pg;
  // Measured on 2 cores (docs/BENCHMARKS.md): a second projector mostly adds
  // Postgres contention, a second processor overlaps appends with deciding.
  int command_threads = 2;
  int projection_threads = 1;
  int build_threads = 1;
  BuildPoolOptions builds;
  std::string fsync = "true";
  GatewayRoleOptions gateway;
};

// The data directory holds every tenant's drafts (log/, snapshots/, each
// 0700): 0700 itself, or 0711 when the published deploy store lies inside it,
// so that a web server of another user can reach sites/ by name (and list
// nothing).
Result<void> make_data_dir(const std::filesystem::path& data, const std::filesystem::path& sites) {
  if (auto made = files::make_private_dir(data); !made) return made;
  std::error_code ec;
  const auto inside = std::filesystem::weakly_canonical(sites, ec).lexically_relative(
      std::filesystem::weakly_canonical(data, ec));
  if (!ec && !inside.empty() && *inside.begin() != ".." && *inside.begin() != ".")
    std::filesystem::permissions(data, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                           std::filesystem::perms::others_exec,
                                 ec);
  if (ec) return make_error(Errc::unavailable, "cannot set the mode of " + data.string() + ": " + ec.message());
  return {};
}

int run_serve(ServeOptions o) {
  block_stop_signals();
  if (o.gateway.sites.empty()) o.gateway.sites = (std::filesystem::path(o.data) / "sites").string();
  if (auto made = make_data_dir(o.data, o.gateway.sites); !made) {
    logging::error("data directory", {{"error", made.error().message}});
    return 1;
  }
  o.gateway.pg = o.pg;
  auto schemas = load_schemas("serve");
  if (!schemas) return 1;
  o.gateway.schemas = schemas;
  auto migrated = projections::migrate(o.pg);
  if (!migrated.ok()) {
    logging::error("migrations", {{"error", migrated.error().message}});
    return 1;
  }
  auto log = log::open_log("local:" + (std::filesystem::path(o.data) / "log").string(), {{"fsync", o.fsync}});
  if (!log.ok()) {
    logging::error("event log", {{"error", log.error().message}});
    return 1;
  }
  if (auto topics = create_standard_topics(**log); !topics.ok()) {
    logging::error("topics", {{"error", topics.error().message}});
    return 1;
  }

  gateway::Metrics metrics;
  StopFlag stop;
  std::atomic<bool> workers_stop{false};
  PoolThreads pools;
  auto fail = [&stop] { stop.stop(); };
  // Every processor is here: they answer the gateway's waiting requests
  // directly instead of through a tailer reading pagewright.results back.
  gateway::OutcomeRelay outcomes;
  o.gateway.direct_outcomes = &outcomes;
  // ...and take the commands they wait for from it, not from the log.
  auto command_partitions = (*log)->partition_count(std::string(log::kCommandsTopic));
  if (!command_partitions.ok()) {
    logging::error("topics", {{"error", command_partitions.error().message}});
    return 1;
  }
  domain::HandOff hand_off(*command_partitions);
  o.gateway.hand_off = &hand_off;
  start_command_pool(**log, std::filesystem::path(o.data) / "snapshots", o.command_threads, schemas, workers_stop,
                     &metrics, pools, fail, [&outcomes](const domain::CommandOutcome& d) { outcomes.deliver(d); },
                     &hand_off);
  // Reads that wait for a position are woken by the projectors' commits.
  log::ProjectedPositions projected;
  o.gateway.projected = &projected;
  // ...and take the page rows those commits wrote from them.
  log::RecentPages recent_pages;
  o.gateway.recent_pages = &recent_pages;
  start_projection_pool(**log, o.pg, o.projection_threads, workers_stop, &metrics, pools, fail, &projected,
                        &recent_pages);
  start_lag_reporter(**log, o.pg, workers_stop, metrics, pools);
  o.builds.sites_dir = o.gateway.sites;
  start_build_pool(**log, o.builds, o.build_threads, workers_stop, &metrics, pools, fail);

  const int rc = run_gateway_role(**log, o.gateway, metrics, stop);
  if (rc != 0) stop.stop();
  workers_stop = true;
  pools.join();
  const auto recent = recent_pages.stats();
  logging::info("stopped", {{"recent_page_hits", recent.hits}, {"recent_page_misses", recent.misses}});
  return rc != 0 ? rc : (pools.failed > 0 ? 1 : 0);
}

}  // namespace

Runner add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Run every role in one process on the embedded event log: HTTP gateway, command processors, projectors, "
      "build workers");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--data", o->data, "directory of the embedded event log and snapshots")
      ->envname("PW_DATA")
      ->capture_default_str();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo of the read models' owner (pagewright_owner)")
      ->envname("PW_PG")
      ->required();
  cmd->add_option("--command-threads", o->command_threads, "command processors")
      ->envname("PW_COMMAND_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--projection-threads", o->projection_threads, "projectors")
      ->envname("PW_PROJECTION_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--build-threads", o->build_threads, "build workers (render and ship published sites)")
      ->envname("PW_BUILD_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  add_build_options(*cmd, o->builds);
  cmd->add_option("--fsync", o->fsync, "fsync every append of the embedded log (group commit shares them)")
      ->envname("PW_FSYNC")
      ->check(CLI::IsMember({"true", "false"}))
      ->capture_default_str();
  add_gateway_options(*cmd, o->gateway);
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    return run_serve(*o);
  };
}

}  // namespace pw::cli
