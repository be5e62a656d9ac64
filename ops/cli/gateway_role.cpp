#include "ops/cli/gateway_role.hpp"

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "events/projected_positions.hpp"
#include "events/logging.hpp"
#include "gateway/auth.hpp"
#include "gateway/blocking_pool.hpp"
#include "gateway/command_bus.hpp"
#include "gateway/editor_host.hpp"
#include "gateway/handler.hpp"
#include "gateway/http_server.hpp"
#include "gateway/asset_store.hpp"
#include "gateway/route_table.hpp"
#include "gateway/static_host.hpp"
#include "ops/cli/host_port.hpp"
#include "ops/cli/observability.hpp"
#include "projections/provision.hpp"
#include "queries/read_model.hpp"
#include "store/deploy_reader.hpp"
#include "store/layout.hpp"

namespace pw::cli {
namespace {

int fail(const char* what, const Error& e) {
  logging::error(what, {{"error", e.message}});
  return 1;
}

// ops/build puts the editor beside bin/: build/bin/pagewright, build/editor.
std::filesystem::path editor_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("editor") : exe.parent_path().parent_path() / "editor";
}

}  // namespace

void add_gateway_options(CLI::App& cmd, GatewayRoleOptions& o) {
  cmd.add_option("--http", o.http, "HOST:PORT to serve the HTTP API on")->envname("PW_HTTP")->capture_default_str();
  cmd.add_option("--http-threads", o.http_threads, "HTTP I/O threads")
      ->envname("PW_HTTP_THREADS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd.add_option("--query-threads", o.query_threads, "threads (and Postgres connections) for queries")
      ->envname("PW_QUERY_THREADS")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  cmd.add_option("--long-query-threads", o.long_query_threads,
                 "threads (and Postgres connections) for the long queries: audit verify, event streams, the "
                 "audit log, versions and diffs")
      ->envname("PW_LONG_QUERY_THREADS")
      ->check(CLI::Range(1, 512))
      ->capture_default_str();
  cmd.add_option("--pg-reader", o.pg_reader,
                 "PostgreSQL conninfo of the query role (pagewright_reader); default: --pg with SET ROLE")
      ->envname("PW_PG_READER");
  cmd.add_option("--jwt-secret", o.jwt_secret, "HS256 key for bearer tokens (at least 32 bytes)")
      ->envname("PW_JWT_SECRET");
  cmd.add_option("--sites", o.sites, "deploy store whose live deploys GET /sites/{subdomain}/… serves")
      ->envname("PW_SITES");
  const auto check_limit = [](const std::string& spec) {
    auto parsed = gateway::parse_rate_limit(spec);
    return parsed.ok() ? std::string() : parsed.error().message;
  };
  cmd.add_option("--rate-limit-tenant", o.rate_limit_tenant,
                 "requests per tenant on /v1: RATE/s|min|h[,burst=N] (burst default: 10 s of the rate), or off")
      ->envname("PW_RATE_LIMIT_TENANT")
      ->check(check_limit)
      ->capture_default_str();
  cmd.add_option("--rate-limit-address", o.rate_limit_address,
                 "requests per client address on /sites/, /previews/ and unauthenticated /v1, as "
                 "--rate-limit-tenant")
      ->envname("PW_RATE_LIMIT_ADDRESS")
      ->check(check_limit)
      ->capture_default_str();
  cmd.add_option("--trusted-proxy", o.trusted_proxies,
                 "address of a reverse proxy whose X-Forwarded-For names the client (repeatable; default: none, "
                 "the socket's address counts)")
      ->envname("PW_TRUSTED_PROXIES")
      ->delimiter(',');
  cmd.add_option("--metrics", o.metrics, "HOST:PORT to serve GET /metrics and /healthz on (keep it private), or off")
      ->envname("PW_METRICS")
      ->capture_default_str();
  cmd.add_option("--preview-ttl", o.preview_ttl, "seconds a draft preview (POST /v1/sites/{siteId}/previews) is served")
      ->envname("PW_PREVIEW_TTL")
      ->check(CLI::Range(int64_t{1}, int64_t{7 * 24 * 3600}))
      ->capture_default_str();
  cmd.add_option("--cors-origins", o.cors_origins,
                 "comma-separated origins whose browsers may call /v1, e.g. http://localhost:5173 (default: none)")
      ->envname("PW_CORS_ORIGINS")
      ->check([](const std::string& spec) {
        auto parsed = gateway::CorsPolicy::parse(spec);
        return parsed.ok() ? std::string() : parsed.error().details.front().message;
      });
  cmd.add_option("--editor-dir", o.editor_dir,
                 "the editor's build, served at /editor/ (default: ../editor beside the binary's directory, "
                 "where ops/build puts it)")
      ->envname("PW_EDITOR_DIR");
}

int run_gateway_role(log::EventLog& log, const GatewayRoleOptions& o, gateway::Metrics& metrics, StopFlag& stop) {
  const auto address = parse_host_port(o.http);
  if (!address) {
    logging::error("--http must be HOST:PORT", {{"http", o.http}});
    return 2;
  }
  if (o.jwt_secret.size() < gateway::kMinSecretBytes) {
    logging::error("the JWT secret (PW_JWT_SECRET or --jwt-secret) is too short",
                   {{"least_bytes", gateway::kMinSecretBytes}});
    return 2;
  }
  // A server without Pagewright's roles would otherwise fail at the first query.
  if (auto roles = projections::check_roles(o.pg_reader.empty() ? o.pg : o.pg_reader); !roles)
    return fail("PostgreSQL", roles.error());
  queries::ReadModelConfig read_config;
  if (o.pg_reader.empty()) read_config.role = "pagewright_reader";
  auto read_model = queries::ReadModel::connect(o.pg_reader.empty() ? o.pg : o.pg_reader,
                                                static_cast<size_t>(o.query_threads + o.long_query_threads),
                                                read_config);
  if (!read_model.ok()) return fail("read model", read_model.error());
  gateway::CommandBusConfig bus_config;
  bus_config.tail_results = o.direct_outcomes == nullptr;
  bus_config.hand_off = o.hand_off;
  auto bus = gateway::CommandBus::start(log, bus_config);
  if (!bus.ok()) return fail("command bus", bus.error());
  // Detached before the bus is destroyed, on every return below.
  struct Attached {
    gateway::OutcomeRelay* relay;
    ~Attached() {
      if (relay) relay->detach();
    }
  } attached{o.direct_outcomes};
  if (o.direct_outcomes) o.direct_outcomes->attach(bus->get());
  gateway::BlockingPool blocking(static_cast<size_t>(o.query_threads));
  gateway::BlockingPool long_blocking(static_cast<size_t>(o.long_query_threads));
  // The gateway only reads the store; its layout and preview key are made
  // here (nothing is written where they exist), so a draft preview's url is
  // known before any build ran.
  std::unique_ptr<store::DeployReader> sites;
  std::unique_ptr<gateway::StaticHost> static_host;
  if (!o.sites.empty()) {
    if (auto made = store::create_layout(o.sites); !made.ok()) return fail("the deploy store", made.error());
    auto reader = store::DeployReader::open(o.sites);
    if (!reader.ok()) return fail("the deploy store", reader.error());
    sites = std::move(reader).value();
    static_host = std::make_unique<gateway::StaticHost>(*sites);
  }
  const auto editor_path = editor_dir(o.editor_dir);
  auto editor = gateway::EditorHost::open(editor_path);
  if (!editor.ok()) return fail("--editor-dir", editor.error());
  if (!(*editor)->built())
    logging::warn("no editor build (ops/build makes one); /editor/ answers 404", {{"editor_dir", editor_path.string()}});
  gateway::GatewayOptions options{o.jwt_secret};
  auto tenant_limit = gateway::parse_rate_limit(o.rate_limit_tenant);
  if (!tenant_limit.ok()) return fail("--rate-limit-tenant", tenant_limit.error());
  auto address_limit = gateway::parse_rate_limit(o.rate_limit_address);
  if (!address_limit.ok()) return fail("--rate-limit-address", address_limit.error());
  options.tenant_limit = *tenant_limit;
  options.address_limit = *address_limit;
  options.trusted_proxies = o.trusted_proxies;
  options.preview_ttl = std::chrono::seconds(o.preview_ttl);
  auto cors = gateway::CorsPolicy::parse(o.cors_origins);
  if (!cors.ok()) return fail("--cors-origins", cors.error());
  options.cors = std::move(cors).value();
  options.schemas = o.schemas;
  std::unique_ptr<gateway::AssetStore> asset_store;
  if (!o.sites.empty()) {
    asset_store = gateway::AssetStore::open(o.sites);
    if (!asset_store) {
      logging::error("cannot open the deploy store for assets", {{"sites", o.sites}});
      return 1;
    }
  }
  gateway::GatewayDeps deps{log, **bus, **read_model, metrics, blocking, static_host.get()};
  deps.editor_host = editor->get();
  deps.assets = asset_store.get();
  deps.projected = o.projected;
  deps.recent_pages = o.recent_pages;
  deps.long_blocking = &long_blocking;
  gateway::Gateway handler(std::move(deps), std::move(options));

  gateway::HttpServerConfig config;
  config.host = address->host;
  config.port = address->port;
  config.threads = o.http_threads;
  config.max_body = gateway::largest_max_body();  // each route's own limit applies once its head is read
  config.max_body_for = gateway::max_body_for;
  auto server = gateway::HttpServer::start(
      config, [&handler](gateway::HttpRequest r, gateway::Respond respond) { handler.handle(std::move(r), std::move(respond)); },
      [&handler](int status, std::string message) { return handler.protocol_error(status, message); });
  if (!server.ok()) return fail("http", server.error());
  // On stdout, one line, so that scripts and tests can learn the port.
  std::cout << "pagewright: listening on http://" << address->host << ":" << (*server)->port() << std::endl;
  logging::info("listening", {{"host", address->host}, {"port", (*server)->port()}});
  // Its own listener (loopback by default): operators' numbers are not the API's.
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (o.metrics != "off" && !o.metrics.empty()) {
    auto started = MetricsEndpoint::start(o.metrics, metrics);
    if (!started.ok()) {
      (*server)->shutdown(std::chrono::seconds(1));
      (*bus)->close();
      return fail("metrics", started.error());
    }
    metrics_endpoint = std::move(started).value();
  }

  stop.wait();
  logging::info("draining");
  handler.set_draining(true);
  (*server)->shutdown(std::chrono::seconds(10));
  if (o.projected) o.projected->release_waiters();  // while the query threads still run
  (*bus)->close();
  return 0;
}

}  // namespace pw::cli
