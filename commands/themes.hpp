#pragma once
// The built-in themes: a complete design-token set each (schemas/themes/<name>.json,
// valid under schemas/design-tokens.json), compiled into the binary. A site's
// tokens name one (default classic) and override its values by name. Domain
// data, like the component library: the renderer resolves a site's tokens
// with it and the gateway lists it (GET /v1/themes), so neither needs the
// other's library.
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

namespace pw::domain {

inline constexpr std::string_view kDefaultTheme = "classic";

struct ThemeSource {
  std::string_view name;
  std::string_view json;  // the file's text
};
std::span<const ThemeSource> theme_sources();  // sorted by name

// The theme's token set {theme, colors, typography, spacing, radii}; nullptr
// when no built-in theme has that name.
const nlohmann::json* builtin_theme(std::string_view name);

// [{name, tokens}] for every built-in theme, sorted by name: GET /v1/themes.
const nlohmann::json& builtin_themes_json();

// The site's token set resolved: the named theme's groups (kDefaultTheme when
// `site_tokens` names none or an unknown one) with the site's members laid
// over them by name. A group that is not an object is skipped (the theme's
// stays); members are merged unchecked, for the caller to check.
nlohmann::json resolve_tokens(const nlohmann::json& site_tokens);

}  // namespace pw::domain
