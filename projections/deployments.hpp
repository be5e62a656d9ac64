#pragma once
// The deployments read model: what the projector does with Deployment* events,
// inside its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_deployment_statements(pqxx::connection& c);
// Returns false when the event is not a deployment event (nothing written).
bool project_deployment(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event);

}  // namespace pw::projections
