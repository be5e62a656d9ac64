#pragma once
// The pure deciders of the site aggregate. decide() reads no clock, does no I/O
// and uses no randomness: time and ids arrive on the command. A command that
// would change nothing (same metadata, same props after the patch, same
// position, same slug) is accepted with no events, after every check (If-Match
// included) has passed.
#include <utility>
#include <vector>

#include "commands/commands.hpp"
#include "commands/schemas.hpp"
#include "commands/state.hpp"
#include "events/domain.hpp"
#include "events/result.hpp"

namespace pw::domain {

// `schemas` are the component and design-token schemas, loaded once when the
// process started (commands/schemas.hpp).
Result<std::vector<DomainEvent>> decide(const Schemas& schemas, const SiteState& state, const CommandMeta& meta,
                                        const Command& command);

// Folds one event in place (the hot path). Events are trusted: one that does not
// fit the state (a corrupt log) throws std::logic_error, and the state must then
// be discarded.
void apply(SiteState& state, const DomainEvent& event);
// DomainEvent is a std::variant, so ADL also finds std::apply; these exact
// matches keep unqualified apply(state, event) calls on ours.
inline void apply(SiteState& state, DomainEvent& event) { apply(state, std::as_const(event)); }
inline void apply(SiteState& state, DomainEvent&& event) { apply(state, std::as_const(event)); }
SiteState evolve(SiteState state, const DomainEvent& event);

}  // namespace pw::domain
