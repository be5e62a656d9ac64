// The read routes of API.md (read models, the raw site stream, audit, command
// status) and the operations endpoints. Everything that blocks runs on the
// blocking pool.
#include <algorithm>
#include <string_view>

#include "commands/command_record.hpp"
#include "commands/themes.hpp"
#include "events/envelope.hpp"
#include "events/ids.hpp"
#include "events/logging.hpp"
#include "events/projected_positions.hpp"
#include "events/recent_pages.hpp"
#include "gateway/handler_internal.hpp"
#include "gateway/site_log.hpp"

namespace pw::gateway {

nlohmann::json outcome_data(const domain::CommandOutcome& o);  // handler_commands.cpp

namespace {

using nlohmann::json;

constexpr int64_t kDefaultEventsLimit = 1000;
constexpr size_t kChunkBytes = 64 * 1024;

Error not_found() { return make_error(Errc::not_found, "no such resource"); }

bool wants_ndjson(const HttpRequest& r) {
  const auto accept = r.header("accept");
  return accept && accept->find("application/x-ndjson") != std::string_view::npos;
}

Result<queries::ListParams> list_params(const std::map<std::string, std::string>& q) {
  queries::ListParams p;
  auto limit = int_param(q, "limit", 1, 200);
  if (!limit.ok()) return limit.error();
  if (*limit) p.limit = **limit;
  if (auto it = q.find("cursor"); it != q.end()) p.cursor = it->second;
  return p;
}

void send_list(const ExchangePtr& ex, Result<queries::PageList> list) {
  if (!list.ok()) return ex->fail(list.error());
  json items = json::array();
  for (auto& item : list->items) items.push_back(std::move(item));
  ex->ok_list(std::move(items), Pagination{list->limit, list->next_cursor});
}

void send_one(const ExchangePtr& ex, Result<std::optional<json>> one) {
  if (!one.ok()) return ex->fail(one.error());
  if (!one->has_value()) return ex->fail(not_found());
  ex->ok(200, std::move(**one));
}

// The site is the caller's tenant's: the read model says so, or (while the
// read model has not caught up with a brand-new site) its first event does.
Result<bool> site_visible(const Gateway::Exchange& ex, SiteLog& site_log, const SiteId& site) {
  auto& deps = ex.gw.deps();
  auto row = deps.read_model.get_site(ex.principal.tenant, site);
  if (!row.ok()) return row.error();
  if (row->has_value()) return true;
  auto first = site_log.read(ex.principal.tenant, site, 0, 1);
  if (!first.ok()) return first.error();
  if (first->values.empty()) return false;
  auto envelope = decode(first->values[0]);
  return envelope.ok() && envelope->tenant_id == ex.principal.tenant.str();
}

}  // namespace

Result<bool> site_visible_to(const Gateway::Exchange& ex, const SiteId& site) {
  SiteLog site_log(ex.gw.deps().log, ex.gw.deps().read_model);
  return site_visible(ex, site_log, site);
}

namespace {

// Where a capped page of /events stopped: the afterSeq that continues it.
constexpr std::string_view kNextAfterSeqHeader = "X-Pagewright-Next-After-Seq";

void stream_site_events(const ExchangePtr& ex, const SiteId& site) {
  const auto q = ex->query();
  auto after = int_param(q, "afterSeq", 0, INT64_MAX / 2);
  if (!after.ok()) return ex->fail(after.error());
  const auto ceiling = std::min<int64_t>(ex->gw.options().max_events_per_request,
                                         static_cast<int64_t>(kMaxEventsPerResponse));
  auto limit = int_param(q, "limit", 1, ceiling);
  if (!limit.ok()) return ex->fail(limit.error());
  const int64_t max = std::min(limit->value_or(kDefaultEventsLimit), ceiling);
  SiteLog site_log(ex->gw.deps().log, ex->gw.deps().read_model);
  auto visible = site_visible(*ex, site_log, site);
  if (!visible.ok()) return ex->fail(visible.error());
  if (!*visible) return ex->fail(not_found());
  auto page = site_log.read(ex->principal.tenant, site, after->value_or(0), static_cast<size_t>(max));
  if (!page.ok()) return ex->fail(page.error());
  if (wants_ndjson(ex->request)) {
    // Each line is the exact stored record value: sha256 of a line is the
    // event's hash. The page is capped (records and bytes), so at most the
    // byte budget sits in memory; it goes out in chunks.
    HttpResponse r;
    r.status = 200;
    r.headers.emplace_back("Content-Type", "application/x-ndjson");
    if (page->next_after_seq)
      r.headers.emplace_back(std::string(kNextAfterSeqHeader), std::to_string(*page->next_after_seq));
    auto lines = std::make_shared<std::vector<std::string>>(std::move(page->values));
    auto next = std::make_shared<size_t>(0);
    r.next_chunk = [lines, next]() -> std::optional<std::string> {
      if (*next >= lines->size()) return std::nullopt;
      std::string chunk;
      while (*next < lines->size() && chunk.size() < kChunkBytes) {
        chunk += (*lines)[*next];
        chunk.push_back('\n');
        std::string().swap((*lines)[(*next)++]);
      }
      return chunk;
    };
    return ex->send(std::move(r));
  }
  json items = json::array();
  for (const auto& v : page->values) {
    auto parsed = json::parse(v, nullptr, false);
    if (parsed.is_discarded()) return ex->fail(make_error(Errc::internal, "unreadable event in the log"));
    items.push_back(std::move(parsed));
  }
  std::optional<std::string> next;
  if (page->next_after_seq) next = std::to_string(*page->next_after_seq);
  ex->ok_list(std::move(items), Pagination{max, next});
}

void verify(const ExchangePtr& ex, const SiteId& site) {
  SiteLog site_log(ex->gw.deps().log, ex->gw.deps().read_model);
  auto visible = site_visible(*ex, site_log, site);
  if (!visible.ok()) return ex->fail(visible.error());
  if (!*visible) return ex->fail(not_found());
  auto report = site_log.verify(ex->principal.tenant, site);
  if (!report.ok()) return ex->fail(report.error());
  ex->ok(200, json{{"events", report->events},
                   {"headHash", report->head_hash},
                   {"ok", report->ok},
                   {"firstBadSeq", report->first_bad_seq ? json(*report->first_bad_seq) : json(nullptr)}});
}

// The site in the path, or 404.
Result<SiteId> site_in_path(const Gateway::Exchange& ex) {
  const std::string& id = ex.param("siteId");
  if (!is_uuid(id)) return not_found();
  return SiteId{id};
}

// The caller's tenant has that site (else 404).
Result<SiteId> visible_site(const Gateway::Exchange& ex) {
  auto id = site_in_path(ex);
  if (!id.ok()) return id;
  auto site = ex.gw.deps().read_model.get_site(ex.principal.tenant, *id);
  if (!site.ok()) return site.error();
  if (!site->has_value()) return not_found();
  return id;
}

// X-Pagewright-After: wait (bounded by `wait`) until the read model includes that position.
Result<bool> caught_up(const Gateway::Exchange& ex, std::chrono::milliseconds wait) {
  const auto after = ex.request.header("x-pagewright-after");
  if (!after) return true;
  auto reached = ex.gw.deps().read_model.wait_for_position(*after, wait);
  if (!reached.ok()) return reached.error();
  if (!*reached)
    return make_error(Errc::unavailable, "the read model has not reached that position yet",
                      {{"X-Pagewright-After", std::string(*after)}});
  return true;
}

// Runs on the blocking pool; `wait` bounds the wait for X-Pagewright-After.
void run_query(const ExchangePtr& ex, std::chrono::milliseconds wait) {
  if (auto ready = caught_up(*ex, wait); !ready.ok()) return ex->fail(ready.error());
  ex->route->serve(ex);
}

void post_query(const ExchangePtr& ex, std::chrono::milliseconds wait) {
  if (!ex->gw.pool_for(*ex).post([ex, wait] { run_query(ex, wait); }))
    ex->fail(make_error(Errc::unavailable, "shutting down"));
}

// The position is known to be committed: nothing to ask first.
void post_caught_up(const ExchangePtr& ex) {
  if (!ex->gw.pool_for(*ex).post([ex] { ex->route->serve(ex); }))
    ex->fail(make_error(Errc::unavailable, "shutting down"));
}

// Where this process's projectors announce their commits, a read that must
// wait for its position takes no query thread while it waits: it is posted
// once the position passed, or when its wait elapsed, and then asks Postgres
// (which stays the authority) without waiting again.
bool waits_off_the_pool(const ExchangePtr& ex) {
  auto* projected = ex->gw.deps().projected;
  const auto after = ex->request.header("x-pagewright-after");
  if (!projected || !after) return false;
  const auto pos = queries::parse_position(*after);
  if (!pos || !projected->next(pos->partition)) return false;
  const auto deadline = log::ProjectedPositions::Clock::now() + ex->gw.options().read_wait;
  projected->when_passed(pos->partition, pos->offset, deadline,
                         [ex](bool reached) {
                           if (!reached) return post_query(ex, std::chrono::milliseconds(0));
                           ex->passed_here = true;
                           post_caught_up(ex);
                         });
  return true;
}

}  // namespace

void list_sites(const ExchangePtr& ex) {
  auto p = list_params(ex->query());
  if (!p.ok()) return ex->fail(p.error());
  send_list(ex, ex->gw.deps().read_model.list_sites(ex->principal.tenant, *p));
}

void get_site(const ExchangePtr& ex) {
  auto site = site_in_path(*ex);
  if (!site.ok()) return ex->fail(site.error());
  send_one(ex, ex->gw.deps().read_model.get_site(ex->principal.tenant, *site));
}

void list_pages(const ExchangePtr& ex) {
  const auto q = ex->query();
  auto p = list_params(q);
  if (!p.ok()) return ex->fail(p.error());
  std::optional<std::string> status, text;
  if (auto it = q.find("status"); it != q.end()) {
    if (it->second != "draft" && it->second != "published" && it->second != "deleted")
      return ex->fail(make_error(Errc::validation_error, "invalid query parameter",
                                 {{"status", "must be draft, published or deleted"}}));
    status = it->second;
  }
  if (auto it = q.find("q"); it != q.end() && !it->second.empty()) text = it->second;
  auto site = visible_site(*ex);
  if (!site.ok()) return ex->fail(site.error());
  send_list(ex, ex->gw.deps().read_model.list_pages(ex->principal.tenant, *site, status, text, *p));
}

bool asks_for_a_version(const Gateway::Exchange& ex) {
  const auto q = ex.query();
  return q.count("version") || q.count("asOf");
}

// A row held in RecentPages is Postgres's own rendering of what the
// projector committed, so it answers byte for byte what the read model would.
Result<std::optional<json>> read_page(const Gateway::Exchange& ex, const PageId& page) {
  auto& deps = ex.gw.deps();
  if (deps.recent_pages && ex.passed_here) {
    auto row = deps.recent_pages->find(ex.principal.tenant.value, page.value);
    deps.metrics.count_page_read_from_commit(row != nullptr);
    if (row) {
      try {
        return std::optional<json>{queries::page_json(*row)};
      } catch (const std::exception& e) {
        logging::warn("a recent page row does not read; asking the read model",
                      {{"page", page.value}, {"error", e.what()}});
      }
    }
  }
  return deps.read_model.get_page(ex.principal.tenant, page);
}

void get_page(const ExchangePtr& ex) {
  if (asks_for_a_version(*ex)) return get_page_at(ex);
  PageId page{ex->param("pageId")};
  if (!site_of(page)) return ex->fail(not_found());
  send_one(ex, read_page(*ex, page));
}

void page_history(const ExchangePtr& ex) {
  auto& read_model = ex->gw.deps().read_model;
  PageId page{ex->param("pageId")};
  if (!site_of(page)) return ex->fail(not_found());
  auto p = list_params(ex->query());
  if (!p.ok()) return ex->fail(p.error());
  auto exists = read_model.get_page(ex->principal.tenant, page);
  if (!exists.ok()) return ex->fail(exists.error());
  if (!exists->has_value()) return ex->fail(not_found());
  send_list(ex, read_model.page_history(ex->principal.tenant, page, *p));
}

void list_deployments(const ExchangePtr& ex) {
  auto p = list_params(ex->query());
  if (!p.ok()) return ex->fail(p.error());
  auto site = visible_site(*ex);
  if (!site.ok()) return ex->fail(site.error());
  send_list(ex, ex->gw.deps().read_model.list_deployments(ex->principal.tenant, *site, *p));
}

void get_deployment(const ExchangePtr& ex) {
  DeploymentId deployment{ex->param("deploymentId")};
  if (!site_of(deployment)) return ex->fail(not_found());
  send_one(ex, ex->gw.deps().read_model.get_deployment(ex->principal.tenant, deployment));
}

void site_events(const ExchangePtr& ex) {
  auto site = site_in_path(*ex);
  if (!site.ok()) return ex->fail(site.error());
  stream_site_events(ex, *site);
}

void verify_audit(const ExchangePtr& ex) {
  auto site = site_in_path(*ex);
  if (!site.ok()) return ex->fail(site.error());
  verify(ex, *site);
}

void command_status(const ExchangePtr& ex) {
  const auto status = ex->gw.deps().bus.status(ex->param("commandId"), ex->principal.tenant);
  if (!status) return ex->fail(not_found());
  if (status->state == CommandState::pending || !status->outcome) {
    return ex->ok(200, json{{"status", "pending"}, {"commandId", ex->param("commandId")}});
  }
  const auto& o = *status->outcome;
  json data = outcome_data(o);
  data["status"] = o.accepted ? "accepted" : "rejected";
  if (o.error) {
    json details = json::array();
    for (const auto& d : o.error->details) details.push_back({{"field", d.field}, {"message", d.message}});
    data["error"] = {{"code", errc_code(o.error->code)}, {"message", o.error->message}, {"details", details}};
  }
  ex->ok(200, std::move(data));
}

void readyz(const ExchangePtr& ex) {
  auto& deps = ex->gw.deps();
  std::vector<ErrorDetail> problems;
  if (ex->gw.draining()) problems.push_back({"process", "draining"});
  if (auto pg = deps.read_model.ping(); !pg.ok()) problems.push_back({"postgres", pg.error().message});
  if (auto end = deps.log.end_offset({std::string(log::kResultsTopic), 0}); !end.ok())
    problems.push_back({"log", end.error().message});
  if (!problems.empty()) return ex->fail(make_error(Errc::unavailable, "not ready", std::move(problems)));
  ex->ok(200, json{{"status", "ready"}});
}

// Compiled into the binary (schemas/themes/): no read model to wait for.
void list_themes(const ExchangePtr& ex) { ex->ok(200, domain::builtin_themes_json()); }

void healthz(const ExchangePtr& ex) { ex->ok(200, json{{"status", "ok"}}); }

void handle_query(const ExchangePtr& ex) {
  if (!ex->route->blocking) return ex->route->serve(ex);
  if (waits_off_the_pool(ex)) return;
  post_query(ex, ex->gw.options().read_wait);
}

}  // namespace pw::gateway
