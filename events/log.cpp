#include "events/log.hpp"

#include "events/backends.hpp"

namespace pw::log {

Result<std::unique_ptr<EventLog>> open_log(std::string_view uri, const Config& config) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos)
    return make_error(Errc::validation_error, "log URI must be local:<dir> or kafka:<bootstrap>");
  auto scheme = uri.substr(0, colon);
  std::string rest(uri.substr(colon + 1));
  if (rest.empty()) return make_error(Errc::validation_error, "log URI has nothing after ':'");
  if (scheme == "local") return open_local_log(rest, config);
  if (scheme == "kafka") return open_kafka_log(rest, config);
  return make_error(Errc::validation_error, "unknown log scheme '" + std::string(scheme) + "'");
}

}  // namespace pw::log
