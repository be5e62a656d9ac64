#include "projections/recent_deployments.hpp"

#include <pqxx/pqxx>

namespace pw::projections {

Result<std::vector<DeploymentSummary>> recent_deployments(const std::string& conninfo, int limit) {
  try {
    pqxx::connection conn(conninfo);
    pqxx::read_transaction txn(conn);
    txn.exec("SELECT set_config('pagewright.operator', 'status', true)");
    std::vector<DeploymentSummary> out;
    for (const auto& row : txn.exec_params(
             "SELECT deployment_id, tenant_id, site_id, environment, status, version, "
             "to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
             "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
             "extract(epoch FROM finished_at - started_at)::float8, worker, error, live "
             "FROM deployments ORDER BY requested_at DESC, deployment_id DESC LIMIT $1",
             limit)) {
      DeploymentSummary d;
      d.deployment_id = row[0].as<std::string>();
      d.tenant_id = row[1].as<std::string>();
      d.site_id = row[2].as<std::string>();
      d.environment = row[3].as<std::string>();
      d.status = row[4].as<std::string>();
      d.version = row[5].as<int64_t>();
      d.requested_at = row[6].as<std::string>();
      if (!row[7].is_null()) d.finished_at = row[7].as<std::string>();
      if (!row[8].is_null()) d.seconds = row[8].as<double>();
      d.worker = row[9].as<std::string>();
      if (!row[10].is_null()) d.error = row[10].as<std::string>();
      d.live = row[11].as<bool>();
      out.push_back(std::move(d));
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("recent deployments: ") + e.what());
  }
}

}  // namespace pw::projections
