// Media assets in rendered pages: "asset:<id>" → the deploy's
// assets/<hash>.<ext>, with a srcset of its WebP variants.
#include "commands/assets.hpp"
#include "workers/render/internal.hpp"
#include "workers/render/render.hpp"

namespace pw::render {

std::string asset_path(const domain::AssetUploaded& a) {
  return "assets/" + a.hash + "." + std::string(domain::asset_extension(a.contentType));
}

std::string variant_path(const domain::AssetVariant& v) { return "assets/" + v.hash + ".webp"; }

namespace detail {

std::string resolve_asset_url(std::string_view value, const std::map<std::string, domain::AssetUploaded>& assets) {
  const auto id = domain::asset_ref_id(value);
  if (!id) return std::string(value);
  const auto it = assets.find(std::string(*id));
  return it == assets.end() ? std::string() : asset_path(it->second);
}

ImageAttrs image_attrs(const nlohmann::json& props, const char* key, const ComponentContext& ctx,
                       std::string_view sizes) {
  ImageAttrs out;
  const auto it = props.find(key);
  if (it == props.end() || !it->is_string()) return out;
  const std::string& value = it->get_ref<const std::string&>();
  const auto id = domain::asset_ref_id(value);
  if (!id) {
    out.src = clean_url(value);
    return out;
  }
  if (ctx.assets == nullptr) return out;
  const auto found = ctx.assets->find(std::string(*id));
  if (found == ctx.assets->end()) return out;  // deleted since (a draft preview): no image
  const domain::AssetUploaded& a = found->second;
  out.src = ctx.root + asset_path(a);
  out.width = a.width;
  out.height = a.height;
  if (a.variants.empty()) return out;
  for (const domain::AssetVariant& v : a.variants)
    out.srcset += ctx.root + variant_path(v) + " " + std::to_string(v.width) + "w, ";
  out.srcset += out.src + " " + std::to_string(a.width) + "w";
  out.sizes = std::string(sizes);
  return out;
}

}  // namespace detail
}  // namespace pw::render
