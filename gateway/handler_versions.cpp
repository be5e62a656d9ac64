// Versions and time travel (API.md "Pages"): GET /v1/pages/{id}?version=N or
// ?asOf=<RFC 3339>, …/versions, …/diff, and the LabelVersion and
// RestorePageVersion commands. A page as it was is folded from its own events
// read from the log (the read model only says where they are), never from the
// mutable pages row, so an auditor sees exactly what was.
#include <chrono>
#include <string_view>

#include "commands/page_versions.hpp"
#include "events/envelope.hpp"
#include "events/ids.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/page_checkpoints.hpp"
#include "gateway/site_log.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

Error not_found(std::string field, std::string message) {
  return make_error(Errc::not_found, message, {{std::move(field), std::move(message)}});
}
Error invalid(std::string field, std::string message) {
  return make_error(Errc::validation_error, "invalid request", {{std::move(field), std::move(message)}});
}

Result<PageId> page_in_path(const Gateway::Exchange& ex) {
  PageId page{ex.param("pageId")};
  if (!site_of(page)) return make_error(Errc::not_found, "no such resource");
  return page;
}

// A version number: decimal digits, 0 to 2^53 (0 and past the page's last are
// versions that do not exist: 404, decided by the caller).
Result<int64_t> version_value(std::string_view field, std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 15) return invalid(std::string(field), "must be a version number (0, 1, 2, …)");
  for (char c : s) {
    if (c < '0' || c > '9') return invalid(std::string(field), "must be a version number (0, 1, 2, …)");
    v = v * 10 + (c - '0');
  }
  return v;
}

struct Bound {
  std::optional<int64_t> version;
  std::optional<int64_t> at;  // µs since the epoch
  int64_t after_version = 0;  // the events after this version only
};

// The page's events from the log, up to the bound, oldest first.
Result<std::vector<domain::TimedEvent>> page_events(const Gateway::Exchange& ex, const PageId& page, Bound bound) {
  auto& deps = ex.gw.deps();
  auto positions =
      deps.read_model.page_event_positions(ex.principal.tenant, page, bound.after_version, bound.version, bound.at);
  if (!positions.ok()) return positions.error();
  std::vector<domain::TimedEvent> events;
  events.reserve(positions->size());
  std::optional<Error> bad;
  SiteLog site_log(deps.log, deps.read_model);
  auto read = site_log.for_positions(*site_of(page), *positions, [&](int64_t seq, std::string_view value) {
    auto env = decode(value);
    auto at = env.ok() ? domain::parse_rfc3339_micros(env->occurred_at) : std::nullopt;
    auto event = env.ok() ? domain::event_from_json(env->type, env->schema_version, env->data)
                          : Result<domain::DomainEvent>(env.error());
    if (!env.ok() || !at || !event.ok() || env->aggregate.id != page.value) {
      bad = make_error(Errc::internal, "event seq " + std::to_string(seq) + " of the page does not decode");
      return false;
    }
    events.push_back({*at, std::move(event).value()});
    return true;
  });
  if (!read.ok()) return read.error();
  if (bad) return *bad;
  return events;
}

json page_json(const domain::PageAt& at) {
  const domain::PageState& p = at.page;
  json content = json::array();
  for (const auto& c : p.content) content.push_back(domain::component_to_json(c));
  const auto when = std::chrono::system_clock::time_point(std::chrono::microseconds(at.at));
  return json{{"pageId", p.id.value},
              {"siteId", site_of(p.id)->str()},
              {"slug", p.slug},
              {"title", p.title},
              {"description", p.description},
              {"seo", domain::page_seo_to_json(p.seo)},
              {"status", domain::page_status_name(p.status)},
              {"version", p.version},
              {"publishedVersion", p.publishedVersion},
              {"content", std::move(content)},
              {"updatedAt", format_rfc3339(when)}};
}

// The page after version `version`, folded from its events (from the
// nearest kept checkpoint below it, keeping the ones passed on the way); 404
// naming `field` when it never had that version.
Result<domain::PageAt> page_version(const Gateway::Exchange& ex, const PageId& page, int64_t version,
                                    const std::string& field) {
  if (version < 1) return not_found(field, "no such version");
  auto& checkpoints = ex.gw.checkpoints();
  const TenantId& tenant = ex.principal.tenant;
  auto start = checkpoints.at_or_below(tenant, page, version);
  if (start && start->page.version == version) return std::move(*start);
  auto events = page_events(ex, page, Bound{version, std::nullopt, start ? start->page.version : 0});
  if (!events.ok()) return events.error();
  auto folded = domain::page_at_version_from(start, page, *events, version, PageCheckpoints::kEvery,
                                             [&](const domain::PageAt& at) { checkpoints.keep(tenant, at); });
  if (!folded.ok()) return folded.error();
  if (!folded->has_value()) return not_found(field, "no such version");
  return std::move(**folded);
}

Result<int64_t> body_version(const json& body) {
  if (!body.contains("version")) return invalid("version", "required");
  const json& v = body["version"];
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    return invalid("version", "must be a version number (1, 2, …)");
  return v.get<int64_t>();
}

Result<json> body_object(const Gateway::Exchange& ex, std::initializer_list<std::string_view> allowed) {
  auto body = parse_body(ex.request.body);
  if (!body.ok()) return body.error();
  if (auto unknown = reject_unknown_fields(*body, allowed); !unknown.ok()) return unknown.error();
  return body;
}

}  // namespace

void get_page_at(const ExchangePtr& ex) {
  const auto q = ex->query();
  auto page = page_in_path(*ex);
  if (!page.ok()) return ex->fail(page.error());
  const auto version = q.find("version");
  const auto as_of = q.find("asOf");
  if (version != q.end() && as_of != q.end())
    return ex->fail(make_error(Errc::validation_error, "invalid query parameter",
                               {{"version", "give either version or asOf, not both"},
                                {"asOf", "give either version or asOf, not both"}}));
  if (version != q.end()) {
    auto v = version_value("version", version->second);
    if (!v.ok()) return ex->fail(v.error());
    auto at = page_version(*ex, *page, *v, "version");
    if (!at.ok()) return ex->fail(at.error());
    return ex->ok(200, page_json(*at));
  }
  const auto instant = domain::parse_rfc3339_micros(as_of->second);
  if (!instant)
    return ex->fail(invalid("asOf", "must be an RFC 3339 date-time, e.g. 2026-11-22T05:30:48Z"));
  auto events = page_events(*ex, *page, Bound{std::nullopt, *instant});
  if (!events.ok()) return ex->fail(events.error());
  auto folded = domain::page_at_instant(*page, *events, *instant);
  if (!folded.ok()) return ex->fail(folded.error());
  if (!folded->has_value()) return ex->fail(not_found("asOf", "the page did not exist yet"));
  ex->ok(200, page_json(**folded));
}

void list_page_versions(const ExchangePtr& ex) {
  auto page = page_in_path(*ex);
  if (!page.ok()) return ex->fail(page.error());
  const auto q = ex->query();
  queries::ListParams params;
  auto limit = int_param(q, "limit", 1, 200);
  if (!limit.ok()) return ex->fail(limit.error());
  if (*limit) params.limit = **limit;
  if (auto it = q.find("cursor"); it != q.end()) params.cursor = it->second;
  auto& read_model = ex->gw.deps().read_model;
  auto exists = read_model.get_page(ex->principal.tenant, *page);
  if (!exists.ok()) return ex->fail(exists.error());
  if (!exists->has_value()) return ex->fail(make_error(Errc::not_found, "no such resource"));
  auto list = read_model.page_versions(ex->principal.tenant, *page, params);
  if (!list.ok()) return ex->fail(list.error());
  json items = json::array();
  for (auto& item : list->items) items.push_back(std::move(item));
  ex->ok_list(std::move(items), Pagination{list->limit, list->next_cursor});
}

void page_diff(const ExchangePtr& ex) {
  auto page = page_in_path(*ex);
  if (!page.ok()) return ex->fail(page.error());
  const auto q = ex->query();
  int64_t bounds[2] = {0, 0};
  const char* names[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    auto it = q.find(names[i]);
    if (it == q.end()) return ex->fail(invalid(names[i], "required"));
    auto v = version_value(names[i], it->second);
    if (!v.ok()) return ex->fail(v.error());
    bounds[i] = *v;
  }
  std::optional<domain::PageAt> sides[2];
  for (int i = 0; i < 2; ++i) {
    auto at = page_version(*ex, *page, bounds[i], names[i]);
    if (!at.ok()) return ex->fail(at.error());
    sides[i] = std::move(at).value();
  }
  json data = domain::page_diff_to_json(domain::diff_pages(sides[0]->page, sides[1]->page));
  data["from"] = bounds[0];
  data["to"] = bounds[1];
  ex->ok(200, std::move(data));
}

Result<Built> build_label_version(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_in_path(ex);
  if (!page.ok()) return page.error();
  b.site = *site_of(*page);
  auto version = version_value("version", ex.param("version"));
  if (!version.ok()) return version.error();
  auto body = body_object(ex, {"label"});
  if (!body.ok()) return body.error();
  if (!body->contains("label")) return invalid("label", "required");
  (*body)["pageId"] = page->str();
  (*body)["version"] = *version;
  auto c = domain::command_from_json("LabelVersion", *body);
  if (!c.ok()) return c.error();
  b.command = std::move(c).value();
  return b;
}

Result<Built> build_restore_page_version(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto page = page_in_path(ex);
  if (!page.ok()) return page.error();
  b.site = *site_of(*page);
  auto body = body_object(ex, {"version"});
  if (!body.ok()) return body.error();
  auto version = body_version(*body);
  if (!version.ok()) return version.error();
  // A version the caller just made is read once the read model has it.
  if (const auto after = ex.request.header("x-pagewright-after")) {
    auto reached = ex.gw.deps().read_model.wait_for_position(*after, ex.gw.options().read_wait);
    if (!reached.ok()) return reached.error();
    if (!*reached)
      return make_error(Errc::unavailable, "the read model has not reached that position yet",
                        {{"X-Pagewright-After", std::string(*after)}});
  }
  auto target = page_version(ex, *page, *version, "version");
  if (!target.ok()) return target.error();
  const domain::PageState& p = target->page;
  json content = json::array();
  for (const auto& c : p.content) content.push_back(domain::component_to_json(c));
  b.command = domain::RestorePageVersion{*page, *version, p.title, p.slug, p.description, p.seo, std::move(content)};
  return b;
}

}  // namespace pw::gateway
