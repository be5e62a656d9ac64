// `pagewright status`: the renderers of a Status and the subcommand.
#include "ops/cli/status.hpp"

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "events/logging.hpp"
#include "ops/cli/cli.hpp"

namespace pw::cli {
namespace {

std::string or_dash(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

std::string partitions_text(const std::vector<int32_t>& ps) {
  std::string out;
  for (auto p : ps) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out.empty() ? "none" : out;
}

std::string owners_summary(const PoolStatus& p) {
  if (p.owners_from == "broker")
    return std::to_string(p.members.size()) + (p.members.size() == 1 ? " member" : " members") +
           (p.group_state.empty() ? "" : " (" + p.group_state + ")");
  if (p.owners_from == "metrics")
    return p.owned_in_process ? "in-process (serve): " + std::to_string(*p.owned_in_process) + " partitions"
                              : "in-process (serve): none";
  return "in-process (serve)";
}

struct Table {
  std::vector<std::vector<std::string>> rows;
  std::string render(const std::string& indent) const {
    std::vector<size_t> width;
    for (const auto& r : rows)
      for (size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], r[i].size());
      }
    std::ostringstream out;
    for (const auto& r : rows) {
      std::string line = indent;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
      }
      out << line << "\n";
    }
    return out.str();
  }
};

nlohmann::json optional_json(const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

int run_status(const StatusSources& sources, bool json) {
  auto s = gather_status(sources);
  if (!s.ok()) {
    logging::error("status", {{"error", s.error().message}});
    return 2;
  }
  std::cout << (json ? render_status_json(*s) + "\n" : render_status_text(*s));
  std::cout.flush();
  return s->problems.empty() ? 0 : 1;
}

}  // namespace

std::string render_status_text(const Status& s) {
  std::ostringstream out;
  out << "log " << s.log << "\n\n";
  Table pools{{{"POOL", "GROUP", "OWNERS", "LAG"}}};
  for (const auto& p : s.pools) pools.rows.push_back({p.pool, p.group, owners_summary(p), or_dash(p.lag)});
  out << pools.render("");
  if (std::any_of(s.pools.begin(), s.pools.end(), [](const PoolStatus& p) { return p.owners_from == "in-process"; }))
    out << "(the local log's group members live in the process that owns it, serve; "
           "--metrics http://HOST:PORT/metrics asks it how many partitions each pool holds)\n";
  for (const auto& p : s.pools) {
    out << "\n" << p.pool << ": " << p.topic << ", offsets from the "
        << (p.offsets_from == "group" ? "group" : "read model (projection_offsets)") << "\n";
    for (const auto& m : p.members)
      out << "  member " << m.client_id << "@" << m.host << " owns " << partitions_text(m.partitions) << "\n";
    if (p.partitions.empty()) {
      out << "  no partitions (" << p.topic << " does not exist yet, or was not read)\n";
      continue;
    }
    Table parts{{{"PARTITION", "COMMITTED", "END", "LAG", "OWNER"}}};
    for (const auto& ps : p.partitions)
      parts.rows.push_back({std::to_string(ps.partition), or_dash(ps.committed), std::to_string(ps.end),
                            or_dash(ps.lag), ps.owner.empty() ? "-" : ps.owner});
    out << parts.render("  ");
  }
  out << "\nrecent deployments";
  if (!s.deployments) {
    out << ": not read (no --pg, or PostgreSQL did not answer)\n";
  } else if (s.deployments->empty()) {
    out << ": none\n";
  } else {
    out << " (newest first)\n";
    Table deps{{{"REQUESTED", "DEPLOYMENT", "TENANT", "SITE", "ENV", "STATUS", "VERSION", "SECONDS", "LIVE"}}};
    for (const auto& d : *s.deployments) {
      std::ostringstream secs;
      if (d.seconds) secs << std::fixed << std::setprecision(2) << *d.seconds;
      deps.rows.push_back({d.requested_at, d.deployment_id, d.tenant_id, d.site_id, d.environment,
                           d.status + (d.error ? " (" + *d.error + ")" : ""), std::to_string(d.version),
                           d.seconds ? secs.str() : "-", d.live ? "live" : ""});
    }
    out << deps.render("  ");
  }
  if (!s.problems.empty()) {
    out << "\nproblems\n";
    for (const auto& p : s.problems) out << "  " << p << "\n";
  }
  return out.str();
}

std::string render_status_json(const Status& s) {
  nlohmann::json pools = nlohmann::json::array();
  for (const auto& p : s.pools) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& ps : p.partitions)
      parts.push_back({{"partition", ps.partition},
                       {"committed", optional_json(ps.committed)},
                       {"end", ps.end},
                       {"lag", optional_json(ps.lag)},
                       {"owner", ps.owner.empty() ? nlohmann::json() : nlohmann::json(ps.owner)}});
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : p.members)
      members.push_back({{"clientId", m.client_id}, {"host", m.host}, {"memberId", m.id}, {"partitions", m.partitions}});
    nlohmann::json owners = {{"from", p.owners_from}};
    if (p.owners_from == "broker") {
      owners["groupState"] = p.group_state;
      owners["members"] = members;
    }
    if (p.owners_from == "metrics") owners["ownedInProcess"] = optional_json(p.owned_in_process);
    pools.push_back({{"pool", p.pool},
                     {"group", p.group},
                     {"topic", p.topic},
                     {"offsetsFrom", p.offsets_from},
                     {"lag", optional_json(p.lag)},
                     {"owners", owners},
                     {"partitions", parts}});
  }
  nlohmann::json out = {{"log", s.log}, {"backend", s.backend}, {"pools", pools}, {"problems", s.problems}};
  if (s.deployments) {
    nlohmann::json deps = nlohmann::json::array();
    for (const auto& d : *s.deployments)
      deps.push_back({{"deploymentId", d.deployment_id},
                      {"tenantId", d.tenant_id},
                      {"siteId", d.site_id},
                      {"environment", d.environment},
                      {"status", d.status},
                      {"version", d.version},
                      {"requestedAt", d.requested_at},
                      {"finishedAt", d.finished_at ? nlohmann::json(*d.finished_at) : nlohmann::json()},
                      {"seconds", d.seconds ? nlohmann::json(*d.seconds) : nlohmann::json()},
                      {"worker", d.worker},
                      {"error", d.error ? nlohmann::json(*d.error) : nlohmann::json()},
                      {"live", d.live}});
    out["deployments"] = deps;
  } else {
    out["deployments"] = nullptr;
  }
  return out.dump();
}

Runner add_status(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "status", "Pools, partition owners, lag and recent deployments: what to run first when something looks wrong");
  auto sources = std::make_shared<StatusSources>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--log", sources->log_uri, "event log: kafka:<bootstrap> or local:<dir> (opened read-only)")
      ->envname("PW_LOG")
      ->required();
  cmd->add_option("--pg", sources->pg,
                  "PostgreSQL conninfo of the read models' owner: projection lag and recent deployments")
      ->envname("PW_PG");
  cmd->add_option("--metrics", sources->metrics_url,
                  "a serve's metrics (http://HOST:PORT/metrics): who owns the local log's partitions");
  cmd->add_option("--deployments", sources->deployments, "how many recent deployments")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", *json, "one JSON object, for scripts");
  return [cmd, sources, json]() -> int {
    if (!*cmd) return -1;
    return run_status(*sources, *json);
  };
}

}  // namespace pw::cli
