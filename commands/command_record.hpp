#pragma once
// The codec of the records a command processor consumes and produces besides
// events:
//   pagewright.commands  value = {"meta", "type", "body", "correlationId"}
//   pagewright.results   value = the command's outcome (what the gateway replies)
// Both are keyed by site id, like the events, so a site's commands, events and
// results share one partition number. The gateway, the command processor and
// the build worker all write and read these records through this codec only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "events/result.hpp"

namespace pw::domain {

struct CommandRecord {
  domain::CommandMeta meta;
  domain::Command command;
  std::string correlation_id;
};

std::string encode_command_record(const CommandRecord& r);
Result<CommandRecord> decode_command_record(std::string_view value);

// SHA-256 of the command's type and body: a repeated command id with another
// fingerprint is a different request reusing the id (DUPLICATE).
std::string command_fingerprint(const domain::Command& c);

struct EventRef {
  std::string type;
  int64_t seq = 0;
  friend bool operator==(const EventRef&, const EventRef&) = default;
};

struct CommandOutcome {
  std::string command_id;
  std::string tenant_id;           // whose command it was (empty if undecodable)
  std::string command_type;        // "CreatePage", … (empty if undecodable)
  int32_t command_partition = 0;   // where the command was read from
  int64_t command_offset = -1;
  bool accepted = false;
  std::string aggregate_id;
  int64_t version = 0;             // the aggregate's version after the command
  std::string position;            // "partition:offset" of its last event; empty if none
  std::vector<EventRef> events;
  std::optional<Error> error;      // set when rejected
  std::string fingerprint;         // command_fingerprint of the command decided
  friend bool operator==(const CommandOutcome&, const CommandOutcome&) = default;
};

// A pagewright.results record's value, and back. A value that does not decode
// is INTERNAL: results are written by processors only.
std::string encode_outcome(const CommandOutcome& o);
Result<CommandOutcome> decode_outcome(std::string_view value);
// The same as a JSON tree, for records that embed outcomes (snapshots).
nlohmann::json outcome_to_json(const CommandOutcome& o);
Result<CommandOutcome> outcome_from_json(const nlohmann::json& j);

}  // namespace pw::domain
