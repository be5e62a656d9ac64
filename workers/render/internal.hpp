#pragma once
// Shared by the renderer's .cpp files only; mstch and cmark stay behind it.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "commands/state.hpp"
#include "events/result.hpp"
#include "workers/render/render.hpp"

namespace pw::render::detail {

// templates.cpp
struct ComponentTemplate {
  std::string_view type;
  std::string open;         // Mustache
  std::string_view close;   // literal; inner HTML goes between open and close
};
const std::string& layout_template();      // up to and including <main>
const std::string& layout_end_template();  // </main> and the footer
const ComponentTemplate* component_template(std::string_view type);  // nullptr: unknown type
// Built-in types by index (ComponentSet bits); -1 / "" outside.
int component_index(std::string_view type);
std::string_view component_type(size_t index);
std::string_view root_css();  // declarations inside :root derived from the tokens (type scale)
std::string_view base_css();
std::string_view component_css(std::string_view type);

// markdown.cpp: GFM without raw HTML; unsafe link/image URLs become "#".
// Text over kMaxMarkdownChars or the table limits is refused unparsed
// (Errc::payload_too_large with the reason).
inline constexpr size_t kMaxMarkdownChars = 20000;  // Text's schema maxLength, the largest
Result<void> markdown_within_limits(std::string_view markdown);
Result<std::string> markdown_to_html(std::string_view markdown);

// components.cpp
struct ComponentContext {
  const std::set<std::string>* color_tokens = nullptr;  // for Section background
  std::set<std::string> ids;                            // ids already used on the page
  size_t max_bytes = SIZE_MAX;                          // of the page's components together
  size_t bytes = 0;                                     // rendered so far
  std::optional<Error> failed;                          // set: the page cannot be rendered
  const std::map<std::string, domain::AssetUploaded>* assets = nullptr;  // the site's, for asset: refs
  std::string root;                                     // root_prefix of the page: asset paths are relative
  const std::vector<NavEntry>* nav = nullptr;           // a Navbar without links lists these
  std::string slug;                                     // the page's: relative links, aria-current
};

// assets.cpp: an image prop as <img> attributes. "asset:<id>" of a known asset
// becomes its shipped file with srcset (its variants and itself by width),
// `sizes`, and its width and height; any other value goes through clean_url
// (src only); an unknown asset yields an empty src.
struct ImageAttrs {
  std::string src, srcset, sizes;
  int64_t width = 0, height = 0;
};
ImageAttrs image_attrs(const nlohmann::json& props, const char* key, const ComponentContext& ctx,
                       std::string_view sizes);
// "asset:<id>" → "assets/<hash>.<ext>" (from the site root), else the value as is;
// "" for an unknown asset.
std::string resolve_asset_url(std::string_view value, const std::map<std::string, domain::AssetUploaded>& assets);
// Stops at the first failure (ctx.failed): a Text over the Markdown limits,
// or output past ctx.max_bytes.
std::string render_components(const std::vector<domain::Component>& list, ComponentContext& ctx,
                              int depth = 0);
void collect_types(const std::vector<domain::Component>& list, uint32_t& out, int depth = 0);
nlohmann::json components_key_json(const std::vector<domain::Component>& list, int depth = 0);

// stylesheet.cpp
struct Tokens {
  std::map<std::string, std::string> vars;  // "--color-primary" → "#1d4ed8"
  std::set<std::string> colors;             // valid colour token names
  std::vector<std::string> dropped;         // "<group>.<name>: why", left out of the CSS
};
// The site's token set ({theme?, colors?, …}) over its theme's.
Tokens design_tokens(const nlohmann::json& site_tokens);
bool dark_background(const Tokens& tokens);
std::string favicon_uri(const Tokens& tokens);  // an SVG in the theme's colours
std::string build_stylesheet(const Tokens& tokens, const std::set<std::string>& types);
bool valid_token_name(std::string_view name);
bool safe_css_value(std::string_view value);

// text.cpp
bool valid_slug(std::string_view slug);
std::string root_prefix(std::string_view slug);  // "" for home, "../../" for "a/b"
std::string clean_url(std::string_view url);     // "" if unsafe, else spaces etc. percent-encoded
bool is_absolute_http(std::string_view url);
std::string site_lang(const nlohmann::json& settings);
std::string xml_escape(std::string_view s);
std::string json_for_script(const nlohmann::json& j);  // no "<", ">", "&" left
std::string dump(const nlohmann::json& j);             // compact, never throws on bad UTF-8

}  // namespace pw::render::detail
