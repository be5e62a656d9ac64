#include "gateway/handler.hpp"
#include "gateway/auth.hpp"
#include "gateway/templates.hpp"

#include <cstdio>
#include <ctime>
#include <string_view>

#include "events/ids.hpp"
#include "events/logging.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/page_checkpoints.hpp"
#include "gateway/static_host.hpp"
#include "gateway/editor_host.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

// A client's X-Request-Id is kept when it is short and plain (it ends up in
// logs); anything else is replaced by one of ours.
bool usable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.' || c == ':'))
      return false;
  return true;
}

std::string per_second_text(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", rate);
  return buf;
}

// Anonymous paths, limited per client address.
bool is_public_path(std::string_view target) {
  return target.starts_with("/sites/") || target.starts_with("/previews/") || EditorHost::handles(target);
}

}  // namespace


Gateway::Gateway(GatewayDeps deps, GatewayOptions options) : deps_(std::move(deps)), options_(std::move(options)) {
  const auto limiter = [this](const RateLimit& limit) {
    return std::make_unique<RateLimiter>(limit, RateLimiter::kDefaultMaxKeys, deps_.rate_clock);
  };
  if (options_.tenant_limit) tenant_limiter_ = limiter(*options_.tenant_limit);
  if (options_.address_limit) address_limiter_ = limiter(*options_.address_limit);
  // Built-in templates load now, so a broken file is reported at startup.
  if (!options_.templates) options_.templates = default_templates();
  if (!options_.schemas)
    if (auto loaded = domain::Schemas::load(domain::Schemas::default_dir()); loaded.ok())
      options_.schemas = std::move(loaded).value();  // else the library answers INTERNAL
  checkpoints_ = std::make_unique<PageCheckpoints>();
  bearer_ = std::make_unique<BearerVerifier>(options_.jwt_secret);
}

Gateway::~Gateway() = default;

namespace {
// Every X-Forwarded-For line, joined in order as RFC 9110 combines a repeated
// field: a proxy that adds a line of its own must not leave the client's line
// (which the client chose) as the only one read.
std::optional<std::string> forwarded_for(const HttpRequest& request) {
  std::optional<std::string> joined;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    joined = joined ? *joined + "," + value : value;
  }
  return joined;
}
}  // namespace

bool Gateway::admit(Exchange& ex, RateScope scope) {
  RateLimiter* limiter = scope == RateScope::tenant ? tenant_limiter_.get() : address_limiter_.get();
  if (!limiter) return true;
  ex.rate = limiter->take(scope == RateScope::tenant
                              ? ex.principal.tenant.value
                              : client_address_key(ex.request.peer, forwarded_for(ex.request),
                                                   options_.trusted_proxies));
  if (ex.rate->allowed) return true;
  deps_.metrics.count_rate_limited(scope);
  const RateLimit& l = limiter->limit();
  ex.fail(make_error(Errc::rate_limited, "too many requests",
                     {{rate_scope_name(scope), "at most " + std::to_string(l.burst) + " requests at once, then " +
                                                   per_second_text(l.per_second) + " per second"}}));
  return false;
}

namespace {
// One line per response, at info: the route's name, never the raw target
// (its query may carry anything a client put there).
void access_line(const Gateway::Exchange& ex, int status, double seconds) {
  if (!logging::enabled(logging::Level::info)) return;
  std::string_view route = "unrouted";
  if (ex.route) route = ex.route->name;
  else if (StaticHost::handles(ex.request.target)) route = "static_site";
  else if (EditorHost::handles(ex.request.target)) route = "editor";
  logging::info("request", {{logging::kRequestId, ex.request_id},
                            {logging::kTenant, ex.principal.tenant.value},
                            {logging::kCommandId, ex.command_id},
                            {"method", ex.request.method},
                            {"route", route},
                            {"status", status},
                            {"duration_ms", seconds * 1000.0}});
}
}  // namespace

BlockingPool& Gateway::pool_for(const Exchange& ex) const {
  if (!deps_.long_blocking || !ex.route) return deps_.blocking;
  if (ex.route->long_running) return *deps_.long_blocking;
  // A page at a version or a time is folded from its events (get_page_at).
  if (ex.route->serve == get_page && asks_for_a_version(ex)) return *deps_.long_blocking;
  return deps_.blocking;
}

std::string Gateway::now_rfc3339() const { return format_rfc3339(deps_.clock()); }

void Gateway::Exchange::send(HttpResponse response) {
  if (answered.exchange(true)) return;
  response.set_header("X-Request-Id", request_id);
  gw.options().cors.decorate(request, response);
  if (rate) {
    response.set_header("RateLimit-Limit", std::to_string(rate->limit));
    response.set_header("RateLimit-Remaining", std::to_string(rate->remaining));
    response.set_header("RateLimit-Reset", std::to_string(rate->reset));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  gw.deps().metrics.observe_http(route ? std::optional<std::string_view>(route->name) : std::nullopt,
                                  response.status, seconds);
  access_line(*this, response.status, seconds);
  respond(std::move(response));
}

void Gateway::Exchange::json(int status, const nlohmann::json& envelope) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = dump_json(envelope);
  send(std::move(r));
}

void Gateway::Exchange::ok(int status, nlohmann::json data) {
  json(status, success_envelope(std::move(data), request_id, gw.now_rfc3339()));
}

void Gateway::Exchange::ok_list(nlohmann::json items, const Pagination& pagination) {
  json(200, success_envelope(std::move(items), pagination, request_id, gw.now_rfc3339()));
}

void Gateway::Exchange::fail(const Error& error) {
  const int status = http_status(error);
  if (error.code == Errc::rate_limited || error.code == Errc::unavailable) {
    HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("Retry-After", rate && !rate->allowed ? std::to_string(rate->retry_after) : "1");
    r.body = dump_json(error_envelope(error, request_id, gw.now_rfc3339()));
    send(std::move(r));
    return;
  }
  json(status, error_envelope(error, request_id, gw.now_rfc3339()));
}

std::map<std::string, std::string> Gateway::Exchange::query() const {
  const auto q = request.target.find('?');
  if (q == std::string::npos) return {};
  return parse_query(std::string_view(request.target).substr(q + 1));
}

Result<std::optional<int64_t>> int_param(const std::map<std::string, std::string>& q, const char* name, int64_t min,
                                         int64_t max) {
  const auto it = q.find(name);
  if (it == q.end()) return std::optional<int64_t>{};
  const std::string& s = it->second;
  int64_t value = 0;
  bool digits = !s.empty() && s.size() <= 18;
  for (char c : s) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    value = value * 10 + (c - '0');
  }
  if (!digits || value < min || value > max)
    return make_error(Errc::validation_error, "invalid query parameter",
                      {{name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max)}});
  return std::optional<int64_t>{value};
}

HttpResponse Gateway::protocol_error(int status, const std::string& message) {
  const Errc code = status == 413 ? Errc::payload_too_large : Errc::validation_error;
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  const std::string id = uuid_v4();
  r.headers.emplace_back("X-Request-Id", id);
  r.body = dump_json(error_envelope(make_error(code, message), id, now_rfc3339()));
  deps_.metrics.observe_http(std::nullopt, status, 0.0);
  return r;
}

void Gateway::handle(HttpRequest request, Respond respond) {
  auto ex = std::make_shared<Exchange>(*this, std::move(request), std::move(respond));
  const auto client_id = ex->request.header("x-request-id");
  ex->request_id = client_id && usable_request_id(*client_id) ? std::string(*client_id) : uuid_v4();

  if (is_public_path(ex->request.target) && !admit(*ex, RateScope::address)) return;
  if (auto preflight = options_.cors.preflight(ex->request)) {
    // Unauthenticated by design (browsers send no Authorization on a
    // preflight), so the client's address pays for it.
    if (admit(*ex, RateScope::address)) ex->send(std::move(*preflight));
    return;
  }
  if (StaticHost::handles(ex->request.target)) {
    StaticHost* host = deps_.static_host;
    if (!host) return ex->send(HttpResponse{404, {{"Content-Type", "text/plain; charset=utf-8"}}, "not found\n", {}});
    if (!deps_.blocking.post([ex, host] { ex->send(host->serve(ex->request)); }))
      ex->fail(make_error(Errc::unavailable, "shutting down"));
    return;
  }
  if (EditorHost::handles(ex->request.target))
    return ex->send(deps_.editor_host ? deps_.editor_host->serve(ex->request) : EditorHost::not_built());
  const MatchResult routed = route(ex->request.method, ex->request.target);
  if (routed.kind == MatchResult::Kind::not_found) {
    ex->fail(make_error(Errc::not_found, "no such resource"));
    return;
  }
  if (routed.kind == MatchResult::Kind::method_not_allowed) {
    HttpResponse r;
    r.status = 405;
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("Allow", routed.allow_header());
    Error e = make_error(Errc::validation_error, "method not allowed",
                         {{"method", "allowed: " + routed.allow_header()}});
    r.body = dump_json(error_envelope(e, ex->request_id, now_rfc3339()));
    ex->send(std::move(r));
    return;
  }
  ex->match = *routed.match;
  ex->route = ex->match.route;
  if (ex->request.body_too_large || ex->request.body.size() > ex->route->max_body) {
    const std::size_t limit = ex->route->max_body;
    ex->fail(make_error(Errc::payload_too_large,
                        limit == kMaxBodyBytes ? "request body exceeds 1 MiB" : "request body too large",
                        {{"body", "at most " + std::to_string(limit) + " bytes"}}));
    return;
  }
  if (ex->route->kind != RouteKind::operations) {
    const auto auth = ex->request.header("authorization");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(deps_.clock().time_since_epoch()).count();
    auto principal = auth ? bearer_->verify(*auth, now)
                          : Result<Principal>(make_error(Errc::unauthenticated, "missing bearer token"));
    // No tenant to charge: the client's address pays for the refusal.
    if (!principal.ok()) {
      if (admit(*ex, RateScope::address)) ex->fail(principal.error());
      return;
    }
    ex->principal = std::move(principal).value();
    if (!admit(*ex, RateScope::tenant)) return;
    if (!role_allows(ex->principal.role, ex->route->least_role)) {
      ex->fail(make_error(Errc::forbidden, std::string("this needs the role ") + role_name(ex->route->least_role)));
      return;
    }
  }
  if (ex->route->kind == RouteKind::command)
    handle_command(ex);
  else
    handle_query(ex);
}

}  // namespace pw::gateway
