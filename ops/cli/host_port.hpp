#pragma once
// "HOST:PORT" as given to --http and --metrics (port 0: any free port).
#include <cstdint>
#include <optional>
#include <string>

namespace pw::cli {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

inline std::optional<HostPort> parse_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  const std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const long p = std::stol(port);
  if (p > 65535) return std::nullopt;
  return HostPort{s.substr(0, colon), static_cast<uint16_t>(p)};
}

}  // namespace pw::cli
