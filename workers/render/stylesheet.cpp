// The site stylesheet: design tokens as CSS custom properties, then the base
// CSS and the CSS of each component type some page uses. Token names and
// values are allowlisted character by character, so a token can neither end
// its declaration nor load anything (no ";", "{", "}", "\\", quotes, url()).
#include <algorithm>
#include <array>
#include <cctype>

#include "workers/render/internal.hpp"

namespace pw::render::detail {
namespace {

struct Group {
  const char* key;     // under settings.designTokens
  const char* prefix;  // of the custom property
};
constexpr std::array<Group, 4> kGroups = {{
    {"colors", "--color-"}, {"typography", "--font-"}, {"spacing", "--space-"}, {"radii", "--radius-"}}};

const std::map<std::string, std::string>& defaults() {
  static const std::map<std::string, std::string> d = {
      {"--color-primary", "#2563eb"},
      {"--color-text", "#111827"},
      {"--color-background", "#ffffff"},
      {"--color-muted", "#6b7280"},
      {"--font-body", "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
      {"--font-heading", "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
      {"--space-xs", ".25rem"},
      {"--space-sm", ".5rem"},
      {"--space-md", "1rem"},
      {"--space-lg", "2rem"},
      {"--space-xl", "4rem"},
      {"--radius-sm", "4px"},
      {"--radius-md", "8px"},
      {"--radius-lg", "16px"},
  };
  return d;
}

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

Tokens design_tokens(const nlohmann::json& settings) {
  Tokens t;
  t.vars = defaults();
  for (const auto& [name, value] : t.vars) {
    if (name.starts_with("--color-")) t.colors.insert(name.substr(8));
  }
  if (!settings.is_object()) return t;
  auto dt = settings.find("designTokens");
  if (dt == settings.end() || !dt->is_object()) return t;
  for (const Group& g : kGroups) {
    auto group = dt->find(g.key);
    if (group == dt->end() || !group->is_object()) continue;
    for (const auto& [name, value] : group->items()) {
      if (!valid_token_name(name) || !value.is_string()) continue;
      const auto& v = value.get_ref<const std::string&>();
      if (!safe_css_value(v)) continue;
      t.vars[g.prefix + name] = v;
      if (std::string_view(g.key) == "colors") t.colors.insert(name);
    }
  }
  return t;
}

std::string build_stylesheet(const Tokens& tokens, const std::set<std::string>& types) {
  std::string css = ":root{\n";
  for (const auto& [name, value] : tokens.vars) css += "  " + name + ": " + value + ";\n";
  css += "}\n";
  css += base_css();
  for (const std::string& type : types) css += component_css(type);
  return css;
}

}  // namespace pw::render::detail
