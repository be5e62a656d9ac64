#include "projections/deployments.hpp"

namespace pw::projections {
namespace {

using nlohmann::json;

json report_json(const domain::DeploymentReport& r) {
  return json{{"pagesRendered", r.pagesRendered}, {"pagesReused", r.pagesReused},
              {"files", r.files},                 {"bytes", r.bytes},
              {"renderMs", r.renderMs},           {"shipMs", r.shipMs},
              {"checkMs", r.checkMs},             {"totalMs", r.totalMs}};
}

json log_json(const std::vector<std::string>& lines) {
  json a = json::array();
  for (const auto& l : lines) a.push_back(l);
  return a;
}

}  // namespace

void prepare_deployment_statements(pqxx::connection& c) {
  c.prepare("pw_dep_insert",
            "INSERT INTO deployments (tenant_id, deployment_id, site_id, environment, strategy, "
            "version, requested_by, requested_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)");
  c.prepare("pw_dep_started",
            "UPDATE deployments SET status = 'building', started_at = $2, worker = $3, version = $4, "
            "updated_at = $2 WHERE deployment_id = $1");
  // The environment's previous live deployment stops being live first (one
  // live deployment per site and environment, a unique index).
  c.prepare("pw_dep_unlive",
            "UPDATE deployments SET live = false, updated_at = $3 "
            "WHERE site_id = $1 AND environment = $2 AND live");
  c.prepare("pw_dep_environment", "SELECT environment FROM deployments WHERE deployment_id = $1");
  c.prepare("pw_dep_succeeded",
            "UPDATE deployments SET status = 'succeeded', finished_at = $2, manifest_hash = $3, "
            "url = $4, report = $5::jsonb, log = $6::jsonb, live = true, live_since = $2, "
            "version = $7, updated_at = $2 WHERE deployment_id = $1");
  c.prepare("pw_dep_failed",
            "UPDATE deployments SET status = 'failed', finished_at = $2, error = $3, log = $4::jsonb, "
            "version = $5, updated_at = $2 WHERE deployment_id = $1");
  c.prepare("pw_dep_live",
            "UPDATE deployments SET live = true, live_since = $2, version = $3, updated_at = $2 "
            "WHERE deployment_id = $1");
  c.prepare("pw_dep_pruned",
            "UPDATE deployments SET pruned = true, updated_at = $2 WHERE deployment_id = $1");
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentRequested& e) {
  txn.exec_prepared("pw_dep_insert", env.tenant_id, e.deploymentId.value, env.site_id, e.environment, e.strategy,
                    env.aggregate.version, env.actor, env.occurred_at);
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentStarted& e) {
  txn.exec_prepared("pw_dep_started", e.deploymentId.value, env.occurred_at, e.worker, env.aggregate.version);
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentSucceeded& e) {
  auto row = txn.exec_prepared1("pw_dep_environment", e.deploymentId.value);
  txn.exec_prepared("pw_dep_unlive", env.site_id, row[0].as<std::string>(), env.occurred_at);
  txn.exec_prepared("pw_dep_succeeded", e.deploymentId.value, env.occurred_at, e.manifestHash, e.url,
                    report_json(e.report).dump(), log_json(e.log).dump(), env.aggregate.version);
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentFailed& e) {
  txn.exec_prepared("pw_dep_failed", e.deploymentId.value, env.occurred_at, e.reason, log_json(e.log).dump(),
                    env.aggregate.version);
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentRolledBack& e) {
  txn.exec_prepared("pw_dep_unlive", env.site_id, e.environment, env.occurred_at);
  txn.exec_prepared("pw_dep_live", e.deploymentId.value, env.occurred_at, env.aggregate.version);
}

void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentsPruned& e) {
  for (const auto& id : e.deploymentIds) txn.exec_prepared("pw_dep_pruned", id.value, env.occurred_at);
}

}  // namespace pw::projections
