// Draft previews end to end on the embedded log: the real command processor
// decides, the build worker renders the drafts into the real deploy store, and
// the real static host serves them at /previews/<token>/ until they expire;
// then the build pool deletes their files. Time is a clock the test moves.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>

#include "events/envelope.hpp"
#include "events/ids.hpp"
#include "gateway/static_host.hpp"
#include "store/deploy_reader.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/workers/backend.hpp"
#include "workers/build/build_worker.hpp"
#include "workers/command_processor.hpp"
#include "workers/ship/shipper.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using namespace pw::domain;
using gateway::HttpRequest;
using gateway::HttpResponse;

const std::string kSub = "acme";

SiteId site() { return site_id_for_subdomain(kSub); }
PageId page(std::string_view s) { return make_page_id(site(), s); }
DeploymentId dep(std::string_view s) { return make_deployment_id(site(), s); }
PreviewId pv(std::string_view s) { return make_preview_id(site(), s); }

std::chrono::system_clock::time_point at(std::string_view rfc3339) { return *parse_rfc3339(rfc3339); }

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

std::string body(HttpResponse& r) {
  std::string all = r.body;
  if (r.next_chunk)
    while (auto c = r.next_chunk()) all += *c;
  return all;
}

class PreviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("pw-previews-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
    backend_ = make_processor_backend();
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
    // The commands' times are 2026-11-22T10:00:00.0000nnZ: previews made of
    // them expire a day later.
    now_ = at("2026-11-22T12:00:00.000000Z");
    auto clock = [this] { return now_.load(); };
    builds::BuildWorkerConfig bc;
    bc.sites_dir = dir_ / "sites";
    bc.clock = clock;
    bc.preview_sweep_interval = 0s;
    bc.gc_interval = 0s;
    bc.blob_min_age = 0s;
    auto builder = builds::BuildWorker::create(*log_, bc);
    ASSERT_TRUE(builder.ok()) << builder.error().message;
    builder_ = std::move(builder).value();
    auto store = ship::Shipper::open(dir_ / "sites");
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    auto reader = store::DeployReader::open(dir_ / "sites");
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    reader_ = std::move(reader).value();
    host_ = std::make_unique<gateway::StaticHost>(*reader_, clock);
  }
  void TearDown() override {
    host_.reset();
    store_.reset();
    builder_.reset();
    processor_.reset();
    log_.reset();
    backend_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void submit(Command c, std::string tenant = "") {
    auto record = command_record(++n_, kSub, std::move(c));
    if (!tenant.empty()) record.meta.tenant = TenantId{tenant};
    ASSERT_TRUE(submit_commands(*log_, {record}).ok());
  }

  std::vector<Envelope> events() {
    std::vector<Envelope> out;
    const log::TopicPartition tp{std::string(log::kEventsTopic), log::partition_for(site().str(), 2)};
    auto end = log_->end_offset(tp);
    auto reader = log_->reader(tp, 0);
    if (!end.ok() || !reader.ok()) return out;
    for (int64_t next = 0; next < *end;) {
      auto batch = (*reader)->read(1s, 1000);
      if (!batch.ok() || batch->empty()) break;
      for (const auto& r : *batch) {
        next = r.offset + 1;
        if (auto env = decode(r.value); env.ok() && env->site_id == site().str()) out.push_back(*env);
      }
    }
    return out;
  }
  std::optional<Envelope> find_event(const std::string& type, const std::string& aggregate) {
    for (const auto& e : events())
      if (e.type == type && e.aggregate.id == aggregate) return e;
    return std::nullopt;
  }
  // Runs the processor and the builder until the aggregate has one of the events.
  std::optional<Envelope> outcome(const std::string& aggregate, std::initializer_list<const char*> types) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      (void)processor_->run_once(5ms);
      (void)builder_->run_once(5ms);
      for (const char* t : types)
        if (auto e = find_event(t, aggregate)) return e;
    }
    return std::nullopt;
  }
  void settle() {
    for (int i = 0; i < 20; ++i) {
      (void)processor_->run_once(5ms);
      (void)builder_->run_once(5ms);
    }
  }

  void make_site() {
    submit(CreateSite{site(), "Acme", kSub});
    submit(CreatePage{page("home"), "Home", std::string(""), std::string("Welcome")});
    submit(CreatePage{page("about"), "About us", std::string("about"), std::nullopt});
    submit(CreatePage{page("draft"), "Draft", std::string("draft"), std::nullopt});
    submit(AddComponent{page("home"), ComponentId{"h1"}, "Heading", json{{"text", "First words"}}, {}, {}, {}});
    submit(AddComponent{page("about"), ComponentId{"t1"}, "Text", json{{"text", "We make things."}}, {}, {}, {}});
    submit(PublishPage{page("home")});
    submit(PublishPage{page("about")});
  }
  void deploy(const std::string& id) {
    submit(RequestDeployment{dep(id), "production", "all-at-once"});
    auto done = outcome(dep(id).value, {"DeploymentSucceeded", "DeploymentFailed"});
    ASSERT_TRUE(done);
    ASSERT_EQ(done->type, "DeploymentSucceeded") << done->data.dump();
  }
  // Requests a preview and waits for the build pool's report.
  Envelope preview(const PreviewId& id, std::optional<std::vector<PageId>> pages = std::nullopt) {
    submit(RequestPreview{id, std::move(pages), std::nullopt});
    auto done = outcome(id.value, {"PreviewReady", "PreviewFailed"});
    EXPECT_TRUE(done);
    return done.value_or(Envelope{});
  }

  HttpResponse get(const std::string& target) {
    HttpRequest rq;
    rq.method = "GET";
    rq.target = target;
    return host_->serve(rq);
  }
  std::string token(const PreviewId& id) {
    auto t = store_->reader().draft_preview_token(id.value);
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : std::string();
  }
  std::string live_deploy() { return fs::read_symlink(dir_ / "sites" / "live" / kSub / "production").filename(); }
  std::vector<std::string> preview_deploys() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "sites" / "deploys" / kSub))
      if (const std::string name = e.path().filename(); name.starts_with("preview-") && !name.ends_with(".json"))
        out.push_back(name);
    return out;
  }

  fs::path dir_;
  std::atomic<std::chrono::system_clock::time_point> now_;
  std::unique_ptr<ProcessorBackend> backend_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<workers::CommandProcessor> processor_;
  std::unique_ptr<builds::BuildWorker> builder_;
  std::unique_ptr<store::DeployReader> reader_;
  std::unique_ptr<gateway::StaticHost> host_;
  std::unique_ptr<ship::Shipper> store_;
  int n_ = 0;
};

TEST_F(PreviewTest, ADraftEditShowsInThePreviewAndNotOnTheLiveSite) {
  make_site();
  deploy("d1");
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Draft words"}}});
  const Envelope ready = preview(pv("p1"));
  ASSERT_EQ(ready.type, "PreviewReady") << ready.data.dump();
  EXPECT_EQ(find_event("PreviewRequested", pv("p1").value)->data["expiresAt"].get<std::string>().substr(0, 20),
            "2026-11-23T10:00:00.");

  const std::string base = "/previews/" + token(pv("p1")) + "/";
  auto home = get(base);
  EXPECT_EQ(home.status, 200);
  EXPECT_EQ(header(home, "X-Robots-Tag"), "noindex");
  EXPECT_NE(body(home).find("Draft words"), std::string::npos);
  auto unpublished = get(base + "draft/");
  EXPECT_EQ(unpublished.status, 200);  // every page's draft, published or not
  auto about = get(base + "about/");
  EXPECT_NE(body(about).find("We make things."), std::string::npos);

  auto live = get("/sites/acme/");
  EXPECT_EQ(live.status, 200);
  const std::string live_body = body(live);
  EXPECT_NE(live_body.find("First words"), std::string::npos);
  EXPECT_EQ(live_body.find("Draft words"), std::string::npos);
  EXPECT_EQ(get("/sites/acme/draft/").status, 404);
  // No live pointer moved or appeared.
  EXPECT_EQ(live_deploy(), "d1");
  EXPECT_FALSE(fs::exists(dir_ / "sites" / "live" / kSub / "preview"));
  EXPECT_FALSE(fs::exists(dir_ / "sites" / "live" / kSub / "staging"));
  EXPECT_EQ(builder_->stats().previews, 1);
}

TEST_F(PreviewTest, ListedPagesShowTheirDraftsAndTheRestAsLastPublished) {
  make_site();
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Draft words"}}});
  submit(UpdateComponentProps{page("about"), ComponentId{"t1"}, json{{"text", "About draft"}}});
  const Envelope ready = preview(pv("p1"), std::vector<PageId>{page("about")});
  ASSERT_EQ(ready.type, "PreviewReady") << ready.data.dump();
  const std::string base = "/previews/" + token(pv("p1")) + "/";
  auto home = get(base);
  const std::string home_body = body(home);
  EXPECT_NE(home_body.find("First words"), std::string::npos);
  EXPECT_EQ(home_body.find("Draft words"), std::string::npos);
  auto about = get(base + "about/");
  EXPECT_NE(body(about).find("About draft"), std::string::npos);
  EXPECT_EQ(get(base + "draft/").status, 404);  // neither listed nor published
}

TEST_F(PreviewTest, AnEmptySiteHasAPreview) {
  submit(CreateSite{site(), "Acme", kSub});
  const Envelope ready = preview(pv("p1"));
  ASSERT_EQ(ready.type, "PreviewReady") << ready.data.dump();
  auto root = get("/previews/" + token(pv("p1")) + "/");
  EXPECT_EQ(root.status, 404);  // the site's own 404 page: there are no pages
  EXPECT_EQ(header(root, "X-Robots-Tag"), "noindex");
}

TEST_F(PreviewTest, GuessedAndUnknownTokensAreNotFound) {
  make_site();
  ASSERT_EQ(preview(pv("p1")).type, "PreviewReady");
  std::mt19937_64 rng(std::random_device{}());
  char guess[33];
  std::snprintf(guess, sizeof guess, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  for (const std::string& t : {std::string(guess), token(pv("never-requested")), std::string("../deploys/acme"),
                              token(pv("p1")).substr(0, 31), std::string(32, 'Z')}) {
    auto r = get("/previews/" + t + "/");
    EXPECT_EQ(r.status, 404) << t;
    EXPECT_EQ(header(r, "X-Robots-Tag"), "noindex") << t;
  }
  EXPECT_EQ(token(pv("p1")).size(), 32u);  // 128 bits
}

TEST_F(PreviewTest, AnExpiredPreviewIsNotFoundAndItsFilesAreCollected) {
  make_site();
  deploy("d1");
  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Draft words"}}});
  ASSERT_EQ(preview(pv("p1")).type, "PreviewReady");
  const std::string base = "/previews/" + token(pv("p1")) + "/";
  ASSERT_EQ(get(base).status, 200);
  ASSERT_EQ(preview_deploys().size(), 1u);
  auto manifest = store_->reader().read_manifest(kSub, preview_deploys()[0]);
  ASSERT_TRUE(manifest.ok());
  auto live_manifest = store_->reader().read_manifest(kSub, "d1");
  ASSERT_TRUE(live_manifest.ok());
  auto hash_of = [](const store::Manifest& m, const std::string& path) {
    for (const auto& e : m.entries)
      if (e.path == path) return e.hash;
    return std::string();
  };
  const std::string draft_home = hash_of(*manifest, "index.html");
  ASSERT_NE(draft_home, hash_of(*live_manifest, "index.html"));
  std::vector<std::string> shared;  // blobs the live deploy uses too
  for (const auto& e : manifest->entries)
    if (hash_of(*live_manifest, e.path) == e.hash) shared.push_back(e.hash);
  ASSERT_FALSE(shared.empty());

  // A second before expiry it is served; at expiry it is not, even before the sweep.
  now_ = at("2026-11-23T09:59:59.000000Z");
  EXPECT_EQ(get(base).status, 200);
  now_ = at("2026-11-23T10:00:01.000000Z");
  auto expired = get(base);
  EXPECT_EQ(expired.status, 404);
  EXPECT_EQ(header(expired, "X-Robots-Tag"), "noindex");

  settle();  // the build pool's sweep runs
  EXPECT_EQ(builder_->stats().previews_collected, 1);
  EXPECT_TRUE(preview_deploys().empty());
  EXPECT_FALSE(fs::is_symlink(dir_ / "sites" / "previews" / token(pv("p1"))));
  EXPECT_FALSE(store_->blobs().has(draft_home));  // only the preview used it
  for (const auto& hash : shared) EXPECT_TRUE(store_->blobs().has(hash)) << hash;  // the live deploy uses them
  EXPECT_EQ(get("/sites/acme/about/").status, 200);
  EXPECT_EQ(get(base).status, 404);

  // The site goes on: the draft is published and deployed.
  submit(PublishPage{page("home")});
  deploy("d2");
  auto live = get("/sites/acme/");
  EXPECT_NE(body(live).find("Draft words"), std::string::npos);
}

TEST_F(PreviewTest, APreviewReadAfterItsExpiryIsReportedFailedNotBuilt) {
  make_site();
  now_ = at("2026-11-24T00:00:00.000000Z");
  const Envelope failed = preview(pv("p1"));
  ASSERT_EQ(failed.type, "PreviewFailed");
  EXPECT_NE(failed.data["reason"].get<std::string>().find("expired"), std::string::npos);
  EXPECT_EQ(get("/previews/" + token(pv("p1")) + "/").status, 404);
}

// A preview of another tenant's site is refused like any command of it: nothing
// is appended, and the site's own next edit still shows and publishes.
TEST_F(PreviewTest, APreviewOfAnotherTenantsSiteAppendsNothing) {
  make_site();
  deploy("d1");
  settle();
  const size_t before = events().size();
  submit(RequestPreview{pv("p1"), std::nullopt, std::nullopt}, "tenant-intruder");
  settle();
  EXPECT_EQ(events().size(), before);
  EXPECT_FALSE(find_event("PreviewRequested", pv("p1").value));
  EXPECT_TRUE(preview_deploys().empty());

  submit(UpdateComponentProps{page("home"), ComponentId{"h1"}, json{{"text", "Owner words"}}});
  submit(PublishPage{page("home")});
  deploy("d2");
  auto live = get("/sites/acme/");
  EXPECT_NE(body(live).find("Owner words"), std::string::npos);
}

}  // namespace
}  // namespace pw::test
