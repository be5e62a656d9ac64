// `pagewright serve` as operators start it, checked for what it exposes: the
// files of the data directory, its command line, and what a runaway client
// gets with the default rate limits.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/cli/processes.hpp"
#include "tests/cli/serve_fixture.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;


unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 07777;
  return st.st_mode & 0777;
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

class ServeHardening : public ServeTest {
 protected:
  ServeHardening() : ServeTest("hardening") {}
};

TEST_F(ServeHardening, DraftsArePrivateThePublishedTreeIsReadableAndNoPasswordIsOnTheCommandLine) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens t = make_tokens(kSecret, db_);
  auto site =
      http.send_json("POST", "/v1/sites", t.admin, {{"name", "Files"}, {"subdomain", "files-" + db_.substr(8, 8)}});
  ASSERT_EQ(site.status, 201) << site.body;

  // Others may pass through the data directory to sites/, and see nothing else.
  EXPECT_EQ(mode_of(data_), 0711u);
  for (const char* dir : {"log", "snapshots"}) {
    SCOPED_TRACE(dir);
    EXPECT_EQ(mode_of(data_ / dir), 0700u);
    int files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_ / dir)) {
      if (entry.is_directory()) {
        EXPECT_EQ(mode_of(entry.path()), 0700u) << entry.path();
      }
      if (!entry.is_regular_file()) continue;
      ++files;
      EXPECT_EQ(mode_of(entry.path()), 0600u) << entry.path();
    }
    EXPECT_GT(files, 0);
  }
  // The deploy store is for the web server (another user) to read.
  EXPECT_EQ(mode_of(data_ / "sites") & 0005u, 0005u) << std::oct << mode_of(data_ / "sites");

  const std::string password = password_of(owner_);
  ASSERT_FALSE(password.empty()) << "the test server's logins have passwords";
  std::ifstream cmdline("/proc/" + std::to_string(serve_.pid) + "/cmdline", std::ios::binary);
  std::stringstream args;
  args << cmdline.rdbuf();
  ASSERT_NE(args.str().find("serve"), std::string::npos) << "read the command line of the right process";
  EXPECT_EQ(args.str().find(password), std::string::npos) << "the password is visible to ps";
  EXPECT_EQ(args.str().find("--pg"), std::string::npos);
}

TEST_F(ServeHardening, DefaultLimitsStopA4000ReadBurstAndLeaveAnotherTenantServed) {
  const uint16_t port = start_serve();
  ASSERT_NE(port, 0) << "serve did not start listening";
  const Tokens t = make_tokens(kSecret, db_);

  std::atomic<int> served{0}, refused{0}, other{0};
  std::mutex mu;
  HttpReply sample;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&] {
      HttpClient http("127.0.0.1", port);
      for (int i = 0; i < 500; ++i) {
        HttpReply r = http.get("/v1/sites", t.viewer);
        if (r.status == 200) {
          ++served;
        } else if (r.status == 429) {
          if (refused++ == 0) {
            std::lock_guard lk(mu);
            sample = r;
          }
        } else {
          ++other;
        }
      }
    });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(served + refused, 4000);
  // The default: 300 at once, then 30 per second.
  EXPECT_GE(served.load(), 300);
  EXPECT_LE(served.load(), 300 + static_cast<int>(30 * seconds) + 1) << seconds << " s";
  ASSERT_EQ(sample.status, 429);
  EXPECT_EQ(sample.json()["error"]["code"], "RATE_LIMITED");
  EXPECT_EQ(sample.json()["error"]["details"][0]["field"], "tenant");
  EXPECT_EQ(sample.header("retry-after"), "1");
  EXPECT_EQ(sample.header("ratelimit-limit"), "300");
  EXPECT_EQ(sample.header("ratelimit-remaining"), "0");
  EXPECT_FALSE(sample.header("ratelimit-reset").empty());

  // Another tenant edits, reads its edit back and publishes meanwhile.
  HttpClient http("127.0.0.1", port);
  const std::string sub = "calm-" + db_.substr(8, 8);
  auto site = http.send_json("POST", "/v1/sites", t.other_tenant, {{"name", "Calm"}, {"subdomain", sub}});
  ASSERT_EQ(site.status, 201) << site.body;
  EXPECT_EQ(site.header("ratelimit-limit"), "300");
  const std::string site_id = site.json()["data"].value("siteId", "");
  auto page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", t.other_tenant,
                             {{"title", "Calm"}, {"slug", "calm"}});
  ASSERT_EQ(page.status, 201) << page.body;
  const std::string page_id = page.json()["data"].value("pageId", "");
  auto read = http.get("/v1/pages/" + page_id, t.other_tenant,
                       {{"X-Pagewright-After", page.json()["data"].value("position", "")}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"]["title"], "Calm");
  ASSERT_EQ(http.send_json("POST", "/v1/pages/" + page_id + "/publish", t.other_tenant, json::object()).status, 200);
  auto requested = http.send_json("POST", "/v1/sites/" + site_id + "/publish", t.other_tenant, json::object());
  ASSERT_EQ(requested.status, 201) << requested.body;
  const json deployment =
      wait_for_deployment(http, t.other_tenant, requested.json()["data"].value("deploymentId", ""));
  EXPECT_EQ(deployment["status"], "succeeded") << deployment.dump();
  EXPECT_EQ(http.request("GET", "/sites/" + sub + "/calm/").status, 200);

  // Operators see the refusals on the metrics listener.
  ASSERT_NE(metrics_port_, 0);
  HttpClient operators("127.0.0.1", metrics_port_);
  const std::string metrics = operators.request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("rate_limited_total{scope=\"tenant\"} " + std::to_string(refused.load())), std::string::npos)
      << metrics.substr(0, 3000);
}

TEST_F(ServeHardening, CorsOriginsLetAListedEditorsBrowserInAndNoOtherOrigin) {
  const std::string editor = "http://localhost:5173";
  const uint16_t port = start_serve({"--cors-origins", editor});
  ASSERT_NE(port, 0) << "serve did not start listening";
  const Tokens t = make_tokens(kSecret, db_);
  HttpClient http("127.0.0.1", port);

  auto preflight = http.request("OPTIONS", "/v1/sites", {},
                                {{"Origin", editor},
                                 {"Access-Control-Request-Method", "POST"},
                                 {"Access-Control-Request-Headers", "authorization,content-type,idempotency-key"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("access-control-allow-origin"), editor);
  EXPECT_NE(preflight.header("access-control-allow-headers").find("Idempotency-Key"), std::string::npos);

  const std::string sub = "cors-" + db_.substr(8, 8);
  auto site = http.send_json("POST", "/v1/sites", t.admin, {{"name", "Cors"}, {"subdomain", sub}},
                             {{"Origin", editor}});
  ASSERT_EQ(site.status, 201) << site.body;
  EXPECT_EQ(site.header("access-control-allow-origin"), editor);
  EXPECT_EQ(site.header("vary"), "Origin");
  EXPECT_NE(site.header("access-control-expose-headers").find("X-Request-Id"), std::string::npos);

  auto stranger = http.request("OPTIONS", "/v1/sites", {},
                               {{"Origin", "http://localhost:5174"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(stranger.status, 405);
  EXPECT_EQ(stranger.header("access-control-allow-origin"), "");
  auto read = http.get("/v1/sites", t.viewer, {{"Origin", "http://localhost:5174"}});
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.header("access-control-allow-origin"), "");
  EXPECT_EQ(read.header("vary"), "");

  // A malformed list stops serve at start with the reason, rather than allowing nothing silently.
  Child refused = spawn({PW_BINARY, "serve", "--http", "127.0.0.1:0", "--data", (data_ / "other").string(),
                         "--cors-origins", "*"},
                        {"PW_PG=" + owner_, "PW_PG_READER=" + reader_});
  ASSERT_GT(refused.pid, 0);
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!(exited = ::waitpid(refused.pid, &status, WNOHANG) == refused.pid) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(exited && WIFEXITED(status)) << "serve kept running with --cors-origins '*'";
  EXPECT_NE(WEXITSTATUS(status), 0);
  refused.pid = -1;
}

}  // namespace
}  // namespace pw::test
