#pragma once
// The deployments read model: what the projector does with Deployment* events,
// inside its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_deployment_statements(pqxx::connection& c);
// Writes the deployment rows a Deployment* event changes; false (nothing
// written) for every other event.
bool project_deployment(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event);

}  // namespace pw::projections
