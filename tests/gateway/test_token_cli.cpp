// `pagewright token`: prints a JWT that verify_bearer accepts.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/auth.hpp"
#include "ops/cli/cli.hpp"

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-cli-secret";

struct Run {
  int rc = -1;
  std::string out;
  std::string err;
};

// Parses `args` as the `pagewright` command line and runs the token subcommand.
Run run_token(std::vector<std::string> args) {
  for (const char* var : {"PW_JWT_SECRET", "PW_TENANT", "PW_USER", "PW_ROLE", "PW_TOKEN_TTL"}) ::unsetenv(var);
  CLI::App app{"test"};
  app.require_subcommand(1);
  auto runner = pw::cli::add_token(app);
  args.insert(args.begin(), "pagewright");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Run r;
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    r.rc = runner();
  } catch (const CLI::ParseError& e) {
    r.rc = app.exit(e, err, err);
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(TokenCli, PrintsAVerifiableToken) {
  const auto r = run_token({"token", "--tenant", "t1", "--user", "u1", "--role", "admin", "--ttl", "120",
                            "--jwt-secret", kSecret});
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  ASSERT_EQ(r.out.back(), '\n');
  const std::string token = r.out.substr(0, r.out.size() - 1);
  const int64_t t = now();
  auto p = pw::gateway::verify_bearer("Bearer " + token, kSecret, t);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->tenant, pw::TenantId{"t1"});
  EXPECT_EQ(p->user, pw::UserId{"u1"});
  EXPECT_EQ(p->role, pw::gateway::Role::admin);
  EXPECT_GE(p->expires_at, t + 110);
  EXPECT_LE(p->expires_at, t + 130);
  EXPECT_FALSE(pw::gateway::verify_bearer("Bearer " + token, kSecret, t + 200).ok());
}

TEST(TokenCli, SecretFromTheEnvironmentAndDefaultTtl) {
  ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
  CLI::App app{"test"};
  auto runner = pw::cli::add_token(app);
  std::ostringstream out;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  app.parse(std::string("token --tenant t --user u --role viewer"), false);
  const int rc = runner();
  std::cout.rdbuf(old_out);
  ::unsetenv("PW_JWT_SECRET");
  ASSERT_EQ(rc, 0);
  std::string token = out.str();
  token.pop_back();
  const int64_t t = now();
  auto p = pw::gateway::verify_bearer("Bearer " + token, kSecret, t);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_GE(p->expires_at, t + 3590);
  EXPECT_LE(p->expires_at, t + 3610);
}

TEST(TokenCli, MissingSecretIsExit2) {
  const auto r = run_token({"token", "--tenant", "t", "--user", "u", "--role", "owner"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("PW_JWT_SECRET"), std::string::npos) << r.err;
}

TEST(TokenCli, ShortSecretIsExit2) {
  const auto r = run_token({"token", "--tenant", "t", "--user", "u", "--role", "owner", "--jwt-secret", "short"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("32 bytes"), std::string::npos) << r.err;
}

TEST(TokenCli, BadArgumentsAreRefused) {
  EXPECT_NE(run_token({"token", "--tenant", "t", "--user", "u", "--role", "root", "--jwt-secret", kSecret}).rc, 0);
  EXPECT_NE(run_token({"token", "--user", "u", "--role", "owner", "--jwt-secret", kSecret}).rc, 0);
  EXPECT_NE(run_token({"token", "--tenant", "t", "--user", "u", "--role", "owner", "--ttl", "0", "--jwt-secret",
                       kSecret})
                .rc,
            0);
}

}  // namespace
