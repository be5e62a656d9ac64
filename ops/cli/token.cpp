#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "gateway/auth.hpp"
#include "ops/cli/cli.hpp"

namespace pw::cli {

Runner add_token(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "token", "Print a signed HS256 JWT (the gateway's bearer token) for a tenant, user and role");
  struct Options {
    std::string tenant;
    std::string user;
    std::string role;
    int64_t ttl = 3600;
    std::string secret;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("--tenant", opts->tenant, "tenant id (the `tenant` claim)")->envname("PW_TENANT")->required();
  cmd->add_option("--user", opts->user, "user id (the `sub` claim)")->envname("PW_USER")->required();
  cmd->add_option("--role", opts->role, "role (the `role` claim)")
      ->envname("PW_ROLE")
      ->required()
      ->check(CLI::IsMember({"viewer", "editor", "admin", "owner"}));
  cmd->add_option("--ttl", opts->ttl, "seconds until the token expires")
      ->envname("PW_TOKEN_TTL")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10} * 366 * 24 * 3600));
  cmd->add_option("--jwt-secret", opts->secret,
                  "HMAC key, at least 32 bytes; prefer the environment variable (a command-line "
                  "argument is visible to other local users)")
      ->envname("PW_JWT_SECRET");
  return [cmd, opts]() -> int {
    if (!*cmd) return -1;
    if (opts->secret.empty()) {
      std::cerr << "token: no JWT secret: set PW_JWT_SECRET or pass --jwt-secret\n";
      return 2;
    }
    const auto role = gateway::parse_role(opts->role);
    if (!role) {
      std::cerr << "token: unknown role '" << opts->role << "'\n";
      return 2;
    }
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const gateway::Principal principal{UserId{opts->user}, TenantId{opts->tenant}, *role, now + opts->ttl};
    auto token = gateway::issue_token(principal, opts->secret);
    if (!token) {
      std::cerr << "token: " << token.error().message << "\n";
      return 2;
    }
    std::cout << *token << "\n";
    return 0;
  };
}

}  // namespace pw::cli
