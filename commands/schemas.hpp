#pragma once
// The JSON Schemas the deciders check against: each component type's props
// (schemas/components/<Type>.json) and a site's design tokens
// (schemas/design-tokens.json). Read once when a process starts and handed to
// decide(), so deciding reads no file and no environment variable.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "events/result.hpp"

namespace pw::domain {

class Schemas {
 public:
  // Reads and compiles every schema under `dir`; INTERNAL naming the file
  // that could not be read or compiled.
  static Result<std::shared_ptr<const Schemas>> load(const std::filesystem::path& dir);
  // Where a process loads them from: $PW_SCHEMA_DIR when set, else the source
  // tree's schemas/. Read at start, never while deciding.
  static std::filesystem::path default_dir();

  // The component schema files keyed by type, as loaded.
  const nlohmann::json& component_documents() const;

  // UNPROCESSABLE with details {field: "props.<path>", message} when props do
  // not fit the type's schema, a URL prop is unsafe, the tables of a Markdown
  // prop (Text.text, Card.body) exceed markdown_limits.hpp, or a Video's url is
  // not a YouTube or Vimeo video.
  Result<void> validate_component_props(std::string_view type, const nlohmann::json& props) const;

  // UNPROCESSABLE with one detail per invalid value (field = its path, e.g.
  // "colors.primary"), nothing dropped.
  Result<void> validate_design_tokens(const nlohmann::json& tokens) const;

  // Defined where they are compiled (components.cpp, content.cpp), so valijson
  // stays in those two translation units.
  struct Components;
  struct Tokens;
  Schemas(std::shared_ptr<const Components> components, std::shared_ptr<const Tokens> tokens);

 private:
  static Result<std::shared_ptr<const Components>> load_components(const std::filesystem::path& dir);
  static Result<std::shared_ptr<const Tokens>> load_tokens(const std::filesystem::path& dir);

  std::shared_ptr<const Components> components_;
  std::shared_ptr<const Tokens> tokens_;
};

}  // namespace pw::domain
