#pragma once
// Media asset references in a site's content: a prop that names an image
// holds either a URL or "asset:<assetId>". Image props are found by name at
// any depth of a component's props ("src", "image" and every "…Image", e.g.
// "ogImage", "backgroundImage"), so a new component type's image props are
// covered without a list to keep.
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands/state.hpp"

namespace pw::domain {

inline constexpr std::string_view kAssetRefPrefix = "asset:";
inline constexpr int64_t kMaxAssetBytes = int64_t{10} << 20;  // API.md: over 10 MiB → 413
inline constexpr int64_t kMaxAssetSide = 16384;               // pixels, either side
inline constexpr int64_t kMaxAssetPixels = 50'000'000;
inline constexpr size_t kMaxAssetFilenameChars = 255;

bool is_image_prop_name(std::string_view name);
// The asset id of "asset:<id>", nullopt for anything else.
std::optional<std::string_view> asset_ref_id(std::string_view value);

// One reference: where it sits ("props.src", "content[0].props.image") and the id it names.
struct AssetRef {
  std::string field;
  std::string assetId;
};
// The references in one component's props (`prefix` names the props object).
void collect_asset_refs(const nlohmann::json& props, const std::string& prefix, std::vector<AssetRef>& out);
// The references in a component tree (content_to_json's shape, or Components).
void collect_asset_refs(const std::vector<Component>& content, const std::string& prefix,
                        std::vector<AssetRef>& out);
// The ids a page uses: its content and seo.ogImage.
std::set<std::string> assets_used(const std::vector<Component>& content, const PageSeo& seo);

// The five types an upload may be (API.md), by MIME type; "" for any other.
std::string_view asset_extension(std::string_view content_type);

}  // namespace pw::domain
