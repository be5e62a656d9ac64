#include "queries/read_model.hpp"

#include <charconv>
#include <limits>
#include <map>
#include <pqxx/pqxx>
#include <thread>
#include <tuple>
#include <utility>

#include "events/read_model_switch.hpp"
#include "queries/cursor.hpp"
#include "queries/pool.hpp"

namespace pw::queries {
namespace {

using json = nlohmann::json;
using detail::Lease;

constexpr size_t kMaxQueryBytes = 200;
constexpr size_t kMaxTenantBytes = 256;

// A timestamptz column as RFC 3339 UTC with microseconds (timestamptz's own
// resolution), so a cursor made from it names the row's value exactly.
std::string ts(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

// The live deployment of each environment rides along as one JSON column.
const std::string kSiteColumns =
    "site_id, name, subdomain, seo::text, settings::text, version, " + ts("created_at") + ", " +
    ts("updated_at") +
    ", (SELECT coalesce(jsonb_object_agg(d.environment, jsonb_build_object('deploymentId', "
    "d.deployment_id, 'url', d.url, 'manifestHash', d.manifest_hash, 'liveSince', " +
    ts("d.live_since") +
    ")), '{}') FROM deployments d WHERE d.site_id = sites.site_id AND d.live)::text"
    ", design_tokens::text";
const std::string kDeploymentColumns =
    "deployment_id, site_id, environment, strategy, status, version, requested_by, " +
    ts("requested_at") + ", " + ts("started_at") + ", " + ts("finished_at") +
    ", worker, manifest_hash, url, report::text, log::text, error, live, pruned, "
    "(extract(epoch FROM started_at - requested_at) * 1000)::bigint";
const std::string kPageColumns = "page_id, site_id, slug, title, description, seo::text, status, version, "
                                 "published_version, " +
                                 ts("updated_at");

// Statement names of list_pages: one per combination of filters and cursor,
// so each gets a plan that fits (and can use the status index).
std::string pages_statement(bool status, bool q, bool cursor) {
  return std::string("pw_q_pages_") + (status ? "s" : "-") + (q ? "q" : "-") + (cursor ? "c" : "-");
}

std::string pages_sql(bool status, bool q, bool cursor) {
  int n = 1;
  std::string sql = "SELECT " + kPageColumns + " FROM pages WHERE site_id = $" + std::to_string(n++);
  sql += status ? " AND status = $" + std::to_string(n++) : std::string(" AND status <> 'deleted'");
  if (q) {
    const std::string p = "$" + std::to_string(n++);
    sql += " AND (title ILIKE " + p + " ESCAPE '\\' OR slug ILIKE " + p + " ESCAPE '\\')";
  }
  if (cursor) {
    sql += " AND (updated_at, page_id) < ($" + std::to_string(n) + "::timestamptz, $" +
           std::to_string(n + 1) + ")";
    n += 2;
  }
  sql += " ORDER BY updated_at DESC, page_id DESC LIMIT $" + std::to_string(n);
  return sql;
}

Error invalid(const std::string& field, const std::string& message) {
  return make_error(Errc::validation_error, message, {{field, message}});
}

std::optional<Error> check_tenant(const TenantId& tenant) {
  const auto& t = tenant.value;
  if (t.empty() || t.size() > kMaxTenantBytes || !detail::is_valid_utf8(t))
    return invalid("tenant", "tenant must be 1-256 bytes of UTF-8");
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return invalid("tenant", "tenant has control characters");
  return std::nullopt;
}

std::optional<Error> check_limit(const ListParams& p) {
  if (p.limit < kMinLimit || p.limit > kMaxLimit)
    return invalid("limit", "limit must be between " + std::to_string(kMinLimit) + " and " +
                                std::to_string(kMaxLimit));
  return std::nullopt;
}

Error bad_cursor() { return invalid("cursor", "cursor is malformed or belongs to another list"); }

// LIKE pattern matching `q` literally anywhere (backslash is the escape).
std::string contains_pattern(std::string_view q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out + "%";
}

json parse_text(const std::string& text, const char* column) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw pqxx::conversion_error("column " + std::string(column) + " is not JSON");
  return j;
}

json parse_column(const pqxx::field& f) {
  json j = json::parse(f.c_str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw pqxx::conversion_error("column " + std::string(f.name()) + " is not JSON");
  return j;
}

json site_json(const pqxx::row& r) {
  return json{{"siteId", r[0].as<std::string>()},
              {"name", r[1].as<std::string>()},
              {"subdomain", r[2].as<std::string>()},
              {"seo", parse_column(r[3])},
              {"settings", parse_column(r[4])},
              {"version", r[5].as<int64_t>()},
              {"createdAt", r[6].as<std::string>()},
              {"updatedAt", r[7].as<std::string>()},
              {"deployments", parse_column(r[8])},
              {"designTokens", parse_column(r[9])}};
}

json nullable(const pqxx::field& f) { return f.is_null() ? json(nullptr) : json(f.as<std::string>()); }

json deployment_json(const pqxx::row& r) {
  const json report = parse_column(r[13]);
  auto num = [&](const char* k) { return report.value(k, int64_t{0}); };
  json durations{{"renderMs", num("renderMs")},
                 {"shipMs", num("shipMs")},
                 {"checkMs", num("checkMs")},
                 {"buildMs", num("totalMs")}};
  durations["queuedMs"] = r[18].is_null() ? json(nullptr) : json(r[18].as<int64_t>());
  return json{{"deploymentId", r[0].as<std::string>()},
              {"siteId", r[1].as<std::string>()},
              {"environment", r[2].as<std::string>()},
              {"strategy", r[3].as<std::string>()},
              {"status", r[4].as<std::string>()},
              {"version", r[5].as<int64_t>()},
              {"requestedBy", r[6].as<std::string>()},
              {"requestedAt", r[7].as<std::string>()},
              {"startedAt", nullable(r[8])},
              {"finishedAt", nullable(r[9])},
              {"worker", r[10].as<std::string>()},
              {"manifestHash", nullable(r[11])},
              {"url", nullable(r[12])},
              {"counts",
               {{"pagesRendered", num("pagesRendered")},
                {"pagesReused", num("pagesReused")},
                {"files", num("files")},
                {"bytes", num("bytes")}}},
              {"durations", std::move(durations)},
              {"log", parse_column(r[14])},
              {"error", nullable(r[15])},
              {"live", r[16].as<bool>()},
              {"pruned", r[17].as<bool>()}};
}

// Columns of kPageColumns, then content at index 10 when `with_content`.
json page_json_of(const pqxx::row& r, bool with_content) {
  return queries::page_json(log::page_row_text(r, with_content), with_content);
}

// Runs `f(lease)` on a pooled connection, turning libpqxx's exceptions into
// errors. A connection that broke, or whose state is unknown, is not reused.
// Every query here is read-only, so a call that met a dead connection (say,
// after a server restart) is retried on another one, up to pool size + 1
// attempts: each attempt retires one dead connection, and the last opens a
// fresh one, so a restart costs the callers no errors.
template <class T, class F>
Result<T> run(detail::Pool& pool, std::chrono::milliseconds checkout_timeout, const char* what, F&& f) {
  const std::string prefix = std::string("read model: ") + what + ": ";
  std::optional<Error> last;
  for (size_t attempt = 0; attempt <= pool.size(); ++attempt) {
    auto lease = pool.checkout(checkout_timeout);
    if (!lease.ok()) return lease.error();
    try {
      return f(lease.value());
    } catch (const pqxx::broken_connection& e) {
      lease->mark_broken();
      last = make_error(Errc::unavailable, prefix + "database connection lost: " + e.what());
      continue;  // retry on another connection
    } catch (const pqxx::in_doubt_error& e) {
      lease->mark_broken();
      return make_error(Errc::unavailable, prefix + e.what());
    } catch (const pqxx::sql_error& e) {
      // 57014 query_canceled (statement_timeout): the connection is fine.
      // Class 08 (connection exception) and 57P0x (the server is shutting down
      // or restarting): the connection is done for; retry on another.
      const std::string state = e.sqlstate();
      if (state == "57014") return make_error(Errc::unavailable, prefix + e.what());
      if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
        lease->mark_broken();
        last = make_error(Errc::unavailable, prefix + e.what());
        continue;
      }
      return make_error(Errc::internal, prefix + e.what());
    } catch (const pqxx::failure& e) {
      lease->mark_broken();
      return make_error(Errc::internal, prefix + e.what());
    } catch (const pqxx::usage_error& e) {
      lease->mark_broken();
      return make_error(Errc::internal, prefix + e.what());
    } catch (const pqxx::conversion_error& e) {
      return make_error(Errc::internal, prefix + e.what());
    } catch (const pqxx::range_error& e) {
      return make_error(Errc::internal, prefix + e.what());
    } catch (const nlohmann::json::exception& e) {
      return make_error(Errc::internal, prefix + e.what());
    } catch (const std::bad_alloc&) {
      return make_error(Errc::internal, prefix + "out of memory");
    }
  }
  return *last;
}

// A read-only transaction scoped to `tenant` (row-level security).
void scope(pqxx::transaction_base& t, const TenantId& tenant) { t.exec_prepared("pw_q_tenant", tenant.value); }

}  // namespace

namespace detail {

void prepare_template_statements(pqxx::connection& c);  // below, with the template queries
void prepare_asset_statements(pqxx::connection& c);     // below, with the asset queries
void prepare_audit_statements(pqxx::connection& c);     // below, with the audit query

void prepare_statements(pqxx::connection& c) {
  c.prepare("pw_q_tenant", "SELECT set_config('pagewright.tenant', $1, true)");
  c.prepare("pw_q_tenant_stable",
            "SELECT set_config('pagewright.tenant', $1, true), pg_advisory_xact_lock_shared($2)");
  c.prepare("pw_q_ping", "SELECT 1");
  c.prepare("pw_q_offset",
            "SELECT next_offset FROM projection_offsets WHERE projector = $1 AND topic = $2 AND partition = $3");
  c.prepare("pw_q_site", "SELECT " + kSiteColumns + " FROM sites WHERE site_id = $1");
  c.prepare("pw_q_sites", "SELECT " + kSiteColumns + " FROM sites ORDER BY created_at, site_id LIMIT $1");
  c.prepare("pw_q_sites_after", "SELECT " + kSiteColumns +
                                    " FROM sites WHERE (created_at, site_id) > ($1::timestamptz, $2) "
                                    "ORDER BY created_at, site_id LIMIT $3");
  // Scope and row in one statement (schemas/sql/0010_page_read.sql).
  c.prepare("pw_q_page_in_tenant", "SELECT * FROM page_in_tenant($1, $2)");
  for (bool s : {false, true})
    for (bool q : {false, true})
      for (bool cur : {false, true}) c.prepare(pages_statement(s, q, cur), pages_sql(s, q, cur));
  c.prepare("pw_q_deployment", "SELECT " + kDeploymentColumns + " FROM deployments WHERE deployment_id = $1");
  c.prepare("pw_q_deployments", "SELECT " + kDeploymentColumns +
                                    " FROM deployments WHERE site_id = $1 "
                                    "ORDER BY requested_at DESC, deployment_id DESC LIMIT $2");
  c.prepare("pw_q_deployments_after", "SELECT " + kDeploymentColumns +
                                          " FROM deployments WHERE site_id = $1 AND "
                                          "(requested_at, deployment_id) < ($2::timestamptz, $3) "
                                          "ORDER BY requested_at DESC, deployment_id DESC LIMIT $4");
  c.prepare("pw_q_positions",
            "SELECT seq, log_partition, log_offset FROM page_events WHERE site_id = $1 AND seq > $2 "
            "ORDER BY seq LIMIT $3");
  c.prepare("pw_q_history",
            "SELECT seq, envelope::text FROM page_events WHERE page_id = $1 ORDER BY seq LIMIT $2");
  c.prepare("pw_q_history_after",
            "SELECT seq, envelope::text FROM page_events WHERE page_id = $1 AND seq > $2 "
            "ORDER BY seq LIMIT $3");
  prepare_template_statements(c);
  prepare_asset_statements(c);
  prepare_audit_statements(c);
  c.prepare("pw_q_page_positions_at",
            "SELECT seq, log_partition, log_offset FROM page_events WHERE page_id = $1 AND page_version > $2 "
            "AND page_version <= $3 AND occurred_at <= 'epoch'::timestamptz + $4 * interval '1 microsecond' "
            "ORDER BY seq");
  c.prepare("pw_q_versions",
            "SELECT page_version, " + ts("occurred_at") + ", actor, type FROM page_events "
            "WHERE page_id = $1 AND type <> 'PageVersionLabelled' AND page_version < $2 "
            "ORDER BY seq DESC LIMIT $3");
  c.prepare("pw_q_version_labels",
            "SELECT envelope->'data'->>'version', envelope->'data'->>'label' FROM page_events "
            "WHERE page_id = $1 AND type = 'PageVersionLabelled' ORDER BY seq");
}

}  // namespace detail

std::optional<Position> parse_position(std::string_view position) {
  const auto colon = position.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= position.size()) return std::nullopt;
  auto number = [](std::string_view s, auto& out) {
    if (s.empty() || s.size() > 19) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;  // no sign, no spaces
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  Position p;
  if (!number(position.substr(0, colon), p.partition) || !number(position.substr(colon + 1), p.offset))
    return std::nullopt;
  return p;
}

ReadModel::ReadModel(std::unique_ptr<detail::Pool> pool, ReadModelConfig config)
    : pool_(std::move(pool)), config_(std::move(config)) {}

ReadModel::~ReadModel() = default;

Result<std::unique_ptr<ReadModel>> ReadModel::connect(std::string conninfo, size_t connections,
                                                      ReadModelConfig config) {
  if (connections == 0) return invalid("connections", "the pool needs at least one connection");
  if (config.checkout_timeout.count() < 0 || config.statement_timeout.count() < 0)
    return invalid("timeout", "timeouts must not be negative");
  auto pool = std::make_unique<detail::Pool>(std::move(conninfo), connections, config.statement_timeout, config.role);
  {
    auto first = pool->checkout(config.checkout_timeout);  // fails early on a bad conninfo
    if (!first.ok()) return first.error();
  }
  return std::unique_ptr<ReadModel>(new ReadModel(std::move(pool), std::move(config)));
}

size_t ReadModel::pool_size() const { return pool_->size(); }
size_t ReadModel::open_connections() const { return pool_->open(); }

Result<PageList> ReadModel::list_sites(const TenantId& tenant, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<detail::KeysetCursor> after;
  if (params.cursor) {
    after = detail::decode_keyset("sites", *params.cursor);
    if (!after) return bad_cursor();
  }
  return run<PageList>(*pool_, config_.checkout_timeout, "list_sites", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_sites_after", after->ts, after->id, fetch)
                      : t.exec_prepared("pw_q_sites", fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i) out.items.push_back(site_json(rows[static_cast<pqxx::result::size_type>(i)]));
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset("sites", {last["createdAt"].get<std::string>(),
                                                        last["siteId"].get<std::string>()});
    }
    return out;
  });
}

Result<std::optional<json>> ReadModel::get_site(const TenantId& tenant, const SiteId& site) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!detail::is_plain_id(site.value)) return std::optional<json>{};  // no stored id looks like that
  return run<std::optional<json>>(*pool_, config_.checkout_timeout, "get_site", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    auto rows = t.exec_prepared("pw_q_site", site.value);
    t.commit();
    if (rows.empty()) return std::optional<json>{};
    return std::optional<json>{site_json(rows[0])};
  });
}

Result<PageList> ReadModel::list_pages(const TenantId& tenant, const SiteId& site,
                                       std::optional<std::string> status, std::optional<std::string> q,
                                       const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (status && *status != "draft" && *status != "published" && *status != "deleted")
    return invalid("status", "status must be draft, published or deleted");
  if (q) {
    if (q->size() > kMaxQueryBytes) return invalid("q", "q must be at most 200 bytes");
    if (!detail::is_valid_utf8(*q)) return invalid("q", "q must be UTF-8");
    for (char c : *q)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return invalid("q", "q has control characters");
    if (q->empty()) q.reset();
  }
  if (auto e = check_limit(params)) return *e;
  std::optional<detail::KeysetCursor> after;
  if (params.cursor) {
    after = detail::decode_keyset("pages", *params.cursor);
    if (!after) return bad_cursor();
  }
  PageList empty;
  empty.limit = params.limit;
  if (!detail::is_plain_id(site.value)) return empty;
  return run<PageList>(*pool_, config_.checkout_timeout, "list_pages", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    const std::string name = pages_statement(status.has_value(), q.has_value(), after.has_value());
    const std::string pattern = q ? contains_pattern(*q) : std::string();
    pqxx::result rows;
    // Parameters in the order pages_sql numbers them.
    if (status && q && after)
      rows = t.exec_prepared(name, site.value, *status, pattern, after->ts, after->id, fetch);
    else if (status && q)
      rows = t.exec_prepared(name, site.value, *status, pattern, fetch);
    else if (status && after)
      rows = t.exec_prepared(name, site.value, *status, after->ts, after->id, fetch);
    else if (status)
      rows = t.exec_prepared(name, site.value, *status, fetch);
    else if (q && after)
      rows = t.exec_prepared(name, site.value, pattern, after->ts, after->id, fetch);
    else if (q)
      rows = t.exec_prepared(name, site.value, pattern, fetch);
    else if (after)
      rows = t.exec_prepared(name, site.value, after->ts, after->id, fetch);
    else
      rows = t.exec_prepared(name, site.value, fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i)
      out.items.push_back(page_json_of(rows[static_cast<pqxx::result::size_type>(i)], false));
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset("pages", {last["updatedAt"].get<std::string>(),
                                                        last["pageId"].get<std::string>()});
    }
    return out;
  });
}

Result<std::optional<json>> ReadModel::get_page(const TenantId& tenant, const PageId& page) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!detail::is_plain_id(page.value)) return std::optional<json>{};
  return run<std::optional<json>>(*pool_, config_.checkout_timeout, "get_page", [&](Lease& lease) {
    pqxx::nontransaction t(lease.conn());
    auto rows = t.exec_prepared("pw_q_page_in_tenant", tenant.value, page.value);
    if (rows.empty()) return std::optional<json>{};
    return std::optional<json>{page_json_of(rows[0], true)};
  });
}

Result<PageList> ReadModel::page_history(const TenantId& tenant, const PageId& page, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<int64_t> after;
  if (params.cursor) {
    after = detail::decode_seq(*params.cursor);
    if (!after) return bad_cursor();
  }
  PageList empty;
  empty.limit = params.limit;
  if (!detail::is_plain_id(page.value)) return empty;
  return run<PageList>(*pool_, config_.checkout_timeout, "page_history", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_history_after", page.value, *after, fetch)
                      : t.exec_prepared("pw_q_history", page.value, fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    int64_t last_seq = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto& r = rows[static_cast<pqxx::result::size_type>(i)];
      last_seq = r[0].as<int64_t>();
      out.items.push_back(parse_column(r[1]));
    }
    if (rows.size() > n) out.next_cursor = detail::encode_seq(last_seq);
    return out;
  });
}

Result<PageList> ReadModel::list_deployments(const TenantId& tenant, const SiteId& site,
                                             const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<detail::KeysetCursor> after;
  if (params.cursor) {
    after = detail::decode_keyset("deployments", *params.cursor);
    if (!after) return bad_cursor();
  }
  PageList empty;
  empty.limit = params.limit;
  if (!detail::is_plain_id(site.value)) return empty;
  return run<PageList>(*pool_, config_.checkout_timeout, "list_deployments", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_deployments_after", site.value, after->ts, after->id, fetch)
                      : t.exec_prepared("pw_q_deployments", site.value, fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i)
      out.items.push_back(deployment_json(rows[static_cast<pqxx::result::size_type>(i)]));
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset(
          "deployments", {last["requestedAt"].get<std::string>(), last["deploymentId"].get<std::string>()});
    }
    return out;
  });
}

Result<std::optional<json>> ReadModel::get_deployment(const TenantId& tenant, const DeploymentId& id) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!detail::is_plain_id(id.value)) return std::optional<json>{};
  return run<std::optional<json>>(*pool_, config_.checkout_timeout, "get_deployment", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    auto rows = t.exec_prepared("pw_q_deployment", id.value);
    t.commit();
    if (rows.empty()) return std::optional<json>{};
    return std::optional<json>{deployment_json(rows[0])};
  });
}

Result<bool> ReadModel::wait_for_position(std::string_view position, std::chrono::milliseconds timeout) {
  const auto pos = parse_position(position);
  if (!pos) return invalid("position", "position must be <partition>:<offset>");
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  auto delay = std::chrono::microseconds(1000);
  for (;;) {
    // One short transaction per poll; the connection goes back to the pool in between.
    auto passed = run<bool>(*pool_, config_.checkout_timeout, "wait_for_position", [&](Lease& lease) {
      pqxx::read_transaction t(lease.conn());
      auto rows = t.exec_prepared("pw_q_offset", config_.projector, config_.topic, pos->partition);
      t.commit();
      return !rows.empty() && rows[0][0].as<int64_t>() > pos->offset;
    });
    if (!passed.ok() || *passed) return passed;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, std::chrono::microseconds(10000));
  }
}

Result<SiteEventPositions> ReadModel::site_event_positions(const TenantId& tenant, const SiteId& site,
                                                           int32_t partition, int64_t after_seq, int64_t limit) {
  if (auto e = check_tenant(tenant)) return *e;
  if (limit < 1 || limit > 100000) return invalid("limit", "limit must be between 1 and 100000");
  if (!detail::is_plain_id(site.value)) return SiteEventPositions{};
  return run<SiteEventPositions>(*pool_, config_.checkout_timeout, "site_event_positions", [&](Lease& lease)
                                     -> Result<SiteEventPositions> {
    // One snapshot for both reads: rows and offsets are committed together.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> t(lease.conn());
    // Both statements must read one schema: a switch of the active read model
    // between them would pair the old offsets with the new rows (or the other
    // way round) under this snapshot.
    t.exec_prepared("pw_q_tenant_stable", tenant.value, log::kReadModelSwitchLock);
    auto offset = t.exec_prepared("pw_q_offset", config_.projector, config_.topic, partition);
    auto rows = t.exec_prepared("pw_q_positions", site.value, after_seq, limit);
    t.commit();
    SiteEventPositions out;
    if (!offset.empty()) out.projected_to = offset[0][0].as<int64_t>();
    out.events.reserve(rows.size());
    for (const auto& r : rows) {
      if (r[1].is_null() || r[2].is_null())
        return make_error(Errc::unavailable, "the read model has no log position for seq " +
                                                 r[0].as<std::string>() + " of site " + site.value +
                                                 " (projected before positions were recorded): "
                                                 "rebuild it with `pagewright rebuild`");
      out.events.push_back({r[0].as<int64_t>(), r[1].as<int32_t>(), r[2].as<int64_t>()});
    }
    return out;
  });
}

Result<std::vector<EventPosition>> ReadModel::page_event_positions(const TenantId& tenant, const PageId& page,
                                                                   int64_t after_version,
                                                                   std::optional<int64_t> max_version,
                                                                   std::optional<int64_t> max_at) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!detail::is_plain_id(page.value)) return std::vector<EventPosition>{};
  return run<std::vector<EventPosition>>(*pool_, config_.checkout_timeout, "page_event_positions",
                                         [&](Lease& lease) -> Result<std::vector<EventPosition>> {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    // Exact µs arithmetic (no floating point) for an instant bound.
    auto rows = t.exec_prepared("pw_q_page_positions_at", page.value, after_version,
                                max_version.value_or(std::numeric_limits<int64_t>::max()),
                                max_at.value_or(int64_t{253402300799} * 1000000));  // 9999-12-31T23:59:59Z
    t.commit();
    std::vector<EventPosition> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      if (r[1].is_null() || r[2].is_null())
        return make_error(Errc::unavailable, "the read model has no log position for seq " + r[0].as<std::string>() +
                                                 " of page " + page.value +
                                                 ": rebuild it with `pagewright rebuild`");
      out.push_back({r[0].as<int64_t>(), r[1].as<int32_t>(), r[2].as<int64_t>()});
    }
    return out;
  });
}

Result<PageList> ReadModel::page_versions(const TenantId& tenant, const PageId& page, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<int64_t> below;
  if (params.cursor) {
    below = detail::decode_seq(*params.cursor, "versions");
    if (!below) return bad_cursor();
  }
  PageList empty;
  empty.limit = params.limit;
  if (!detail::is_plain_id(page.value)) return empty;
  return run<PageList>(*pool_, config_.checkout_timeout, "page_versions", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    auto rows = t.exec_prepared("pw_q_versions", page.value, below.value_or(std::numeric_limits<int64_t>::max()),
                                params.limit + 1);
    // A page has few labels: their current state is folded here (a label
    // moves when given to another version; a version has at most one).
    auto label_rows = t.exec_prepared("pw_q_version_labels", page.value);
    t.commit();
    std::map<int64_t, std::string> labels;
    for (const auto& r : label_rows) {
      const int64_t version = r[0].as<int64_t>();
      const std::string label = r[1].as<std::string>();
      std::erase_if(labels, [&](const auto& kv) { return kv.second == label; });
      labels[version] = label;
    }
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i) {
      const auto& r = rows[static_cast<pqxx::result::size_type>(i)];
      const int64_t version = r[0].as<int64_t>();
      json item{{"version", version},
                {"at", r[1].as<std::string>()},
                {"actor", r[2].as<std::string>()},
                {"events", json::array({r[3].as<std::string>()})}};
      if (auto it = labels.find(version); it != labels.end()) item["label"] = it->second;
      out.items.push_back(std::move(item));
    }
    if (rows.size() > n) out.next_cursor = detail::encode_seq(out.items.back()["version"].get<int64_t>(), "versions");
    return out;
  });
}

Result<void> ReadModel::ping() {
  auto r = run<bool>(*pool_, config_.checkout_timeout, "ping", [&](Lease& lease) {
    pqxx::nontransaction t(lease.conn());
    return t.exec_prepared1("pw_q_ping")[0].as<int>() == 1;
  });
  if (!r.ok()) return r.error();
  return {};
}

// ---------------------------------------------------------------------------
// Templates (migration 0004)

namespace {

const std::string kTemplateColumns =
    "template_id, site_id, source_page_id, name, description, content::text, " + ts("created_at");

json template_json(const pqxx::row& r) {
  return json{{"templateId", r[0].as<std::string>()},  {"siteId", r[1].as<std::string>()},
              {"sourcePageId", r[2].as<std::string>()}, {"name", r[3].as<std::string>()},
              {"description", r[4].as<std::string>()},  {"builtIn", false},
              {"content", parse_column(r[5])},           {"createdAt", r[6].as<std::string>()}};
}

}  // namespace

namespace detail {
void prepare_template_statements(pqxx::connection& c) {
  c.prepare("pw_q_template", "SELECT " + kTemplateColumns + " FROM templates WHERE template_id = $1");
  c.prepare("pw_q_templates", "SELECT " + kTemplateColumns +
                                  " FROM templates ORDER BY created_at DESC, template_id DESC LIMIT $1");
  c.prepare("pw_q_templates_after", "SELECT " + kTemplateColumns +
                                        " FROM templates WHERE (created_at, template_id) < ($1::timestamptz, $2) "
                                        "ORDER BY created_at DESC, template_id DESC LIMIT $3");
}
}  // namespace detail

Result<PageList> ReadModel::list_templates(const TenantId& tenant, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<detail::KeysetCursor> after;
  if (params.cursor) {
    after = detail::decode_keyset("templates", *params.cursor);
    if (!after) return bad_cursor();
  }
  return run<PageList>(*pool_, config_.checkout_timeout, "list_templates", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_templates_after", after->ts, after->id, fetch)
                      : t.exec_prepared("pw_q_templates", fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i) out.items.push_back(template_json(rows[static_cast<pqxx::result::size_type>(i)]));
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset("templates", {last["createdAt"].get<std::string>(),
                                                            last["templateId"].get<std::string>()});
    }
    return out;
  });
}

Result<std::optional<json>> ReadModel::get_template(const TenantId& tenant, const TemplateId& id) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!site_of(id)) return std::optional<json>{};  // no stored id looks like that
  return run<std::optional<json>>(*pool_, config_.checkout_timeout, "get_template", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    auto rows = t.exec_prepared("pw_q_template", id.value);
    t.commit();
    if (rows.empty()) return std::optional<json>{};
    return std::optional<json>{template_json(rows[0])};
  });
}

// ---------------------------------------------------------------------------
// Media assets (migration 0006)

namespace {

const std::string kAssetColumns = "asset_id, site_id, hash, content_type, bytes, width, height, filename, "
                                  "variants::text, " + ts("created_at");

json asset_json(const pqxx::row& r) {
  return json{{"assetId", r[0].as<std::string>()},     {"siteId", r[1].as<std::string>()},
              {"hash", r[2].as<std::string>()},        {"contentType", r[3].as<std::string>()},
              {"bytes", r[4].as<int64_t>()},           {"width", r[5].as<int64_t>()},
              {"height", r[6].as<int64_t>()},          {"filename", r[7].as<std::string>()},
              {"variants", parse_column(r[8])},        {"createdAt", r[9].as<std::string>()}};
}

}  // namespace

namespace detail {
void prepare_asset_statements(pqxx::connection& c) {
  c.prepare("pw_q_asset", "SELECT " + kAssetColumns + " FROM assets WHERE asset_id = $1");
  c.prepare("pw_q_assets", "SELECT " + kAssetColumns +
                               " FROM assets WHERE site_id = $1 ORDER BY created_at DESC, asset_id DESC LIMIT $2");
  c.prepare("pw_q_assets_after", "SELECT " + kAssetColumns +
                                     " FROM assets WHERE site_id = $1 AND (created_at, asset_id) < "
                                     "($2::timestamptz, $3) ORDER BY created_at DESC, asset_id DESC LIMIT $4");
}
}  // namespace detail

Result<PageList> ReadModel::list_assets(const TenantId& tenant, const SiteId& site, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  std::optional<detail::KeysetCursor> after;
  if (params.cursor) {
    after = detail::decode_keyset("assets", *params.cursor);
    if (!after) return bad_cursor();
  }
  return run<PageList>(*pool_, config_.checkout_timeout, "list_assets", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_assets_after", site.value, after->ts, after->id, fetch)
                      : t.exec_prepared("pw_q_assets", site.value, fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i) out.items.push_back(asset_json(rows[static_cast<pqxx::result::size_type>(i)]));
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset("assets", {last["createdAt"].get<std::string>(),
                                                         last["assetId"].get<std::string>()});
    }
    return out;
  });
}

Result<std::optional<json>> ReadModel::get_asset(const TenantId& tenant, const AssetId& id) {
  if (auto e = check_tenant(tenant)) return *e;
  if (!site_of(id)) return std::optional<json>{};  // no stored id looks like that
  return run<std::optional<json>>(*pool_, config_.checkout_timeout, "get_asset", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    auto rows = t.exec_prepared("pw_q_asset", id.value);
    t.commit();
    if (rows.empty()) return std::optional<json>{};
    return std::optional<json>{asset_json(rows[0])};
  });
}

// --- the audit log --------------------------------------------------------

namespace {

// Filters absent are '' (and the widest time range), so one plan serves all.
std::string audit_sql(bool cursor) {
  std::string sql = "SELECT site_id, seq, type, actor, " + ts("occurred_at") +
                    ", command_id, hash FROM page_events "
                    "WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR type = $2) AND ($3 = '' OR site_id = $3) "
                    "AND occurred_at >= $4::timestamptz AND occurred_at < $5::timestamptz";
  if (cursor) sql += " AND (occurred_at, site_id, seq) < ($7::timestamptz, $8, $9)";
  return sql + " ORDER BY occurred_at DESC, site_id DESC, seq DESC LIMIT $6";
}

constexpr std::string_view kEarliest = "0001-01-01T00:00:00.000000Z";
constexpr std::string_view kLatest = "9999-12-31T23:59:59.999999Z";
constexpr size_t kMaxActorBytes = 200;

std::optional<Error> check_audit_filter(const AuditFilter& f) {
  if (f.actor && (f.actor->empty() || f.actor->size() > kMaxActorBytes || !detail::is_valid_utf8(*f.actor)))
    return invalid("actor", "actor must be 1-200 bytes of UTF-8");
  if (f.type && !detail::is_plain_id(*f.type)) return invalid("type", "type must be an event type name");
  if (f.site && !detail::is_plain_id(f.site->value)) return invalid("siteId", "siteId is not a site id");
  for (const auto& [field, value] : {std::pair{"from", &f.from}, {"to", &f.to}})
    if (*value && !detail::is_canonical_timestamp(**value))
      return invalid(field, std::string(field) + " must be an RFC 3339 UTC timestamp");
  return std::nullopt;
}

// The keyset of an audit row: its time, and "<siteId>/<seq>".
std::optional<std::tuple<std::string, std::string, int64_t>> decode_audit_cursor(std::string_view cursor) {
  auto c = detail::decode_keyset("audit", cursor);
  if (!c) return std::nullopt;
  const auto slash = c->id.rfind('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  int64_t seq = 0;
  const auto digits = std::string_view(c->id).substr(slash + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc() || end != digits.data() + digits.size() || seq < 1) return std::nullopt;
  return std::tuple{c->ts, c->id.substr(0, slash), seq};
}

}  // namespace

namespace detail {

void prepare_audit_statements(pqxx::connection& c) {
  c.prepare("pw_q_audit", audit_sql(false));
  c.prepare("pw_q_audit_after", audit_sql(true));
}

}  // namespace detail

Result<PageList> ReadModel::audit(const TenantId& tenant, const AuditFilter& filter, const ListParams& params) {
  if (auto e = check_tenant(tenant)) return *e;
  if (auto e = check_limit(params)) return *e;
  if (auto e = check_audit_filter(filter)) return *e;
  std::optional<std::tuple<std::string, std::string, int64_t>> after;
  if (params.cursor) {
    after = decode_audit_cursor(*params.cursor);
    if (!after) return bad_cursor();
  }
  return run<PageList>(*pool_, config_.checkout_timeout, "audit", [&](Lease& lease) {
    pqxx::read_transaction t(lease.conn());
    scope(t, tenant);
    const std::string actor = filter.actor.value_or(""), type = filter.type.value_or("");
    const std::string site = filter.site ? filter.site->value : std::string();
    const std::string from = filter.from.value_or(std::string(kEarliest));
    const std::string to = filter.to.value_or(std::string(kLatest));
    const int64_t fetch = params.limit + 1;
    auto rows = after ? t.exec_prepared("pw_q_audit_after", actor, type, site, from, to, fetch, std::get<0>(*after),
                                        std::get<1>(*after), std::get<2>(*after))
                      : t.exec_prepared("pw_q_audit", actor, type, site, from, to, fetch);
    t.commit();
    PageList out;
    out.limit = params.limit;
    const auto n = std::min<size_t>(rows.size(), static_cast<size_t>(params.limit));
    for (size_t i = 0; i < n; ++i) {
      const auto& r = rows[static_cast<pqxx::result::size_type>(i)];
      out.items.push_back(json{{"siteId", r[0].as<std::string>()},
                               {"seq", r[1].as<int64_t>()},
                               {"type", r[2].as<std::string>()},
                               {"actor", r[3].as<std::string>()},
                               {"at", r[4].as<std::string>()},
                               {"commandId", r[5].as<std::string>()},
                               {"hash", r[6].is_null() ? json(nullptr) : json(r[6].as<std::string>())}});
    }
    if (rows.size() > n) {
      const auto& last = out.items.back();
      out.next_cursor = detail::encode_keyset(
          "audit", {last["at"].get<std::string>(),
                    last["siteId"].get<std::string>() + "/" + std::to_string(last["seq"].get<int64_t>())});
    }
    return out;
  });
}

json page_json(const log::PageRowText& p, bool with_content) {
  json j{{"pageId", p.page_id},
         {"siteId", p.site_id},
         {"slug", p.slug},
         {"title", p.title},
         {"description", p.description},
         {"seo", parse_text(p.seo, "seo")},
         {"status", p.status},
         {"version", p.version},
         {"publishedVersion", p.published_version},
         {"updatedAt", p.updated_at}};
  if (with_content) j["content"] = parse_text(p.content, "content");
  return j;
}

}  // namespace pw::queries
