// The built-in themes: each file is a complete token set valid under
// schemas/design-tokens.json, the renderer lays a site's tokens over the named
// one, and what it makes stays readable (contrast) and deterministic.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "tests/render/dom.hpp"
#include "commands/themes.hpp"

namespace pw::render::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
// The built-in themes are domain data (commands/themes.hpp).
using domain::builtin_theme;
using domain::builtin_themes_json;
using domain::resolve_tokens;

json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

const fs::path kSchemas = fs::path(PW_SOURCE_DIR) / "schemas";

// Every name a theme must define, as the schema's descriptions list them.
const std::map<std::string, std::vector<std::string>> kRequired = {
    {"colors", {"primary", "on-primary", "secondary", "accent", "background", "surface", "text", "muted", "border"}},
    {"typography", {"body", "heading", "base", "scale", "line-height", "heading-weight"}},
    {"spacing", {"xs", "sm", "md", "lg", "xl", "section", "container"}},
    {"radii", {"sm", "md", "lg", "button"}},
};

std::vector<std::string> schema_errors(const json& doc) {
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  const json schema_doc = read_json(kSchemas / "design-tokens.json");
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  std::vector<std::string> errors;
  if (!validator.validate(schema, adapter, &results)) {
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      std::string at;
      for (const auto& c : e.context) at += c;
      errors.push_back(at + ": " + e.description);
    }
  }
  return errors;
}

double luminance(const std::string& hex) {
  auto channel = [&](size_t at) {
    double c = std::stoi(hex.substr(at, 2), nullptr, 16) / 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

double contrast(const std::string& a, const std::string& b) {
  double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

TEST(Themes, EveryThemeFileIsACompleteValidTokenSet) {
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(kSchemas / "themes")) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().stem().string();
    files.insert(name);
    const json theme = read_json(entry.path());
    EXPECT_EQ(schema_errors(theme), std::vector<std::string>{}) << name;
    EXPECT_EQ(theme.value("theme", ""), name) << "a theme names itself";
    for (const auto& [group, names] : kRequired) {
      for (const std::string& n : names) EXPECT_TRUE(theme[group].contains(n)) << name << ": " << group << "." << n;
    }
  }
  EXPECT_TRUE(files.contains("classic") && files.contains("modern") && files.contains("dark"));
  // The schema's enum of theme names is exactly the built-in themes.
  const json schema = read_json(kSchemas / "design-tokens.json");
  std::set<std::string> enumerated;
  for (const auto& n : schema["properties"]["theme"]["enum"]) enumerated.insert(n.get<std::string>());
  EXPECT_EQ(enumerated, files);
  // And the binary carries the same files.
  std::set<std::string> built_in;
  for (const auto& t : builtin_themes_json()) {
    built_in.insert(t["name"].get<std::string>());
    EXPECT_EQ(t["tokens"], read_json(kSchemas / "themes" / (t["name"].get<std::string>() + ".json")));
  }
  EXPECT_EQ(built_in, files);
}

TEST(Themes, TextColoursMeetWcagAaContrast) {
  for (const auto& t : builtin_themes_json()) {
    const json& c = t["tokens"]["colors"];
    auto ratio = [&](const char* fg, const char* bg) { return contrast(c[fg], c[bg]); };
    const std::string name = t["name"];
    for (const char* bg : {"background", "surface"}) {
      EXPECT_GE(ratio("text", bg), 7.0) << name << " text on " << bg;
      EXPECT_GE(ratio("muted", bg), 4.5) << name << " muted on " << bg;
      EXPECT_GE(ratio("primary", bg), 4.5) << name << " links on " << bg;
      EXPECT_GE(ratio("accent", bg), 3.0) << name << " focus ring on " << bg;
    }
    // Button labels, the hero's text over its gradient, inverse sections.
    EXPECT_GE(ratio("on-primary", "primary"), 4.5) << name;
    EXPECT_GE(ratio("on-primary", "secondary"), 4.5) << name;
  }
}

TEST(Themes, SiteTokensOverrideTheNamedThemeByName) {
  json resolved = resolve_tokens({{"theme", "dark"}, {"colors", {{"primary", "#ff8800"}, {"brand", "#123456"}}}});
  const json& dark = *builtin_theme("dark");
  EXPECT_EQ(resolved["colors"]["primary"], "#ff8800");
  EXPECT_EQ(resolved["colors"]["brand"], "#123456");
  EXPECT_EQ(resolved["colors"]["background"], dark["colors"]["background"]);
  EXPECT_EQ(resolved["spacing"], dark["spacing"]);
  EXPECT_EQ(resolve_tokens(json::object()), *builtin_theme("classic")) << "classic is the default";
  EXPECT_EQ(builtin_theme("neon"), nullptr);
}

TEST(Themes, StylesheetCarriesTheThemeAndDarkSetsTheColourScheme) {
  auto pages = std::vector<PageInput>{page("", "Home", {comp("Hero", {{"title", "Hi"}})})};
  SiteInput classic = site();
  SiteInput dark = site();
  dark.designTokens = {{"theme", "dark"}};
  SiteRenderer a(classic, pages), b(dark, pages);
  EXPECT_NE(a.stylesheet().find("--color-background: #ffffff;"), std::string::npos);
  EXPECT_NE(b.stylesheet().find("--color-background: #0b1120;"), std::string::npos);
  EXPECT_EQ(a.stylesheet().find("color-scheme: dark"), std::string::npos);
  EXPECT_NE(b.stylesheet().find("color-scheme: dark"), std::string::npos);
  EXPECT_NE(a.stylesheet_path(), b.stylesheet_path());
  EXPECT_NE(a.page_key(pages[0]), b.page_key(pages[0]));
  // The same input makes the same bytes.
  EXPECT_EQ(SiteRenderer(dark, pages).stylesheet(), b.stylesheet());
  EXPECT_EQ(render_ok(SiteRenderer(dark, pages), pages[0]), render_ok(b, pages[0]));
  // A Section's colour-token background is a class, one per colour token.
  auto sectioned = std::vector<PageInput>{page("", "Home", {comp("Section", {{"background", "surface"}})})};
  const std::string with_sections = SiteRenderer(dark, sectioned).stylesheet();
  EXPECT_NE(with_sections.find(".pw-bg-surface{--pw-section-bg:var(--color-surface)}"), std::string::npos);
  EXPECT_EQ(b.stylesheet().find(".pw-bg-"), std::string::npos) << "no Section, no background classes";
  // The favicon is drawn in the theme's colours.
  auto icon = link_hrefs(parse_html(render_ok(b, pages[0])).get(), "icon");
  ASSERT_EQ(icon.size(), 1u);
  EXPECT_EQ(icon[0].rfind("data:image/svg+xml,", 0), 0u);
  EXPECT_NE(icon[0].find("%2360a5fa"), std::string::npos) << icon[0];
}

}  // namespace
}  // namespace pw::render::test
