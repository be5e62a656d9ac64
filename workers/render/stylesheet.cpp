// The site stylesheet: the site's design tokens over its theme's as CSS custom
// properties, then the base CSS and the CSS of each component type some page
// uses. Token names and
// values are allowlisted character by character, so a token can neither end
// its declaration nor load anything (no ";", "{", "}", "\\", quotes, url()).
#include <algorithm>
#include <array>
#include <cctype>

#include <optional>

#include "workers/render/internal.hpp"
#include "commands/themes.hpp"

namespace pw::render::detail {
namespace {

struct Group {
  const char* key;     // in the token set
  const char* prefix;  // of the custom property
};
constexpr std::array<Group, 4> kGroups = {{
    {"colors", "--color-"}, {"typography", "--font-"}, {"spacing", "--space-"}, {"radii", "--radius-"}}};

bool contains_ci(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         }) != hay.end();
}

}  // namespace

bool valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > 41 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool safe_css_value(std::string_view v) {
  if (v.empty() || v.size() > 100) return false;
  bool chars_ok = std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '#' || c == '(' || c == ')' ||
           c == ',' || c == '.' || c == '%' || c == '_' || c == ' ' || c == '-';
  });
  return chars_ok && !contains_ci(v, "url(") && !contains_ci(v, "expression");
}

namespace {

// Members that pass the checks replace the value of the same name; the others
// are reported and the value they would have replaced (the theme's) stays.
void add_members(Tokens& t, const Group& g, const nlohmann::json& members) {
  for (const auto& [name, value] : members.items()) {
    const std::string where = std::string(g.key) + "." + name;
    if (!valid_token_name(name)) {
      t.dropped.push_back(where + ": not a token name");
    } else if (!value.is_string() || !safe_css_value(value.get_ref<const std::string&>())) {
      t.dropped.push_back(where + ": not a safe CSS value");
    } else {
      t.vars[g.prefix + name] = value.get<std::string>();
      if (std::string_view(g.key) == "colors") t.colors.insert(name);
    }
  }
}

}  // namespace

Tokens design_tokens(const nlohmann::json& site_tokens) {
  Tokens t;
  nlohmann::json theme_only = nlohmann::json::object();
  if (site_tokens.is_object() && site_tokens.contains("theme")) theme_only["theme"] = site_tokens["theme"];
  const nlohmann::json theme = domain::resolve_tokens(theme_only);
  for (const Group& g : kGroups) {
    if (auto group = theme.find(g.key); group != theme.end() && group->is_object()) add_members(t, g, *group);
  }
  if (!site_tokens.is_object()) return t;
  for (const Group& g : kGroups) {
    auto own = site_tokens.find(g.key);
    if (own == site_tokens.end()) continue;
    if (own->is_object()) {
      add_members(t, g, *own);
    } else {
      t.dropped.push_back(std::string(g.key) + ": not an object");
    }
  }
  return t;
}

namespace {

// "#rgb", "#rrggbb" or "#rrggbbaa" as 0..255 channels; nullopt otherwise.
std::optional<std::array<int, 3>> hex_rgb(std::string_view v) {
  if (v.empty() || v[0] != '#' || !std::all_of(v.begin() + 1, v.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    return std::nullopt;
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0' : (std::tolower(c) - 'a' + 10); };
  std::array<int, 3> rgb{};
  if (v.size() == 4) {
    for (size_t i = 0; i < 3; ++i) rgb[i] = digit(v[1 + i]) * 17;
  } else if (v.size() == 7 || v.size() == 9) {
    for (size_t i = 0; i < 3; ++i) rgb[i] = digit(v[1 + 2 * i]) * 16 + digit(v[2 + 2 * i]);
  } else {
    return std::nullopt;
  }
  return rgb;
}

std::string token(const Tokens& t, const std::string& name, std::string_view fallback) {
  auto it = t.vars.find(name);
  return it == t.vars.end() ? std::string(fallback) : it->second;
}

}  // namespace

bool dark_background(const Tokens& tokens) {
  auto rgb = hex_rgb(token(tokens, "--color-background", "#ffffff"));
  if (!rgb) return false;
  // Rec. 709 luma, enough to tell a dark page from a light one.
  return 0.2126 * (*rgb)[0] + 0.7152 * (*rgb)[1] + 0.0722 * (*rgb)[2] < 128;
}

std::string favicon_uri(const Tokens& tokens) {
  // Only hex colours go into the icon (the token checks allow more), so
  // nothing but "#" needs escaping inside the data: URI.
  auto hex = [&](const std::string& name, std::string_view fallback) {
    std::string v = token(tokens, name, fallback);
    if (!hex_rgb(v)) v = fallback;
    return "%23" + v.substr(1);
  };
  // Spaces are escaped too: the Nu checker refuses a URL with a raw space.
  return "data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%20viewBox='0%200%2032%2032'%3E"
         "%3Crect%20width='32'%20height='32'%20rx='8'%20fill='" + hex("--color-primary", "#1d4ed8") + "'/%3E"
         "%3Cpath%20d='M11%2024V8h6.5a5%205%200%200%201%200%2010H11'%20fill='none'%20stroke='" +
         hex("--color-on-primary", "#ffffff") + "'%20stroke-width='3'%20stroke-linejoin='round'/%3E%3C/svg%3E";
}

std::string build_stylesheet(const Tokens& tokens, const std::set<std::string>& types) {
  std::string css = ":root{\n";
  for (const auto& [name, value] : tokens.vars) css += "  " + name + ": " + value + ";\n";
  css += root_css();
  if (dark_background(tokens)) css += "  color-scheme: dark;\n";
  css += "}\n";
  css += base_css();
  for (const std::string& type : types) css += component_css(type);
  // A Section's background names a colour token through a class (see components.cpp).
  if (types.contains("Section")) {
    for (const std::string& name : tokens.colors) css += ".pw-bg-" + name + "{--pw-section-bg:var(--color-" + name + ")}\n";
  }
  return css;
}

}  // namespace pw::render::detail
