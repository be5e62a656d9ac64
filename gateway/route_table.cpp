#include "gateway/route_table.hpp"

#include <algorithm>

#include "commands/assets.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/routes.hpp"

namespace pw::gateway {
namespace {

// A command built from the request alone, on the I/O thread.
constexpr Route command(std::string_view method, std::string_view pattern, std::string_view name, Role role,
                        BuildCommand build) {
  return Route{method, pattern, name, role, RouteKind::command, build, nullptr, false, kDefaultMaxBody};
}

// A command whose building reads (the log, the read model): built on the blocking pool.
constexpr Route reading_command(std::string_view method, std::string_view pattern, std::string_view name, Role role,
                                BuildCommand build) {
  return Route{method, pattern, name, role, RouteKind::command, build, nullptr, true, kDefaultMaxBody};
}

constexpr Route query(std::string_view method, std::string_view pattern, std::string_view name, Serve serve,
                      bool blocking = true) {
  return Route{method, pattern, name, Role::viewer, RouteKind::query, nullptr, serve, blocking, kDefaultMaxBody};
}

// A query that walks the log or folds events (Route::long_running); `role`
// when a viewer is not enough (the audit log: admins).
constexpr Route long_query(std::string_view method, std::string_view pattern, std::string_view name, Serve serve,
                           Role role = Role::viewer) {
  return Route{method, pattern, name, role, RouteKind::query, nullptr, serve, true, kDefaultMaxBody, true};
}

// An upload: the body is the file (raw bytes, not JSON), up to `max_body`;
// built on the blocking pool (the image is decoded there).
constexpr Route upload(std::string_view method, std::string_view pattern, std::string_view name, Role role,
                       BuildCommand build, std::size_t max_body) {
  return Route{method, pattern, name, role, RouteKind::command, build, nullptr, true, max_body};
}

constexpr Route operations(std::string_view pattern, std::string_view name, Serve serve, bool blocking) {
  return Route{"GET", pattern, name, Role::viewer, RouteKind::operations, nullptr, serve, blocking, kDefaultMaxBody};
}

// API.md, in its order. Reads need a viewer; the least role of a write is
// API.md's: editors edit pages and components, admins publish, roll back and
// manage sites.
constexpr Route kRoutes[] = {
    // Sites
    command("POST", "/v1/sites", "create_site", Role::admin, build_create_site),
    query("GET", "/v1/sites", "list_sites", list_sites),
    query("GET", "/v1/sites/{siteId}", "get_site", get_site),
    command("PATCH", "/v1/sites/{siteId}", "update_site", Role::admin, build_update_site),
    command("POST", "/v1/sites/{siteId}/publish", "publish_site", Role::admin, build_publish_site),
    query("GET", "/v1/sites/{siteId}/deployments", "list_deployments", list_deployments),
    query("GET", "/v1/sites/{siteId}/design-tokens", "get_design_tokens", get_design_tokens),
    command("PUT", "/v1/sites/{siteId}/design-tokens", "update_design_tokens", Role::admin,
            build_update_design_tokens),
    query("GET", "/v1/themes", "list_themes", list_themes, /*blocking=*/false),
    // Previews of the drafts
    command("POST", "/v1/sites/{siteId}/previews", "request_preview", Role::editor, build_request_preview),
    // Pages and their component tree
    reading_command("POST", "/v1/sites/{siteId}/pages", "create_page", Role::editor, build_create_page),
    query("GET", "/v1/sites/{siteId}/pages", "list_pages", list_pages),
    query("GET", "/v1/pages/{pageId}", "get_page", get_page),
    command("PATCH", "/v1/pages/{pageId}", "update_page", Role::editor, build_update_page),
    command("POST", "/v1/pages/{pageId}/components", "add_component", Role::editor, build_add_component),
    command("PATCH", "/v1/pages/{pageId}/components/{componentId}", "update_component", Role::editor,
            build_update_component),
    command("POST", "/v1/pages/{pageId}/components/{componentId}/move", "move_component", Role::editor,
            build_move_component),
    command("DELETE", "/v1/pages/{pageId}/components/{componentId}", "remove_component", Role::editor,
            build_remove_component),
    command("DELETE", "/v1/pages/{pageId}", "delete_page", Role::editor, build_delete_page),
    command("POST", "/v1/pages/{pageId}/restore", "restore_page", Role::editor, build_restore_page),
    command("POST", "/v1/pages/{pageId}/unpublish", "unpublish_page", Role::editor, build_unpublish_page),
    command("POST", "/v1/pages/{pageId}/duplicate", "duplicate_page", Role::editor, build_duplicate_page),
    query("GET", "/v1/pages/{pageId}/content", "get_page_content", get_page_content),
    command("PUT", "/v1/pages/{pageId}/content", "replace_page_content", Role::editor, build_replace_page_content),
    query("GET", "/v1/pages/{pageId}/history", "page_history", page_history),
    query("GET", "/v1/pages/{pageId}/versions", "list_page_versions", list_page_versions),
    command("POST", "/v1/pages/{pageId}/versions/{version}/label", "label_version", Role::editor,
            build_label_version),
    // Folds the version it restores from the page's events.
    Route{"POST", "/v1/pages/{pageId}/restore-version", "restore_page_version", Role::editor, RouteKind::command,
          build_restore_page_version, nullptr, true, kDefaultMaxBody, true},
    long_query("GET", "/v1/pages/{pageId}/diff", "page_diff", page_diff),
    command("POST", "/v1/pages/{pageId}/publish", "publish_page", Role::admin, build_publish_page),
    // Templates
    query("GET", "/v1/templates", "list_templates", list_templates),
    command("POST", "/v1/templates", "save_template", Role::admin, build_save_template),
    command("DELETE", "/v1/templates/{templateId}", "delete_template", Role::admin, build_delete_template),
    // Media assets (editors upload and delete, as they edit the pages that use them)
    upload("POST", "/v1/sites/{siteId}/assets", "upload_asset", Role::editor, build_upload_asset,
           static_cast<std::size_t>(domain::kMaxAssetBytes)),
    query("GET", "/v1/sites/{siteId}/assets", "list_assets", list_assets),
    query("GET", "/v1/assets/{assetId}", "get_asset", get_asset),
    query("GET", "/v1/assets/{assetId}/content", "get_asset_content", get_asset_content),
    command("DELETE", "/v1/assets/{assetId}", "delete_asset", Role::editor, build_delete_asset),
    // The component library
    query("GET", "/v1/component-library", "get_component_library", get_component_library, /*blocking=*/false),
    // Deployments
    query("GET", "/v1/deployments/{deploymentId}", "get_deployment", get_deployment),
    command("POST", "/v1/deployments/{deploymentId}/rollback", "rollback_deployment", Role::admin,
            build_rollback_deployment),
    // Audit
    long_query("GET", "/v1/sites/{siteId}/events", "site_events", site_events),
    long_query("GET", "/v1/sites/{siteId}/audit/verify", "verify_audit", verify_audit),
    long_query("GET", "/v1/audit", "audit_log", audit_log, Role::admin),
    // Commands: the bus's memory, no read model
    query("GET", "/v1/commands/{commandId}", "get_command", command_status, /*blocking=*/false),
    // Operations (no authentication)
    operations("/healthz", "healthz", healthz, /*blocking=*/false),
    operations("/readyz", "readyz", readyz, /*blocking=*/true),
};

constexpr bool rows_are_complete() {
  for (const Route& r : kRoutes) {
    if (r.kind == RouteKind::command && (!r.build || r.serve)) return false;
    if (r.kind != RouteKind::command && (!r.serve || r.build)) return false;
  }
  return true;
}
static_assert(rows_are_complete(), "a command route builds a command; every other route serves");

constexpr std::size_t largest() {
  std::size_t n = kDefaultMaxBody;
  for (const Route& r : kRoutes) n = r.max_body > n ? r.max_body : n;
  return n;
}

}  // namespace

std::span<const Route> route_table() { return kRoutes; }

std::size_t max_body_for(std::string_view method, std::string_view target) {
  const auto m = match(method, target);
  return m && m->route ? m->route->max_body : kDefaultMaxBody;
}

std::size_t largest_max_body() { return largest(); }

const Route* find_route(std::string_view name) {
  const auto it = std::find_if(std::begin(kRoutes), std::end(kRoutes), [&](const Route& r) { return r.name == name; });
  return it == std::end(kRoutes) ? nullptr : &*it;
}

}  // namespace pw::gateway
