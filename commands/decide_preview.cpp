// Preview commands: RequestPreview (editors), and the build pool's reports
// CompletePreview and FailPreview. A report that repeats what the state already
// says is accepted with no events (a build redone after a crash reports again).
#include <algorithm>
#include <set>

#include "commands/decide_common.hpp"
#include "commands/validation.hpp"
#include "events/envelope.hpp"

namespace pw::domain::detail {
namespace {

std::optional<Error> check_preview_route(const PreviewId& id, const CommandMeta& m) {
  auto site = site_of(id);
  if (!site) return invalid("previewId", "malformed preview id");
  if (*site != m.siteId) return invalid("previewId", "preview id does not belong to this site");
  return std::nullopt;
}

Result<const PreviewState*> load_preview(const SiteState& s, const CommandMeta& m, const PreviewId& id) {
  if (auto e = check_preview_route(id, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  const PreviewState* p = find_preview(s, id);
  if (!p) return reject(Errc::not_found, "previewId", "preview not found");
  if (auto e = check_version(p->version, m)) return *e;
  return p;
}

// Every listed id names a page of this site that is not deleted, once.
std::optional<Error> check_page_ids(const SiteState& s, const std::vector<PageId>& ids) {
  if (ids.size() > kMaxPreviewPageIds)
    return invalid("pageIds", "at most " + std::to_string(kMaxPreviewPageIds) + " pages");
  std::set<PageId> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string field = "pageIds[" + std::to_string(i) + "]";
    if (!site_of(ids[i])) return invalid(field, "malformed page id");
    const PageState* p = find_page(s, ids[i]);
    if (!p || p->status == PageStatus::deleted) return unprocessable(field, "no such page in this site");
    if (!seen.insert(ids[i]).second) return unprocessable(field, "page listed twice");
  }
  return std::nullopt;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const RequestPreview& c) {
  if (auto e = check_preview_route(c.previewId, m)) return *e;
  const int64_t ttl = c.ttlSeconds.value_or(kPreviewTtlSeconds);
  if (ttl < 1 || ttl > kMaxPreviewTtlSeconds)
    return invalid("ttlSeconds", "1 to " + std::to_string(kMaxPreviewTtlSeconds) + " seconds");
  const auto at = parse_rfc3339(m.occurredAt);
  if (!at) return invalid("occurredAt", "must be RFC 3339 UTC with microseconds");
  if (auto e = check_site(s, m)) return *e;
  if (auto e = check_version(s.version, m)) return *e;
  if (c.pageIds)
    if (auto e = check_page_ids(s, *c.pageIds)) return *e;
  if (find_preview(s, c.previewId)) return invalid("previewId", "preview exists");
  return one(PreviewRequested{c.previewId, c.pageIds, format_rfc3339(*at + std::chrono::seconds(ttl))});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const CompletePreview& c) {
  auto p = load_preview(s, m, c.outcome.previewId);
  if (!p) return p.error();
  if (!is_hex64(c.outcome.manifestHash)) return invalid("manifestHash", "must be 64 lowercase hex digits");
  switch ((*p)->status) {
    case PreviewStatus::requested:
      return one(c.outcome);
    case PreviewStatus::ready:
      return Events{};
    case PreviewStatus::failed:
      break;
  }
  return unprocessable("previewId", "preview has failed");
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const FailPreview& c) {
  auto p = load_preview(s, m, c.outcome.previewId);
  if (!p) return p.error();
  if (!valid_text(c.outcome.reason, kMaxReportLine)) return invalid("reason", "1 to 2000 characters");
  if (c.outcome.log.size() > kMaxReportLines) return invalid("log", "at most 200 lines");
  for (const auto& line : c.outcome.log)
    if (!valid_text(line, kMaxReportLine, true)) return invalid("log", "lines are at most 2000 characters");
  switch ((*p)->status) {
    case PreviewStatus::requested:
      return one(c.outcome);
    case PreviewStatus::failed:
      return Events{};
    case PreviewStatus::ready:
      break;
  }
  return unprocessable("previewId", "preview is ready");
}

}  // namespace pw::domain::detail
