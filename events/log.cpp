#include "events/log.hpp"

#include "events/backends.hpp"

namespace pw::log {

Result<LogUri> parse_log_uri(std::string_view uri, const Config& given) {
  // "<scheme>:<where>?key=value&key=value": options for processes that are
  // configured by a URI alone; keys passed in `given` win over them.
  Config config = given;
  if (auto q = uri.find('?'); q != std::string_view::npos) {
    std::string_view options = uri.substr(q + 1);
    uri = uri.substr(0, q);
    for (bool more = true; more;) {
      const auto amp = options.find('&');
      const auto option = options.substr(0, amp);
      more = amp != std::string_view::npos;
      if (more) options = options.substr(amp + 1);
      const auto eq = option.find('=');
      if (eq == 0 || eq == std::string_view::npos || eq + 1 == option.size())
        return make_error(Errc::validation_error,
                          "log URI option '" + std::string(option) + "' is not key=value");
      config.emplace(std::string(option.substr(0, eq)), std::string(option.substr(eq + 1)));
    }
  }
  auto colon = uri.find(':');
  if (colon == std::string_view::npos)
    return make_error(Errc::validation_error, "log URI must be local:<dir> or kafka:<bootstrap>");
  auto scheme = uri.substr(0, colon);
  std::string rest(uri.substr(colon + 1));
  if (rest.empty()) return make_error(Errc::validation_error, "log URI has nothing after ':'");
  if (scheme != "local" && scheme != "kafka")
    return make_error(Errc::validation_error, "unknown log scheme '" + std::string(scheme) +
                                                  "' (the log URI is local:<dir> or kafka:<bootstrap>)");
  return LogUri{std::string(scheme), std::move(rest), std::move(config)};
}

Result<std::unique_ptr<EventLog>> open_log(std::string_view uri, const Config& given) {
  auto parsed = parse_log_uri(uri, given);
  if (!parsed.ok()) return parsed.error();
  if (parsed->scheme == "local") return open_local_log(parsed->where, parsed->config);
  return open_kafka_log(parsed->where, parsed->config);
}

Result<std::vector<GroupInfo>> describe_groups(std::string_view uri, const std::vector<std::string>& groups) {
  auto parsed = parse_log_uri(uri, {});
  if (!parsed.ok()) return parsed.error();
  if (parsed->scheme == "kafka") return describe_kafka_groups(parsed->where, parsed->config, groups);
  return make_error(Errc::unavailable,
                    "the local log's group members live in the process that owns it (serve); ask its metrics");
}

}  // namespace pw::log
