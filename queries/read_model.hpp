#pragma once
// Read-model queries for the HTTP gateway (DESIGN.md, decisions 5, 9, 11).
//
// Every query runs as the reader role (pagewright_reader: SELECT only, not the
// tables' owner) in a READ ONLY transaction that first scopes itself to the
// caller's tenant with set_config('pagewright.tenant', $1, true). Row-level
// security, not a WHERE clause, is what hides other tenants' rows: a site or
// page of another tenant is simply not there (nullopt, empty list), so the
// gateway answers 404 without revealing that it exists.
//
// Lists are keyset-paginated. A cursor is an opaque string (base64url of a
// small JSON object naming the list kind and the last row's sort key) that is
// validated strictly before any SQL runs: a malformed or forged cursor is a
// VALIDATION_ERROR with detail field "cursor", never an SQL error. A cursor
// only says where to continue; it grants nothing (row-level security still
// applies to whatever it points after).
//
// Thread-safe: calls may come from any number of threads. A fixed-size pool
// hands each call its own connection (blocking checkout, bounded by
// `checkout_timeout`); a connection that broke is dropped and a fresh one is
// opened on a later checkout. Nothing here throws: failures are pw::Error
// values (database unreachable or pool exhausted → Errc::unavailable,
// unexpected database errors → Errc::internal).
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/ids.hpp"
#include "events/recent_pages.hpp"
#include "events/result.hpp"

namespace pw::queries {

namespace detail {
class Pool;  // queries/pool.hpp
}

inline constexpr int64_t kMinLimit = 1;
inline constexpr int64_t kMaxLimit = 200;
inline constexpr int64_t kDefaultLimit = 50;

struct ListParams {
  int64_t limit = kDefaultLimit;      // 1..200, else VALIDATION_ERROR field "limit"
  std::optional<std::string> cursor;  // a next_cursor of the same list, or absent = from the start
};

struct PageList {
  std::vector<nlohmann::json> items;
  std::optional<std::string> next_cursor;  // set only when more rows follow
  int64_t limit = kDefaultLimit;           // the limit that was applied
};

// Where one event of a site is in the log (pagewright.events), as the
// projector recorded it in page_events.
struct EventPosition {
  int64_t seq = 0;
  int32_t partition = 0;
  int64_t offset = 0;
};

// A page of a site's event positions, and where the projection stands in the
// site's partition. The projector writes a batch's page_events rows and its
// offsets in one transaction and both are read here in one snapshot, so every
// record of the site below `projected_to` that the projector applied is in
// the index, and records at or past it are not projected yet.
struct SiteEventPositions {
  std::vector<EventPosition> events;  // seq > after_seq, ascending, at most `limit`
  int64_t projected_to = 0;           // the projection's next offset there (0 = none yet)
};

// GET /v1/audit's filters; absent = any. `from` and `to` are canonical
// timestamps ("2026-11-22T05:30:48.123456Z"): from inclusive, to exclusive.
struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> type;
  std::optional<SiteId> site;
  std::optional<std::string> from;
  std::optional<std::string> to;
};

struct ReadModelConfig {
  // Blocking checkout waits at most this long for a free connection, then
  // fails with Errc::unavailable.
  std::chrono::milliseconds checkout_timeout{5000};
  // Server-side statement_timeout of every pooled connection (0 = none).
  std::chrono::milliseconds statement_timeout{10000};
  // The projection whose offsets wait_for_position reads.
  std::string projector = "read-models";
  std::string topic = "pagewright.events";
  // When set, every pooled connection switches to this role (SET ROLE) before
  // its first query: for a login (e.g. the tables' owner) that is a member of
  // the reader role, so queries still run as a role that owns nothing.
  std::string role;
};

class ReadModel {
 public:
  // `conninfo` names the reader role (URI or key=value); `connections` is the
  // pool size (>= 1, else VALIDATION_ERROR). One connection is opened now, so
  // an unreachable server or a bad conninfo fails here (Errc::unavailable);
  // the others are opened on demand.
  static Result<std::unique_ptr<ReadModel>> connect(std::string conninfo, size_t connections,
                                                    ReadModelConfig config = {});
  ~ReadModel();
  ReadModel(const ReadModel&) = delete;
  ReadModel& operator=(const ReadModel&) = delete;

  // The tenant's sites, oldest first by (createdAt, siteId). Each item is the
  // site JSON described at get_site.
  // Errors: VALIDATION_ERROR (fields "tenant", "limit", "cursor").
  Result<PageList> list_sites(const TenantId& tenant, const ListParams& params);

  // {"siteId","name","subdomain","seo":{…},"settings":{…},"version",
  //  "createdAt","updatedAt","deployments":{},"designTokens":{…}} — timestamps RFC 3339 UTC with
  // microseconds ("2026-11-22T05:30:48.123456Z"); "deployments" maps each
  // environment with a live deployment to {"deploymentId","url","manifestHash",
  // "liveSince"}.
  // nullopt when no such site is visible to the tenant (absent, or another
  // tenant's). Errors: VALIDATION_ERROR (field "tenant").
  Result<std::optional<nlohmann::json>> get_site(const TenantId& tenant, const SiteId& site);

  // The site's pages, newest first by (updatedAt DESC, pageId DESC). Items are
  // the page JSON of get_page without "content".
  //   status: "draft" | "published" | "deleted"; absent = every status except
  //           deleted. Anything else → VALIDATION_ERROR field "status".
  //   q:      case-insensitive substring of the title or the slug, taken
  //           literally ('%', '_' and '\' match themselves); empty = no filter;
  //           at most 200 bytes of valid UTF-8 without control characters,
  //           else VALIDATION_ERROR field "q".
  // A site that is not visible to the tenant yields an empty list (the gateway
  // uses get_site to answer 404). Errors: VALIDATION_ERROR (fields "tenant",
  // "status", "q", "limit", "cursor").
  Result<PageList> list_pages(const TenantId& tenant, const SiteId& site,
                              std::optional<std::string> status, std::optional<std::string> q,
                              const ListParams& params);

  // {"pageId","siteId","slug","title","description","seo":{…},"status",
  //  "version","publishedVersion","content":[…],"updatedAt"} — publishedVersion
  // 0 = never published. nullopt when not visible to the tenant (deleted pages
  // are returned, with status "deleted"). Errors: VALIDATION_ERROR ("tenant").
  Result<std::optional<nlohmann::json>> get_page(const TenantId& tenant, const PageId& page);

  // The page's events, oldest first (seq ascending); each item is the stored
  // envelope object (the record value as JSON). The cursor continues after the
  // last returned seq. An unknown or invisible page yields an empty list.
  // Errors: VALIDATION_ERROR (fields "tenant", "limit", "cursor").
  Result<PageList> page_history(const TenantId& tenant, const PageId& page, const ListParams& params);

  // The site's deployments, newest first by (requestedAt DESC, deploymentId
  // DESC); items as get_deployment. An invisible site yields an empty list.
  Result<PageList> list_deployments(const TenantId& tenant, const SiteId& site, const ListParams& params);

  // {"deploymentId","siteId","environment","strategy","status","version",
  //  "requestedBy","requestedAt","startedAt","finishedAt","worker",
  //  "manifestHash","url","counts":{pagesRendered,pagesReused,files,bytes},
  //  "durations":{renderMs,shipMs,checkMs,buildMs,queuedMs},"log":[…],
  //  "error","live","pruned"}; timestamps and the outcome fields are null until
  // known. nullopt when not visible to the tenant.
  Result<std::optional<nlohmann::json>> get_deployment(const TenantId& tenant, const DeploymentId& id);

  // Read-your-writes (DESIGN.md decision 9). `position` is "<partition>:<offset>"
  // (decimal, partition 0..2^31-1, offset >= 0) of a record in pagewright.events.
  // True once the projection's stored next_offset of that partition is greater
  // than `offset` (the read models include the record); polls, starting at
  // ~1 ms and backing off to ~10 ms, for at most `timeout` (checked at least
  // once, also with a zero timeout); false when it timed out. No pooled
  // connection is held between polls. A malformed position → VALIDATION_ERROR
  // field "position"; database trouble → UNAVAILABLE / INTERNAL.
  Result<bool> wait_for_position(std::string_view position, std::chrono::milliseconds timeout);

  // The site log's index (gateway/site_log): positions of the tenant's site's
  // events with seq > after_seq, oldest first, at most `limit` (1..100000,
  // else VALIDATION_ERROR "limit"), and the projection's stored next offset of
  // `partition` (the site's partition), from one snapshot. An invisible site
  // has no events. A row projected before positions were recorded (migration
  // 0003) → UNAVAILABLE naming `pagewright rebuild`. Errors: VALIDATION_ERROR
  // ("tenant", "limit"), UNAVAILABLE / INTERNAL.
  Result<SiteEventPositions> site_event_positions(const TenantId& tenant, const SiteId& site, int32_t partition,
                                                  int64_t after_seq, int64_t limit);

  // The tenant's own templates, newest first by (createdAt DESC, templateId
  // DESC), from every site of the tenant: {"templateId","siteId",
  // "sourcePageId","name","description","builtIn":false,"content":[…],
  // "createdAt"}. Deleted templates are gone. Errors: VALIDATION_ERROR
  // (fields "tenant", "limit", "cursor").
  Result<PageList> list_templates(const TenantId& tenant, const ListParams& params);
  // One of the tenant's templates (as list_templates); nullopt when not
  // visible (absent, deleted, another tenant's, or not a template id).
  Result<std::optional<nlohmann::json>> get_template(const TenantId& tenant, const TemplateId& id);
  // A site's media assets, newest first by (createdAt DESC, assetId DESC):
  // {"assetId","siteId","hash","contentType","bytes","width","height",
  // "filename","variants":[{width,height,hash,bytes}],"createdAt"}. Deleted
  // assets are gone; an invisible site has none. Errors: VALIDATION_ERROR
  // (fields "tenant", "limit", "cursor").
  Result<PageList> list_assets(const TenantId& tenant, const SiteId& site, const ListParams& params);
  // One asset (as list_assets); nullopt when not visible (absent, deleted,
  // another tenant's, or not an asset id).
  Result<std::optional<nlohmann::json>> get_asset(const TenantId& tenant, const AssetId& id);
  // Time travel: the log positions of the page's events, oldest first, that
  // are above its version `after_version` (0: from its creation), at or below
  // `max_version` and occurred at or before `max_at` (µs since the epoch);
  // nullopt bounds = none. Labels (PageVersionLabelled) come along: they fold
  // without moving the version. An invisible page has none. A row without a
  // position (projected before migration 0003) → UNAVAILABLE naming
  // `pagewright rebuild`.
  Result<std::vector<EventPosition>> page_event_positions(const TenantId& tenant, const PageId& page,
                                                          int64_t after_version, std::optional<int64_t> max_version,
                                                          std::optional<int64_t> max_at);

  // GET /v1/pages/{id}/versions: newest first, one item per page version
  // (each of the page's events but labels): {"version","at","actor",
  // "events":[type],"label"?}. The cursor continues below the last version.
  // An invisible page yields an empty list.
  Result<PageList> page_versions(const TenantId& tenant, const PageId& page, const ListParams& params);

  // GET /v1/audit: the tenant's events from every site, newest first by
  // (at, siteId, seq), each {"siteId","seq","type","actor","at","commandId",
  // "hash"} (hash: SHA-256 of the record's bytes; null for rows projected
  // before migration 0007). Errors: VALIDATION_ERROR (fields "tenant", "limit",
  // "cursor", "actor", "type", "siteId", "from", "to").
  Result<PageList> audit(const TenantId& tenant, const AuditFilter& filter, const ListParams& params);

  // For /readyz: one trivial round trip (SELECT 1) on a pooled connection.
  Result<void> ping();

  // Pool size and how many connections are open right now (for metrics/tests).
  size_t pool_size() const;
  size_t open_connections() const;

 private:
  ReadModel(std::unique_ptr<detail::Pool> pool, ReadModelConfig config);

  std::unique_ptr<detail::Pool> pool_;
  ReadModelConfig config_;
};

// The parts of a position "<partition>:<offset>"; nullopt if malformed.
struct Position {
  int32_t partition = 0;
  int64_t offset = 0;
};
std::optional<Position> parse_position(std::string_view position);

// A page row as get_page answers it (with "content" when `with_content`, as
// list_pages' items without). The columns are Postgres's text, so a row the
// projector's upsert returned (log::RecentPages) answers byte for byte what
// reading it back would. Throws std::exception when seo or content is not JSON.
nlohmann::json page_json(const log::PageRowText& row, bool with_content = true);

}  // namespace pw::queries
