#include "workers/careful_apply.hpp"

#include <optional>
#include <stdexcept>

#include "commands/deciders.hpp"

namespace pw::workers {

Result<void> apply_or_keep(domain::SiteState& state, const domain::DomainEvent& event) {
  const auto agg = domain::aggregate_of(event);
  // A page event touches its page only; the others (site, deployment events)
  // touch the deployments and environments, or nothing before their checks.
  std::optional<domain::PageState> page;
  std::optional<decltype(state.deployments)> deployments;
  std::optional<decltype(state.environments)> environments;
  if (agg.type == "page") {
    if (auto it = state.pages.find(PageId{agg.id}); it != state.pages.end()) page = it->second;
  } else {
    deployments = state.deployments;
    environments = state.environments;
  }
  try {
    domain::apply(state, event);
    return {};
  } catch (const std::logic_error& e) {
    if (page) state.pages[page->id] = std::move(*page);
    if (deployments) state.deployments = std::move(*deployments);
    if (environments) state.environments = std::move(*environments);
    return make_error(Errc::unprocessable, e.what());
  }
}

}  // namespace pw::workers
