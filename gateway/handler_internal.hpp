#pragma once
// Shared by the handler's translation units (handler*.cpp) only.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/api_json.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler.hpp"
#include "gateway/route_table.hpp"
#include "gateway/routes.hpp"
#include "commands/commands.hpp"

namespace pw::gateway {

// One request on its way to its one response. Shared by the callbacks that
// finish it (command outcomes, blocking-pool jobs).
struct Gateway::Exchange {
  Gateway& gw;
  HttpRequest request;
  Respond respond;
  std::string request_id;
  std::string command_id;        // a command route's, for the access line
  const Route* route = nullptr;  // set once routed
  Match match;
  Principal principal;
  std::optional<RateDecision> rate;  // the rate limit's decision: RateLimit-* headers
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> answered{false};
  // The position of its X-Pagewright-After passed in this process's
  // projectors: the page rows they just committed may answer it.
  bool passed_here = false;

  Exchange(Gateway& g, HttpRequest r, Respond out) : gw(g), request(std::move(r)), respond(std::move(out)) {}

  // Every response leaves through here: X-Request-Id, metrics, once only.
  void send(HttpResponse response);
  void json(int status, const nlohmann::json& envelope);
  void ok(int status, nlohmann::json data);
  void ok_list(nlohmann::json items, const Pagination& pagination);
  void fail(const Error& error);

  const std::string& param(const char* name) const { return match.params.at(name); }
  std::map<std::string, std::string> query() const;
};

using ExchangePtr = std::shared_ptr<Gateway::Exchange>;

// A command route's command, built from the request.
struct Built {
  domain::Command command;
  SiteId site;
  int created_status = 200;             // 201 for creations
  const char* created_field = nullptr;  // "siteId" | "pageId" | "componentId" | …
  std::string created_id;
  // Adds a route's own fields to an accepted command's data (its meta as sent).
  std::function<void(nlohmann::json& data, const domain::CommandMeta& meta)> finish_data;
};

// handler.cpp: runs a routed, authorised request by its route's kind.
void handle_command(const ExchangePtr& ex);  // handler_commands.cpp
void handle_query(const ExchangePtr& ex);    // handler_queries.cpp

// The functions the route table names. Command routes build their one command
// (the command id is fixed before, since new ids derive from it); query routes
// answer. Grouped by the file that defines them.

// handler_commands.cpp
Result<Built> build_create_site(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_update_site(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_publish_site(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_request_preview(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_create_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_update_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_add_component(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_update_component(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_move_component(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_remove_component(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_publish_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_rollback_deployment(const Gateway::Exchange& ex, const std::string& command_id);

// handler_lifecycle.cpp
Result<Built> build_delete_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_restore_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_unpublish_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_duplicate_page(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_save_template(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_delete_template(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_update_design_tokens(const Gateway::Exchange& ex, const std::string& command_id);
// The site of the template in the path (a tenant's); a built-in → 422, else 404.
Result<SiteId> template_site(const Gateway::Exchange& ex);
// CreatePage's templateId → body["content"] (fresh ids from `page`); reads the
// read model for a tenant's template, so its route runs on the blocking pool.
Result<void> resolve_template(const Gateway::Exchange& ex, const PageId& page, nlohmann::json& body);
void list_templates(const ExchangePtr& ex);

// handler_library.cpp
void get_component_library(const ExchangePtr& ex);
void get_design_tokens(const ExchangePtr& ex);

// handler_queries.cpp
void list_sites(const ExchangePtr& ex);
void get_site(const ExchangePtr& ex);
void list_deployments(const ExchangePtr& ex);
void list_pages(const ExchangePtr& ex);
void get_page(const ExchangePtr& ex);
void page_history(const ExchangePtr& ex);
void get_deployment(const ExchangePtr& ex);
void site_events(const ExchangePtr& ex);
void verify_audit(const ExchangePtr& ex);
void command_status(const ExchangePtr& ex);
void list_themes(const ExchangePtr& ex);
void healthz(const ExchangePtr& ex);
void readyz(const ExchangePtr& ex);

// handler_versions.cpp (restore-version reads the page's history from the log:
// its route is built on the blocking pool)
Result<Built> build_label_version(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_restore_page_version(const Gateway::Exchange& ex, const std::string& command_id);
void get_page_at(const ExchangePtr& ex);  // GET /v1/pages/{id}?version=|asOf=
// GET /v1/pages/{id} asks for the page at a version or time (get_page_at).
bool asks_for_a_version(const Gateway::Exchange& ex);
void list_page_versions(const ExchangePtr& ex);
void page_diff(const ExchangePtr& ex);

// handler_queries.cpp: the page as get_page answers it (nullopt: not the
// caller's tenant's, or absent). After an X-Pagewright-After that passed here,
// the row the projector just committed (log::RecentPages), else Postgres.
Result<std::optional<nlohmann::json>> read_page(const Gateway::Exchange& ex, const PageId& page);

// handler_queries.cpp: the site is the caller's tenant's (the read model says
// so, or, while it has not caught up with a new site, the site's first event).
Result<bool> site_visible_to(const Gateway::Exchange& ex, const SiteId& site);

// handler_assets.cpp (the upload is decoded on the blocking pool)
Result<Built> build_upload_asset(const Gateway::Exchange& ex, const std::string& command_id);
Result<Built> build_delete_asset(const Gateway::Exchange& ex, const std::string& command_id);
void list_assets(const ExchangePtr& ex);
void get_asset(const ExchangePtr& ex);
void get_asset_content(const ExchangePtr& ex);
// handler_content.cpp: the page's tree as a Puck document (GET), and
// ReplacePageContent from one (PUT, If-Match required).
void get_page_content(const ExchangePtr& ex);
Result<Built> build_replace_page_content(const Gateway::Exchange& ex, const std::string& command_id);

// handler_audit.cpp: GET /v1/audit, a page of JSON or every match as NDJSON.
void audit_log(const ExchangePtr& ex);

// Query parameter helpers: an integer in [min, max] or a validation error.
Result<std::optional<int64_t>> int_param(const std::map<std::string, std::string>& q, const char* name,
                                         int64_t min, int64_t max);

}  // namespace pw::gateway
