#pragma once
// A real nginx running ops/nginx/pagewright.conf against a deploy store, as a
// child process on a free loopback port. Killed and reaped on destruction.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "events/result.hpp"

namespace pw::published {

// PW_NGINX, else /usr/sbin/nginx, else nginx on PATH; "" when none.
std::string nginx_binary();

class NginxServer {
 public:
  // prefix: an empty directory for the config, logs, pid and temp files.
  static Result<std::unique_ptr<NginxServer>> start(const std::string& nginx, const std::filesystem::path& prefix,
                                                    const std::filesystem::path& sites_root, const std::string& domain);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  uint16_t port() const { return port_; }
  std::string error_log() const;

 private:
  NginxServer(pid_t pid, uint16_t port, std::filesystem::path prefix) : pid_(pid), port_(port), prefix_(std::move(prefix)) {}
  pid_t pid_;
  uint16_t port_;
  std::filesystem::path prefix_;
};

}  // namespace pw::published
