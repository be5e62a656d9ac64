#pragma once
// The component library as an editor's configuration (API.md, "GET
// /v1/component-library?format=puck"): each type's Puck fields and default
// props, derived from its JSON Schema in schemas/components/ so the editor and
// the deciders cannot disagree about what a prop may hold.
#include <nlohmann/json.hpp>
#include <string>

#include "events/result.hpp"

namespace pw::domain {

// {"components": {<Type>: {label, fields, defaultProps}}, "categories": {<name>:
// {title, components}}} for `schemas` keyed by type (Schemas::component_documents()).
// Slots come from component_all_slots. A schema with a shape no Puck field
// maps to is INTERNAL, naming the type and the prop.
Result<nlohmann::json> puck_config(const nlohmann::json& schemas);

// One property's field: string → text (textarea when Markdown or longer than
// kMaxTextFieldLength), enum → select, integer/number → number with min/max,
// boolean → radio, array of objects → array with arrayFields, array of strings
// → array of {"value": …} items marked "format": "strings" (Puck's arrays hold
// objects, so the editor wraps and unwraps each string). Every field has a
// label; "format" hints "image", "url" or "markdown" from the schema's
// "x-pagewright-format".
Result<nlohmann::json> puck_field(const std::string& name, const nlohmann::json& schema);

// What a freshly dropped component holds: each property's "default", and for a
// required property without one a value its schema accepts.
nlohmann::json default_props(const nlohmann::json& schema);

inline constexpr int64_t kMaxTextFieldLength = 300;

}  // namespace pw::domain
