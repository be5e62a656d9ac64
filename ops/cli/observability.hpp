#pragma once
// What a process shows operators: its metrics over HTTP on a listener of
// their own (`--metrics HOST:PORT`: GET /metrics and /healthz; never the API
// port), and the projection lag, measured every second where projections run.
#include <atomic>
#include <memory>
#include <string>

#include "events/log.hpp"
#include "events/result.hpp"
#include "gateway/metrics.hpp"
#include "ops/cli/pools.hpp"

namespace pw::gateway {
class HttpServer;
}

namespace pw::cli {

class MetricsEndpoint {
 public:
  // Serves `metrics` on host_port; prints "pagewright: metrics listening on
  // http://HOST:PORT" to stdout once accepting.
  static Result<std::unique_ptr<MetricsEndpoint>> start(const std::string& host_port, gateway::Metrics& metrics);
  ~MetricsEndpoint();
  uint16_t port() const;

 private:
  explicit MetricsEndpoint(std::unique_ptr<gateway::HttpServer> server);
  std::unique_ptr<gateway::HttpServer> server_;
};

// A thread (joined with `out`) that sets projection_lag_events{partition}
// every second until `stop`, from projection_offsets (via `pg`) and the log.
void start_lag_reporter(log::EventLog& log, const std::string& pg, const std::atomic<bool>& stop,
                        gateway::Metrics& metrics, PoolThreads& out);

}  // namespace pw::cli
