#pragma once
// Whole component trees that arrive at once (a page made from a template, a
// duplicated page, a template saved from a page): their checks and fresh ids.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "commands/schemas.hpp"
#include "commands/state.hpp"
#include "events/result.hpp"

namespace pw::domain {

// At most this many details are reported for one tree (the rest are summed up
// in a last one), so a 2,000-component tree of bad props answers in bounded size.
inline constexpr size_t kMaxContentDetails = 100;

// The content as a page would hold it: every component's type known, its
// props valid for the type, exactly the slots the type defines (a missing
// slot is added empty; an unknown one is refused), ids valid and unique,
// at most kMaxComponentsPerPage components, kMaxTreeDepth levels and
// kMaxPageContentBytes. Errors are UNPROCESSABLE (VALIDATION_ERROR for shape)
// with one detail per problem, fields below `prefix` ("content[0].props.text").
Result<std::vector<Component>> checked_content(const Schemas& schemas, const nlohmann::json& content,
                                               const std::string& prefix = "content");

// The same tree with every component id replaced by one derived from `seed`
// (the new page's id) and the old id: "c" + 15 hex digits of SHA-256, the
// shape of the ids the gateway makes. Pure, so a repeated command copies to
// the same ids; ids stay unique because the old ones were.
std::vector<Component> with_fresh_ids(const std::vector<Component>& content, std::string_view seed);
nlohmann::json with_fresh_ids(const nlohmann::json& content, std::string_view seed);

}  // namespace pw::domain
