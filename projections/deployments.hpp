#pragma once
// The deployments read model: what the projector does with Deployment* events,
// inside its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_deployment_statements(pqxx::connection& c);
// Write the deployment rows each Deployment* event changes.
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentRequested& e);
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentStarted& e);
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentSucceeded& e);
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentFailed& e);
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentRolledBack& e);
void project_deployment(pqxx::work& txn, const Envelope& env, const domain::DeploymentsPruned& e);

}  // namespace pw::projections
