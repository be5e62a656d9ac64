// The structured logs as an operator searches them: one edit followed by its
// request id through the JSON lines of a split deployment (gateway, command,
// projection and build workers as separate processes on `pagewright
// dev-broker`), and no token or secret in any line, however a request or a
// connection string smuggles it in.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "tests/cli/processes.hpp"
#include "tests/cli/test_broker.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kSecret = "structured-logs-secret-0123456789abcdef0123456789";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every line a role wrote, each one JSON object (a line that is not fails).
std::vector<json> json_lines(const std::filesystem::path& p) {
  std::vector<json> out;
  std::istringstream in(slurp(p));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << p.filename().string() << ": not a JSON line: " << line;
    if (!j.is_object()) continue;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("role") && j.contains("msg")) << line;
    out.push_back(std::move(j));
  }
  return out;
}

bool has_value(const json& line, const std::string& value) {
  for (const auto& [key, v] : line.items())
    if (v.is_string() && v.get<std::string>() == value) return true;
  return false;
}

// The lines of `files` that name `id` in any field: what `grep <id>` finds.
std::vector<json> grep_id(const std::vector<std::filesystem::path>& files, const std::string& id) {
  std::vector<json> out;
  for (const auto& f : files)
    for (auto& j : json_lines(f))
      if (has_value(j, id)) out.push_back(std::move(j));
  return out;
}

const json* find_line(const std::vector<json>& lines, const std::function<bool(const json&)>& match) {
  for (const auto& j : lines)
    if (match(j)) return &j;
  return nullptr;
}

// Polls until `done` (the workers write their lines after the HTTP answer).
bool eventually(const std::function<bool()>& done, std::chrono::seconds patience = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

std::string dump(const std::vector<json>& lines) {
  std::string s;
  for (const auto& j : lines) s += j.dump() + "\n";
  return s;
}

class StructuredLogs : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
    dir_ = std::filesystem::temp_directory_path() / ("pw-logs-" + db_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_, ec);
    if (HasFailure()) std::cerr << "structured logs: kept in " << dir_.string() << "\n";
    PgTest::TearDown();
  }
  std::filesystem::path log_file(const std::string& name) const { return dir_ / (name + ".log"); }
  std::filesystem::path dir_;
};

TEST_F(StructuredLogs, OneEditIsFollowedThroughTheSplitDeploymentByItsRequestId) {
  TestBroker broker = TestBroker::start(BrokerKind::dev, "structured-logs");
  ASSERT_TRUE(broker.ready());
  const std::string uri = broker.uri();
  const std::string sites = (dir_ / "sites").string();
  const std::vector<std::string> debug = {"--log-level", "debug"};
  auto role = [&](std::vector<std::string> args, const std::string& name, std::vector<std::string> env = {}) {
    args.insert(args.begin(), PW_BINARY);
    args.insert(args.end(), debug.begin(), debug.end());
    return spawn(args, env, log_file(name).string());
  };
  Child projections = role({"worker", "--pool", "projections", "--log", uri}, "projections", {"PW_PG=" + owner_});
  Child commands = role({"worker", "--pool", "commands", "--log", uri, "--data", (dir_ / "data").string()}, "commands");
  Child builds = role({"worker", "--pool", "builds", "--log", uri, "--sites", sites}, "builds");
  {
    pqxx::connection c(owner_);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pqxx::work(c).exec("SELECT to_regclass('public.projection_offsets') IS NOT NULL")[0][0].as<bool>()) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  // The gateway at the default level (info): its access lines are there.
  Child gw = spawn({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", uri, "--sites", sites, "--metrics", "off"},
                   {"PW_PG=" + owner_, "PW_PG_READER=" + reader_}, log_file("gateway").string());
  const uint16_t port = read_listening_port(gw.out);
  ASSERT_NE(port, 0) << "gateway did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const std::string tenant = "t-" + db_;
  const std::string subdomain = "logs-" + db_.substr(8, 8);

  auto site = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", "Logs"}, {"subdomain", subdomain}});
  ASSERT_EQ(site.status, 201) << site.body;
  const std::string site_id = site.json()["data"].value("siteId", "");
  auto page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", tokens.editor, {{"title", "Home"}, {"slug", ""}});
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");

  // The edit, under a request id of the client's choosing.
  const std::string edit_id = "edit-" + db_;
  auto edit = http.send_json("POST", "/v1/pages/" + page_id + "/components", tokens.editor,
                             {{"type", "Heading"}, {"props", {{"text", "Hello"}, {"level", 1}}}},
                             {{"X-Request-Id", edit_id}});
  ASSERT_EQ(edit.status, 201) << edit.body;
  EXPECT_EQ(edit.header("x-request-id"), edit_id);
  auto published = http.send_json("POST", "/v1/pages/" + page_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(published.status, 200) << published.body;
  // Publishing the site: the build worker's lines join the same chain.
  auto publish = http.send_json("POST", "/v1/sites/" + site_id + "/publish", tokens.admin, json::object());
  ASSERT_EQ(publish.status, 201) << publish.body;
  const std::string publish_id = publish.header("x-request-id");
  ASSERT_FALSE(publish_id.empty());
  const auto deployment = wait_for_deployment(http, tokens.viewer, publish.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(deployment["status"], "succeeded") << deployment.dump();

  const std::vector<std::filesystem::path> files = {log_file("gateway"), log_file("commands"),
                                                    log_file("projections"), log_file("builds")};
  auto in_role = [](const std::string& role, const std::string& msg) {
    return [role, msg](const json& j) { return j.value("role", "") == role && j.value("msg", "") == msg; };
  };

  // The edit: the gateway's access line names the command; the processor's
  // decided line and the projector's applied line carry the request id as
  // their correlation id.
  std::vector<json> found;
  ASSERT_TRUE(eventually([&] {
    found = grep_id(files, edit_id);
    return find_line(found, in_role("worker-projections", "event applied")) != nullptr;
  })) << dump(found);
  const json* access = find_line(found, in_role("gateway", "request"));
  ASSERT_NE(access, nullptr) << dump(found);
  EXPECT_EQ((*access)["request_id"], edit_id);
  EXPECT_EQ((*access)["tenant"], tenant);
  EXPECT_EQ((*access)["method"], "POST");
  EXPECT_EQ((*access)["route"], "add_component");
  EXPECT_EQ((*access)["status"], 201);
  EXPECT_EQ((*access)["level"], "info");
  EXPECT_TRUE((*access)["duration_ms"].is_number());
  const std::string command_id = access->value("command_id", "");
  ASSERT_FALSE(command_id.empty()) << access->dump();
  const json* decided = find_line(found, in_role("worker-commands", "command decided"));
  ASSERT_NE(decided, nullptr) << dump(found);
  EXPECT_EQ((*decided)["correlation_id"], edit_id);
  EXPECT_EQ((*decided)["command_id"], command_id);
  EXPECT_EQ((*decided)["tenant"], tenant);
  EXPECT_EQ((*decided)["type"], "AddComponent");
  EXPECT_EQ((*decided)["accepted"], true);
  EXPECT_EQ((*decided)["level"], "debug");
  const json* applied = find_line(found, in_role("worker-projections", "event applied"));
  ASSERT_NE(applied, nullptr);
  EXPECT_EQ((*applied)["correlation_id"], edit_id);
  EXPECT_EQ((*applied)["command_id"], command_id);
  EXPECT_EQ((*applied)["tenant"], tenant);
  EXPECT_EQ((*applied)["type"], "ComponentAdded");
  EXPECT_EQ((*applied)["site"], site_id);
  // Only that edit's lines: the other requests have ids of their own.
  for (const auto& j : found) EXPECT_NE(j.value("route", ""), "create_page") << j.dump();

  // The publish: through the build worker, whose reports are commands of
  // their own, decided and applied under the same correlation id.
  ASSERT_TRUE(eventually([&] {
    found = grep_id(files, publish_id);
    int applied_succeeded = 0;
    for (const auto& j : found)
      if (j.value("msg", "") == "event applied" && j.value("type", "") == "DeploymentSucceeded") ++applied_succeeded;
    return applied_succeeded > 0;
  })) << dump(found);
  const json* publish_access = find_line(found, in_role("gateway", "request"));
  ASSERT_NE(publish_access, nullptr) << dump(found);
  EXPECT_EQ((*publish_access)["route"], "publish_site");
  EXPECT_EQ((*publish_access)["status"], 201);
  const std::string publish_command = publish_access->value("command_id", "");
  const json* started = find_line(found, in_role("worker-builds", "build start"));
  const json* completed = find_line(found, in_role("worker-builds", "build complete"));
  ASSERT_NE(started, nullptr) << dump(found);
  ASSERT_NE(completed, nullptr) << dump(found);
  EXPECT_EQ((*completed)["correlation_id"], publish_id);
  EXPECT_EQ((*completed)["caused_by"], publish_command);
  EXPECT_EQ((*completed)["tenant"], tenant);
  EXPECT_EQ((*completed)["site"], site_id);
  EXPECT_EQ((*completed)["level"], "info");
  const std::string report_command = completed->value("command_id", "");
  EXPECT_NE(find_line(found,
                      [&](const json& j) {
                        return j.value("msg", "") == "command decided" && j.value("command_id", "") == report_command &&
                               j.value("type", "") == "CompleteDeployment";
                      }),
            nullptr)
      << dump(found);
  EXPECT_NE(find_line(found,
                      [&](const json& j) {
                        return j.value("role", "") == "worker-projections" &&
                               j.value("type", "") == "DeploymentRequested" &&
                               j.value("command_id", "") == publish_command;
                      }),
            nullptr)
      << dump(found);

  // Every role wrote its start-up line as JSON too, and nothing else.
  for (const auto& f : {log_file("commands"), log_file("projections"), log_file("builds")}) {
    const auto lines = json_lines(f);
    EXPECT_NE(find_line(lines, [](const json& j) { return j.value("msg", "") == "worker started"; }), nullptr)
        << f.string();
  }

  EXPECT_EQ(stop(gw, 30s), 0);
  EXPECT_EQ(stop(builds, 30s), 0);
  EXPECT_EQ(stop(commands, 30s), 0);
  EXPECT_EQ(stop(projections, 30s), 0);
  EXPECT_EQ(broker.stop(30s), 0);
  const auto gateway_lines = json_lines(log_file("gateway"));
  EXPECT_NE(find_line(gateway_lines,
                      [&](const json& j) {
                        return j.value("msg", "") == "listening" && j.value("role", "") == "gateway" &&
                               j.value("port", 0) == port;
                      }),
            nullptr)
      << dump(gateway_lines);
  EXPECT_NE(find_line(gateway_lines, [](const json& j) { return j.value("msg", "") == "draining"; }), nullptr);
}

std::string password_of(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    PQfreemem(err);
    return {};
  }
  std::string password;
  for (auto* o = opts; o->keyword; ++o)
    if (std::string(o->keyword) == "password" && o->val) password = o->val;
  PQconninfoFree(opts);
  return password;
}

// The child's exit status once it ends by itself (-1: still running after `patience`).
int wait_exit(Child& c, std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(50ms);
  }
  return -1;
}

TEST_F(StructuredLogs, NoTokenOrSecretReachesALogLine) {
  const std::filesystem::path serve_log = log_file("serve");
  // trace: the most a process ever says.
  Child serve = spawn({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", (dir_ / "data").string(), "--metrics",
                       "off", "--log-level", "trace"},
                      {"PW_PG=" + owner_, "PW_PG_READER=" + reader_}, serve_log.string());
  const uint16_t port = read_listening_port(serve.out);
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);
  const Tokens forged = make_tokens("not-the-secret-but-just-as-long-0123456789abcdef", db_);
  const std::string garbage = "garbage-bearer-credential-7f3a9c";
  const std::string cookie = "session-cookie-value-5be1d2";

  auto site = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", "Secrets"}, {"subdomain", "sec-" + db_.substr(8, 8)}});
  ASSERT_EQ(site.status, 201) << site.body;
  const std::string site_id = site.json()["data"].value("siteId", "");

  // A token signed with another secret, a token that is no JWT, odd casing.
  EXPECT_EQ(http.get("/v1/sites", forged.admin).status, 401);
  EXPECT_EQ(http.request("GET", "/v1/sites", {}, {{"Authorization", "Bearer " + garbage}}).status, 401);
  EXPECT_EQ(http.request("GET", "/v1/sites", {}, {{"authorization", "bEaReR " + forged.owner}}).status, 401);
  EXPECT_EQ(http.request("GET", "/v1/sites", {}, {{"Authorization", "Basic " + garbage}}).status, 401);
  // Valid tokens where no token belongs: the query string, the path, the
  // request id, a cookie, a command's body.
  EXPECT_EQ(http.request("GET", "/v1/sites?access_token=" + tokens.owner).status, 401);
  EXPECT_EQ(http.request("GET", "/v1/sites?token=" + tokens.owner + "&page=2").status, 401);
  const int in_path = http.get("/v1/sites/" + tokens.owner, tokens.owner).status;
  EXPECT_TRUE(in_path >= 400 && in_path < 500) << in_path;
  EXPECT_EQ(http.get("/v1/sites", tokens.owner, {{"X-Request-Id", tokens.owner}}).status, 200);
  EXPECT_EQ(http.get("/v1/sites", tokens.owner, {{"Cookie", "session=" + cookie + "; jwt=" + tokens.admin}}).status,
            200);
  auto renamed = http.send_json("PATCH", "/v1/sites/" + site_id, tokens.admin, {{"name", tokens.editor}});
  EXPECT_LT(renamed.status, 500) << renamed.body;
  auto bad_body = http.send_json("POST", "/v1/sites", tokens.admin, {{"name", kSecret}, {"subdomain", tokens.viewer}});
  EXPECT_EQ(bad_body.status, 400) << bad_body.body;  // the subdomain is no subdomain
  EXPECT_EQ(bad_body.json()["error"]["details"][0].value("field", ""), "subdomain") << bad_body.body;

  // A connection string whose password libpq echoes in its error (a bad
  // percent-escape), and one it cannot reach: the roles fail, saying why, and
  // say no password.
  const std::string bad_escape_password = "Leak%ZZpg-password-91c4";
  const std::filesystem::path migrate_log = log_file("migrate");
  Child migrate = spawn({PW_BINARY, "migrate"},
                        {"PW_PG=postgresql://pagewright_owner:" + bad_escape_password + "@127.0.0.1:1/pagewright"},
                        migrate_log.string());
  EXPECT_EQ(wait_exit(migrate, 60s), 1);
  const std::string unreachable_password = "unreachable-pg-password-44d0";
  const std::filesystem::path worker_log = log_file("worker");
  Child worker = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", "local:" + (dir_ / "other").string()},
                       {"PW_PG=postgresql://pagewright_owner:" + unreachable_password + "@127.0.0.1:1/pagewright"},
                       worker_log.string());
  EXPECT_EQ(wait_exit(worker, 60s), 1);  // its migrations cannot reach the server

  // Hostile requests changed nothing for the next tenant: an edit becomes visible.
  const Tokens other = make_tokens(kSecret, db_ + "-next");
  auto next = http.send_json("POST", "/v1/sites", other.admin, {{"name", "Next"}, {"subdomain", "next-" + db_.substr(8, 8)}});
  ASSERT_EQ(next.status, 201) << next.body;
  const std::string next_site = next.json()["data"].value("siteId", "");
  auto read = http.get("/v1/sites/" + next_site, other.viewer,
                       {{"X-Pagewright-After", next.json()["data"].value("position", "")}});
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"].value("name", ""), "Next");

  EXPECT_EQ(stop(serve, 30s), 0);

  const std::string migrate_text = slurp(migrate_log);
  EXPECT_NE(migrate_text.find("invalid percent-encoded token"), std::string::npos)
      << "the error itself still reaches the operator: " << migrate_text;
  const std::vector<std::string> secrets = {
      kSecret,        tokens.owner,         tokens.admin,         tokens.editor, tokens.viewer,
      forged.admin,   forged.owner,         garbage,              cookie,        password_of(owner_),
      password_of(reader_), bad_escape_password, unreachable_password};
  for (const auto& file : {serve_log, migrate_log, worker_log}) {
    const std::string text = slurp(file);
    EXPECT_FALSE(text.empty()) << file.string();
    for (const auto& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(text.find(secret), std::string::npos) << file.filename().string() << " holds " << secret;
      // Nor the part of a JWT that makes it one: its signature.
      if (const auto dot = secret.rfind('.'); secret.starts_with("eyJ") && dot != std::string::npos) {
        EXPECT_EQ(text.find(secret.substr(dot + 1)), std::string::npos) << file.filename().string();
      }
    }
    json_lines(file);  // and every line is a JSON object
  }
  // The refused requests were logged, with their request ids and statuses.
  const auto lines = json_lines(serve_log);
  int refused = 0;
  for (const auto& j : lines)
    if (j.value("msg", "") == "request" && j.value("status", 0) == 401) ++refused;
  EXPECT_EQ(refused, 6) << dump(lines);
}

}  // namespace
}  // namespace pw::test
