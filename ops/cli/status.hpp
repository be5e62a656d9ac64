#pragma once
// `pagewright status`: what an operator looks at first when something seems
// wrong. gather_status() asks the log (ends, committed offsets, and on Kafka
// the group coordinator for members and assignments), PostgreSQL (what the
// projectors stored, recent deployments) and optionally a serve's metrics
// (who owns the local log's partitions); the renderers print one Status.
// A source that does not answer is a problem in the Status, not an abort:
// what the others said is still worth reading.
#include <optional>
#include <string>
#include <vector>

#include "events/result.hpp"
#include "projections/recent_deployments.hpp"

namespace pw::cli {

struct StatusSources {
  std::string log_uri;      // kafka:<bootstrap> or local:<dir> (opened read-only)
  std::string pg;           // owner conninfo; empty: no projection offsets, no deployments
  std::string metrics_url;  // a serve's /metrics; local log only: who owns its partitions
  int deployments = 10;     // how many recent deployments
};

struct PartitionStatus {
  int32_t partition = 0;
  std::optional<int64_t> committed;  // next offset the pool reads; none: it starts at the beginning
  int64_t end = 0;                   // one past the last visible record
  std::optional<int64_t> lag;        // unknown when the committed offset could not be read
  std::string owner;                 // the member that holds it (Kafka), else empty
};

struct PoolMember {
  std::string client_id;
  std::string host;
  std::string id;
  std::vector<int32_t> partitions;
};

struct PoolStatus {
  std::string pool;   // commands | projections | builds
  std::string group;  // its consumer group
  std::string topic;  // what it consumes
  std::string offsets_from;  // "group" or "read model" (projection_offsets)
  std::vector<PartitionStatus> partitions;
  std::optional<int64_t> lag;  // the sum, when every partition's is known

  // Owners: from the broker (members), a serve's metrics (a count), or neither.
  std::string owners_from;  // "broker" | "metrics" | "in-process"
  std::string group_state;  // the broker's word (Stable, PreparingRebalance, Empty, …)
  std::vector<PoolMember> members;
  std::optional<int64_t> owned_in_process;  // partitions_owned{pool} of the serve asked
};

struct Status {
  std::string log;      // the URI without its options (they may hold credentials)
  std::string backend;  // local | kafka
  std::vector<PoolStatus> pools;
  std::optional<std::vector<projections::DeploymentSummary>> deployments;
  std::vector<std::string> problems;  // sources that did not answer, and why
};

// Errc::validation_error for a log URI or metrics URL that cannot be used
// (the invocation is wrong); every other failure is a problem in the Status.
Result<Status> gather_status(const StatusSources& sources);

std::string render_status_text(const Status& s);
std::string render_status_json(const Status& s);

}  // namespace pw::cli
