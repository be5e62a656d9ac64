#pragma once
// The templates read model: what the projector does with Template* events,
// inside its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_template_statements(pqxx::connection& c);
// Writes the template row a Template* event changes; false (nothing written)
// for every other event.
bool project_template(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event);

}  // namespace pw::projections
