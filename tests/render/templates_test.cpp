// The built-in page templates (schemas/templates/*.json): each is content a
// page could hold (the component library's schemas and the content limits,
// ids unique), reads like a real page, and renders under every theme.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iterator>
#include <fstream>
#include <set>
#include <sstream>

#include "commands/components.hpp"
#include "tests/support/schemas.hpp"
#include "commands/validation.hpp"
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

const fs::path kTemplates = fs::path(PW_SOURCE_DIR) / "schemas/templates";
const std::set<std::string> kBuiltIn = {"blank", "landing", "about", "pricing", "blog-post", "contact"};

json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::map<std::string, json> templates() {
  std::map<std::string, json> out;
  for (const auto& entry : fs::directory_iterator(kTemplates)) {
    if (entry.path().extension() == ".json") out[entry.path().stem().string()] = read_json(entry.path());
  }
  return out;
}

// What the deciders check of a component list, with the JSON path of each problem.
struct Checker {
  std::set<std::string> ids;
  size_t count = 0;
  std::vector<std::string> problems;

  void list(const json& components, const std::string& at, int depth) {
    if (!components.is_array()) return problems.push_back(at + ": not an array");
    if (depth > domain::kMaxTreeDepth) problems.push_back(at + ": deeper than the tree limit");
    for (size_t i = 0; i < components.size(); ++i) one(components[i], at + "[" + std::to_string(i) + "]", depth);
  }

  void one(const json& c, const std::string& at, int depth) {
    ++count;
    for (const auto& [key, value] : c.items()) {
      if (key != "id" && key != "type" && key != "props" && key != "slots") problems.push_back(at + "." + key + ": unknown member");
    }
    const std::string id = c.value("id", "");
    if (!domain::is_valid_component_id(id)) problems.push_back(at + ".id: not a component id");
    if (!ids.insert(id).second) problems.push_back(at + ".id: " + id + " is used twice");
    const std::string type = c.value("type", "");
    if (!domain::is_known_component_type(type)) return problems.push_back(at + ".type: unknown " + type);
    const json props = c.value("props", json::object());
    if (auto r = pw::test::test_schemas()->validate_component_props(type, props); !r.ok()) {
      std::string details;
      for (const auto& d : r.error().details) details += " " + d.field + ": " + d.message;
      problems.push_back(at + ".props: " + r.error().message + details);
    }
    const json slots = c.value("slots", json::object());
    for (const auto& [slot, children] : slots.items()) {
      if (!domain::has_slot(type, props, slot)) problems.push_back(at + ".slots." + slot + ": no such slot");
      list(children, at + ".slots." + slot, depth + 1);
    }
  }
};

domain::Component to_component(const json& j) {
  domain::Component c;
  c.id = ComponentId(j.at("id").get<std::string>());
  c.type = j.at("type").get<std::string>();
  c.props = j.value("props", json::object());
  const json slots = j.value("slots", json::object());
  for (const auto& [slot, children] : slots.items()) {
    for (const auto& child : children) c.slots[slot].push_back(to_component(child));
  }
  return c;
}

std::vector<domain::Component> content_of(const json& t) {
  std::vector<domain::Component> out;
  for (const auto& c : t["content"]) out.push_back(to_component(c));
  return out;
}

void collect(const json& list, std::vector<json>& out) {
  for (const auto& c : list) {
    out.push_back(c);
    const json slots = c.value("slots", json::object());
    for (const auto& [slot, children] : slots.items()) collect(children, out);
  }
}

std::vector<json> all_components(const json& t) {
  std::vector<json> out;
  collect(t["content"], out);
  return out;
}

TEST(Templates, TheSixBuiltInsAreShippedEachNamedByItsFile) {
  auto all = templates();
  std::set<std::string> names;
  for (const auto& [file, t] : all) {
    names.insert(file);
    EXPECT_EQ(t.value("templateId", ""), file);
    std::set<std::string> keys;
    for (const auto& [k, v] : t.items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"templateId", "name", "description", "content"})) << file;
    EXPECT_TRUE(domain::valid_text(t.value("name", ""), 100)) << file;
    EXPECT_TRUE(domain::valid_text(t.value("description", ""), domain::kMaxDescription)) << file;
  }
  for (const std::string& want : kBuiltIn) EXPECT_TRUE(names.contains(want)) << want;
}

TEST(Templates, ContentFitsTheComponentSchemasAndLimits) {
  for (const auto& [file, t] : templates()) {
    Checker check;
    check.list(t["content"], "content", 1);
    EXPECT_EQ(check.problems, std::vector<std::string>{}) << file;
    EXPECT_LE(check.count, domain::kMaxComponentsPerPage) << file;
    EXPECT_LE(domain::json_bytes(t["content"]), domain::kMaxPageContentBytes) << file;
    if (file == "blank") {
      EXPECT_EQ(check.count, 0u);
    }
  }
}

TEST(Templates, EachIsARealPageWithAHeroAndACallToAction) {
  for (const auto& [file, t] : templates()) {
    if (file == "blank") continue;
    auto components = all_components(t);
    ASSERT_FALSE(components.empty()) << file;
    EXPECT_EQ(t["content"][0]["type"], "Hero") << file << " opens with a hero";
    bool action = false;
    size_t words = 0;
    for (const auto& c : components) {
      const json& p = c["props"];
      action = action || c["type"] == "Button" || p.contains("ctaHref");
      for (const char* key : {"title", "subtitle", "text", "body"}) {
        if (p.contains(key)) {
          std::istringstream in(p[key].get<std::string>());
          words += static_cast<size_t>(std::distance(std::istream_iterator<std::string>(in),
                                                     std::istream_iterator<std::string>()));
        }
      }
    }
    EXPECT_TRUE(action) << file << " has a call to action";
    EXPECT_GE(words, 100u) << file << " has real copy";
  }
  auto count = [](const json& t, const std::string& type) {
    auto cs = all_components(t);
    return std::count_if(cs.begin(), cs.end(), [&](const json& c) { return c["type"] == type; });
  };
  auto all = templates();
  EXPECT_GE(count(all["pricing"], "Card"), 3) << "pricing cards";
  EXPECT_GE(count(all["landing"], "Card"), 3) << "services";
  const std::string contact = all["contact"].dump();
  EXPECT_NE(contact.find("mailto:"), std::string::npos);
  EXPECT_NE(contact.find("tel:"), std::string::npos);
}

TEST(Templates, RenderUnderEveryThemeWithHeadingsInOrder) {
  auto all = templates();
  std::vector<PageInput> pages;
  for (const auto& [file, t] : all) {
    if (file == "blank") continue;
    pages.push_back(page(file == "landing" ? "" : file, t["name"], content_of(t)));
  }
  for (const auto& theme : builtin_themes_json()) {
    SiteInput s = site();
    s.designTokens = {{"theme", theme["name"]}};
    SiteRenderer r(s, pages);
    EXPECT_TRUE(r.dropped_tokens().empty());
    for (const PageInput& p : pages) {
      auto html = r.render_page(p);
      ASSERT_TRUE(html.ok()) << p.slug << ": " << html.error().message;
      auto doc = parse_html(*html);
      // One h1, and no heading skips a level going down (the Nu checker and
      // Lighthouse both flag it).
      int previous = 0, h1 = 0;
      std::function<void(xmlNode*)> walk = [&](xmlNode* n) {
        for (; n != nullptr; n = n->next) {
          if (n->type == XML_ELEMENT_NODE) {
            std::string name = reinterpret_cast<const char*>(n->name);
            if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
              int level = name[1] - '0';
              h1 += level == 1;
              EXPECT_LE(level, previous + 1) << theme["name"] << " /" << p.slug << ": " << name << " after h" << previous;
              previous = level;
            }
            walk(n->children);
          }
        }
      };
      walk(xmlDocGetRootElement(doc.get()));
      EXPECT_EQ(h1, 1) << p.slug;
    }
  }
}

}  // namespace
}  // namespace pw::render::test
