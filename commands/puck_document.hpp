#pragma once
// A page's component tree as a Puck `Data` document (API.md "Puck documents"),
// and back. Pure: no I/O (the component schemas arrive loaded). Slots are
// found through commands/components.hpp, so a
// new component type needs nothing here.
//
// Written (Puck >= 0.19, inline slots):
//   {"root": {"props": {"title": "<page title>"}},
//    "content": [{"type": "Section", "props": {"id": "<componentId>", …props,
//                 "children": [ …components ]}}],
//    "zones": {}}
// Read: that shape, and the older DropZone one where a slot's components sit in
// `zones["<componentId>:<slot>"]` instead of in the component's props.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/schemas.hpp"
#include "commands/state.hpp"
#include "events/result.hpp"

namespace pw::domain {

// Nesting of a document's JSON: three levels per component (its object, its
// props, a slot's array) below `content`, and room for the props' own values.
inline constexpr int kMaxPuckDocumentDepth = 3 * 32 + 16;

nlohmann::json puck_document(const std::string& title, const std::vector<Component>& content);

// JSON Pointer (RFC 6901) of one reference token, escaped: "~" → "~0", "/" → "~1".
std::string pointer_token(std::string_view token);

// A document read into a tree.
struct PuckContent {
  std::optional<std::string> title;  // root.props.title, when the document has one
  std::vector<Component> content;
  // Where each component sits in the document ("/content/0/props/children/1"),
  // for errors found later against the page.
  std::unordered_map<ComponentId, std::string> pointers;
};

// The document as a tree, checked as a page's content is: every type known,
// props valid for it, only its slots (an empty list under a slot the type has
// only with other props, as Puck writes Columns' column4 when count is 2, is
// no slot and is left out), ids matching ^[A-Za-z0-9_-]{1,64}$ and unique,
// at most kMaxComponentsPerPage components, kMaxTreeDepth levels and
// kMaxPageContentBytes. A component without props.id gets
// "c" + 15 hex digits of SHA-256(id_seed + "/" + its pointer), the shape of
// the ids the gateway makes, so the same command yields the same ids.
// Errors: VALIDATION_ERROR for shape (unknown members, wrong JSON types);
// UNPROCESSABLE for what the component library refuses; PAYLOAD_TOO_LARGE for
// size. Every detail's field is a JSON pointer into the document
// ("/content/0/props/children/1/props/level").
Result<PuckContent> read_puck_document(const Schemas& schemas, const nlohmann::json& document,
                                       std::string_view id_seed);

// An error about `field` of the component at `pointer` ("props.level" →
// "<pointer>/props/level"; anything else → the pointer itself).
std::string document_field(const std::string& pointer, std::string_view field);

}  // namespace pw::domain
