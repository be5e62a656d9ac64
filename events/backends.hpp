#pragma once
// Factories of the two EventLog backends; open_log() picks one by URI scheme.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/groups.hpp"
#include "events/log.hpp"

namespace pw::log {
Result<std::unique_ptr<EventLog>> open_local_log(const std::string& dir, const Config& config);
Result<std::unique_ptr<EventLog>> open_kafka_log(const std::string& bootstrap, const Config& config);
Result<std::vector<GroupInfo>> describe_kafka_groups(const std::string& bootstrap, const Config& config,
                                                     const std::vector<std::string>& groups);

// A log URI taken apart: "<scheme>:<where>?key=value&…" (see open_log).
struct LogUri {
  std::string scheme;  // "local" or "kafka"
  std::string where;   // directory or bootstrap servers
  Config config;       // the URI's options, under those given
};
Result<LogUri> parse_log_uri(std::string_view uri, const Config& given);
}  // namespace pw::log
