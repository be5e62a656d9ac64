#pragma once
// The gateway's request handler (API.md): a plain function of an HttpRequest
// that answers through `respond`, testable without sockets. It authenticates,
// routes, turns writes into commands on the CommandBus and waits for their
// outcomes, and runs queries against the read model on the blocking pool (never
// on the server's I/O threads).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/schemas.hpp"
#include "events/envelope.hpp"
#include "events/log.hpp"
#include "gateway/blocking_pool.hpp"
#include "gateway/command_bus.hpp"
#include "gateway/cors.hpp"
#include "gateway/http_types.hpp"
#include "gateway/metrics.hpp"
#include "gateway/rate_limit.hpp"
#include "queries/read_model.hpp"

namespace pw::log {
class ProjectedPositions;  // events/projected_positions.hpp
class RecentPages;         // events/recent_pages.hpp
}

namespace pw::gateway {

class TemplateLibrary;  // gateway/templates.hpp

struct GatewayOptions {
  std::string jwt_secret;                            // HS256 key, ≥ kMinSecretBytes
  std::chrono::milliseconds command_wait{5000};      // then 202 + Location
  std::chrono::milliseconds read_wait{5000};         // X-Pagewright-After, then 503
  int64_t max_events_per_request = 10000;            // GET …/events ?limit= ceiling
  // Rate limits (API.md); nullopt: unlimited. Per tenant on /v1; per client
  // address on /sites/… and /previews/… and on /v1 requests without a valid
  // token. The CLI supplies the documented defaults.
  std::optional<RateLimit> tenant_limit = std::nullopt;
  std::optional<RateLimit> address_limit = std::nullopt;
  // Peers whose X-Forwarded-For names the client (exact addresses).
  std::vector<std::string> trusted_proxies = {};
  // Built-in page templates; nullptr: default_templates() (gateway/templates.hpp).
  std::shared_ptr<const TemplateLibrary> templates = nullptr;
  // How long a draft preview is served (API.md: 24 h).
  std::chrono::seconds preview_ttl{24 * 3600};
  // Origins whose browsers may call /v1 (API.md "CORS"); default: none.
  CorsPolicy cors = {};
  // The component schemas GET /v1/component-library answers with, loaded at
  // process start; nullptr: loaded from Schemas::default_dir() by the Gateway.
  std::shared_ptr<const domain::Schemas> schemas = nullptr;
};

class StaticHost;
class EditorHost;  // gateway/editor_host.hpp
class AssetStore;  // gateway/asset_store.hpp

struct GatewayDeps {
  log::EventLog& log;
  CommandBus& bus;
  queries::ReadModel& read_model;
  Metrics& metrics;
  BlockingPool& blocking;
  StaticHost* static_host = nullptr;  // GET /sites/…; absent: those answer 404
  const EditorHost* editor_host = nullptr;  // GET /editor/…; absent: the "not built" page
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  RateLimiter::Clock rate_clock = {};  // the rate limits' clock; empty: steady_clock
  AssetStore* assets = nullptr;        // uploaded media; absent: the asset routes answer 503
  // The commits of projectors in this process (`serve`); absent: reads that
  // wait for a position poll Postgres.
  log::ProjectedPositions* projected = nullptr;
  // The page rows those projectors just committed (`serve`): a page read
  // whose position passed here takes its row from there.
  log::RecentPages* recent_pages = nullptr;
  // The long queries' threads (Route::long_running, a page at a version);
  // absent: they share `blocking`.
  BlockingPool* long_blocking = nullptr;
};

class PageCheckpoints;  // gateway/page_checkpoints.hpp
class BearerVerifier;   // gateway/auth.hpp

class Gateway {
 public:
  Gateway(GatewayDeps deps, GatewayOptions options);

  // The HttpHandler: calls `respond` exactly once, now or from another thread.
  void handle(HttpRequest request, Respond respond);
  // What the server sends for a request it could not parse (400, 431).
  HttpResponse protocol_error(int status, const std::string& message);
  // While draining, /readyz fails so load balancers stop sending new work.
  void set_draining(bool draining) { draining_ = draining; }

  // Internals shared by the handler's translation units.
  struct Exchange;
  const GatewayDeps& deps() const { return deps_; }
  // Where a blocking request runs: the long queries' pool or the others'.
  BlockingPool& pool_for(const Exchange& ex) const;
  const GatewayOptions& options() const { return options_; }
  std::string now_rfc3339() const;
  bool draining() const { return draining_; }
  // Takes a token from the exchange's tenant (or client address) bucket and
  // records the decision for the RateLimit-* headers; false: refused, the 429
  // has been sent.
  bool admit(Exchange& ex, RateScope scope);
  // Time travel's kept page states (handler_versions.cpp).
  PageCheckpoints& checkpoints() { return *checkpoints_; }
  ~Gateway();

 private:
  GatewayDeps deps_;
  GatewayOptions options_;
  std::unique_ptr<RateLimiter> tenant_limiter_;
  std::unique_ptr<RateLimiter> address_limiter_;
  std::atomic<bool> draining_{false};
  std::unique_ptr<PageCheckpoints> checkpoints_;
  std::unique_ptr<BearerVerifier> bearer_;
};

// RFC 3339 in UTC with microseconds: "2026-11-22T05:30:48.123456Z".
using ::pw::format_rfc3339;

}  // namespace pw::gateway
