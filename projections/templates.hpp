#pragma once
// The templates read model: what the projector does with Template* events,
// inside its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_template_statements(pqxx::connection& c);
// Write the template row each Template* event changes.
void project_template(pqxx::work& txn, const Envelope& env, const domain::TemplateSaved& e);
void project_template(pqxx::work& txn, const Envelope& env, const domain::TemplateDeleted& e);

}  // namespace pw::projections
