#pragma once
// Time travel and diffs of one page, pure: the page as it was after version N
// or at an instant, folded from the page's own events with the domain's apply
// (so every event type folds as the deciders see it), and the difference
// between two page states as API.md's diff shape, which applied to the first
// gives the second.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/state.hpp"
#include "events/domain.hpp"
#include "events/result.hpp"

namespace pw::domain {

// One of the page's events and when it happened (µs since the Unix epoch).
struct TimedEvent {
  int64_t at = 0;
  DomainEvent event;
};

// A page as it was, and when its version was made (µs): the time of the last
// folded event that counted as a version (a later label does not date it).
struct PageAt {
  PageState page;
  int64_t at = 0;
};

// The page after its version `version`; nullopt if it never had that version
// (version < 1 or past its last). `events` are the page's own events in
// order; an event that does not fit (a corrupt history) → Errc::internal.
Result<std::optional<PageAt>> page_at_version(const PageId& page, std::span<const TimedEvent> events,
                                              int64_t version);
// The same, going on from `start` (the page at an earlier version; `events`
// are the page's events after that version), and handing `checkpoint` the page
// at each version on the way that is a multiple of `every` (0: none), so a
// caller can keep them to start later folds from.
Result<std::optional<PageAt>> page_at_version_from(const std::optional<PageAt>& start, const PageId& page,
                                                   std::span<const TimedEvent> events, int64_t version, int64_t every,
                                                   const std::function<void(const PageAt&)>& checkpoint);
// The page with every event at or before `at` (µs); nullopt before its creation.
Result<std::optional<PageAt>> page_at_instant(const PageId& page, std::span<const TimedEvent> events, int64_t at);

// RFC 3339 date-time ("2026-11-22T05:30:48.123456Z", any offset, up to 9
// fraction digits, 't'/'z' in either case) → µs since the epoch (UTC); nullopt
// if malformed or out of range (years 0001–9999). Sub-µs digits are cut.
std::optional<int64_t> parse_rfc3339_micros(std::string_view s);

// Where a component sits: parent (none = top level, slot ""), slot, index.
struct ComponentPlace {
  std::optional<ComponentId> parentId;
  std::string slot;
  int64_t index = 0;
  friend bool operator==(const ComponentPlace&, const ComponentPlace&) = default;
};

struct ComponentEntry {  // added (its place in `to`) or removed (in `from`)
  ComponentId id;
  std::string type;
  nlohmann::json props = nlohmann::json::object();
  ComponentPlace place;
  friend bool operator==(const ComponentEntry&, const ComponentEntry&) = default;
};

struct ComponentMove {
  ComponentId id;
  ComponentPlace from;
  ComponentPlace to;
  friend bool operator==(const ComponentMove&, const ComponentMove&) = default;
};

struct ComponentChange {
  ComponentId id;
  nlohmann::json patch;  // RFC 7386, from's props → to's
  friend bool operator==(const ComponentChange&, const ComponentChange&) = default;
};

struct MetadataChange {
  std::string field;  // title, slug, description, status, seo.noIndex, seo.canonical, seo.ogImage
  nlohmann::json before;
  nlohmann::json after;
  friend bool operator==(const MetadataChange&, const MetadataChange&) = default;
};

// Components are matched by id; one whose type changed is removed and added.
// Every component that is gone is listed in `removed` (descendants of a
// removed one too, unless they moved out); `moved` holds those whose parent
// or slot changed, or whose order among siblings that stayed in the same list
// changed (the fewest such: all but a longest run kept in order).
struct PageDiff {
  std::vector<MetadataChange> metadata;
  std::vector<ComponentEntry> added;
  std::vector<ComponentEntry> removed;
  std::vector<ComponentMove> moved;
  std::vector<ComponentChange> changed;
  friend bool operator==(const PageDiff&, const PageDiff&) = default;
};

PageDiff diff_pages(const PageState& from, const PageState& to);
// `from` with `diff` applied: the content and metadata of the `to` it was
// made from (version counters are left as they are). A diff that does not fit
// `from` → Errc::unprocessable.
Result<PageState> apply_page_diff(const PageState& from, const PageDiff& diff);
// Same content and metadata (what a version restore and a diff promise).
bool same_content_and_metadata(const PageState& a, const PageState& b);

// API.md's diff shape: {metadata, components: {added, removed, moved, changed}};
// added and removed entries carry their props as well.
nlohmann::json page_diff_to_json(const PageDiff& diff);

}  // namespace pw::domain
