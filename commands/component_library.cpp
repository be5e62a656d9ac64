#include "commands/component_library.hpp"

#include <cctype>

#include "commands/components.hpp"

namespace pw::domain {
namespace {

using nlohmann::json;

struct Category {
  const char* name;
  const char* title;
};
constexpr Category kCategories[] = {
    {"layout", "Layout"}, {"content", "Content"}, {"media", "Media"}, {"navigation", "Navigation"}};

// "ctaHref" → "Cta href", "column1" → "Column 1": a label when the schema has no title.
std::string humanize(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool upper = std::isupper(c) != 0, digit = std::isdigit(c) != 0;
    const bool prev_digit = i > 0 && std::isdigit(static_cast<unsigned char>(name[i - 1])) != 0;
    if (i > 0 && (upper || (digit && !prev_digit))) out += ' ';
    out += static_cast<char>(i == 0 ? std::toupper(c) : (upper ? std::tolower(c) : c));
  }
  return out;
}

std::string label_of(const std::string& name, const json& schema) {
  auto it = schema.find("title");
  return it != schema.end() && it->is_string() ? it->get<std::string>() : humanize(name);
}

Error unmapped(const std::string& name, const std::string& why) {
  return make_error(Errc::internal, "component schema property " + name + ": " + why);
}

// A value the property's schema accepts, for a required property without a default.
json stand_in(const std::string& name, const json& schema) {
  const std::string type = schema.value("type", "");
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) return (*e)[0];
  if (type == "string") return schema.value("minLength", 0) > 0 ? json(label_of(name, schema)) : json("");
  if (type == "integer" || type == "number") return schema.value("minimum", json(0));
  if (type == "boolean") return false;
  if (type == "array") return json::array();
  if (type == "object") return default_props(schema);
  return nullptr;
}

Result<json> object_fields(const std::string& name, const json& schema) {
  json fields = json::object();
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return unmapped(name, "an object without properties");
  for (const auto& [prop, spec] : props->items()) {
    auto field = puck_field(name + "." + prop, spec);
    if (!field.ok()) return field.error();
    // Nested fields are keyed by their own name, labelled by their own title.
    (*field)["label"] = label_of(prop, spec);
    fields[prop] = std::move(field).value();
  }
  return fields;
}

Result<json> array_field(const std::string& name, const json& schema) {
  auto items = schema.find("items");
  if (items == schema.end() || !items->is_object()) return unmapped(name, "an array without an items schema");
  json field = {{"type", "array"}};
  const std::string item_type = items->value("type", "");
  if (item_type == "object") {
    auto fields = object_fields(name, *items);
    if (!fields.ok()) return fields.error();
    field["arrayFields"] = std::move(fields).value();
    field["defaultItemProps"] = default_props(*items);
  } else if (item_type == "string") {
    auto value = puck_field(name + ".value", *items);
    if (!value.ok()) return value.error();
    (*value)["label"] = label_of("value", *items);
    field["arrayFields"] = {{"value", std::move(value).value()}};
    field["defaultItemProps"] = {{"value", items->contains("default") ? (*items)["default"] : stand_in("value", *items)}};
    field["format"] = "strings";
  } else {
    return unmapped(name, "an array of " + (item_type.empty() ? std::string("untyped items") : item_type));
  }
  if (auto m = schema.find("minItems"); m != schema.end() && m->is_number_integer()) field["min"] = *m;
  if (auto m = schema.find("maxItems"); m != schema.end() && m->is_number_integer()) field["max"] = *m;
  return field;
}

}  // namespace

Result<json> puck_field(const std::string& name, const json& schema) {
  if (!schema.is_object()) return unmapped(name, "not a schema object");
  const std::string type = schema.value("type", "");
  const std::string format = schema.value("x-pagewright-format", "");
  json field;
  if (auto e = schema.find("enum"); e != schema.end()) {
    if (!e->is_array() || e->empty()) return unmapped(name, "an empty enum");
    json options = json::array();
    for (const auto& v : *e)
      options.push_back({{"label", v.is_string() ? humanize(v.get<std::string>()) : v.dump()}, {"value", v}});
    field = {{"type", "select"}, {"options", std::move(options)}};
  } else if (type == "string") {
    const bool long_text = schema.value("maxLength", int64_t{0}) > kMaxTextFieldLength;
    field = {{"type", format == "markdown" || (long_text && format.empty()) ? "textarea" : "text"}};
  } else if (type == "integer" || type == "number") {
    field = {{"type", "number"}};
    if (auto m = schema.find("minimum"); m != schema.end()) field["min"] = *m;
    if (auto m = schema.find("maximum"); m != schema.end()) field["max"] = *m;
    if (type == "integer") field["step"] = 1;
  } else if (type == "boolean") {
    field = {{"type", "radio"},
             {"options", json::array({{{"label", "Yes"}, {"value", true}}, {{"label", "No"}, {"value", false}}})}};
  } else if (type == "array") {
    auto array = array_field(name, schema);
    if (!array.ok()) return array.error();
    field = std::move(array).value();
  } else {
    return unmapped(name, "type " + (type.empty() ? std::string("missing") : type) + " has no Puck field");
  }
  if (format == "image" || format == "url" || format == "markdown") field["format"] = format;
  else if (!format.empty()) return unmapped(name, "unknown x-pagewright-format " + format);
  const auto slash = name.rfind('.');
  field["label"] = label_of(slash == std::string::npos ? name : name.substr(slash + 1), schema);
  return field;
}

json default_props(const json& schema) {
  json out = json::object();
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return out;
  for (const auto& [prop, spec] : props->items())
    if (spec.is_object() && spec.contains("default")) out[prop] = spec["default"];
  if (auto req = schema.find("required"); req != schema.end() && req->is_array())
    for (const auto& r : *req)
      if (r.is_string() && !out.contains(r.get<std::string>()) && props->contains(r.get<std::string>()))
        out[r.get<std::string>()] = stand_in(r.get<std::string>(), (*props)[r.get<std::string>()]);
  return out;
}

Result<json> puck_config(const json& schemas) {
  if (!schemas.is_object()) return make_error(Errc::internal, "the component schemas are not loaded");
  json components = json::object();
  json categories = json::object();
  for (const auto& c : kCategories) categories[c.name] = {{"title", c.title}, {"components", json::array()}};
  for (std::string_view type_view : component_types()) {
    const std::string type(type_view);
    auto schema = schemas.find(type);
    if (schema == schemas.end()) return make_error(Errc::internal, "no schema for component type " + type);
    auto fields = object_fields(type, *schema);
    if (!fields.ok()) return fields.error();
    for (std::string_view slot : component_all_slots(type)) {
      (*fields)[std::string(slot)] = {{"type", "slot"}, {"label", humanize(slot)}};
    }
    components[type] = {{"label", schema->value("title", type)},
                        {"fields", std::move(fields).value()},
                        {"defaultProps", default_props(*schema)}};
    const std::string category = schema->value("x-pagewright-category", "");
    if (!categories.contains(category))
      return make_error(Errc::internal, "component type " + type + " has no known x-pagewright-category");
    categories[category]["components"].push_back(type);
  }
  return json{{"components", std::move(components)}, {"categories", std::move(categories)}};
}

}  // namespace pw::domain
