// Deployment commands: RequestDeployment and RollbackDeployment (admins), and
// the build pool's reports StartDeployment, CompleteDeployment, FailDeployment.
// A report that repeats what the state already says is accepted with no events:
// a build retried by the next owner after a crash reports again.
#include <algorithm>

#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

constexpr int64_t kDefaultRetention = 10;

bool one_of(std::string_view v, std::span<const std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

std::optional<Error> check_deployment_route(const DeploymentId& id, const CommandMeta& m) {
  auto site = site_of(id);
  if (!site) return invalid("deploymentId", "malformed deployment id");
  if (*site != m.siteId) return invalid("deploymentId", "deployment id does not belong to this site");
  return std::nullopt;
}

Result<const DeploymentState*> load_deployment(const SiteState& s, const CommandMeta& m,
                                               const DeploymentId& id) {
  if (auto e = check_deployment_route(id, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  const DeploymentState* d = find_deployment(s, id);
  if (!d) return reject(Errc::not_found, "deploymentId", "deployment not found");
  if (auto e = check_version(d->version, m)) return *e;
  return d;
}

std::optional<Error> check_log(const std::vector<std::string>& log) {
  if (log.size() > kMaxReportLines) return invalid("log", "at most 200 lines");
  for (const auto& line : log)
    if (!valid_text(line, kMaxReportLine, true)) return invalid("log", "lines are at most 2000 characters");
  return std::nullopt;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

int64_t retention(const SiteState& s) {
  auto it = s.settings.find("deployRetention");
  if (it != s.settings.end() && it->is_number_integer()) {
    int64_t n = it->get<int64_t>();
    if (n >= 2 && n <= 100) return n;
  }
  return kDefaultRetention;
}

// Successful deploys of `environment` past the retention count, newest kept,
// never one that an environment's live or previous pointer names (after
// `succeeded` goes live).
std::vector<DeploymentId> past_retention(const SiteState& s, const DeploymentState& succeeded) {
  std::vector<const DeploymentState*> done;
  for (const auto& [id, d] : s.deployments)
    if (d.environment == succeeded.environment && d.status == DeploymentStatus::succeeded &&
        !d.pruned && id != succeeded.id)
      done.push_back(&d);
  std::sort(done.begin(), done.end(),
            [](const auto* a, const auto* b) { return a->succeededAt > b->succeededAt; });
  auto pinned = [&](const DeploymentId& id) {
    if (id == succeeded.id) return true;
    for (const auto& [name, env] : s.environments) {
      if (name == succeeded.environment) {
        if (env.live == id) return true;  // becomes the previous one
      } else if (env.live == id || env.previous == id) {
        return true;
      }
    }
    return false;
  };
  std::vector<DeploymentId> out;
  const size_t keep = static_cast<size_t>(retention(s) - 1);  // the new one is kept too
  for (size_t i = keep; i < done.size(); ++i)
    if (!pinned(done[i]->id)) out.push_back(done[i]->id);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const RequestDeployment& c) {
  if (!one_of(c.environment, kEnvironments))
    return invalid("environment", "must be production, staging or preview");
  if (!one_of(c.strategy, kStrategies)) return invalid("strategy", "must be all-at-once or blue-green");
  if (auto e = check_deployment_route(c.deploymentId, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  if (auto e = check_version(s.version, m)) return *e;
  if (find_deployment(s, c.deploymentId)) return invalid("deploymentId", "deployment exists");
  return one(DeploymentRequested{c.deploymentId, c.environment, c.strategy});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const StartDeployment& c) {
  auto d = load_deployment(s, m, c.deploymentId);
  if (!d) return d.error();
  if (!valid_text(c.worker, 200, true)) return invalid("worker", "at most 200 characters");
  switch ((*d)->status) {
    case DeploymentStatus::queued:
      return one(DeploymentStarted{c.deploymentId, c.worker});
    case DeploymentStatus::building:
      return Events{};
    case DeploymentStatus::succeeded:
    case DeploymentStatus::failed:
      break;
  }
  return unprocessable("deploymentId", "deployment has finished");
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const CompleteDeployment& c) {
  const DeploymentSucceeded& out = c.outcome;
  auto d = load_deployment(s, m, out.deploymentId);
  if (!d) return d.error();
  if (!is_hex64(out.manifestHash)) return invalid("manifestHash", "must be 64 lowercase hex digits");
  if (!valid_text(out.url, kMaxUrl, true)) return invalid("url", "at most 2048 characters");
  if (auto e = check_log(out.log)) return *e;
  if ((*d)->status == DeploymentStatus::succeeded) return Events{};
  if ((*d)->status == DeploymentStatus::failed)
    return unprocessable("deploymentId", "deployment has failed");
  Events events = one(out);
  auto pruned = past_retention(s, **d);
  if (!pruned.empty()) events.emplace_back(DeploymentsPruned{s.id, std::move(pruned)});
  return events;
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const FailDeployment& c) {
  const DeploymentFailed& out = c.outcome;
  auto d = load_deployment(s, m, out.deploymentId);
  if (!d) return d.error();
  if (!valid_text(out.reason, kMaxReportLine)) return invalid("reason", "1 to 2000 characters");
  if (auto e = check_log(out.log)) return *e;
  if ((*d)->status == DeploymentStatus::failed) return Events{};
  if ((*d)->status == DeploymentStatus::succeeded)
    return unprocessable("deploymentId", "deployment has succeeded");
  return one(out);
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const RollbackDeployment& c) {
  auto d = load_deployment(s, m, c.deploymentId);
  if (!d) return d.error();
  const DeploymentState& target = **d;
  if (target.status != DeploymentStatus::succeeded)
    return unprocessable("deploymentId", "only a succeeded deployment can go live again");
  if (target.pruned)
    return unprocessable("deploymentId", "deployment was pruned past the retention count");
  auto env = s.environments.find(target.environment);
  const DeploymentId current = env == s.environments.end() ? DeploymentId{} : env->second.live;
  if (current == target.id) return Events{};
  return one(DeploymentRolledBack{target.id, target.environment, current});
}

}  // namespace pw::domain::detail
