#pragma once
// The built-in page templates: data files schemas/templates/*.json, each
// {templateId, name, description, content} with content a list of components
// {id, type, props, slots} (API.md). Loaded once; their content is checked
// where it is used, by the CreatePage decider, like any content.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pw::gateway {

struct BuiltInTemplate {
  std::string templateId;
  std::string name;
  std::string description;
  nlohmann::json content = nlohmann::json::array();
};

class TemplateLibrary {
 public:
  // Every *.json file of `dir`, sorted by file name. A file that cannot be
  // read, is not JSON or has the wrong shape is left out and named in
  // errors(); a missing directory is an empty library with one error.
  static std::shared_ptr<const TemplateLibrary> load(const std::filesystem::path& dir);

  const BuiltInTemplate* find(std::string_view templateId) const;
  const std::vector<BuiltInTemplate>& all() const { return templates_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<BuiltInTemplate> templates_;
  std::vector<std::string> errors_;
};

// $PW_SCHEMA_DIR/templates when the variable is set, else the source tree's
// schemas/templates; loaded on first use, its errors logged once to stderr.
std::shared_ptr<const TemplateLibrary> default_templates();

// The API's JSON of a built-in: {templateId, name, description, builtIn: true, content}.
nlohmann::json built_in_json(const BuiltInTemplate& t);

}  // namespace pw::gateway
