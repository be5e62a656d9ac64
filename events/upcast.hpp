#pragma once
// Upcasters (DESIGN.md, decision 10): old versions of an event type's data are
// turned into the current shape on read, in this one place, which every
// decoder of events runs (domain::event_from_json: the command processor's
// recovery, the projector, the build worker, time travel). Stored bytes are
// never rewritten, so the hash chain, which covers the bytes, still verifies.
//
// A step is pure: the data of one version in, the next version's data out,
// nothing else consulted (no state, no clock, not even the envelope). A shape
// change that needs the state it was made from cannot be a step; the event
// struct then holds both forms (SiteSettingsUpdated).
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "events/result.hpp"

namespace pw::domain {

struct Upcaster {
  std::string_view type;  // the event type, e.g. "ComponentMoved"
  int from = 1;           // turns data of this version into data of from + 1
  Result<nlohmann::json> (*step)(nlohmann::json data);
};

// Every step, by type and version.
std::span<const Upcaster> upcasters();

// Whether data of `type` at `version` has a step to a newer version.
bool has_upcaster(std::string_view type, int version);

struct Upcast {
  int version = 0;
  nlohmann::json data;
};
// `data` of `type` at `version`, carried through every step there is; the
// version it ends at. A step refuses data it cannot carry (VALIDATION_ERROR,
// the detail naming the field), so nothing half-converted is ever decoded.
Result<Upcast> upcast(std::string_view type, int version, nlohmann::json data);

// ComponentMoved 1 → 2: version 1's destination (`parentId`, `slot`, `index`
// at the top level of the data) becomes `to`; `from` (where the component
// was) is unknown for version 1 and stays absent.
Result<nlohmann::json> component_moved_1_to_2(nlohmann::json data);

}  // namespace pw::domain
