#include "gateway/templates.hpp"
#include "events/logging.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#ifndef PW_SCHEMA_DIR
#error "PW_SCHEMA_DIR must name the schemas directory"
#endif

namespace pw::gateway {
namespace {

using nlohmann::json;

// Ids of built-ins are plain names, so they can never be mistaken for a
// tenant's "<siteId>.<suffix>".
bool valid_built_in_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::optional<BuiltInTemplate> read_file(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot open";
    return std::nullopt;
  }
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  for (const auto& [key, value] : doc.items())
    if (key != "templateId" && key != "name" && key != "description" && key != "content") {
      error = "unknown field " + key;
      return std::nullopt;
    }
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  BuiltInTemplate t;
  auto id = text("templateId");
  auto name = text("name");
  auto description = text("description");
  if (!id || !valid_built_in_id(*id)) {
    error = "templateId must be 1 to 64 of [a-z0-9-]";
    return std::nullopt;
  }
  if (!name || name->empty()) {
    error = "name must be a non-empty string";
    return std::nullopt;
  }
  auto content = doc.find("content");
  if (content == doc.end() || !content->is_array()) {
    error = "content must be an array of components";
    return std::nullopt;
  }
  t.templateId = *id;
  t.name = *name;
  t.description = description.value_or("");
  t.content = *content;
  return t;
}

}  // namespace

std::shared_ptr<const TemplateLibrary> TemplateLibrary::load(const std::filesystem::path& dir) {
  auto lib = std::make_shared<TemplateLibrary>();
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".json") files.push_back(it->path());
  if (ec) lib->errors_.push_back(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string error;
    auto t = read_file(f, error);
    if (!t) {
      lib->errors_.push_back(f.string() + ": " + error);
      continue;
    }
    if (lib->find(t->templateId)) {
      lib->errors_.push_back(f.string() + ": templateId " + t->templateId + " is taken by another file");
      continue;
    }
    lib->templates_.push_back(std::move(*t));
  }
  return lib;
}

const BuiltInTemplate* TemplateLibrary::find(std::string_view templateId) const {
  auto it = std::find_if(templates_.begin(), templates_.end(),
                         [&](const BuiltInTemplate& t) { return t.templateId == templateId; });
  return it == templates_.end() ? nullptr : &*it;
}

std::shared_ptr<const TemplateLibrary> default_templates() {
  static const std::shared_ptr<const TemplateLibrary> lib = [] {
    const char* env = std::getenv("PW_SCHEMA_DIR");  // NOLINT(concurrency-mt-unsafe): once
    std::filesystem::path dir = (env && *env) ? env : PW_SCHEMA_DIR;
    auto loaded = TemplateLibrary::load(dir / "templates");
    for (const auto& e : loaded->errors()) logging::warn("template left out", {{"error", e}});
    return loaded;
  }();
  return lib;
}

json built_in_json(const BuiltInTemplate& t) {
  return json{{"templateId", t.templateId},
              {"name", t.name},
              {"description", t.description},
              {"builtIn", true},
              {"content", t.content}};
}

}  // namespace pw::gateway
