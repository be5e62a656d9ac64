#include "tests/support/command_stream.hpp"

#include <cstdio>

#include "events/dead_letter.hpp"

namespace pw::test {

std::string timestamp(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-11-22T10:%02d:%02d.%06dZ", (n / 60000000) % 60, (n / 1000000) % 60,
                n % 1000000);
  return buf;
}

domain::CommandRecord command_record(int n, const std::string& subdomain, domain::Command command,
                                      std::string command_id) {
  domain::CommandRecord r;
  r.meta.commandId = CommandId{command_id.empty() ? "cmd-" + std::to_string(n) : std::move(command_id)};
  r.meta.tenant = TenantId{"tenant-" + subdomain};
  r.meta.actor = UserId{"user-1"};
  r.meta.siteId = site_id_for_subdomain(subdomain);
  r.meta.occurredAt = timestamp(n);
  r.command = std::move(command);
  r.correlation_id = "corr-" + std::to_string(n);
  return r;
}

Result<void> create_pagewright_topics(log::EventLog& log, int32_t partitions) {
  return log.create_topics({{std::string(log::kCommandsTopic), partitions},
                            {std::string(log::kEventsTopic), partitions},
                            {std::string(log::kResultsTopic), partitions},
                            {std::string(log::kDeadLetterTopic), partitions}});
}

Result<void> submit_commands(log::EventLog& log, const std::vector<domain::CommandRecord>& commands) {
  for (size_t i = 0; i < commands.size(); i += 50) {
    log::Batch b;
    for (size_t j = i; j < std::min(commands.size(), i + 50); ++j)
      b.records.push_back({std::string(log::kCommandsTopic), commands[j].meta.siteId.str(),
                           domain::encode_command_record(commands[j]), std::nullopt});
    auto r = log.append(b);
    if (!r.ok()) return r.error();
  }
  return {};
}

}  // namespace pw::test
