#pragma once
// The newest deployments of every tenant, for operators (`pagewright status`).
// Reads as the read models' owner through the operator_status policy
// (schemas/sql/0009_status.sql); tenants' own queries never come here.
#include <optional>
#include <string>
#include <vector>

#include "events/result.hpp"

namespace pw::projections {

struct DeploymentSummary {
  std::string deployment_id;
  std::string tenant_id;
  std::string site_id;
  std::string environment;  // production | staging | preview
  std::string status;       // queued | building | succeeded | failed
  int64_t version = 0;
  std::string requested_at;  // RFC 3339, UTC
  std::optional<std::string> finished_at;
  std::optional<double> seconds;  // finished - started, once both are known
  std::string worker;
  std::optional<std::string> error;
  bool live = false;
};

// Newest first (requested_at, then id), at most `limit`. Errc::unavailable
// when Postgres cannot be reached or refuses the owner.
Result<std::vector<DeploymentSummary>> recent_deployments(const std::string& conninfo, int limit);

}  // namespace pw::projections
