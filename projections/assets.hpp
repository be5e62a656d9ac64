#pragma once
// The assets read model: what the projector does with Asset* events, inside
// its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_asset_statements(pqxx::connection& c);
// Writes the asset row an Asset* event changes; false (nothing written) for
// every other event.
bool project_asset(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event);

}  // namespace pw::projections
