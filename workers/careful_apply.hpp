#pragma once
// Folding events a worker did not decide itself (the build pool's, a
// processor's recovery): domain::apply checks as it goes, so an event that
// does not fit may leave its page or the deployments half changed. This keeps
// what such an event can touch and puts it back, so the state stays what the
// site's applied events made it.
#include "commands/state.hpp"
#include "events/domain.hpp"
#include "events/result.hpp"

namespace pw::workers {

// Errc::unprocessable (with the reason) when the event does not fit the state,
// which is then unchanged.
Result<void> apply_or_keep(domain::SiteState& state, const domain::DomainEvent& event);

}  // namespace pw::workers
