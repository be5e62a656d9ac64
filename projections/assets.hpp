#pragma once
// The assets read model: what the projector does with Asset* events, inside
// its batch transaction (already scoped to the event's tenant).
#include <pqxx/pqxx>

#include "events/domain.hpp"
#include "events/envelope.hpp"

namespace pw::projections {

void prepare_asset_statements(pqxx::connection& c);
// Write the asset row each Asset* event changes.
void project_asset(pqxx::work& txn, const Envelope& env, const domain::AssetUploaded& e);
void project_asset(pqxx::work& txn, const Envelope& env, const domain::AssetDeleted& e);

}  // namespace pw::projections
