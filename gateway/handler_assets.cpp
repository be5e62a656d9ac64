// Media assets (API.md "Media assets"): the upload is checked and resized by
// pagewright::media on the blocking pool, its blobs stored, and then it is one
// UploadAsset command like any write; reads come from the assets read model
// and the blobs.
#include <string_view>

#include "commands/assets.hpp"
#include "commands/validation.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "gateway/asset_store.hpp"
#include "gateway/handler_internal.hpp"
#include "media/media.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

Error not_found() { return make_error(Errc::not_found, "no such resource"); }

Result<SiteId> site_param(const Gateway::Exchange& ex) {
  const std::string& id = ex.param("siteId");
  if (!is_uuid(id)) return not_found();
  return SiteId{id};
}

Result<AssetId> asset_param(const Gateway::Exchange& ex) {
  AssetId id{ex.param("assetId")};
  if (!site_of(id)) return not_found();
  return id;
}

Result<AssetStore*> asset_store(const Gateway::Exchange& ex) {
  AssetStore* store = ex.gw.deps().assets;
  if (store == nullptr) return make_error(Errc::unavailable, "this gateway stores no assets (no deploy store)");
  return store;
}

// The caller's tenant has the site (else 404, before any work on the bytes).
Result<void> check_site_visible(const Gateway::Exchange& ex, const SiteId& site) {
  auto visible = site_visible_to(ex, site);
  if (!visible.ok()) return visible.error();
  if (!*visible) return not_found();
  return {};
}

// ?filename= is kept for people (lists, the editor); never a path.
Result<std::string> filename_param(const Gateway::Exchange& ex) {
  const auto q = ex.query();
  const auto it = q.find("filename");
  if (it == q.end()) return std::string();
  const std::string& name = it->second;
  auto bad = [](std::string message) {
    return make_error(Errc::validation_error, "invalid query parameter", {{"filename", std::move(message)}});
  };
  if (domain::utf8_length(name) > static_cast<int64_t>(domain::kMaxAssetFilenameChars))
    return bad("at most " + std::to_string(domain::kMaxAssetFilenameChars) + " characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return bad("no control characters or slashes");
  return name;
}

std::string content_url(const std::string& asset_id) { return "/v1/assets/" + asset_id + "/content"; }

// A read-model row as the API shows it (blob hashes stay inside).
json public_asset(const json& row) {
  json variants = json::array();
  for (const auto& v : row.value("variants", json::array()))
    variants.push_back({{"width", v.value("width", 0)}, {"height", v.value("height", 0)}});
  const std::string id = row.value("assetId", "");
  return json{{"assetId", id},
              {"siteId", row.value("siteId", "")},
              {"url", content_url(id)},
              {"contentType", row.value("contentType", "")},
              {"bytes", row.value("bytes", 0)},
              {"width", row.value("width", 0)},
              {"height", row.value("height", 0)},
              {"filename", row.value("filename", "")},
              {"variants", std::move(variants)},
              {"createdAt", row.value("createdAt", "")}};
}

Result<domain::AssetUploaded> store_image(AssetStore& store, const SiteId& site, const std::string& bytes,
                                          std::string filename) {
  auto image = media::process_image(bytes);
  if (!image.ok()) return image.error();
  auto hash = store.put(bytes);
  if (!hash.ok()) return hash.error();
  domain::AssetUploaded a;
  a.assetId = make_asset_id(site, *hash);
  a.hash = *hash;
  a.contentType = image->contentType;
  a.bytes = static_cast<int64_t>(bytes.size());
  a.width = image->width;
  a.height = image->height;
  a.filename = std::move(filename);
  for (const media::Variant& v : image->variants) {
    auto vhash = store.put(v.bytes);
    if (!vhash.ok()) return vhash.error();
    a.variants.push_back({v.width, v.height, *vhash, static_cast<int64_t>(v.bytes.size())});
  }
  return a;
}

}  // namespace

Result<Built> build_upload_asset(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto site = site_param(ex);
  if (!site.ok()) return site.error();
  b.site = *site;
  auto filename = filename_param(ex);
  if (!filename.ok()) return filename.error();
  auto store = asset_store(ex);
  if (!store.ok()) return store.error();
  if (auto visible = check_site_visible(ex, b.site); !visible.ok()) return visible.error();
  auto asset = store_image(**store, b.site, ex.request.body, std::move(*filename));
  if (!asset.ok()) return asset.error();
  // The same file again is the same asset: it keeps its name and time.
  auto existing = ex.gw.deps().read_model.get_asset(ex.principal.tenant, asset->assetId);
  if (!existing.ok()) return existing.error();
  json shown = public_asset(domain::codec::asset_uploaded_to_json(*asset));
  shown["siteId"] = b.site.str();
  if (existing->has_value()) {
    shown["filename"] = (**existing).value("filename", "");
    shown["createdAt"] = (**existing).value("createdAt", "");
  }
  b.created_status = 201;
  b.created_field = "assetId";
  b.created_id = asset->assetId.str();
  b.command = domain::UploadAsset{std::move(asset).value()};
  b.finish_data = [shown = std::move(shown)](json& data, const domain::CommandMeta& meta) {
    for (const auto& [key, value] : shown.items()) data[key] = value;
    if (data["createdAt"] == "") data["createdAt"] = meta.occurredAt;
  };
  return b;
}

Result<Built> build_delete_asset(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  auto asset = asset_param(ex);
  if (!asset.ok()) return asset.error();
  b.site = *site_of(*asset);
  if (!ex.request.body.empty()) {
    auto body = parse_body(ex.request.body);
    if (!body.ok()) return body.error();
    if (auto unknown = reject_unknown_fields(*body, {}); !unknown.ok()) return unknown.error();
  }
  b.command = domain::DeleteAsset{*asset};
  return b;
}

void list_assets(const ExchangePtr& ex) {
  const auto q = ex->query();
  auto limit = int_param(q, "limit", 1, queries::kMaxLimit);
  if (!limit.ok()) return ex->fail(limit.error());
  queries::ListParams params;
  if (*limit) params.limit = **limit;
  if (auto it = q.find("cursor"); it != q.end()) params.cursor = it->second;
  auto site = site_param(*ex);
  if (!site.ok()) return ex->fail(site.error());
  if (auto visible = check_site_visible(*ex, *site); !visible.ok()) return ex->fail(visible.error());
  auto list = ex->gw.deps().read_model.list_assets(ex->principal.tenant, *site, params);
  if (!list.ok()) return ex->fail(list.error());
  json items = json::array();
  for (const auto& row : list->items) items.push_back(public_asset(row));
  ex->ok_list(std::move(items), Pagination{list->limit, list->next_cursor});
}

void get_asset(const ExchangePtr& ex) {
  auto id = asset_param(*ex);
  if (!id.ok()) return ex->fail(id.error());
  auto row = ex->gw.deps().read_model.get_asset(ex->principal.tenant, *id);
  if (!row.ok()) return ex->fail(row.error());
  if (!row->has_value()) return ex->fail(not_found());
  ex->ok(200, public_asset(**row));
}

// The original bytes, for the editor (a Bearer token is needed, so it
// fetches them as a blob). The type is the one recognised at upload, never
// sniffed again by the browser.
void get_asset_content(const ExchangePtr& ex) {
  auto id = asset_param(*ex);
  if (!id.ok()) return ex->fail(id.error());
  auto store = asset_store(*ex);
  if (!store.ok()) return ex->fail(store.error());
  auto row = ex->gw.deps().read_model.get_asset(ex->principal.tenant, *id);
  if (!row.ok()) return ex->fail(row.error());
  if (!row->has_value()) return ex->fail(not_found());
  const std::string hash = (**row).value("hash", "");
  auto bytes = (*store)->read(hash);
  if (!bytes.ok()) return ex->fail(bytes.error());
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", (**row).value("contentType", "application/octet-stream"));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  r.headers.emplace_back("Cache-Control", "private, max-age=31536000, immutable");  // the id names these bytes
  r.headers.emplace_back("ETag", "\"" + hash + "\"");
  r.body = std::move(bytes).value();
  ex->send(std::move(r));
}

}  // namespace pw::gateway
