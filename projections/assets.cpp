#include "projections/assets.hpp"

namespace pw::projections {

void prepare_asset_statements(pqxx::connection& c) {
  c.prepare("pw_asset_upsert",
            "INSERT INTO assets (tenant_id, asset_id, site_id, hash, content_type, bytes, width, height, "
            "filename, variants, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11) "
            "ON CONFLICT (asset_id) DO UPDATE SET hash = EXCLUDED.hash, content_type = EXCLUDED.content_type, "
            "bytes = EXCLUDED.bytes, width = EXCLUDED.width, height = EXCLUDED.height, "
            "filename = EXCLUDED.filename, variants = EXCLUDED.variants, created_at = EXCLUDED.created_at");
  c.prepare("pw_asset_delete", "DELETE FROM assets WHERE asset_id = $1");
}

void project_asset(pqxx::work& txn, const Envelope& env, const domain::AssetUploaded& e) {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : e.variants)
    variants.push_back({{"width", v.width}, {"height", v.height}, {"hash", v.hash}, {"bytes", v.bytes}});
  txn.exec_prepared("pw_asset_upsert", env.tenant_id, e.assetId.value, env.site_id, e.hash, e.contentType, e.bytes,
                    e.width, e.height, e.filename, variants.dump(), env.occurred_at);
}

void project_asset(pqxx::work& txn, const Envelope&, const domain::AssetDeleted& e) {
  txn.exec_prepared("pw_asset_delete", e.assetId.value);
}

}  // namespace pw::projections
