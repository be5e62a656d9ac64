// Media assets: UploadAsset and DeleteAsset, and the check every command's
// events meet: each "asset:<id>" in an image prop names a live asset of the
// site (checked on the events, so every command that writes props, content or
// SEO is covered, whichever decider made them).
#include <algorithm>

#include "commands/assets.hpp"
#include "commands/components.hpp"
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<Error> check_asset_route(const AssetId& id, const CommandMeta& m) {
  auto site = site_of(id);
  if (!site) return invalid("assetId", "malformed asset id");
  if (*site != m.siteId) return invalid("assetId", "asset id does not belong to this site");
  return std::nullopt;
}

// What the gateway measured; it is trusted for the pixels, never for its shape.
std::optional<Error> check_upload(const AssetUploaded& a) {
  if (!is_hex64(a.hash)) return invalid("hash", "must be 64 lowercase hex digits");
  if (a.assetId.value.size() < 32 || a.assetId.value.substr(a.assetId.value.size() - 32) != a.hash.substr(0, 32))
    return invalid("assetId", "must derive from the hash of the bytes");
  if (asset_extension(a.contentType).empty())
    return reject(Errc::unsupported_media_type, "contentType", "must be a PNG, JPEG, WebP, GIF or AVIF image");
  if (a.bytes < 1 || a.bytes > kMaxAssetBytes)
    return reject(Errc::payload_too_large, "bytes", "at most " + std::to_string(kMaxAssetBytes) + " bytes");
  if (a.width < 1 || a.height < 1 || a.width > kMaxAssetSide || a.height > kMaxAssetSide ||
      a.width * a.height > kMaxAssetPixels)
    return unprocessable("width", "at most " + std::to_string(kMaxAssetSide) + " pixels a side and " +
                                      std::to_string(kMaxAssetPixels) + " pixels in all");
  if (utf8_length(a.filename) > static_cast<int64_t>(kMaxAssetFilenameChars))
    return invalid("filename", "at most " + std::to_string(kMaxAssetFilenameChars) + " characters");
  if (a.variants.size() > 8) return invalid("variants", "at most 8 variants");
  for (size_t i = 0; i < a.variants.size(); ++i) {
    const AssetVariant& v = a.variants[i];
    const std::string at = "variants[" + std::to_string(i) + "]";
    if (!is_hex64(v.hash)) return invalid(at + ".hash", "must be 64 lowercase hex digits");
    if (v.width < 1 || v.width >= a.width || v.height < 1 || v.height > a.height || v.bytes < 1)
      return invalid(at, "a variant is narrower than the original");
  }
  return std::nullopt;
}

// ---- references in events

void content_refs(const nlohmann::json& content, const std::string& prefix, std::vector<AssetRef>& out, int depth) {
  if (!content.is_array() || depth > kMaxTreeDepth) return;
  for (size_t i = 0; i < content.size(); ++i) {
    const nlohmann::json& c = content[i];
    if (!c.is_object()) continue;
    const std::string at = prefix + "[" + std::to_string(i) + "]";
    if (auto p = c.find("props"); p != c.end()) collect_asset_refs(*p, at + ".props", out);
    if (auto s = c.find("slots"); s != c.end() && s->is_object())
      for (const auto& [slot, children] : s->items()) content_refs(children, at + ".slots." + slot, out, depth + 1);
  }
}

void seo_ref(const std::string& og_image, const std::string& field, std::vector<AssetRef>& out) {
  if (auto id = asset_ref_id(og_image)) out.push_back({field, std::string(*id)});
}

// Every alternative needs its own overload, or this does not compile: a new
// event that carries props, content or SEO must say where its references are.
void refs(const SiteCreated&, std::vector<AssetRef>&) {}
void refs(const SiteSettingsUpdated& e, std::vector<AssetRef>& out) {
  if (e.seo) seo_ref(e.seo->ogImage, "seo.ogImage", out);
}
void refs(const PageCreated& e, std::vector<AssetRef>& out) { content_refs(e.content, "content", out, 1); }
void refs(const PageMetadataUpdated& e, std::vector<AssetRef>& out) {
  if (e.seo) seo_ref(e.seo->ogImage, "seo.ogImage", out);
}
void refs(const PageSlugChanged&, std::vector<AssetRef>&) {}
void refs(const ComponentAdded& e, std::vector<AssetRef>& out) { collect_asset_refs(e.props, "props", out); }
void refs(const ComponentPropsUpdated& e, std::vector<AssetRef>& out) {
  collect_asset_refs(e.patch, "props", out);  // what the edit sets; the rest was checked when it was set
}
void refs(const ComponentMoved&, std::vector<AssetRef>&) {}
void refs(const ComponentRemoved&, std::vector<AssetRef>&) {}
void refs(const PagePublished&, std::vector<AssetRef>&) {}
void refs(const DeploymentRequested&, std::vector<AssetRef>&) {}
void refs(const DeploymentStarted&, std::vector<AssetRef>&) {}
void refs(const DeploymentSucceeded&, std::vector<AssetRef>&) {}
void refs(const DeploymentFailed&, std::vector<AssetRef>&) {}
void refs(const DeploymentRolledBack&, std::vector<AssetRef>&) {}
void refs(const DeploymentsPruned&, std::vector<AssetRef>&) {}
void refs(const PageDeleted&, std::vector<AssetRef>&) {}
void refs(const PageRestored&, std::vector<AssetRef>&) {}
void refs(const PageUnpublished&, std::vector<AssetRef>&) {}
void refs(const PageDuplicated& e, std::vector<AssetRef>& out) {
  content_refs(e.content, "content", out, 1);
  seo_ref(e.seo.ogImage, "seo.ogImage", out);
}
void refs(const TemplateSaved&, std::vector<AssetRef>&) {}  // a template is a tenant's, not a site's
void refs(const TemplateDeleted&, std::vector<AssetRef>&) {}
void refs(const DesignTokensUpdated&, std::vector<AssetRef>&) {}
void refs(const PageVersionLabelled&, std::vector<AssetRef>&) {}
void refs(const PageVersionRestored& e, std::vector<AssetRef>& out) {
  content_refs(e.content, "content", out, 1);
  seo_ref(e.seo.ogImage, "seo.ogImage", out);
}
void refs(const PreviewRequested&, std::vector<AssetRef>&) {}
void refs(const PreviewReady&, std::vector<AssetRef>&) {}
void refs(const PreviewFailed&, std::vector<AssetRef>&) {}
void refs(const AssetUploaded&, std::vector<AssetRef>&) {}
void refs(const AssetDeleted&, std::vector<AssetRef>&) {}

}  // namespace

std::optional<Error> check_asset_refs(const SiteState& s, const Events& events) {
  std::vector<AssetRef> found;
  for (const DomainEvent& e : events) std::visit([&](const auto& ev) { refs(ev, found); }, e);
  std::vector<ErrorDetail> details;
  for (const AssetRef& r : found) {
    const AssetState* a = find_asset(s, AssetId{r.assetId});
    if (a && !a->deleted) continue;
    if (details.size() == kMaxAssetRefDetails) {
      details.push_back({r.field, "more unknown assets not listed"});
      break;
    }
    details.push_back({r.field, a ? "asset " + r.assetId + " was deleted" : "no asset " + r.assetId + " in this site"});
  }
  if (details.empty()) return std::nullopt;
  return make_error(Errc::unprocessable, "unknown asset", std::move(details));
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const UploadAsset& c) {
  if (auto e = check_asset_route(c.asset.assetId, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  if (auto e = check_upload(c.asset)) return *e;
  const AssetState* a = find_asset(s, c.asset.assetId);
  if (auto e = check_version(a ? a->version : 0, m)) return *e;
  if (a && !a->deleted) return Events{};  // the same file again: the same asset
  return one(AssetUploaded{c.asset});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const DeleteAsset& c) {
  if (auto e = check_asset_route(c.assetId, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  const AssetState* a = find_asset(s, c.assetId);
  if (!a || a->deleted) return reject(Errc::not_found, "assetId", "asset not found");
  if (auto e = check_version(a->version, m)) return *e;
  std::vector<ErrorDetail> uses;
  for (const auto& [id, page] : s.pages)
    if (page.publishedAssets.contains(c.assetId.value))
      uses.push_back({"assetId", "used by the published page " + id.value + " (/" + page.slug + ")"});
  if (asset_ref_id(s.seo.ogImage) == std::optional<std::string_view>(c.assetId.value))
    uses.push_back({"assetId", "used by the site's seo.ogImage"});
  if (!uses.empty()) return make_error(Errc::unprocessable, "the asset is in use", std::move(uses));
  return one(AssetDeleted{c.assetId});
}

}  // namespace pw::domain::detail
