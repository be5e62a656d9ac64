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

bool project_asset(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event) {
  if (const auto* up = std::get_if<domain::AssetUploaded>(&event)) {
    nlohmann::json variants = nlohmann::json::array();
    for (const auto& v : up->variants)
      variants.push_back({{"width", v.width}, {"height", v.height}, {"hash", v.hash}, {"bytes", v.bytes}});
    txn.exec_prepared("pw_asset_upsert", env.tenant_id, up->assetId.value, env.site_id, up->hash, up->contentType,
                      up->bytes, up->width, up->height, up->filename, variants.dump(), env.occurred_at);
    return true;
  }
  if (const auto* deleted = std::get_if<domain::AssetDeleted>(&event)) {
    txn.exec_prepared("pw_asset_delete", deleted->assetId.value);
    return true;
  }
  return false;
}

}  // namespace pw::projections
