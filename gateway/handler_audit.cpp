// GET /v1/audit (API.md "Audit and operations"): the tenant's events from the
// read model, newest first, filtered by actor, event type, site and time; with
// `Accept: application/x-ndjson` every match, one JSON object per line.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "commands/page_versions.hpp"
#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/ids.hpp"
#include "gateway/handler_internal.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

// Rows per read-model page while exporting: each page is one indexed query,
// run on the server thread that sends the previous one.
constexpr int64_t kExportPage = 200;

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A time filter as the canonical timestamp the read model takes. Accepted:
// "YYYY-MM-DD" (midnight UTC) and "YYYY-MM-DDTHH:MM:SS[.f…]Z" with up to six
// fraction digits.
std::optional<std::string> canonical_time(std::string_view s) {
  std::string out;
  if (s.size() == 10) {
    out = std::string(s) + "T00:00:00.000000Z";
  } else if (s.size() >= 20 && s[10] == 'T' && s.back() == 'Z') {
    out = std::string(s.substr(0, 19));
    std::string_view fraction = s.substr(19, s.size() - 20);
    if (!fraction.empty()) {
      if (fraction[0] != '.' || fraction.size() < 2 || fraction.size() > 7 || !all_digits(fraction.substr(1)))
        return std::nullopt;
      fraction.remove_prefix(1);
    }
    out += "." + std::string(fraction) + std::string(6 - fraction.size(), '0') + "Z";
  } else {
    return std::nullopt;
  }
  // Checked as a calendar date in microseconds, which hold any four-digit year:
  // a far bound (to=2999-12-31) is beyond what the clock's time_point spans.
  if (!domain::parse_rfc3339_micros(out)) return std::nullopt;
  return out;
}

Result<queries::AuditFilter> audit_filter(const std::map<std::string, std::string>& q) {
  queries::AuditFilter f;
  if (auto it = q.find("actor"); it != q.end()) f.actor = it->second;
  if (auto it = q.find("type"); it != q.end()) {
    if (!domain::is_event_type(it->second))
      return make_error(Errc::validation_error, "unknown event type", {{"type", "not an event type: see API.md"}});
    f.type = it->second;
  }
  if (auto it = q.find("siteId"); it != q.end()) {
    if (!is_uuid(it->second))
      return make_error(Errc::validation_error, "siteId is not a site id", {{"siteId", "must be a UUID"}});
    f.site = SiteId{it->second};
  }
  for (const char* name : {"from", "to"}) {
    auto it = q.find(name);
    if (it == q.end()) continue;
    auto t = canonical_time(it->second);
    if (!t)
      return make_error(Errc::validation_error, std::string(name) + " is not a time",
                        {{name, "YYYY-MM-DD or RFC 3339 in UTC, e.g. 2026-11-22T10:00:00Z"}});
    (std::string_view(name) == "from" ? f.from : f.to) = std::move(*t);
  }
  if (f.from && f.to && *f.from >= *f.to)
    return make_error(Errc::validation_error, "from must be before to", {{"to", "must be after from"}});
  return f;
}

// Every match, read a page at a time as the client takes them.
void export_ndjson(const ExchangePtr& ex, const queries::AuditFilter& filter) {
  struct Export {
    queries::ReadModel* read_model;
    TenantId tenant;
    queries::AuditFilter filter;
    std::optional<std::string> cursor;
    bool done = false;
  };
  auto state = std::make_shared<Export>(Export{&ex->gw.deps().read_model, ex->principal.tenant, filter, {}});
  // The first page is read here, on the blocking pool, so a database that is
  // down answers 503 before any line is sent.
  auto first = state->read_model->audit(state->tenant, state->filter, {kExportPage, std::nullopt});
  if (!first.ok()) return ex->fail(first.error());
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/x-ndjson");
  for (const auto& item : first->items) r.body += item.dump() + "\n";
  state->cursor = first->next_cursor;
  state->done = !first->next_cursor;
  r.next_chunk = [state]() -> std::optional<std::string> {
    if (state->done) return std::nullopt;
    auto page = state->read_model->audit(state->tenant, state->filter, {kExportPage, state->cursor});
    // Mid-stream there is no status left to send: ending the stream early is
    // what the client sees; its last line says why.
    if (!page.ok()) {
      state->done = true;
      return json{{"error", {{"code", errc_code(page.error().code)}, {"message", page.error().message}}}}.dump() +
             "\n";
    }
    std::string chunk;
    for (const auto& item : page->items) chunk += item.dump() + "\n";
    state->cursor = page->next_cursor;
    state->done = !page->next_cursor;
    return chunk;
  };
  ex->send(std::move(r));
}

}  // namespace

void audit_log(const ExchangePtr& ex) {
  const auto q = ex->query();
  auto filter = audit_filter(q);
  if (!filter.ok()) return ex->fail(filter.error());
  const auto accept = ex->request.header("accept");
  if (accept && accept->find("application/x-ndjson") != std::string_view::npos) return export_ndjson(ex, *filter);
  queries::ListParams params;
  auto limit = int_param(q, "limit", 1, 200);
  if (!limit.ok()) return ex->fail(limit.error());
  if (*limit) params.limit = **limit;
  if (auto it = q.find("cursor"); it != q.end()) params.cursor = it->second;
  auto list = ex->gw.deps().read_model.audit(ex->principal.tenant, *filter, params);
  if (!list.ok()) return ex->fail(list.error());
  json items = json::array();
  for (auto& item : list->items) items.push_back(std::move(item));
  ex->ok_list(std::move(items), Pagination{list->limit, list->next_cursor});
}

}  // namespace pw::gateway
