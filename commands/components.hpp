#pragma once
// The component library: known types, their slots, and props validation
// (JSON Schema from schemas/components/<Type>.json plus URL safety checks).
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "events/result.hpp"

namespace pw::domain {

inline constexpr int kMaxTreeDepth = 32;
inline constexpr size_t kMaxComponentsPerPage = 2000;

std::span<const std::string_view> component_types();
bool is_known_component_type(std::string_view type);

// Slots of a component in order (Columns: column1..column<count>); empty for leaves.
std::span<const std::string_view> component_slots(std::string_view type,
                                                  const nlohmann::json& props);
bool has_slot(std::string_view type, const nlohmann::json& props, std::string_view slot);
// Every slot the type may have, whatever its props (Columns: column1..column4).
std::span<const std::string_view> component_slot_names(std::string_view type);

// http(s), mailto:, tel:, or relative (no scheme). Control characters anywhere
// and every other scheme (javascript:, data:, vbscript:, …) are refused.
bool is_safe_url(std::string_view url);

// UNPROCESSABLE with details {field: "props.<path>", message} when props do not
// fit the type's schema, a URL prop is unsafe, or the tables of a Markdown prop
// (Text.text, Card.body) exceed markdown_limits.hpp; INTERNAL if the schemas could
// not be loaded. Schemas are loaded once, from $PW_SCHEMA_DIR/components if the
// environment variable is set, else from the source tree.
Result<void> validate_component_props(std::string_view type, const nlohmann::json& props);

}  // namespace pw::domain
