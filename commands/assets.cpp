#include "commands/assets.hpp"

#include "commands/components.hpp"

namespace pw::domain {
namespace {

using nlohmann::json;

void walk(const json& v, const std::string& path, bool image, std::vector<AssetRef>& out, int depth) {
  if (depth > kMaxTreeDepth * 4) return;  // props are depth-checked on the way in; this only bounds the walk
  if (v.is_string()) {
    if (!image) return;
    if (auto id = asset_ref_id(v.get_ref<const std::string&>())) out.push_back({path, std::string(*id)});
    return;
  }
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) walk(child, path + "." + key, is_image_prop_name(key), out, depth + 1);
    return;
  }
  if (v.is_array())
    for (size_t i = 0; i < v.size(); ++i) walk(v[i], path + "[" + std::to_string(i) + "]", image, out, depth + 1);
}

}  // namespace

bool is_image_prop_name(std::string_view name) {
  return name == "src" || name == "image" || (name.size() > 5 && name.ends_with("Image"));
}

std::optional<std::string_view> asset_ref_id(std::string_view value) {
  if (!value.starts_with(kAssetRefPrefix)) return std::nullopt;
  return value.substr(kAssetRefPrefix.size());
}

void collect_asset_refs(const json& props, const std::string& prefix, std::vector<AssetRef>& out) {
  if (!props.is_object()) return;
  for (const auto& [key, child] : props.items()) walk(child, prefix + "." + key, is_image_prop_name(key), out, 1);
}

void collect_asset_refs(const std::vector<Component>& content, const std::string& prefix,
                        std::vector<AssetRef>& out) {
  for (size_t i = 0; i < content.size(); ++i) {
    const std::string at = prefix + "[" + std::to_string(i) + "]";
    collect_asset_refs(content[i].props, at + ".props", out);
    for (const auto& [slot, children] : content[i].slots) collect_asset_refs(children, at + ".slots." + slot, out);
  }
}

std::set<std::string> assets_used(const std::vector<Component>& content, const PageSeo& seo) {
  std::vector<AssetRef> refs;
  collect_asset_refs(content, "content", refs);
  std::set<std::string> ids;
  for (auto& r : refs) ids.insert(std::move(r.assetId));
  if (auto id = asset_ref_id(seo.ogImage)) ids.insert(std::string(*id));
  return ids;
}

std::string_view asset_extension(std::string_view content_type) {
  if (content_type == "image/png") return "png";
  if (content_type == "image/jpeg") return "jpg";
  if (content_type == "image/webp") return "webp";
  if (content_type == "image/gif") return "gif";
  if (content_type == "image/avif") return "avif";
  return "";
}

}  // namespace pw::domain
