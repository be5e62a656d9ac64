// `pagewright gateway`: the HTTP gateway alone, against Kafka (any number of
// processes); the command and projection pools run as `pagewright worker`.
#include <iostream>

#include "events/log.hpp"
#include "events/logging.hpp"
#include "ops/cli/cli.hpp"
#include "ops/cli/gateway_role.hpp"
#include "ops/cli/pools.hpp"
#include "ops/cli/signals.hpp"

namespace pw::cli {
namespace {

struct GatewayOptions {
  std::string log_uri;
  std::string pg;
  GatewayRoleOptions gateway;
};

int run_gateway(GatewayOptions o) {
  block_stop_signals();
  o.gateway.pg = o.pg;
  auto log = log::open_log(o.log_uri);
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
  return run_gateway_role(**log, o.gateway, metrics, stop);
}

}  // namespace

Runner add_gateway(CLI::App& app) {
  auto* cmd = app.add_subcommand("gateway", "Run the HTTP gateway against the event log (Kafka)");
  auto o = std::make_shared<GatewayOptions>();
  cmd->add_option("--log", o->log_uri, "event log: kafka:<bootstrap> or local:<dir>")->envname("PW_LOG")->required();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo (queries run as pagewright_reader)")->envname("PW_PG")->required();
  add_gateway_options(*cmd, o->gateway);
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    return run_gateway(*o);
  };
}

}  // namespace pw::cli
