#include "ops/cli/observability.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include "gateway/http_server.hpp"
#include "events/logging.hpp"
#include "ops/cli/host_port.hpp"
#include "projections/lag.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

gateway::HttpResponse text(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  gateway::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(type));
  r.body = std::move(body);
  return r;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<gateway::HttpServer> server) : server_(std::move(server)) {}

MetricsEndpoint::~MetricsEndpoint() {
  if (server_) server_->shutdown(2s);
}

uint16_t MetricsEndpoint::port() const { return server_->port(); }

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const std::string& host_port,
                                                                gateway::Metrics& metrics) {
  const auto address = parse_host_port(host_port);
  if (!address) return make_error(Errc::validation_error, "--metrics must be HOST:PORT, got '" + host_port + "'");
  gateway::HttpServerConfig config;
  config.host = address->host;
  config.port = address->port;
  config.threads = 1;
  auto server = gateway::HttpServer::start(
      config,
      [&metrics](gateway::HttpRequest request, gateway::Respond respond) {
        const std::string path = request.target.substr(0, request.target.find('?'));
        if (request.method != "GET") return respond(text(405, "only GET\n"));
        if (path == "/metrics") return respond(text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"));
        if (path == "/healthz") return respond(text(200, "ok\n"));
        respond(text(404, "not found\n"));
      },
      [](int status, std::string message) { return text(status, message + "\n"); });
  if (!server.ok()) return server.error();
  std::cout << "pagewright: metrics listening on http://" << address->host << ":" << (*server)->port() << std::endl;
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(server).value()));
}

void start_lag_reporter(log::EventLog& log, const std::string& pg, const std::atomic<bool>& stop,
                        gateway::Metrics& metrics, PoolThreads& out) {
  out.threads.emplace_back([&log, pg, &stop, &metrics] {
    std::unique_ptr<projections::LagProbe> probe;
    std::string last_error;
    while (!stop) {
      if (!probe) {
        auto connected = projections::LagProbe::connect(pg);
        if (connected.ok()) probe = std::move(connected).value();
      }
      if (probe) {
        auto lags = probe->measure(log);
        if (lags.ok()) {
          for (const auto& l : *lags) metrics.set_projection_lag(l.partition, l.lag);
          last_error.clear();
        } else if (lags.error().message != last_error) {
          // Said once per distinct failure, not every second.
          last_error = lags.error().message;
          logging::warn("projection lag", {{"error", last_error}});
        }
      }
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(100ms);
    }
  });
}

}  // namespace pw::cli
