// Auditors who are not us, on the real broker: a split deployment (gateway,
// command worker, projection worker) edits several sites on Kafka; then
// Kafka's own console consumer and kcat each read the events topic with
// read_committed, ops/audit-chain (Python's hashlib, nothing of Pagewright's)
// recomputes every site's chain from those bytes, and both agree with
// GET …/audit/verify. A copy of the bytes with one record altered, and one with
// a record missing, is reported broken at that record.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "events/ids.hpp"
#include "tests/cli/processes.hpp"
#include "tests/e2e/scenario.hpp"
#include "tests/postgres/pg_test_util.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kSecret = "audit-secret-0123456789abcdef0123456789abcdef";
const std::string kSource = PW_SOURCE_DIR;

struct Shell {
  int status = -1;
  std::string out;
};

// Runs `command` with /bin/sh; its stdout and exit status (of a pipeline: its last command).
Shell run(const std::string& command) {
  Shell r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The auditor's answer, one JSON object per site, by site id.
std::map<std::string, json> by_site(const std::string& lines) {
  std::map<std::string, json> out;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object()) out[j.value("siteId", "")] = j;
  }
  return out;
}

class KafkaAuditors : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const char* b = std::getenv("PW_TEST_KAFKA_BOOTSTRAP");
    const char* ci = std::getenv("CI");
    if (b == nullptr || *b == '\0') {
      if (ci && std::string(ci) == "true")
        GTEST_FAIL() << "PW_TEST_KAFKA_BOOTSTRAP is not set; CI runs the kafka tests against a broker "
                        "(ops/test starts one with ops/kafka)";
      GTEST_SKIP() << "PW_TEST_KAFKA_BOOTSTRAP is not set (e.g. `ops/kafka start && ops/kafka url`)";
    }
    bootstrap_ = b;
    ASSERT_EQ(run("kcat -V >/dev/null 2>&1").status, 0) << "kcat is missing (ops/install-deps installs it)";
    ns_ = "audit-" + uuid_v4().substr(0, 8);
  }

  std::string events_topic() const { return ns_ + ".pagewright.events"; }

  std::string console_consumer() const {
    // key.separator stays the console consumer's default, a TAB.
    return "PW_KAFKA_BOOTSTRAP=" + quoted(bootstrap_) + " " + quoted(kSource + "/ops/kafka") + " tool console-consumer --topic " +
           quoted(events_topic()) +
           " --from-beginning --isolation-level read_committed --property print.key=true --timeout-ms 10000"
           " 2>/dev/null";
  }

  std::string kcat() const {
    return "kcat -C -q -e -b " + quoted(bootstrap_) + " -t " + quoted(events_topic()) +
           " -X isolation.level=read_committed -o beginning -f '%k\\t%s\\n'";
  }

  static std::string auditor() { return quoted(kSource + "/ops/audit-chain"); }

  std::string bootstrap_, ns_;
};

TEST_F(KafkaAuditors, ConsoleConsumerAndKcatRecomputeEveryChainAsVerifyDoes) {
  ::setenv("PW_JWT_SECRET", kSecret.c_str(), 1);
  const std::string uri = "kafka:" + bootstrap_ + "?namespace=" + ns_ + "&consumer.fetch.wait.max.ms=50";
  const auto data = std::filesystem::temp_directory_path() / ("pw-kafka-audit-" + db_);

  // The projection worker first: it migrates the fresh database.
  Child projections = spawn({PW_BINARY, "worker", "--pool", "projections", "--log", uri}, {"PW_PG=" + owner_});
  Child commands = spawn({PW_BINARY, "worker", "--pool", "commands", "--log", uri, "--data", data.string()});
  {
    pqxx::connection c(owner_);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pqxx::work(c).exec("SELECT to_regclass('public.projection_offsets') IS NOT NULL")[0][0].as<bool>()) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  Child gw = spawn({PW_BINARY, "gateway", "--http", "127.0.0.1:0", "--log", uri, "--sites", (data / "sites").string()},
                   {"PW_PG=" + owner_, "PW_PG_READER=" + reader_});
  const uint16_t port = read_listening_port(gw.out);
  ASSERT_NE(port, 0) << "gateway did not start listening";
  HttpClient http("127.0.0.1", port);
  const Tokens tokens = make_tokens(kSecret, db_);

  // Three sites, each with pages and a few edits, so chains of different
  // lengths share the topic's partitions.
  std::vector<std::string> sites;
  for (int s = 0; s < 3; ++s) {
    auto site = http.send_json("POST", "/v1/sites", tokens.admin,
                               {{"name", "Audit " + std::to_string(s)}, {"subdomain", ns_ + "-" + std::to_string(s)}});
    ASSERT_EQ(site.status, 201) << site.body;
    const std::string site_id = site.json()["data"].value("siteId", "");
    sites.push_back(site_id);
    for (int p = 0; p <= s; ++p) {
      auto page = http.send_json("POST", "/v1/sites/" + site_id + "/pages", tokens.editor,
                                 {{"title", "Page " + std::to_string(p)}});
      ASSERT_EQ(page.status, 201) << page.body;
      const std::string page_id = page.json()["data"].value("pageId", "");
      for (int e = 0; e < 3; ++e) {
        auto edit = http.send_json("PATCH", "/v1/pages/" + page_id, tokens.editor,
                                   {{"title", "Edit " + std::to_string(p) + "." + std::to_string(e)}});
        ASSERT_EQ(edit.status, 200) << edit.body;
      }
    }
  }

  std::map<std::string, json> verified;
  for (const auto& site : sites) {
    auto verify = http.get("/v1/sites/" + site + "/audit/verify", tokens.viewer);
    ASSERT_EQ(verify.status, 200) << verify.body;
    verified[site] = verify.json()["data"];
    ASSERT_EQ(verified[site].value("ok", false), true) << verify.body;
  }
  // SiteCreated, then per page PageCreated and three renames.
  EXPECT_EQ(verified[sites[0]].value("events", int64_t{0}), 1 + 4);
  EXPECT_EQ(verified[sites[2]].value("events", int64_t{0}), 1 + 3 * 4);

  const auto kcat_bytes = data / "kcat.records";
  for (const auto& [name, reader] : {std::pair{std::string("console consumer"), console_consumer()},
                                     std::pair{std::string("kcat"), kcat() + " | tee " + quoted(kcat_bytes.string())}}) {
    SCOPED_TRACE(name);
    std::filesystem::create_directories(data);
    const Shell audit = run(reader + " | " + auditor());
    EXPECT_EQ(audit.status, 0) << audit.out;
    const auto theirs = by_site(audit.out);
    EXPECT_EQ(theirs.size(), sites.size()) << "the namespace's topic holds these sites only:\n" << audit.out;
    for (const auto& site : sites) {
      ASSERT_TRUE(theirs.contains(site)) << site << " missing from\n" << audit.out;
      const json& t = theirs.at(site);
      EXPECT_EQ(t["events"], verified[site]["events"]) << t.dump();
      EXPECT_EQ(t["headHash"], verified[site]["headHash"]) << t.dump();
      EXPECT_EQ(t["ok"], true) << t.dump();
      EXPECT_TRUE(t["firstBadSeq"].is_null()) << t.dump();
    }
  }

  // Tampering with a copy of the bytes the auditor reads: one byte of the
  // second site's third record changed; the second site's second record
  // claiming another predecessor (so the links on both its sides break); the
  // third site's second record left out. Each is reported broken at that
  // record; the first site is not.
  std::ifstream in(kcat_bytes, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  std::string altered, forged, dropped;
  int changed = 0, relinked = 0, removed = 0;
  std::istringstream lines(all.str());
  for (std::string line; std::getline(lines, line);) {
    std::string copy = line;
    if (line.starts_with(sites[1] + "\t") && line.find("\"seq\":3,") != std::string::npos) {
      const auto at = copy.find("\"data\":{") + 9;
      copy[at] = copy[at] == 'x' ? 'y' : 'x';
      ++changed;
    }
    altered += copy + "\n";
    copy = line;
    if (line.starts_with(sites[1] + "\t") && line.find("\"seq\":2,") != std::string::npos) {
      const auto at = copy.find("\"prevHash\":\"") + 12;
      copy[at] = copy[at] == 'f' ? 'e' : 'f';
      ++relinked;
    }
    forged += copy + "\n";
    if (line.starts_with(sites[2] + "\t") && line.find("\"seq\":2,") != std::string::npos) {
      ++removed;
      continue;
    }
    dropped += line + "\n";
  }
  ASSERT_EQ(changed, 1);
  ASSERT_EQ(relinked, 1);
  ASSERT_EQ(removed, 1);
  const int64_t events1 = verified[sites[1]]["events"].get<int64_t>();
  const int64_t events2 = verified[sites[2]]["events"].get<int64_t>();
  for (const auto& [name, bytes, bad_site, bad_seq, expected_events] :
       {std::tuple{std::string("altered"), altered, sites[1], 3, events1},
        std::tuple{std::string("forged"), forged, sites[1], 2, events1},
        std::tuple{std::string("dropped"), dropped, sites[2], 2, events2 - 1}}) {
    SCOPED_TRACE(name);
    const auto copy = data / (name + ".records");
    std::ofstream(copy, std::ios::binary) << bytes;
    const Shell audit = run(auditor() + " < " + quoted(copy.string()));
    EXPECT_EQ(audit.status, 1) << audit.out;
    const auto theirs = by_site(audit.out);
    ASSERT_TRUE(theirs.contains(bad_site)) << audit.out;
    const json& t = theirs.at(bad_site);
    EXPECT_EQ(t["ok"], false) << t.dump();
    EXPECT_EQ(t["firstBadSeq"], bad_seq) << t.dump();
    EXPECT_EQ(t["events"], expected_events) << t.dump();
    ASSERT_TRUE(theirs.contains(sites[0])) << audit.out;
    EXPECT_EQ(theirs.at(sites[0])["ok"], true);
    EXPECT_EQ(theirs.at(sites[0])["headHash"], verified[sites[0]]["headHash"]);
  }

  EXPECT_EQ(stop(gw, 30s), 0) << "gateway did not drain and exit cleanly";
  EXPECT_EQ(stop(commands, 30s), 0);
  EXPECT_EQ(stop(projections, 30s), 0);
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
}

}  // namespace
}  // namespace pw::test
