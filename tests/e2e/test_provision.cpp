// Bring your own PostgreSQL: on a server Pagewright has never seen (no roles,
// no database; `ops/pg start --bare` makes one, as a new user's would be),
// `serve` refuses to start and names the fix; `migrate --provision` prints or
// runs that fix, and `serve` then works with the conninfos it printed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "events/ids.hpp"
#include "tests/cli/processes.hpp"
#include "tests/e2e/scenario.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kSecret = "provision-secret-0123456789abcdef0123456789abcd";

struct Finished {
  int status = -1;
  std::string out, err;
};

// Runs the child to its end: its exit status, stdout and stderr.
Finished run(std::vector<std::string> args, const std::vector<std::string>& env, const fs::path& err_file) {
  fs::remove(err_file);
  Child c = spawn(std::move(args), env, err_file.string());
  Finished f;
  if (c.pid <= 0) return f;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, c.out)) > 0) f.out.append(buf, n);
  f.status = stop(c, 60s);
  std::ifstream in(err_file);
  std::stringstream s;
  s << in.rdbuf();
  f.err = s.str();
  return f;
}

// ops/pg through the shell: the server it starts must not inherit a pipe of
// ours (it would hold it open), and popen's child end is stdout alone.
Finished ops_pg(const std::vector<std::string>& env, const std::string& args) {
  std::string line;
  for (const auto& e : env) line += e + " ";
  line += "/bin/bash " PW_SOURCE_DIR "/ops/pg " + args + " 2>&1";
  Finished f;
  FILE* p = ::popen(line.c_str(), "r");
  if (!p) return f;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) f.out.append(buf, n);
  const int status = ::pclose(p);
  f.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return f;
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The value of `export NAME='…'` in the output, unquoted.
std::string exported(const std::string& out, const std::string& name) {
  const std::string prefix = "export " + name + "='";
  auto at = out.find(prefix);
  if (at == std::string::npos) return {};
  at += prefix.size();
  std::string value;
  for (size_t i = at; i < out.size(); ++i) {
    if (out.compare(i, 4, "'\\''") == 0) {
      value += '\'';
      i += 3;
    } else if (out[i] == '\'') {
      break;
    } else {
      value += out[i];
    }
  }
  return value;
}

class Provision : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/lib/postgresql/15/bin/initdb")) {
      const char* ci = std::getenv("CI");
      if (ci && std::string(ci) == "true") GTEST_FAIL() << "PostgreSQL 15 is not installed (ops/install-deps)";
      GTEST_SKIP() << "PostgreSQL 15 is not installed";
    }
    dir_ = fs::temp_directory_path() / ("pw-bare-" + uuid_v4().substr(0, 8));
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    pg_env_ = {"PW_PG_DIR=" + dir_.string(), "PW_PG_PORT=" + std::to_string(free_port())};
    auto started = ops_pg(pg_env_, "start --bare");
    ASSERT_EQ(started.status, 0) << started.out;
    auto url = ops_pg(pg_env_, "url superuser");
    ASSERT_EQ(url.status, 0) << url.out;
    superuser_ = url.out.substr(0, url.out.find('\n'));
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
  }
  void TearDown() override {
    if (serve_.pid > 0) stop(serve_, 30s);
    if (!dir_.empty()) {
      ops_pg(pg_env_, "stop");
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  fs::path dir_;
  std::vector<std::string> pg_env_;
  std::string superuser_;
  Child serve_;
};

TEST_F(Provision, ANewServerIsRefusedWithTheFixThenProvisionedAndServed) {
  const fs::path data = dir_ / "data-serve";
  const fs::path err = dir_ / "serve.err";

  // Started on a bare server, serve stops at once and says what to run.
  auto refused = run({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data.string(), "--metrics", "off"},
                     {"PW_PG=" + superuser_}, err);
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("no role pagewright_reader"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("pagewright migrate --provision"), std::string::npos) << refused.err;

  // So does a gateway, which only reads.
  auto gateway = run({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", "local:" + (dir_ / "log").string(),
                      "--metrics", "off"},
                     {"PW_PG=" + superuser_}, err);
  EXPECT_NE(gateway.status, 0);
  EXPECT_NE(gateway.err.find("pagewright migrate --provision"), std::string::npos) << gateway.err;

  // --print shows the SQL without touching the server.
  auto printed = run({PW_BINARY, "migrate", "--provision", "--print", "--database", "shop"}, {}, err);
  ASSERT_EQ(printed.status, 0) << printed.err;
  EXPECT_NE(printed.out.find("CREATE ROLE pagewright_owner"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("CREATE ROLE pagewright_reader"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find("CREATE DATABASE shop OWNER pagewright_owner"), std::string::npos) << printed.out;
  auto refused_again = run({PW_BINARY, "migrate"}, {"PW_PG=" + superuser_}, err);
  EXPECT_NE(refused_again.status, 0) << "--print changed the server";

  // A name that would need quoting is refused before anything runs.
  auto bad = run({PW_BINARY, "migrate", "--provision", "--database", "shop; DROP"}, {"PW_PG=" + superuser_}, err);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("database name"), std::string::npos) << bad.err;

  // Provisioning twice is fine; the second run's passwords are the ones that hold.
  Finished provisioned;
  for (int round = 0; round < 2; ++round) {
    provisioned = run({PW_BINARY, "migrate", "--provision", "--database", "shop"}, {"PW_PG=" + superuser_}, err);
    ASSERT_EQ(provisioned.status, 0) << provisioned.err << provisioned.out;
  }
  EXPECT_NE(provisioned.out.find("0 migration(s) applied"), std::string::npos) << provisioned.out;
  const std::string owner = exported(provisioned.out, "PW_PG");
  const std::string reader = exported(provisioned.out, "PW_PG_READER");
  ASSERT_NE(owner.find("user=pagewright_owner"), std::string::npos) << provisioned.out;
  ASSERT_NE(reader.find("user=pagewright_reader"), std::string::npos) << provisioned.out;
  EXPECT_EQ(provisioned.out.find(superuser_), std::string::npos) << "the superuser's password was printed";

  // serve on the provisioned database: an edit is acknowledged and readable.
  serve_ = spawn({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", data.string(), "--metrics", "off"},
                 {"PW_PG=" + owner, "PW_PG_READER=" + reader}, (dir_ / "serve2.err").string());
  const uint16_t port = read_listening_port(serve_.out);
  ASSERT_NE(port, 0) << "serve did not start on the provisioned database";
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, "provision");
  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Shop"}, {"subdomain", "shop"}});
  ASSERT_EQ(site.status, 201) << site.body;
  const auto body = nlohmann::json::parse(site.body);
  auto read = http.request("GET", "/v1/sites/" + body["data"]["siteId"].get<std::string>(), {},
                           {{"Authorization", "Bearer " + t.admin},
                            {"X-Pagewright-After", body["data"]["position"].get<std::string>()}});
  EXPECT_EQ(read.status, 200) << read.body;
}

}  // namespace
}  // namespace pw::test
