#pragma once
// Building command records as the gateway will, for tests that run the real
// command processor.
#include <string>
#include <vector>

#include "events/log.hpp"
#include "commands/command_record.hpp"

namespace pw::test {

// A canonical RFC 3339 timestamp, distinct and increasing for n below 3.6e9.
std::string timestamp(int n);

// The n-th command of a stream: tenant "tenant-<subdomain>", actor "user-1",
// command id "cmd-<n>" unless given, correlation id "corr-<n>".
domain::CommandRecord command_record(int n, const std::string& subdomain, domain::Command command,
                                      std::string command_id = "");

// Creates the pagewright topics (dead letters too) with `partitions` each.
Result<void> create_pagewright_topics(log::EventLog& log, int32_t partitions);

// Appends command records to pagewright.commands, keyed by site id, in batches.
Result<void> submit_commands(log::EventLog& log, const std::vector<domain::CommandRecord>& commands);

}  // namespace pw::test
