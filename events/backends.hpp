#pragma once
// Factories of the two EventLog backends; open_log() picks one by URI scheme.
#include <memory>
#include <string>

#include "events/log.hpp"

namespace pw::log {
Result<std::unique_ptr<EventLog>> open_local_log(const std::string& dir, const Config& config);
Result<std::unique_ptr<EventLog>> open_kafka_log(const std::string& bootstrap, const Config& config);
}  // namespace pw::log
