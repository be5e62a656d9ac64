// The write routes of API.md: each request becomes exactly one command, put on
// the CommandBus, and the reply waits (bounded) for the command's outcome.
#include <string_view>

#include "commands/commands.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/static_host.hpp"
#include "commands/command_record.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

// Namespace of command ids derived from Idempotency-Key (a fixed UUID).
constexpr std::string_view kIdempotencyNamespace = "6d1f3a52-8c1e-4f7a-9b0e-2f51c7d4a9e3";
constexpr size_t kMaxIdempotencyKey = 128;

Error invalid(std::string field, std::string message) {
  return make_error(Errc::validation_error, "invalid request", {{std::move(field), std::move(message)}});
}

Error not_found() { return make_error(Errc::not_found, "no such resource"); }

// A new id below the command: the same command id (an Idempotency-Key repeat)
// yields the same id, so the repeat's fingerprint matches the first.
std::string derived_suffix(const std::string& command_id, std::string_view what, size_t length) {
  return sha256_hex(command_id + "/" + std::string(what)).substr(0, length);
}

Result<SiteId> site_param(const Gateway::Exchange& ex) {
  const std::string& id = ex.param("siteId");
  if (!is_uuid(id)) return not_found();
  return SiteId{id};
}

Result<PageId> page_param(const Gateway::Exchange& ex) {
  PageId page{ex.param("pageId")};
  if (!site_of(page)) return not_found();
  return page;
}

Result<DeploymentId> deployment_param(const Gateway::Exchange& ex) {
  DeploymentId deployment{ex.param("deploymentId")};
  if (!site_of(deployment)) return not_found();
  return deployment;
}

Result<json> body_object(const Gateway::Exchange& ex, std::initializer_list<std::string_view> allowed,
                         bool empty_allowed) {
  if (empty_allowed && ex.request.body.empty()) return json::object();
  auto body = parse_body(ex.request.body);
  if (!body.ok()) return body.error();
  if (auto unknown = reject_unknown_fields(*body, allowed); !unknown.ok()) return unknown.error();
  return body;
}

Result<domain::Command> from_json(std::string_view type, const json& j) { return domain::command_from_json(type, j); }

// A command on an existing page: the page from the path, its site the command's.
Result<PageId> page_command(const Gateway::Exchange& ex, Built& b) {
  auto page = page_param(ex);
  if (!page.ok()) return page.error();
  b.site = *site_of(*page);
  return page;
}

// A command of the page's command type whose only data is the page id.
Result<Built> page_only(const Gateway::Exchange& ex, std::string_view type) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {}, true);
  if (!body.ok()) return body.error();
  auto c = from_json(type, json{{"pageId", page->str()}});
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

}  // namespace

Result<Built> build_create_site(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto body = body_object(ex, {"name", "subdomain"}, false);
  if (!body.ok()) return body.error();
  if (!body->contains("subdomain")) return invalid("subdomain", "required");
  if (!(*body)["subdomain"].is_string()) return invalid("subdomain", "must be a string");
  b.site = site_id_for_subdomain((*body)["subdomain"].get<std::string>());
  (*body)["siteId"] = b.site.str();
  auto c = from_json("CreateSite", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  b.created_status = 201;
  b.created_field = "siteId";
  b.created_id = b.site.str();
  return b;
}

Result<Built> build_update_site(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto site = site_param(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto body = body_object(ex, {"name", "seo", "settings"}, false);
  if (!body.ok()) return body.error();
  auto c = from_json("UpdateSiteSettings", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_create_page(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto site = site_param(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto body = body_object(ex, {"title", "slug", "description", "templateId"}, false);
  if (!body.ok()) return body.error();
  const PageId page = make_page_id(b.site, derived_suffix(command_id, "page", 20));
  (*body)["pageId"] = page.str();
  if (auto t = resolve_template(ex, page, *body); !t.ok()) return t.error();
  auto c = from_json("CreatePage", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  b.created_status = 201;
  b.created_field = "pageId";
  b.created_id = page.str();
  return b;
}

Result<Built> build_update_page(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {"title", "slug", "description", "seo"}, false);
  if (!body.ok()) return body.error();
  // One request, one command: a slug change is its own event with its own
  // uniqueness rule, so it is not mixed with other fields.
  const bool slug = body->contains("slug");
  if (slug && body->size() != 1) return invalid("slug", "change the slug in a request of its own");
  (*body)["pageId"] = page->str();
  auto c = from_json(slug ? "ChangePageSlug" : "UpdatePageMetadata", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_add_component(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {"type", "props", "parentId", "slot", "index"}, false);
  if (!body.ok()) return body.error();
  const std::string component = "c" + derived_suffix(command_id, "component", 15);
  (*body)["pageId"] = page->str();
  (*body)["componentId"] = component;
  auto c = from_json("AddComponent", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  b.created_status = 201;
  b.created_field = "componentId";
  b.created_id = component;
  return b;
}

Result<Built> build_update_component(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {"props"}, false);
  if (!body.ok()) return body.error();
  if (!body->contains("props")) return invalid("props", "required");
  if (!(*body)["props"].is_object()) return invalid("props", "must be an object (a JSON merge patch)");
  json j = {{"pageId", page->str()}, {"componentId", ex.param("componentId")}, {"patch", (*body)["props"]}};
  auto c = from_json("UpdateComponentProps", j);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_move_component(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {"parentId", "slot", "index"}, false);
  if (!body.ok()) return body.error();
  if (!body->contains("index")) return invalid("index", "required");
  (*body)["pageId"] = page->str();
  (*body)["componentId"] = ex.param("componentId");
  auto c = from_json("MoveComponent", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_remove_component(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_command(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {}, true);
  if (!body.ok()) return body.error();
  auto c = from_json("RemoveComponent", json{{"pageId", page->str()}, {"componentId", ex.param("componentId")}});
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_publish_page(const Gateway::Exchange& ex, const std::string&) {
  return page_only(ex, "PublishPage");
}

Result<Built> build_publish_site(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto site = site_param(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto body = body_object(ex, {"environment", "strategy"}, true);
  if (!body.ok()) return body.error();
  const DeploymentId deployment = make_deployment_id(b.site, derived_suffix(command_id, "deployment", 20));
  (*body)["deploymentId"] = deployment.str();
  auto c = from_json("RequestDeployment", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  b.created_status = 201;  // the deployment exists (queued); GET it for its progress
  b.created_field = "deploymentId";
  b.created_id = deployment.str();
  return b;
}

// The preview's url is answered at once (its token derives from the preview
// id); it serves once the build pool has built the drafts, until expiresAt.
Result<Built> build_request_preview(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto site = site_param(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto body = body_object(ex, {"pageIds"}, true);
  if (!body.ok()) return body.error();
  StaticHost* host = ex.gw.deps().static_host;
  if (host == nullptr) return make_error(Errc::unavailable, "this gateway serves no previews (no deploy store)");
  const PreviewId preview = make_preview_id(b.site, derived_suffix(command_id, "preview", 20));
  auto url = host->draft_preview_url(preview.str());
  if (!url.ok()) return url.error();
  const int64_t ttl = ex.gw.options().preview_ttl.count();
  (*body)["previewId"] = preview.str();
  (*body)["ttlSeconds"] = ttl;
  auto c = from_json("RequestPreview", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  b.created_status = 201;
  b.created_field = "previewId";
  b.created_id = preview.str();
  b.finish_data = [url = *url, ttl](json& data, const domain::CommandMeta& meta) {
    data["url"] = url;
    if (auto at = parse_rfc3339(meta.occurredAt)) data["expiresAt"] = format_rfc3339(*at + std::chrono::seconds(ttl));
  };
  return b;
}

Result<Built> build_rollback_deployment(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto deployment = deployment_param(ex);
  if (!deployment.ok()) return deployment.error();
  b.site = *site_of(*deployment);
  auto body = body_object(ex, {}, true);
  if (!body.ok()) return body.error();
  auto c = from_json("RollbackDeployment", json{{"deploymentId", deployment->str()}});
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

namespace {

// If-Match: "<version>" (a strong entity tag holding the version number).
Result<std::optional<int64_t>> expected_version(const HttpRequest& request) {
  const auto header = request.header("if-match");
  if (!header) return std::optional<int64_t>{};
  std::string_view v = *header;
  if (v.size() < 3 || v.front() != '"' || v.back() != '"' || v.size() > 20)
    return invalid("If-Match", "must be a quoted version number, e.g. \"3\"");
  int64_t version = 0;
  for (char c : v.substr(1, v.size() - 2)) {
    if (c < '0' || c > '9') return invalid("If-Match", "must be a quoted version number, e.g. \"3\"");
    version = version * 10 + (c - '0');
  }
  return std::optional<int64_t>{version};
}

Result<std::string> command_id_for(const Gateway::Exchange& ex, const SiteId& site) {
  const auto key = ex.request.header("idempotency-key");
  if (!key) return uuid_v4();
  if (key->empty() || key->size() > kMaxIdempotencyKey) return invalid("Idempotency-Key", "must be 1 to 128 characters");
  for (char c : *key)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return invalid("Idempotency-Key", "must be printable ASCII");
  // Scoped to the tenant and the site: the site's processor remembers it.
  return uuid_v5(kIdempotencyNamespace, ex.principal.tenant.str() + "\n" + site.str() + "\n" + std::string(*key));
}

CommandOutcome metric_outcome(const domain::CommandOutcome& o) {
  if (o.accepted) return CommandOutcome::accepted;
  if (o.error && o.error->code == Errc::version_conflict) return CommandOutcome::conflict;
  if (o.error && (o.error->code == Errc::internal || o.error->code == Errc::unavailable)) return CommandOutcome::failed;
  return CommandOutcome::rejected;
}

}  // namespace

nlohmann::json outcome_data(const domain::CommandOutcome& o) {
  json events = json::array();
  for (const auto& e : o.events) events.push_back({{"type", e.type}, {"seq", e.seq}});
  return json{{"commandId", o.command_id},
              {"aggregateId", o.aggregate_id},
              {"version", o.version},
              {"position", o.position.empty() ? json(nullptr) : json(o.position)},
              {"events", std::move(events)}};
}

namespace {
void run_command(const ExchangePtr& ex);
}  // namespace

void handle_command(const ExchangePtr& ex) {
  // A route whose command is built from what it reads (a template from the
  // read model, a page version from the log) builds it on the blocking pool,
  // never on an I/O thread.
  if (!ex->route->blocking) return run_command(ex);
  if (!ex->gw.pool_for(*ex).post([ex] { run_command(ex); }))
    ex->fail(make_error(Errc::unavailable, "shutting down"));
}

namespace {

void run_command(const ExchangePtr& ex) {
  // The command id comes first (new ids derive from it); the site is known
  // from the path except for CreateSite, whose id derives from the body.
  std::optional<SiteId> path_site;
  if (ex->match.params.count("siteId")) {
    auto s = site_param(*ex);
    if (!s.ok()) return ex->fail(s.error());
    path_site = *s;
  } else if (ex->match.params.count("pageId")) {
    auto p = page_param(*ex);
    if (!p.ok()) return ex->fail(p.error());
    path_site = *site_of(*p);
  } else if (ex->match.params.count("deploymentId")) {
    auto d = deployment_param(*ex);
    if (!d.ok()) return ex->fail(d.error());
    path_site = *site_of(*d);
  } else if (ex->match.params.count("assetId")) {
    const AssetId asset{ex->param("assetId")};
    if (!site_of(asset)) return ex->fail(not_found());
    path_site = *site_of(asset);
  } else if (ex->match.params.count("templateId")) {
    auto t = template_site(*ex);
    if (!t.ok()) return ex->fail(t.error());
    path_site = *t;
  }
  std::optional<std::string> command_id;
  if (path_site) {
    auto id = command_id_for(*ex, *path_site);
    if (!id.ok()) return ex->fail(id.error());
    command_id = *id;
  } else {
    // CreateSite: the key is scoped by the subdomain's site id, computed in build().
    command_id = uuid_v4();
  }
  auto built = ex->route->build(*ex, *command_id);
  if (!built.ok()) return ex->fail(built.error());
  if (!path_site && ex->request.header("idempotency-key")) {
    auto id = command_id_for(*ex, built->site);
    if (!id.ok()) return ex->fail(id.error());
    command_id = *id;
    // Ids the command made from the provisional command id (a template's)
    // are made again from the key's, so a repeat names the same ones.
    built = ex->route->build(*ex, *command_id);
    if (!built.ok()) return ex->fail(built.error());
  }
  auto version = expected_version(ex->request);
  if (!version.ok()) return ex->fail(version.error());

  domain::CommandRecord record;
  record.meta.commandId = CommandId{*command_id};
  record.meta.tenant = ex->principal.tenant;
  record.meta.actor = ex->principal.user;
  record.meta.siteId = built->site;
  record.meta.occurredAt = ex->gw.now_rfc3339();
  record.meta.expectedVersion = *version;
  record.command = std::move(built->command);
  // The chain a log search follows: the HTTP request's id (the client's
  // X-Request-Id when usable) correlates the command, its events, and the
  // builds and reports they cause.
  record.correlation_id = ex->request_id;
  ex->command_id = *command_id;
  const std::string type(domain::command_type(record.command));

  const bool async = [&] {
    const auto prefer = ex->request.header("prefer");
    return prefer && prefer->find("respond-async") != std::string_view::npos;
  }();
  const auto wait = async ? std::chrono::milliseconds(0) : ex->gw.options().command_wait;
  const int created_status = built->created_status;
  const char* created_field = built->created_field;
  const std::string created_id = built->created_id;
  auto finish_data = std::move(built->finish_data);
  const domain::CommandMeta meta = record.meta;
  const std::string id = *command_id;

  ex->gw.deps().bus.submit(
      std::move(record), wait,
      [ex, type, created_status, created_field, created_id, id, async, finish_data = std::move(finish_data),
       meta](Result<std::optional<domain::CommandOutcome>> r) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ex->started).count();
        auto& metrics = ex->gw.deps().metrics;
        if (!r.ok()) {
          metrics.count_command(type, CommandOutcome::failed, seconds);
          return ex->fail(r.error());
        }
        // respond-async promises a 202 even when the outcome came at once.
        if (async || !r->has_value()) {
          HttpResponse resp;
          resp.status = 202;
          resp.headers.emplace_back("Content-Type", "application/json");
          resp.headers.emplace_back("Location", "/v1/commands/" + id);
          resp.body = dump_json(success_envelope(json{{"commandId", id}}, ex->request_id, ex->gw.now_rfc3339()));
          return ex->send(std::move(resp));
        }
        const domain::CommandOutcome& outcome = **r;
        metrics.count_command(type, metric_outcome(outcome), seconds);
        if (!outcome.accepted) return ex->fail(outcome.error.value_or(make_error(Errc::internal, "rejected")));
        json data = outcome_data(outcome);
        if (created_field) data[created_field] = created_field == std::string_view("pageId") ||
                                                         created_field == std::string_view("deploymentId")
                                                     ? outcome.aggregate_id
                                                     : created_id;
        if (finish_data) finish_data(data, meta);
        ex->ok(created_status, std::move(data));
      });
}

}  // namespace

}  // namespace pw::gateway
