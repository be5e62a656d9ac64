// The routes of the editing lifecycle (API.md): deleting, restoring,
// unpublishing and duplicating pages, templates, and a site's design tokens.
#include <string_view>

#include "commands/commands.hpp"
#include "commands/content.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/templates.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

Error invalid(std::string field, std::string message) {
  return make_error(Errc::validation_error, "invalid request", {{std::move(field), std::move(message)}});
}

Error not_found() { return make_error(Errc::not_found, "no such resource"); }

// As handler_commands.cpp: new ids derive from the command id, so an
// Idempotency-Key repeat names the same page or template.
std::string derived_suffix(const std::string& command_id, std::string_view what, size_t length) {
  return sha256_hex(command_id + "/" + std::string(what)).substr(0, length);
}

Result<json> body_object(const Gateway::Exchange& ex, std::initializer_list<std::string_view> allowed,
                         bool empty_allowed) {
  if (empty_allowed && ex.request.body.empty()) return json::object();
  auto body = parse_body(ex.request.body);
  if (!body.ok()) return body.error();
  if (auto unknown = reject_unknown_fields(*body, allowed); !unknown.ok()) return unknown.error();
  return body;
}

Result<Built> with_command(Built b, std::string_view type, const json& body) {
  auto c = domain::command_from_json(type, body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

// The page in the path; its site is the command's.
Result<PageId> path_page(const Gateway::Exchange& ex, Built& b) {
  PageId page{ex.param("pageId")};
  auto site = site_of(page);
  if (!site) return not_found();
  b.site = *site;
  return page;
}

Result<Built> page_only(const Gateway::Exchange& ex, std::string_view type) {
  Built b;
  auto page = path_page(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {}, true);
  if (!body.ok()) return body.error();
  return with_command(std::move(b), type, json{{"pageId", page->str()}});
}

const TemplateLibrary& templates(const Gateway::Exchange& ex) {
  const auto& configured = ex.gw.options().templates;  // set by the Gateway's constructor
  return configured ? *configured : *default_templates();
}

}  // namespace

Result<Built> build_delete_page(const Gateway::Exchange& ex, const std::string&) {
  return page_only(ex, "DeletePage");
}

Result<Built> build_unpublish_page(const Gateway::Exchange& ex, const std::string&) {
  return page_only(ex, "UnpublishPage");
}

Result<Built> build_restore_page(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = path_page(ex, b);
  if (!page.ok()) return page.error();
  auto body = body_object(ex, {"slug"}, true);
  if (!body.ok()) return body.error();
  (*body)["pageId"] = page->str();
  return with_command(std::move(b), "RestorePage", *body);
}

Result<Built> build_duplicate_page(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto source = path_page(ex, b);
  if (!source.ok()) return source.error();
  auto body = body_object(ex, {"title", "slug"}, true);
  if (!body.ok()) return body.error();
  const PageId copy = make_page_id(b.site, derived_suffix(command_id, "page", 20));
  (*body)["pageId"] = copy.str();
  (*body)["sourcePageId"] = source->str();
  b.created_status = 201;
  b.created_field = "pageId";
  b.created_id = copy.str();
  return with_command(std::move(b), "DuplicatePage", *body);
}

Result<Built> build_save_template(const Gateway::Exchange& ex, const std::string& command_id) {
  Built b;
  auto body = body_object(ex, {"pageId", "name", "description"}, false);
  if (!body.ok()) return body.error();
  auto page = body->find("pageId");
  if (page == body->end()) return invalid("pageId", "required");
  if (!page->is_string()) return invalid("pageId", "must be a string");
  // The template belongs to the aggregate of the page's site (decided on the
  // page's current content there); a page id naming no site is no page.
  auto site = site_of(PageId{page->get<std::string>()});
  if (!site) return make_error(Errc::not_found, "no such page", {{"pageId", "page not found"}});
  b.site = *site;
  const TemplateId id = make_template_id(b.site, derived_suffix(command_id, "template", 20));
  (*body)["templateId"] = id.str();
  b.created_status = 201;
  b.created_field = "templateId";
  b.created_id = id.str();
  return with_command(std::move(b), "SaveTemplate", *body);
}

Result<SiteId> template_site(const Gateway::Exchange& ex) {
  const std::string& id = ex.param("templateId");
  if (auto site = site_of(TemplateId{id})) return *site;
  if (templates(ex).find(id))
    return make_error(Errc::unprocessable, "built-in templates cannot be deleted",
                      {{"templateId", "a built-in template cannot be deleted"}});
  return not_found();
}

Result<Built> build_delete_template(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto site = template_site(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto body = body_object(ex, {}, true);
  if (!body.ok()) return body.error();
  return with_command(std::move(b), "DeleteTemplate", json{{"templateId", ex.param("templateId")}});
}

Result<Built> build_update_design_tokens(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  const std::string& id = ex.param("siteId");
  if (!is_uuid(id)) return not_found();
  b.site = SiteId{id};
  // The body is the whole token set. Its groups are the schema's; every value
  // inside them is the decider's to judge (422, one detail per field).
  auto body = body_object(ex, {"theme", "colors", "typography", "spacing", "radii"}, false);
  if (!body.ok()) return body.error();
  return with_command(std::move(b), "UpdateDesignTokens", json{{"tokens", std::move(*body)}});
}

// CreatePage's templateId: the content it names, with fresh component ids
// derived from the new page's id (itself derived from the command id, so a
// repeat is identical). Runs on the blocking pool (a tenant's template is read
// from the read model).
Result<void> resolve_template(const Gateway::Exchange& ex, const PageId& page, json& body) {
  auto it = body.find("templateId");
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) return invalid("templateId", "must be a string");
  const std::string id = it->get<std::string>();
  json content;
  if (const BuiltInTemplate* t = templates(ex).find(id)) {
    content = t->content;
  } else {
    auto own = site_of(TemplateId{id})
                   ? ex.gw.deps().read_model.get_template(ex.principal.tenant, TemplateId{id})
                   : Result<std::optional<json>>(std::optional<json>{});
    if (!own.ok()) return own.error();
    // Another tenant's template is no template of this tenant's.
    if (!own->has_value())
      return make_error(Errc::not_found, "no such template", {{"templateId", "template not found"}});
    content = (**own)["content"];
  }
  body["content"] = domain::with_fresh_ids(content, page.value);
  return {};
}

// GET /v1/templates: the built-ins (on the first page, ahead of and in
// addition to `limit`) and the tenant's own across all its sites.
void list_templates(const ExchangePtr& ex) {
  const auto q = ex->query();
  queries::ListParams p;
  auto limit = int_param(q, "limit", queries::kMinLimit, queries::kMaxLimit);
  if (!limit.ok()) return ex->fail(limit.error());
  if (*limit) p.limit = **limit;
  if (auto it = q.find("cursor"); it != q.end()) p.cursor = it->second;
  auto own = ex->gw.deps().read_model.list_templates(ex->principal.tenant, p);
  if (!own.ok()) return ex->fail(own.error());
  json items = json::array();
  if (!p.cursor)
    for (const auto& t : templates(*ex).all()) items.push_back(built_in_json(t));
  for (auto& t : own->items) items.push_back(std::move(t));
  ex->ok_list(std::move(items), Pagination{own->limit, own->next_cursor});
}

// GET /v1/sites/{siteId}/design-tokens: the stored set, as PUT takes it.
void get_design_tokens(const ExchangePtr& ex) {
  const std::string& id = ex->param("siteId");
  if (!is_uuid(id)) return ex->fail(not_found());
  auto site = ex->gw.deps().read_model.get_site(ex->principal.tenant, SiteId{id});
  if (!site.ok()) return ex->fail(site.error());
  if (!site->has_value()) return ex->fail(not_found());
  ex->ok(200, (**site).value("designTokens", json::object()));
}

}  // namespace pw::gateway
