// The projector's batches change how it writes, never what: a generated
// workload (many sites of three tenants, every event type, pages edited many
// times within one batch, slugs swapped between pages) is projected once one
// record per transaction and once in batches of thousands, into two
// databases, and every table the projector writes must read back the same.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "commands/deciders.hpp"
#include "events/envelope.hpp"
#include "events/recent_pages.hpp"
#include "projections/projector.hpp"
#include "queries/read_model.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/schemas.hpp"
#include "workers/command_processor.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace d = domain;

constexpr int32_t kPartitions = 4;
constexpr int kSites = 6;
constexpr int kPages = 5;
constexpr int kRounds = 12;
const std::string kEvents(log::kEventsTopic);

std::string subdomain(int s) { return "eq-site-" + std::to_string(s); }
std::string tenant(int s) { return "tenant-eq-" + std::to_string(s % 3); }

// One site's commands, in the order it sends them: in phase 0 its pages and
// their first edits, in phase 1 what changes pages the read model already
// holds.
std::vector<d::Command> site_commands(int s, int phase) {
  const auto site = site_id_for_subdomain(subdomain(s));
  auto page = [&](int p) { return make_page_id(site, "p" + std::to_string(p)); };
  auto cid = [](const std::string& id) { return ComponentId{id}; };
  auto deployment = [&](const std::string& suffix) { return make_deployment_id(site, suffix); };
  auto succeeded = [&](const DeploymentId& id) {
    d::DeploymentSucceeded out;
    out.deploymentId = id;
    out.manifestHash = std::string(64, 'a');
    out.url = "/sites/" + subdomain(s) + "/";
    out.report.pagesRendered = kPages;
    out.log = {"rendered"};
    return out;
  };
  std::vector<d::Command> out;
  out.push_back(d::CreateSite{site, "Site " + std::to_string(s), subdomain(s)});
  out.push_back(d::UpdateSiteSettings{std::nullopt, std::nullopt, json{{"deployRetention", 2}}});
  for (int p = 0; p < kPages; ++p)
    out.push_back(d::CreatePage{page(p), "Page " + std::to_string(p), "slug-" + std::to_string(p), std::nullopt});
  for (int p = 0; p < kPages; ++p) {
    out.push_back(d::AddComponent{page(p), cid("sec"), "Section", json{{"padding", "large"}}, {}, {}, {}});
    out.push_back(d::AddComponent{page(p), cid("h"), "Heading", json{{"text", "Hi"}}, cid("sec"),
                                  std::string("children"), {}});
    out.push_back(d::AddComponent{page(p), cid("t"), "Text", json{{"text", "Body"}}, {}, {}, {}});
  }
  // The same page edited many times: within one batch of the batched run.
  for (int r = 0; r < kRounds; ++r) {
    const int p = r % 2;
    out.push_back(d::UpdateComponentProps{page(p), cid("h"), json{{"text", "Edit " + std::to_string(r)}}});
    out.push_back(d::UpdatePageMetadata{page(p), "Title " + std::to_string(r), std::nullopt, std::nullopt});
  }
  if (phase == 0) return out;
  out.clear();
  for (int r = 0; r < kRounds; ++r)
    out.push_back(d::UpdateComponentProps{page(3), cid("t"), json{{"text", "Again " + std::to_string(r)}}});
  out.push_back(d::UpdatePageMetadata{page(4), "Say \"hi\" \\ bye — ünïcode", std::nullopt, std::nullopt});
  // Keys out of order, and escapes Postgres and the JSON library both rewrite.
  out.push_back(d::UpdateComponentProps{
      page(4), cid("h"), json::parse(R"({"text":"\u00e9 😀 \u2028 <b> & \"q\"","level":3,"align":"center"})")});
  out.push_back(d::MoveComponent{page(0), cid("t"), cid("sec"), std::string("children"), 0});
  out.push_back(d::RemoveComponent{page(1), cid("sec")});
  // Pages 0 and 1 swap slugs through a third: no order of writing their
  // final rows one by one passes the unique slug index.
  out.push_back(d::ChangePageSlug{page(0), "parked"});
  out.push_back(d::ChangePageSlug{page(1), "slug-0"});
  out.push_back(d::ChangePageSlug{page(0), "slug-1"});
  // Page 2's slug goes to a new page while it is deleted; it comes back elsewhere.
  out.push_back(d::PublishPage{page(2)});
  out.push_back(d::UnpublishPage{page(2)});
  out.push_back(d::DeletePage{page(2)});
  out.push_back(d::CreatePage{make_page_id(site, "late"), "Late", std::string("slug-2"), std::nullopt});
  out.push_back(d::RestorePage{page(2), std::string("slug-2-back")});
  out.push_back(d::PublishPage{page(3)});
  out.push_back(d::DuplicatePage{make_page_id(site, "copy"), page(3), std::nullopt, std::nullopt});
  out.push_back(d::LabelVersion{page(3), 2, "first content"});
  out.push_back(d::RestorePageVersion{page(3), 1, "Page 3 again", "slug-3", "", d::PageSeo{}, json::array()});
  out.push_back(d::UpdatePageMetadata{page(4), std::nullopt, std::string("Described"), d::PageSeoPatch{true, {}, {}}});
  out.push_back(d::SaveTemplate{make_template_id(site, "kept"), page(0), "Kept", std::string("stays")});
  out.push_back(d::SaveTemplate{make_template_id(site, "gone"), page(1), "Gone", std::nullopt});
  out.push_back(d::DeleteTemplate{make_template_id(site, "gone")});
  out.push_back(d::UpdateDesignTokens{json{{"colors", {{"primary", "#0f766e"}}}}});
  out.push_back(d::UpdateSiteSettings{"Site " + std::to_string(s) + " renamed", d::SiteSeoPatch{"%s | Eq", {}, {}},
                                      json{{"footer", "x"}}});
  for (const char* id : {"d1", "d2", "d3"}) {
    out.push_back(d::RequestDeployment{deployment(id), "production", "all-at-once"});
    out.push_back(d::StartDeployment{deployment(id), "builder-1"});
    out.push_back(d::CompleteDeployment{succeeded(deployment(id))});
  }
  out.push_back(d::RollbackDeployment{deployment("d2")});
  out.push_back(d::RequestDeployment{deployment("d4"), "staging", "blue-green"});
  out.push_back(d::StartDeployment{deployment("d4"), "builder-2"});
  out.push_back(d::FailDeployment{d::DeploymentFailed{deployment("d4"), "broken", {"line"}}});
  const auto preview = make_preview_id(site, "v1");
  const auto failed_preview = make_preview_id(site, "v2");
  out.push_back(d::RequestPreview{preview, std::nullopt, std::nullopt});
  out.push_back(d::CompletePreview{d::PreviewReady{preview, std::string(64, 'b')}});
  out.push_back(d::RequestPreview{failed_preview, std::vector<PageId>{page(0)}, std::nullopt});
  out.push_back(d::FailPreview{d::PreviewFailed{failed_preview, "no", {}}});
  d::AssetUploaded asset;
  asset.hash = std::string(64, 'c');
  asset.assetId = make_asset_id(site, asset.hash);
  asset.contentType = "image/png";
  asset.bytes = 1234;
  asset.width = 1200;
  asset.height = 800;
  asset.filename = "team.png";
  asset.variants = {{480, 320, std::string(64, 'd'), 100}};
  d::AssetUploaded other = asset;
  other.hash = std::string(64, 'e');
  other.assetId = make_asset_id(site, other.hash);
  out.push_back(d::UploadAsset{asset});
  out.push_back(d::UploadAsset{other});
  out.push_back(d::DeleteAsset{other.assetId});
  return out;
}

// Every site's commands of a phase, interleaved, so a batch mixes sites and
// tenants.
std::vector<d::CommandRecord> workload(int phase) {
  std::vector<std::vector<d::Command>> per_site;
  for (int s = 0; s < kSites; ++s) per_site.push_back(site_commands(s, phase));
  std::vector<d::CommandRecord> out;
  int n = phase * 100000;
  for (size_t i = 0;; ++i) {
    bool any = false;
    for (int s = 0; s < kSites; ++s) {
      if (i >= per_site[s].size()) continue;
      any = true;
      auto rec = command_record(++n, subdomain(s), per_site[s][i]);
      rec.meta.tenant = TenantId{tenant(s)};
      out.push_back(std::move(rec));
    }
    if (!any) return out;
  }
}

class ProjectionEquivalenceTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    second_db_ = db_ + "_b";
    {
      pqxx::connection c(admin_);
      pqxx::nontransaction(c).exec("CREATE DATABASE " + c.quote_name(second_db_));
    }
    second_ = conninfo_with(admin_, {{"dbname", second_db_}});
    for (const auto& db : {owner_, second_}) {
      auto m = projections::migrate(db);
      ASSERT_TRUE(m.ok()) << m.error().message;
    }
    dir_ = std::filesystem::temp_directory_path() / ("pw-equivalence-" + std::to_string(::getpid()) + "-" + db_);
    std::filesystem::create_directories(dir_);
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    ASSERT_TRUE(create_pagewright_topics(*log_, kPartitions).ok());
  }

  void TearDown() override {
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    if (!second_db_.empty()) drop_database(second_db_);
    PgTest::TearDown();
  }

  // Runs the command processor until every command has its result; returns
  // how many events the log holds.
  int64_t process(const std::vector<d::CommandRecord>& cmds) {
    int64_t results_before = 0;
    for (int32_t p = 0; p < kPartitions; ++p)
      results_before += *log_->end_offset({std::string(log::kResultsTopic), p});
    EXPECT_TRUE(submit_commands(*log_, cmds).ok());
    workers::ProcessorConfig config;
    config.snapshot_dir = dir_ / "snapshots";
    config.schemas = ::pw::test::test_schemas();
    auto processor = workers::CommandProcessor::create(*log_, config);
    EXPECT_TRUE(processor.ok()) << processor.error().message;
    if (!processor.ok()) return 0;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    for (;;) {
      auto r = (*processor)->run_once(20ms);
      EXPECT_TRUE(r.ok()) << r.error().message;
      int64_t results = 0;
      for (int32_t p = 0; p < kPartitions; ++p) results += *log_->end_offset({std::string(log::kResultsTopic), p});
      if (results >= results_before + static_cast<int64_t>(cmds.size())) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the processor did not finish";
        break;
      }
    }
    (*processor)->close();
    EXPECT_EQ((*processor)->stats().accepted, static_cast<int64_t>(cmds.size()));
    int64_t events = 0;
    for (int32_t p = 0; p < kPartitions; ++p) events += *log_->end_offset({kEvents, p});
    return events;
  }

  // The event types in the log.
  std::set<std::string> event_types() {
    std::set<std::string> out;
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto reader = log_->reader({kEvents, p}, 0);
      const int64_t end = *log_->end_offset({kEvents, p});
      for (int64_t seen = 0; seen < end;) {
        auto got = (*reader)->read(100ms, 1000);
        if (!got.ok() || got->empty()) break;
        for (const auto& r : *got) {
          ++seen;
          if (auto env = decode(r.value); env.ok()) out.insert(env->type);
        }
      }
    }
    return out;
  }

  // Projects the log into `db` in polls of at most max_batch records until
  // `events` more are applied.
  // With `recent`, `while_open` runs before the projector closes (and so
  // forgets the rows it kept).
  void project(const std::string& db, size_t max_batch, int64_t events, log::RecentPages* recent = nullptr,
               const std::function<void()>& while_open = {}) {
    projections::ProjectorConfig config;
    config.group = "equivalence-" + std::to_string(max_batch);
    config.max_batch = max_batch;
    config.recent_pages = recent;
    auto p = projections::Projector::create(*log_, db, config);
    ASSERT_TRUE(p.ok()) << p.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 300s;
    while ((*p)->stats().events < events) {
      auto r = (*p)->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the projector did not catch up";
    }
    EXPECT_EQ((*p)->stats().dead_letters, 0);
    EXPECT_EQ((*p)->stats().skipped, 0);
    if (max_batch > 1) {
      EXPECT_LT((*p)->stats().batches, events / 10) << "the batches were not big (or one fell back to a record per transaction)";
    }
    if (while_open) while_open();
    (*p)->close();
  }

  // Every table the projector writes, each tenant's rows in key order, then
  // the offsets; one string.
  static std::string dump(const std::string& db) {
    pqxx::connection c(db);
    pqxx::work t(c);
    std::string out;
    const char* tables[][2] = {{"sites", "site_id"},
                               {"pages", "page_id"},
                               {"page_events", "site_id, seq"},
                               {"deployments", "deployment_id"},
                               {"templates", "template_id"},
                               {"assets", "asset_id"}};
    for (int s = 0; s < 3; ++s) {
      projections::with_tenant(t, tenant(s));
      for (const auto& [table, key] : tables) {
        out += std::string(table) + " of " + tenant(s) + ":\n";
        for (const auto& row : t.exec(std::string("SELECT row_to_json(x)::text FROM ") + table + " x ORDER BY " + key))
          out += row[0].as<std::string>() + "\n";
      }
    }
    out += "offsets:\n";
    for (const auto& row :
         t.exec("SELECT partition, next_offset FROM projection_offsets WHERE projector = 'read-models' ORDER BY 1"))
      out += row[0].as<std::string>() + " " + row[1].as<std::string>() + "\n";
    return out;
  }

  void compare_kept(log::RecentPages& recent);

  std::string second_db_, second_;
  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
};

TEST_F(ProjectionEquivalenceTest, OneRecordAtATimeAndBigBatchesWriteTheSameReadModels) {
  const int64_t first = process(workload(0));
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(project(owner_, 1, first));
  ASSERT_NO_FATAL_FAILURE(project(second_, 100000, first));
  const int64_t events = process(workload(1));
  ASSERT_FALSE(HasFailure());
  const std::set<std::string> want = {
      "SiteCreated", "SiteSettingsUpdated", "PageCreated", "PageMetadataUpdated", "PageSlugChanged",
      "ComponentAdded", "ComponentPropsUpdated", "ComponentMoved", "ComponentRemoved", "PagePublished",
      "DeploymentRequested", "DeploymentStarted", "DeploymentSucceeded", "DeploymentFailed",
      "DeploymentRolledBack", "DeploymentsPruned", "PageDeleted", "PageRestored", "PageUnpublished",
      "PageDuplicated", "TemplateSaved", "TemplateDeleted", "DesignTokensUpdated", "PageVersionLabelled",
      "PageVersionRestored", "PreviewRequested", "PreviewReady", "PreviewFailed", "AssetUploaded",
      "AssetDeleted"};
  EXPECT_EQ(event_types(), want);
  EXPECT_EQ(std::variant_size_v<d::DomainEvent>, want.size()) << "a new event type belongs in this workload";

  ASSERT_NO_FATAL_FAILURE(project(owner_, 1, events - first));
  ASSERT_NO_FATAL_FAILURE(project(second_, 100000, events - first));
  const std::string one_by_one = dump(owner_);
  EXPECT_NE(one_by_one.find("\"slug\":\"slug-1\""), std::string::npos);
  EXPECT_NE(one_by_one.find("Say \\\"hi\\\" \\\\ bye"), std::string::npos);
  EXPECT_GT(one_by_one.size(), 10000u);
  EXPECT_EQ(dump(second_), one_by_one);
}

// The page rows the projector keeps for `serve`'s reads that waited for its
// commit (log::RecentPages) answer exactly what reading the read model back
// does, for every page of the workload, and only to the page's tenant.
TEST_F(ProjectionEquivalenceTest, PageRowsKeptForWaitingReadsAnswerWhatTheReadModelReadsBack) {
  log::RecentPages::Limits limits;
  limits.fresh_for = std::chrono::hours(1);
  log::RecentPages recent(limits);
  // A first projector keeps the rows it writes and forgets them as it closes;
  // a second keeps those of the second phase, which edits every page.
  const int64_t first = process(workload(0));
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(project(owner_, 100000, first, &recent));
  EXPECT_EQ(recent.find(tenant(0), make_page_id(site_id_for_subdomain(subdomain(0)), "p0").value), nullptr)
      << "a projector that closes forgets what it kept: another may write those pages next";
  const int64_t events = process(workload(1));
  ASSERT_FALSE(HasFailure());
  ASSERT_NO_FATAL_FAILURE(project(owner_, 100000, events - first, &recent, [&] { compare_kept(recent); }));
}

void ProjectionEquivalenceTest::compare_kept(log::RecentPages& recent) {
  auto read_model = queries::ReadModel::connect(reader_, 1);
  ASSERT_TRUE(read_model.ok()) << read_model.error().message;
  int compared = 0;
  for (int s = 0; s < kSites; ++s) {
    const auto site = site_id_for_subdomain(subdomain(s));
    for (const std::string name : {"p0", "p1", "p2", "p3", "p4", "late", "copy"}) {
      const auto page = make_page_id(site, name);
      auto kept = recent.find(tenant(s), page.value);
      ASSERT_NE(kept, nullptr) << page.value;
      auto stored = (*read_model)->get_page(TenantId{tenant(s)}, page);
      ASSERT_TRUE(stored.ok() && stored->has_value()) << page.value;
      EXPECT_EQ(queries::page_json(*kept).dump(), (*stored)->dump());
      EXPECT_EQ(recent.find(tenant(s + 1), page.value), nullptr) << "another tenant's read asks Postgres";
      ++compared;
    }
  }
  EXPECT_EQ(compared, kSites * 7);
  const auto p4 = recent.find(tenant(0), make_page_id(site_id_for_subdomain(subdomain(0)), "p4").value);
  EXPECT_NE(p4->content.find(R"("align": "center")"), std::string::npos) << "Postgres's rendering: " << p4->content;
}

}  // namespace
}  // namespace pw::test
