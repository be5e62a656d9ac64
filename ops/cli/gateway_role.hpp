#pragma once
// The HTTP gateway role, shared by `pagewright gateway` (against Kafka) and
// `pagewright serve` (every role in one process).
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "commands/hand_off.hpp"
#include "commands/schemas.hpp"
#include "events/log.hpp"
#include "gateway/metrics.hpp"
#include "ops/cli/signals.hpp"

namespace CLI {
class App;
}

namespace pw::gateway {
class OutcomeRelay;
}
namespace pw::log {
class ProjectedPositions;
class RecentPages;
}

namespace pw::cli {

inline int default_query_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::max(4u, 2 * (cores == 0 ? 2u : cores)));
}

struct GatewayRoleOptions {
  std::shared_ptr<const domain::Schemas> schemas;  // loaded at start; nullptr: by the gateway
  std::string http = "127.0.0.1:8080";  // HOST:PORT (port 0: any free port)
  int http_threads = 2;
  // Threads of the queries' blocking pool, one read-model connection each.
  // Two per core: on two cores 16 threads read 22% slower than 4, their
  // wake-ups and Postgres backends taking turns (docs/BENCHMARKS.md).
  int query_threads = default_query_threads();
  // The long queries' own threads and connections (Route::long_running, a
  // page at a version): a few verifies of big sites must not hold the rest.
  int long_query_threads = 8;
  std::string pg_reader;                // conninfo of the query role
  std::string pg;                       // else this login, switching to pagewright_reader
  std::string jwt_secret;
  std::string sites;                    // deploy store served at /sites/…; empty: off
  // Rate limits (gateway/rate_limit.hpp parse_rate_limit). An editor's bursts
  // (opening a site loads tens of resources) and a team's sustained edits stay
  // far below them; a runaway script is cut to the sustained rate within its
  // first 300 requests.
  std::string rate_limit_tenant = "30/s,burst=300";
  std::string rate_limit_address = "50/s,burst=500";
  std::vector<std::string> trusted_proxies;
  std::string metrics = "127.0.0.1:9464";  // HOST:PORT of GET /metrics, or "off"
  int64_t preview_ttl = 24 * 3600;         // seconds a draft preview is served
  std::string cors_origins;                // comma-separated origins allowed to call /v1
  std::string editor_dir;                  // served at /editor/; empty: <binary's dir>/../editor
  // Set when every command processor runs in this process and announces its
  // outcomes here (`serve`): the command bus then reads no results back.
  gateway::OutcomeRelay* direct_outcomes = nullptr;
  // With direct_outcomes: commands are handed to the processors through it.
  domain::HandOff* hand_off = nullptr;
  // Set when this process's projectors announce their commits there (`serve`):
  // reads that wait for a position are woken by the commit.
  log::ProjectedPositions* projected = nullptr;
  // With projected: the page rows those commits wrote, for the reads woken by them.
  log::RecentPages* recent_pages = nullptr;
};

// Registers --http, --http-threads, --query-threads, --pg-reader, --jwt-secret,
// --sites, --rate-limit-tenant, --rate-limit-address, --trusted-proxy, --metrics,
// --preview-ttl, --cors-origins, --editor-dir.
void add_gateway_options(CLI::App& cmd, GatewayRoleOptions& o);

// Serves HTTP (and the metrics listener) until `stop` is raised, then drains: /readyz fails, in-flight
// requests finish, the command bus closes. Prints "listening on http://HOST:PORT"
// to stdout once accepting. Returns the process exit code.
int run_gateway_role(log::EventLog& log, const GatewayRoleOptions& o, gateway::Metrics& metrics, StopFlag& stop);

}  // namespace pw::cli
