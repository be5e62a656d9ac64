// The build pool end to end on the embedded log: the real command processor
// decides, the build worker renders and ships into a real deploy store, and
// the outcome comes back as events in the site's stream.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "events/dead_letter.hpp"
#include "events/encoding.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "workers/ship/shipper.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/kafka_log/broker.hpp"
#include "tests/workers/backend.hpp"
#include "workers/build/build_worker.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using namespace pw::domain;

const std::string kSub = "acme";

SiteId site() { return site_id_for_subdomain(kSub); }
PageId page(std::string_view s) { return make_page_id(site(), s); }
DeploymentId dep(std::string_view s) { return make_deployment_id(site(), s); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BuildWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("pw-builds-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
    backend_ = make_processor_backend();
    require_server(backend_->missing());
    if (IsSkipped() || HasFatalFailure()) return;
    auto log = log::open_log(backend_->fresh_uri(), backend_->config());
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(log).value();
    ASSERT_TRUE(create_pagewright_topics(*log_, 2).ok());
    workers::ProcessorConfig pc;
    pc.schemas = ::pw::test::test_schemas();
    pc.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, pc);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    processor_ = std::move(processor).value();
    start_builder();
  }
  void TearDown() override {
    builder_.reset();
    processor_.reset();
    reader_.reset();
    log_.reset();
    backend_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start_builder(std::function<bool()> crash = {},
                     std::function<void(builds::BuildWorkerConfig&)> tune = {}) {
    builds::BuildWorkerConfig bc;
    bc.sites_dir = dir_ / "sites";
    bc.base_url = "https://{subdomain}.example.test";
    bc.crash_before_report = std::move(crash);
    if (tune) tune(bc);
    auto builder = builds::BuildWorker::create(*log_, bc);
    ASSERT_TRUE(builder.ok()) << builder.error().message;
    builder_ = std::move(builder).value();
  }

  void submit(Command c) {
    ASSERT_TRUE(submit_commands(*log_, {command_record(++n_, kSub, std::move(c))}).ok());
  }

  // Every event of the site so far, decoded, in stream order (read
  // incrementally: a Kafka reader is a client of its own).
  const std::vector<Envelope>& events() {
    const log::TopicPartition tp{std::string(log::kEventsTopic), log::partition_for(site().str(), 2)};
    auto end = log_->end_offset(tp);
    if (!end.ok() || *end <= next_) return seen_;
    if (!reader_) {
      auto reader = log_->reader(tp, 0);
      if (!reader.ok()) return seen_;
      reader_ = std::move(reader).value();
    }
    while (next_ < *end) {
      auto batch = reader_->read(1s, 1000);
      if (!batch.ok() || batch->empty()) break;
      for (const auto& r : *batch) {
        next_ = r.offset + 1;
        auto env = decode(r.value);
        if (env.ok() && env->site_id == site().str()) seen_.push_back(*env);
      }
    }
    return seen_;
  }

  std::optional<Envelope> find_event(const std::string& type, const DeploymentId& id) {
    for (const auto& e : events())
      if (e.type == type && e.aggregate.id == id.value) return e;
    return std::nullopt;
  }
  int count_events(const std::string& type, const DeploymentId& id) {
    int n = 0;
    for (const auto& e : events()) n += e.type == type && e.aggregate.id == id.value;
    return n;
  }

  // Runs the processor and the builder until the deployment has an outcome
  // (a Kafka group takes seconds to form, hence the generous deadline).
  std::optional<Envelope> outcome(const DeploymentId& id) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      (void)processor_->run_once(5ms);
      if (builder_) (void)builder_->run_once(5ms);
      if (auto e = find_event("DeploymentSucceeded", id)) return e;
      if (auto e = find_event("DeploymentFailed", id)) return e;
    }
    return std::nullopt;
  }
  // Until the (re)started builder owns partitions: a Kafka group forms in seconds.
  void wait_assigned() {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (builder_->assignment().empty() && std::chrono::steady_clock::now() < deadline) {
      (void)processor_->run_once(5ms);
      (void)builder_->run_once(5ms);
    }
    ASSERT_FALSE(builder_->assignment().empty());
  }
  // Runs both until `done` holds (or a minute passes).
  template <class Pred>
  bool until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      (void)processor_->run_once(5ms);
      if (builder_) (void)builder_->run_once(5ms);
    }
    return done();
  }
  void settle() {
    for (int i = 0; i < 20; ++i) {
      (void)processor_->run_once(5ms);
      if (builder_) (void)builder_->run_once(5ms);
    }
  }

  void make_site() {
    submit(CreateSite{site(), "Acme", kSub});
    submit(CreatePage{page("home"), "Home", std::string(""), std::string("Welcome")});
    submit(CreatePage{page("about"), "About us", std::string("about"), std::nullopt});
    submit(CreatePage{page("draft"), "Draft", std::string("draft"), std::nullopt});
    submit(AddComponent{page("home"), ComponentId{"h1"}, "Heading", json{{"text", "First words"}}, {}, {}, {}});
    submit(AddComponent{page("about"), ComponentId{"t1"}, "Text", json{{"text", "We *make* things."}}, {}, {}, {}});
    submit(PublishPage{page("home")});
    submit(PublishPage{page("about")});
  }

  // Appends events straight to the site's stream, chained after its head, as
  // if they had been stored before the deciders checked what they carry. The
  // processor never learns of them: only the build worker folds them.
  void append_forged(const std::vector<DomainEvent>& forged) {
    settle();
    ASSERT_FALSE(events().empty());
    Envelope head = events().back();
    log::Batch b;
    for (const DomainEvent& e : forged) {
      Envelope env = head;
      env.id = uuid_v4();
      env.type = std::string(event_type(e));
      env.schema_version = kEventSchemaVersion;
      const auto agg = aggregate_of(e);
      env.aggregate = {std::string(agg.type), agg.id, head.seq + 1};
      env.seq = head.seq + 1;
      env.occurred_at = timestamp(3000000 + static_cast<int>(env.seq));
      env.command_id = "forged-" + std::to_string(env.seq);
      env.correlation_id = env.command_id;
      env.causation_id = "";
      env.prev_hash = sha256_hex(encode(head));
      env.data = event_data(e);
      b.records.push_back({std::string(log::kEventsTopic), site().str(), encode(env), std::nullopt});
      head = env;
    }
    ASSERT_TRUE(log_->append(b).ok());
  }

  // The FailDeployment the build worker reported for `id`, if any.
  std::optional<DeploymentFailed> reported_failure(const DeploymentId& id) {
    const log::TopicPartition tp{std::string(log::kCommandsTopic), log::partition_for(site().str(), 2)};
    auto end = log_->end_offset(tp);
    auto reader = log_->reader(tp, 0);
    if (!end.ok() || !reader.ok()) return std::nullopt;
    for (int64_t next = 0; next < *end;) {
      auto batch = (*reader)->read(1s, 1000);
      if (!batch.ok() || batch->empty()) break;
      for (const auto& r : *batch) {
        next = r.offset + 1;
        auto rec = domain::decode_command_record(r.value);
        if (!rec.ok()) continue;
        if (const auto* f = std::get_if<FailDeployment>(&rec->command); f && f->outcome.deploymentId == id)
          return f->outcome;
      }
    }
    return std::nullopt;
  }

  fs::path live() { return dir_ / "sites" / "live" / kSub / "production"; }
  std::string live_deploy() { return fs::read_symlink(live()).filename().string(); }

  fs::path dir_;
  std::unique_ptr<ProcessorBackend> backend_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<log::Reader> reader_;
  std::vector<Envelope> seen_;
  int64_t next_ = 0;
  std::unique_ptr<workers::CommandProcessor> processor_;
  std::unique_ptr<builds::BuildWorker> builder_;
  int n_ = 0;
};

json report_of(const Envelope& e) { return e.data.at("report"); }

TEST_F(BuildWorkerTest, PublishingShipsThePublishedPagesAndSwitchesLive) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  auto done = outcome(dep("d1"));
  ASSERT_TRUE(done);
  ASSERT_EQ(done->type, "DeploymentSucceeded") << done->data.dump();
  EXPECT_TRUE(find_event("DeploymentStarted", dep("d1")));
  EXPECT_EQ(report_of(*done)["pagesRendered"], 2);
  EXPECT_EQ(done->data["url"], "/sites/acme/");
  EXPECT_EQ(done->data["manifestHash"].get<std::string>().size(), 64u);

  EXPECT_EQ(live_deploy(), "d1");
  EXPECT_TRUE(fs::exists(live() / "index.html"));
  EXPECT_TRUE(fs::exists(live() / "about" / "index.html"));
  EXPECT_FALSE(fs::exists(live() / "draft"));  // never published
  for (const char* f : {"404.html", "sitemap.xml", "robots.txt"}) EXPECT_TRUE(fs::exists(live() / f)) << f;
  const std::string robots = slurp(live() / "robots.txt");
  EXPECT_NE(robots.find("Sitemap: https://acme.example.test/sitemap.xml"), std::string::npos) << robots;
}

// Records of the site's partition that do not fold — garbage, an unknown
// type, an event that does not fit the state although it claims the next seq,
// one far past the next seq — are set aside in pagewright.deadletter with
// their positions and reasons, and the real event with that next seq still
// folds: the site publishes.
TEST_F(BuildWorkerTest, RecordsThatDoNotFoldAreSetAsideAndTheSiteStillPublishes) {
  make_site();
  ASSERT_TRUE(until([&] { return events().size() == 8; }));
  const Envelope head = events().back();
  auto forged = [&](std::string type, json data, int64_t seq) {
    Envelope e = head;
    e.id = "00000000-0000-4000-8000-00000000000" + std::to_string(seq % 10);
    e.type = std::move(type);
    e.seq = seq;
    e.prev_hash = sha256_hex(encode(head));
    e.data = std::move(data);
    return encode(e);
  };
  const int32_t partition = log::partition_for(site().str(), 2);
  const std::string garbage("\xff\xfe\x00 not an event", 16);
  const std::vector<std::string> poison = {
      garbage, forged("PageVanished", {{"pageId", page("home").str()}}, 9),
      forged("PageMetadataUpdated", event_data(PageMetadataUpdated{page("ghost"), "Ghost", {}, {}}), 9),
      forged("PageMetadataUpdated", event_data(PageMetadataUpdated{page("home"), "Later", {}, {}}), 42)};
  log::Batch batch;
  for (const auto& v : poison) batch.records.push_back({std::string(log::kEventsTopic), site().str(), v, partition});
  auto appended = log_->append(batch);
  ASSERT_TRUE(appended.ok()) << appended.error().message;

  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  auto done = outcome(dep("d1"));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, "DeploymentSucceeded") << done->data.dump();
  EXPECT_EQ(find_event("DeploymentRequested", dep("d1"))->seq, 9);
  EXPECT_TRUE(fs::exists(live() / "index.html"));
  EXPECT_EQ(builder_->stats().dead_letters, 4);

  auto reader = log_->reader({std::string(log::kDeadLetterTopic), partition}, 0);
  ASSERT_TRUE(reader.ok());
  std::vector<log::DeadLetter> letters;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (letters.size() < poison.size() && std::chrono::steady_clock::now() < deadline) {
    auto got = (*reader)->read(200ms, 100);
    ASSERT_TRUE(got.ok());
    for (const auto& r : *got) {
      EXPECT_EQ(r.key, site().str());
      auto d = log::decode_dead_letter(r.value);
      ASSERT_TRUE(d.ok()) << d.error().message;
      letters.push_back(*d);
    }
  }
  ASSERT_EQ(letters.size(), poison.size());
  const char* reasons[] = {"", "PageVanished", "unknown page", "seq gap"};
  for (size_t i = 0; i < poison.size(); ++i) {
    EXPECT_EQ(letters[i].topic, log::kEventsTopic);
    EXPECT_EQ(letters[i].partition, partition);
    EXPECT_EQ(letters[i].offset, appended->offsets[i]);
    EXPECT_EQ(letters[i].key, site().str());
    EXPECT_EQ(letters[i].pool, "builds");
    EXPECT_EQ(letters[i].group, "pagewright.builds");
    EXPECT_EQ(letters[i].value, poison[i]);
    EXPECT_NE(letters[i].reason.find(reasons[i]), std::string::npos) << letters[i].reason;
    EXPECT_FALSE(letters[i].at.empty());
  }
  EXPECT_NE(letters[3].reason.find("event seq 42 but the build state is at 8"), std::string::npos)
      << letters[3].reason;
  // Undecodable bytes travel as base64url.
  auto raw = log_->reader({std::string(log::kDeadLetterTopic), partition}, 0);
  auto first = (*raw)->read(1s, 1);
  ASSERT_TRUE(first.ok() && !first->empty());
  EXPECT_NE(first->front().value.find("\"valueBase64\":\"" + base64url_encode(garbage) + "\""), std::string::npos)
      << first->front().value;
}

// Folding needs no durable write per batch (a new owner refolds the
// partition): the group offset follows plain edits once the worker is idle
// (or every commit_interval), never one commit per poll.
TEST_F(BuildWorkerTest, FoldedEditsAreCommittedOnceTheWorkerIsIdleNotPerBatch) {
  start_builder({}, [](builds::BuildWorkerConfig& bc) { bc.commit_interval = std::chrono::hours(1); });
  make_site();
  wait_assigned();
  const log::TopicPartition tp{std::string(log::kEventsTopic), log::partition_for(site().str(), 2)};
  auto end = log_->end_offset(tp);
  auto committed_now = [&] {
    auto c = log_->committed_offset("pagewright.builds", tp);
    return c.ok() ? c->value_or(-1) : int64_t{-2};
  };
  // Idle at last (a Kafka fetch may take several polls): everything folded is committed.
  ASSERT_TRUE(until([&] {
    end = log_->end_offset(tp);
    return end.ok() && *end >= 8 && committed_now() == *end;
  })) << "committed " << committed_now();

  submit(UpdatePageMetadata{page("about"), std::string("About"), std::nullopt, std::nullopt});
  const auto decided_by = std::chrono::steady_clock::now() + 60s;  // the processor alone decides it
  auto end_now = [&] { return log_->end_offset(tp).ok() ? *log_->end_offset(tp) : int64_t{-1}; };
  while (end_now() <= *end && std::chrono::steady_clock::now() < decided_by)
    (void)processor_->run_once(5ms);
  const int64_t before = *end;
  end = log_->end_offset(tp);
  ASSERT_GT(*end, before) << "the edit was not decided";
  size_t folded = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (folded == 0 && std::chrono::steady_clock::now() < deadline) {
    auto r = builder_->run_once(5ms);
    ASSERT_TRUE(r.ok()) << r.error().message;
    folded = *r;
  }
  ASSERT_EQ(folded, 1u);
  EXPECT_EQ(committed_now(), before) << "no commit for a folded batch";
  auto idle = builder_->run_once(5ms);
  ASSERT_TRUE(idle.ok()) << idle.error().message;
  EXPECT_EQ(*idle, 0u);
  EXPECT_EQ(committed_now(), *end) << "committed once idle";
}

TEST_F(BuildWorkerTest, RendersEachPageAtItsPublishedVersion) {
  make_site();
  // Edited after publishing, not published again: the deploy keeps the old words.
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Unpublished words"}}});
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  auto done = outcome(dep("d1"));
  ASSERT_TRUE(done && done->type == "DeploymentSucceeded");
  const std::string home = slurp(live() / "index.html");
  EXPECT_NE(home.find("First words"), std::string::npos);
  EXPECT_EQ(home.find("Unpublished words"), std::string::npos);
}

TEST_F(BuildWorkerTest, RepublishingAfterOneEditRendersOnlyThatPage) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d1")));
  EXPECT_TRUE(until([&] { return builder_->stats().spare_trees == 1; })) << "a tree for the next deploy to patch";
  submit(UpdateComponentProps{page("about"), ComponentId{"t1"}, json{{"text", "We make *better* things."}}});
  submit(PublishPage{page("about")});
  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  auto done = outcome(dep("d2"));
  ASSERT_TRUE(done && done->type == "DeploymentSucceeded");
  EXPECT_EQ(report_of(*done)["pagesRendered"], 1);
  EXPECT_EQ(report_of(*done)["pagesReused"], 1);
  EXPECT_EQ(live_deploy(), "d2");
  EXPECT_NE(slurp(live() / "about" / "index.html").find("better"), std::string::npos);
  // The unchanged page is the same blob in both deploys (a hard link).
  EXPECT_TRUE(fs::equivalent(dir_ / "sites" / "deploys" / kSub / "d1" / "index.html",
                             dir_ / "sites" / "deploys" / kSub / "d2" / "index.html"));
  // d2's tree is the spare, patched; d1 is free now, so no new spare was needed.
  settle();
  EXPECT_EQ(builder_->stats().spare_trees, 1);
  for (const auto& e : fs::directory_iterator(dir_ / "sites" / "deploys" / kSub))
    EXPECT_NE(e.path().filename().string().rfind(".spare.", 0), 0u) << e.path();
}

TEST_F(BuildWorkerTest, AReusedOutputWhoseBlobWasRemovedIsRenderedAgain) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d1")));
  submit(UpdateComponentProps{page("about"), ComponentId{"t1"}, json{{"text", "Second words."}}});
  submit(PublishPage{page("about")});
  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d2")));
  // Someone removes the about page's blob by hand.
  const fs::path store = dir_ / "sites";
  auto m = store::manifest_from_json(slurp(store / "deploys" / kSub / "d2.manifest.json"));
  ASSERT_TRUE(m.ok());
  std::string about_hash;
  for (const auto& e : m->entries)
    if (e.path == "about/index.html") about_hash = e.hash;
  ASSERT_FALSE(about_hash.empty());
  ASSERT_TRUE(fs::remove(store / "blobs" / about_hash.substr(0, 2) / about_hash));
  // The next deploy reuses that output and patches d1's free tree, which holds
  // the older about page, so it must link the missing blob.
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Third words"}}});
  submit(PublishPage{page("home")});
  submit(RequestDeployment{dep("d3"), "production", "all-at-once"});
  auto done = outcome(dep("d3"));
  ASSERT_TRUE(done && done->type == "DeploymentSucceeded") << (done ? done->data.dump() : "no outcome");
  EXPECT_EQ(report_of(*done)["pagesRendered"], 2) << "every page rendered again";
  EXPECT_NE(done->data["log"].dump().find("rendered every page again"), std::string::npos) << done->data.dump();
  EXPECT_TRUE(fs::exists(store / "blobs" / about_hash.substr(0, 2) / about_hash));
  EXPECT_NE(slurp(live() / "about" / "index.html").find("Second words"), std::string::npos);
}

TEST_F(BuildWorkerTest, RollbackRepointsLiveWithoutRendering) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d1")));
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Second words"}}});
  submit(PublishPage{page("home")});
  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d2")));
  ASSERT_EQ(live_deploy(), "d2");
  submit(RollbackDeployment{dep("d1")});
  until([&] { return live_deploy() == "d1"; });
  EXPECT_EQ(live_deploy(), "d1");
  EXPECT_NE(slurp(live() / "index.html").find("First words"), std::string::npos);
  EXPECT_EQ(builder_->stats().builds, 2);
  EXPECT_EQ(builder_->stats().rollbacks, 1);
}

TEST_F(BuildWorkerTest, FailedBlueGreenChecksLeaveTheLiveDeployAlone) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "blue-green"});
  auto first = outcome(dep("d1"));
  ASSERT_TRUE(first && first->type == "DeploymentSucceeded") << (first ? first->data.dump() : "");
  // A relative link to a page that is not published breaks the internal-link check.
  submit(AddComponent{page("home"), ComponentId{"b1"}, "Button",
                      json{{"label", "Docs"}, {"href", "docs/"}}, {}, {}, {}});
  submit(PublishPage{page("home")});
  submit(RequestDeployment{dep("d2"), "production", "blue-green"});
  auto done = outcome(dep("d2"));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, "DeploymentFailed");
  EXPECT_NE(done->data["reason"].get<std::string>().find("blue-green"), std::string::npos);
  EXPECT_NE(done->data["log"].dump().find("docs"), std::string::npos) << done->data.dump();
  EXPECT_EQ(live_deploy(), "d1");
}

// Sets or clears the immutable attribute (even root cannot create entries in
// such a directory): a stand-in for a full disk or a read-only store.
bool set_immutable(const fs::path& dir, bool on) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

TEST_F(BuildWorkerTest, AStoreThatCannotBeWrittenEndsTheDeploymentAsFailedWithTheReason) {
  make_site();
  const fs::path blobs = dir_ / "sites" / "blobs";
  if (!set_immutable(blobs, true))
    GTEST_SKIP() << "this filesystem or user cannot set the immutable attribute on " << blobs;
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  auto done = outcome(dep("d1"));
  set_immutable(blobs, false);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, "DeploymentFailed");
  EXPECT_NE(done->data["reason"].get<std::string>().find("render failed"), std::string::npos) << done->data.dump();
  EXPECT_FALSE(fs::exists(live()));
  // Once the store can be written again, the next request succeeds.
  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  auto retried = outcome(dep("d2"));
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->type, "DeploymentSucceeded");
}

TEST_F(BuildWorkerTest, ABuildInterruptedBeforeItsReportIsRedoneByTheNextOwner) {
  make_site();
  builder_.reset();
  bool crashed = false;
  start_builder([&] { return !std::exchange(crashed, true); });
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  for (int i = 0; i < 3000 && !crashed; ++i) {
    (void)processor_->run_once(5ms);
    (void)builder_->run_once(5ms);
  }
  ASSERT_TRUE(crashed);
  builder_.reset();  // the worker is gone; its partitions go to the next one
  start_builder();
  auto done = outcome(dep("d1"));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, "DeploymentSucceeded");
  settle();
  EXPECT_EQ(count_events("DeploymentStarted", dep("d1")), 1);
  EXPECT_EQ(count_events("DeploymentSucceeded", dep("d1")), 1);
  EXPECT_EQ(live_deploy(), "d1");
}

// A build that throws (a bug in rendering or shipping; here the test's hook
// throws after the build) fails its deployment with the reason, is set aside
// in pagewright.deadletter, and the partition does not stall: every owner
// would throw again. The next deployment ships.
TEST_F(BuildWorkerTest, ABuildThatThrowsFailsItsDeploymentIsSetAsideAndTheNextShips) {
  make_site();
  builder_.reset();
  bool thrown = false;
  start_builder([&]() -> bool {
    if (!std::exchange(thrown, true)) throw std::runtime_error("renderer bug");
    return false;
  });
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  auto failed = outcome(dep("d1"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->type, "DeploymentFailed");
  EXPECT_EQ(failed->data["reason"], "builds: DeploymentRequested threw: renderer bug") << failed->data.dump();
  EXPECT_EQ(builder_->stats().dead_letters, 1);
  EXPECT_EQ(builder_->stats().failures, 1);

  const int32_t partition = log::partition_for(site().str(), 2);
  auto reader = log_->reader({std::string(log::kDeadLetterTopic), partition}, 0);
  ASSERT_TRUE(reader.ok());
  std::vector<log::DeadLetter> letters;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (letters.empty() && std::chrono::steady_clock::now() < deadline) {
    auto got = (*reader)->read(200ms, 100);
    ASSERT_TRUE(got.ok());
    for (const auto& r : *got) {
      auto d = log::decode_dead_letter(r.value);
      ASSERT_TRUE(d.ok()) << r.value;
      letters.push_back(*d);
    }
  }
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].pool, "builds");
  EXPECT_EQ(letters[0].reason, "builds: DeploymentRequested threw: renderer bug");
  auto requested = decode(letters[0].value);
  ASSERT_TRUE(requested.ok());
  EXPECT_EQ(requested->type, "DeploymentRequested");
  EXPECT_EQ(requested->aggregate.id, dep("d1").value);

  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  auto shipped = outcome(dep("d2"));
  ASSERT_TRUE(shipped);
  EXPECT_EQ(shipped->type, "DeploymentSucceeded") << shipped->data.dump();
  EXPECT_EQ(live_deploy(), "d2");
  EXPECT_EQ(builder_->stats().dead_letters, 1);
}

TEST_F(BuildWorkerTest, DeploysPastTheRetentionCountAreDeletedAndTheirBlobsCollected) {
  builder_.reset();
  start_builder({}, [](builds::BuildWorkerConfig& c) { c.blob_min_age = std::chrono::seconds(0); });
  make_site();
  submit(UpdateSiteSettings{std::nullopt, std::nullopt, json{{"deployRetention", 2}}});
  const char* words[] = {"one", "two", "three"};
  const char* ids[] = {"d1", "d2", "d3"};
  for (int i = 0; i < 3; ++i) {
    submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", std::string("Words ") + words[i]}}});
    submit(PublishPage{page("home")});
    submit(RequestDeployment{dep(ids[i]), "production", "all-at-once"});
    auto done = outcome(dep(ids[i]));
    ASSERT_TRUE(done && done->type == "DeploymentSucceeded");
  }
  const fs::path deploys = dir_ / "sites" / "deploys" / kSub;
  // A deploy is its manifest; its tree went to d3 already (trees are recycled).
  until([&] { return !fs::exists(deploys / "d1.manifest.json"); });
  EXPECT_FALSE(fs::exists(deploys / "d1.manifest.json")) << "past the retention count";
  EXPECT_FALSE(fs::exists(deploys / "d1"));
  EXPECT_TRUE(fs::exists(deploys / "d2.manifest.json")) << "the one before the live one";
  EXPECT_TRUE(fs::exists(deploys / "d2")) << "kept its tree for an instant rollback";
  EXPECT_TRUE(fs::exists(deploys / "d3"));
  EXPECT_EQ(live_deploy(), "d3");
  EXPECT_EQ(builder_->stats().pruned, 1);
  EXPECT_GE(builder_->stats().blobs_collected, 1) << "d1's home page is referenced by no deploy";
  bool pruned_event = false;
  for (const auto& e : events()) pruned_event |= e.type == "DeploymentsPruned";
  EXPECT_TRUE(pruned_event);
  const int64_t rejected = processor_->stats().rejected;
  submit(RollbackDeployment{dep("d1")});
  EXPECT_TRUE(until([&] { return processor_->stats().rejected > rejected; }));
  settle();
  EXPECT_EQ(live_deploy(), "d3") << "a pruned deploy cannot go live again";
}

TEST_F(BuildWorkerTest, ARestartedWorkerCountsTheRecordsSetAsideBeforeAndTheNextDeploymentShips) {
  make_site();
  ASSERT_TRUE(until([&] { return events().size() == 8; }));
  const int32_t partition = log::partition_for(site().str(), 2);
  log::Batch batch;
  batch.records.push_back({std::string(log::kEventsTopic), site().str(), "not an event", partition});
  batch.records.push_back({std::string(log::kEventsTopic), site().str(), "{\"id\": 1}", partition});
  ASSERT_TRUE(log_->append(batch).ok());
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d1")));
  EXPECT_EQ(builder_->stats().dead_letters, 2);
  EXPECT_EQ(builder_->stats().replay_skipped, 0);

  // The next owner folds the partition from its start and passes over both,
  // saying so; it sets nothing aside twice.
  builder_.reset();
  start_builder();
  wait_assigned();
  settle();
  EXPECT_EQ(builder_->stats().replay_skipped, 2);
  EXPECT_EQ(builder_->stats().dead_letters, 0);
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "After the restart"}}});
  submit(PublishPage{page("home")});
  submit(RequestDeployment{dep("d2"), "production", "all-at-once"});
  auto done = outcome(dep("d2"));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->type, "DeploymentSucceeded") << done->data.dump();
  EXPECT_EQ(live_deploy(), "d2");
  EXPECT_NE(slurp(live() / "index.html").find("After the restart"), std::string::npos);
}

TEST_F(BuildWorkerTest, ARestartedWorkerDoesNotRebuildFinishedDeployments) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_TRUE(outcome(dep("d1")));
  builder_.reset();
  start_builder();
  wait_assigned();
  settle();
  EXPECT_EQ(builder_->stats().builds, 0);
  EXPECT_EQ(live_deploy(), "d1");
}

}  // namespace
}  // namespace pw::test

namespace pw::test {
namespace {

// The table: a 1,000-column header over one-cell rows (16 KB of text).
std::string thousand_column_table() {
  std::string t = "|";
  for (int i = 0; i < 1000; ++i) t += "h|";
  t += "\n|";
  for (int i = 0; i < 1000; ++i) t += "-|";
  t += "\n";
  for (int r = 0; r < 4000; ++r) t += "|x\n";
  return t;
}

TEST_F(BuildWorkerTest, ATextOverTheTableLimitsFailsItsDeploymentNamingThePageAndTheWorkerGoesOn) {
  make_site();
  submit(RequestDeployment{dep("d1"), "production", "all-at-once"});
  ASSERT_EQ(outcome(dep("d1"))->type, "DeploymentSucceeded");
  append_forged({ComponentAdded{page("about"), ComponentId{"wide"}, "Text", json{{"text", thousand_column_table()}},
                                std::nullopt, "", 1},
                 PagePublished{page("about"), 3}, DeploymentRequested{dep("d2"), "production", "all-at-once"}});
  std::optional<DeploymentFailed> failed;
  ASSERT_TRUE(until([&] { return (failed = reported_failure(dep("d2"))).has_value(); }));
  const std::string& reason = failed->reason;
  EXPECT_NE(reason.find("page " + page("about").value + " (/about)"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Text component wide"), std::string::npos) << reason;
  EXPECT_NE(reason.find("1000 columns"), std::string::npos) << reason;
  EXPECT_NE(std::find(failed->log.begin(), failed->log.end(), reason), failed->log.end());
  EXPECT_EQ(live_deploy(), "d1");  // untouched
  EXPECT_EQ(builder_->stats().failures, 1);

  // The worker goes on with the next request: another site publishes.
  const std::string beta = "beta";
  const SiteId beta_site = site_id_for_subdomain(beta);
  const PageId beta_home = make_page_id(beta_site, "home");
  std::vector<domain::CommandRecord> commands;
  for (Command c : std::vector<Command>{
           CreateSite{beta_site, "Beta", beta},
           CreatePage{beta_home, "Home", std::string(""), std::nullopt},
           AddComponent{beta_home, ComponentId{"h"}, "Heading", json{{"text", "Beta lives"}}, {}, {}, {}},
           PublishPage{beta_home}, RequestDeployment{make_deployment_id(beta_site, "b1"), "production", "all-at-once"}})
    commands.push_back(command_record(++n_, beta, std::move(c)));
  ASSERT_TRUE(submit_commands(*log_, commands).ok());
  const fs::path beta_home_file = dir_ / "sites" / "live" / beta / "production" / "index.html";
  ASSERT_TRUE(until([&] { return fs::exists(beta_home_file); }));
  EXPECT_NE(slurp(beta_home_file).find("Beta lives"), std::string::npos);
}

TEST_F(BuildWorkerTest, AStagingDeploymentIsReportedAtItsUnguessablePreviewUrl) {
  make_site();
  builder_.reset();
  bool crashed = false;
  start_builder([&] { return !std::exchange(crashed, true); });
  submit(RequestDeployment{dep("s1"), "staging", "all-at-once"});
  for (int i = 0; i < 3000 && !crashed; ++i) {
    (void)processor_->run_once(5ms);
    (void)builder_->run_once(5ms);
  }
  ASSERT_TRUE(crashed);
  // Another process sharing the directory derives the same token, and the
  // entry was written before any report.
  auto other = ship::Shipper::open(dir_ / "sites");
  ASSERT_TRUE(other.ok());
  auto token = (*other)->reader().preview_token(kSub, "s1");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_TRUE(store::is_valid_preview_token(*token)) << *token;
  auto entry = (*other)->reader().resolve_preview(*token);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->site, kSub);
  EXPECT_EQ((*entry)->deploymentId, "s1");
  EXPECT_EQ(fs::status(dir_ / "sites" / "preview.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  builder_.reset();  // redone by the next owner: the same url
  start_builder();
  auto done = outcome(dep("s1"));
  ASSERT_TRUE(done);
  ASSERT_EQ(done->type, "DeploymentSucceeded") << done->data.dump();
  EXPECT_EQ(done->data["url"], "/previews/" + *token + "/");
  EXPECT_EQ(done->data["url"].get<std::string>().find("acme"), std::string::npos);
  EXPECT_FALSE(fs::exists(live()));  // production untouched

  // A production deployment keeps its public address.
  submit(RequestDeployment{dep("p1"), "production", "all-at-once"});
  auto prod = outcome(dep("p1"));
  ASSERT_TRUE(prod);
  EXPECT_EQ(prod->data["url"], "/sites/acme/");
}

}  // namespace
}  // namespace pw::test
