#pragma once
// Who is in a consumer group right now, as the log's group coordinator knows
// it: for operators (`pagewright status`), not for the members themselves.
// Only a broker can answer this for another process; the embedded local: log
// keeps its members in the memory of the process that opened it (serve), so
// describe_groups on a local: URI is Errc::unavailable.
#include <string>
#include <string_view>
#include <vector>

#include "events/log.hpp"

namespace pw::log {

struct GroupMember {
  std::string id;         // the coordinator's member id
  std::string client_id;  // the client's client.id (set one per process with "?consumer.client.id=…")
  std::string host;       // as the coordinator saw the connection
  std::vector<TopicPartition> assignment;  // plain topic names
};

struct GroupInfo {
  std::string group;  // plain name
  std::string state;  // Stable, PreparingRebalance, CompletingRebalance, Empty, Dead, Unknown
  std::vector<GroupMember> members;
};

// One GroupInfo per group, in the order asked. A group nobody ever joined is
// answered as Dead with no members (what the broker says), not as an error.
Result<std::vector<GroupInfo>> describe_groups(std::string_view uri, const std::vector<std::string>& groups);

}  // namespace pw::log
