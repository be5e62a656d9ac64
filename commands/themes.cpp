#include "commands/themes.hpp"

#include <array>
#include <map>
#include <stdexcept>
#include <string>

namespace pw::domain {
namespace {

constexpr std::array<const char*, 4> kGroups = {"colors", "typography", "spacing", "radii"};

// Parsed once. The files are checked against the schema by a unit test, so a
// parse error here is a broken build, not bad input.
const std::map<std::string, nlohmann::json, std::less<>>& parsed() {
  static const auto themes = [] {
    std::map<std::string, nlohmann::json, std::less<>> out;
    for (const ThemeSource& t : theme_sources()) {
      out.emplace(std::string(t.name), nlohmann::json::parse(t.json));
    }
    if (!out.contains(kDefaultTheme)) throw std::logic_error("the default theme is not built in");
    return out;
  }();
  return themes;
}

}  // namespace

const nlohmann::json* builtin_theme(std::string_view name) {
  const auto& themes = parsed();
  auto it = themes.find(name);
  return it == themes.end() ? nullptr : &it->second;
}

const nlohmann::json& builtin_themes_json() {
  static const nlohmann::json list = [] {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, tokens] : parsed()) out.push_back({{"name", name}, {"tokens", tokens}});
    return out;
  }();
  return list;
}

nlohmann::json resolve_tokens(const nlohmann::json& site_tokens) {
  const nlohmann::json* theme = nullptr;
  if (site_tokens.is_object()) {
    auto name = site_tokens.find("theme");
    if (name != site_tokens.end() && name->is_string()) theme = builtin_theme(name->get_ref<const std::string&>());
  }
  if (theme == nullptr) theme = builtin_theme(kDefaultTheme);
  nlohmann::json out = *theme;
  if (!site_tokens.is_object()) return out;
  for (const char* group : kGroups) {
    auto own = site_tokens.find(group);
    if (own == site_tokens.end() || !own->is_object()) continue;  // the caller reports a non-object
    for (const auto& [name, value] : own->items()) out[group][name] = value;
  }
  return out;
}

}  // namespace pw::domain
