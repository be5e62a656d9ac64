// The read-model queries as the reader role on a real PostgreSQL: what they
// return for rows the real projector wrote, tenant isolation by row-level
// security, keyset pagination, filters, strict cursors and read-your-writes.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "commands/deciders.hpp"
#include "events/envelope.hpp"
#include "projections/projector.hpp"
#include "queries/cursor.hpp"
#include "queries/read_model.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace d = domain;
using queries::ListParams;
using queries::PageList;
using queries::ReadModel;

const TenantId kA{"tenant-a"};
const TenantId kB{"tenant-b"};

// The field of a VALIDATION_ERROR's first detail, or a description of what came instead.
template <class T>
std::string validation_field(const Result<T>& r) {
  if (r.ok()) return "<ok>";
  if (r.error().code != Errc::validation_error) return std::string("<") + errc_code(r.error().code) + ">";
  if (r.error().details.empty()) return "<no details>";
  return r.error().details[0].field;
}

class QueriesTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    auto rm = ReadModel::connect(reader_, 3);
    ASSERT_TRUE(rm.ok()) << rm.error().message;
    rm_ = std::move(rm).value();
  }

  void TearDown() override {
    rm_.reset();  // close the reader's connections before the database is dropped
    PgTest::TearDown();
  }

  // Runs `sql` as the owner with `tenant` set (row-level security binds the owner too).
  template <class... Args>
  void owner_exec(const TenantId& tenant, const std::string& sql, Args&&... args) {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, tenant.value);
    t.exec_params(sql, std::forward<Args>(args)...);
    t.commit();
  }

  void insert_site(const TenantId& tenant, const std::string& id, const std::string& created_at) {
    owner_exec(tenant,
               "INSERT INTO sites (tenant_id, site_id, subdomain, name, version, created_at, updated_at) "
               "VALUES ($1, $2, $2, 'Site ' || $2, 1, $3, $3)",
               tenant.value, id, created_at);
  }

  void insert_page(const TenantId& tenant, const std::string& site, const std::string& id, const std::string& slug,
                   const std::string& title, const std::string& status, const std::string& updated_at) {
    owner_exec(tenant,
               "INSERT INTO pages (tenant_id, page_id, site_id, slug, title, status, version, updated_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
               tenant.value, id, site, slug, title, status, updated_at);
  }

  // Every item of a list, following next_cursor with `limit`; fails on a loop.
  template <class F>
  std::vector<json> walk(int64_t limit, F&& list) {
    std::vector<json> all;
    ListParams p;
    p.limit = limit;
    for (int guard = 0; guard < 1000; ++guard) {
      Result<PageList> r = list(p);
      if (!r.ok()) {
        ADD_FAILURE() << r.error().message;
        return all;
      }
      EXPECT_EQ(r->limit, limit);
      EXPECT_LE(static_cast<int64_t>(r->items.size()), limit);
      for (auto& item : r->items) all.push_back(item);
      if (!r->next_cursor) return all;
      EXPECT_EQ(static_cast<int64_t>(r->items.size()), limit) << "a short page must be the last";
      p.cursor = r->next_cursor;
    }
    ADD_FAILURE() << "pagination did not end";
    return all;
  }

  static std::vector<std::string> ids(const std::vector<json>& items, const char* key) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i.at(key).get<std::string>());
    return out;
  }

  std::unique_ptr<ReadModel> rm_;
};

// ---------------------------------------------------------------------------
// Filled by the real pipeline: commands → processor → events → projector.

class ProjectedQueriesTest : public QueriesTest {
 protected:
  static constexpr int32_t kPartitions = 4;

  void SetUp() override {
    QueriesTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir_ = std::filesystem::temp_directory_path() / ("pw-queries-" + std::to_string(::getpid()) + "-" + db_);
    std::filesystem::create_directories(dir_);
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    log_ = std::move(opened).value();
    ASSERT_TRUE(create_pagewright_topics(*log_, kPartitions).ok());

    const auto alpha = site_id_for_subdomain("alpha");
    const auto beta = site_id_for_subdomain("beta");
    home_ = make_page_id(alpha, "home");
    about_ = make_page_id(alpha, "about");
    const auto beta_home = make_page_id(beta, "home");
    std::vector<domain::CommandRecord> cmds;
    int n = 0;
    auto add = [&](const std::string& sub, d::Command c) { cmds.push_back(command_record(++n, sub, std::move(c))); };
    add("alpha", d::CreateSite{alpha, "Alpha", "alpha"});
    add("beta", d::CreateSite{beta, "Beta", "beta"});
    add("alpha", d::CreatePage{home_, "Home", std::string(), std::string("The home page")});
    add("alpha", d::CreatePage{about_, "About", std::string("about"), {}});
    add("beta", d::CreatePage{beta_home, "Home", std::string(), {}});
    add("alpha", d::AddComponent{home_, ComponentId{"h1"}, "Heading", json{{"text", "Hello"}}, {}, {}, {}});
    add("alpha", d::PublishPage{home_});
    add("alpha", d::UpdateSiteSettings{std::string("Alpha Two"), {}, {}});
    ASSERT_TRUE(submit_commands(*log_, cmds).ok());

    workers::ProcessorConfig config;
    config.schemas = ::pw::test::test_schemas();
    config.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      auto r = (*processor)->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      int64_t results = 0;
      for (int32_t p = 0; p < kPartitions; ++p) results += *log_->end_offset({std::string(log::kResultsTopic), p});
      if (results >= static_cast<int64_t>(cmds.size())) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the processor did not finish";
    }
    (*processor)->close();
    ASSERT_EQ((*processor)->stats().accepted, static_cast<int64_t>(cmds.size()));
    for (int32_t p = 0; p < kPartitions; ++p) end_[p] = *log_->end_offset({std::string(log::kEventsTopic), p});

    auto projector = projections::Projector::create(*log_, owner_);
    ASSERT_TRUE(projector.ok()) << projector.error().message;
    deadline = std::chrono::steady_clock::now() + 30s;
    int64_t applied = 0;
    while (applied < static_cast<int64_t>(cmds.size())) {
      auto r = (*projector)->run_once(20ms);
      ASSERT_TRUE(r.ok()) << r.error().message;
      applied += static_cast<int64_t>(*r);
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the projector did not catch up";
    }
    (*projector)->close();
  }

  void TearDown() override {
    log_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    QueriesTest::TearDown();
  }

  const TenantId alpha_tenant_{"tenant-alpha"};
  const TenantId beta_tenant_{"tenant-beta"};
  PageId home_, about_;
  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
  std::map<int32_t, int64_t> end_;
};

TEST_F(ProjectedQueriesTest, SitesAndPagesAsProjected) {
  const auto alpha = site_id_for_subdomain("alpha");
  auto sites = rm_->list_sites(alpha_tenant_, {});
  ASSERT_TRUE(sites.ok()) << sites.error().message;
  ASSERT_EQ(sites->items.size(), 1u);
  EXPECT_FALSE(sites->next_cursor);
  EXPECT_EQ(sites->limit, 50);

  auto site = rm_->get_site(alpha_tenant_, alpha);
  ASSERT_TRUE(site.ok()) << site.error().message;
  ASSERT_TRUE(site->has_value());
  const json& s = **site;
  EXPECT_EQ(s, sites->items[0]);
  EXPECT_EQ(s["siteId"], alpha.value);
  EXPECT_EQ(s["name"], "Alpha Two");
  EXPECT_EQ(s["subdomain"], "alpha");
  EXPECT_EQ(s["version"], 6);  // six alpha events
  EXPECT_EQ(s["createdAt"], timestamp(1));
  EXPECT_EQ(s["updatedAt"], timestamp(8));
  EXPECT_TRUE(s["seo"].is_object());
  EXPECT_EQ(s["settings"], json::object());
  EXPECT_EQ(s["deployments"], json::object());
  EXPECT_EQ(s["designTokens"], json::object());
  EXPECT_EQ(s.size(), 10u);

  auto home = rm_->get_page(alpha_tenant_, home_);
  ASSERT_TRUE(home.ok()) << home.error().message;
  ASSERT_TRUE(home->has_value());
  const json& h = **home;
  EXPECT_EQ(h["pageId"], home_.value);
  EXPECT_EQ(h["siteId"], alpha.value);
  EXPECT_EQ(h["slug"], "");
  EXPECT_EQ(h["title"], "Home");
  EXPECT_EQ(h["description"], "The home page");
  EXPECT_EQ(h["status"], "published");
  EXPECT_EQ(h["version"], 3);
  EXPECT_EQ(h["publishedVersion"], 3);
  EXPECT_EQ(h["updatedAt"], timestamp(7));
  EXPECT_TRUE(h["seo"].is_object());
  ASSERT_EQ(h["content"].size(), 1u);
  EXPECT_EQ(h["content"][0]["id"], "h1");
  EXPECT_EQ(h["content"][0]["type"], "Heading");
  EXPECT_EQ(h["content"][0]["props"]["text"], "Hello");

  // Newest first; list items are the page without its content.
  auto pages = rm_->list_pages(alpha_tenant_, alpha, std::nullopt, std::nullopt, {});
  ASSERT_TRUE(pages.ok()) << pages.error().message;
  ASSERT_EQ(pages->items.size(), 2u);
  json without_content = h;
  without_content.erase("content");
  EXPECT_EQ(pages->items[0], without_content);
  EXPECT_EQ(pages->items[1]["pageId"], about_.value);
  EXPECT_EQ(pages->items[1]["slug"], "about");
  EXPECT_EQ(pages->items[1]["status"], "draft");
  EXPECT_EQ(pages->items[1]["publishedVersion"], 0);

  auto published = rm_->list_pages(alpha_tenant_, alpha, "published", std::nullopt, {});
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(ids(published->items, "pageId"), std::vector<std::string>{home_.value});
}

TEST_F(ProjectedQueriesTest, PageHistoryIsTheStoredEnvelopesOldestFirst) {
  auto all = walk(2, [&](const ListParams& p) { return rm_->page_history(alpha_tenant_, home_, p); });
  ASSERT_EQ(all.size(), 3u);
  std::vector<std::string> types;
  int64_t prev = 0;
  for (const auto& e : all) {
    EXPECT_GT(e["seq"].get<int64_t>(), prev);
    prev = e["seq"].get<int64_t>();
    EXPECT_EQ(e["aggregate"]["id"], home_.value);
    EXPECT_EQ(e["tenantId"], "tenant-alpha");
    EXPECT_TRUE(e.contains("prevHash"));
    EXPECT_TRUE(e.contains("data"));
    types.push_back(e["type"].get<std::string>());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"PageCreated", "ComponentAdded", "PagePublished"}));

  // The envelope equals the record value, decoded.
  auto first = rm_->page_history(alpha_tenant_, home_, {});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items, all);
  EXPECT_FALSE(first->next_cursor);
}

TEST_F(ProjectedQueriesTest, AnotherTenantSeesNothing) {
  const auto alpha = site_id_for_subdomain("alpha");
  auto site = rm_->get_site(beta_tenant_, alpha);
  ASSERT_TRUE(site.ok()) << site.error().message;
  EXPECT_FALSE(site->has_value());
  auto page = rm_->get_page(beta_tenant_, home_);
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->has_value());
  for (std::optional<std::string> status : {std::optional<std::string>(), std::optional<std::string>("published")}) {
    auto pages = rm_->list_pages(beta_tenant_, alpha, status, std::nullopt, {});
    ASSERT_TRUE(pages.ok());
    EXPECT_TRUE(pages->items.empty());
    EXPECT_FALSE(pages->next_cursor);
  }
  auto history = rm_->page_history(beta_tenant_, home_, {});
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->items.empty());

  // Beta sees only its own site; an unknown tenant sees nothing.
  auto sites = rm_->list_sites(beta_tenant_, {});
  ASSERT_TRUE(sites.ok());
  EXPECT_EQ(ids(sites->items, "siteId"), std::vector<std::string>{site_id_for_subdomain("beta").value});
  auto none = rm_->list_sites(TenantId{"tenant-nobody"}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
}

TEST_F(ProjectedQueriesTest, WaitForPositionOfProjectedRecords) {
  int checked = 0;
  for (const auto& [p, end] : end_) {
    if (end == 0) continue;
    ++checked;
    const std::string last = std::to_string(p) + ":" + std::to_string(end - 1);
    auto passed = rm_->wait_for_position(last, 0ms);
    ASSERT_TRUE(passed.ok()) << passed.error().message;
    EXPECT_TRUE(*passed) << last;
    const std::string next = std::to_string(p) + ":" + std::to_string(end);
    auto not_yet = rm_->wait_for_position(next, 20ms);
    ASSERT_TRUE(not_yet.ok());
    EXPECT_FALSE(*not_yet) << next;
  }
  EXPECT_GT(checked, 0);
}

// Each projected event's log position, in seq order, with the projection's
// offset of the partition from the same snapshot; the record there is the event.
TEST_F(ProjectedQueriesTest, EventPositionsNameTheRecordsInTheLog) {
  const auto alpha = site_id_for_subdomain("alpha");
  const int32_t partition = log::partition_for(alpha.str(), kPartitions);
  auto all = rm_->site_event_positions(alpha_tenant_, alpha, partition, 0, 100);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->events.size(), 6u);
  EXPECT_EQ(all->projected_to, end_[partition]);
  auto reader = log_->reader({std::string(log::kEventsTopic), partition}, 0);
  ASSERT_TRUE(reader.ok());
  for (size_t i = 0; i < all->events.size(); ++i) {
    const auto& e = all->events[i];
    EXPECT_EQ(e.seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.partition, partition);
    EXPECT_LT(e.offset, all->projected_to);
    ASSERT_TRUE((*reader)->seek(e.offset).ok());
    auto rec = (*reader)->read(1s, 1);
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(rec->size(), 1u);
    EXPECT_EQ((*rec)[0].offset, e.offset);
    EXPECT_EQ((*rec)[0].key, alpha.str());
    EXPECT_EQ(decode((*rec)[0].value)->seq, e.seq);
  }
  auto page = rm_->site_event_positions(alpha_tenant_, alpha, partition, 2, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 3u);
  EXPECT_EQ(page->events[0].seq, 3);
  EXPECT_EQ(page->events[2].seq, 5);

  // Another tenant sees no positions; bad arguments are validation errors.
  auto foreign = rm_->site_event_positions(beta_tenant_, alpha, partition, 0, 100);
  ASSERT_TRUE(foreign.ok());
  EXPECT_TRUE(foreign->events.empty());
  EXPECT_EQ(validation_field(rm_->site_event_positions(alpha_tenant_, alpha, partition, 0, 0)), "limit");
  EXPECT_EQ(validation_field(rm_->site_event_positions(alpha_tenant_, alpha, partition, 0, 100001)), "limit");
  EXPECT_EQ(validation_field(rm_->site_event_positions(TenantId{""}, alpha, partition, 0, 10)), "tenant");
}

// ---------------------------------------------------------------------------
// Rows inserted by the owner (tenant set), for shapes the pipeline cannot make
// cheaply: many rows, equal timestamps, literal wildcards, arbitrary offsets.

TEST_F(QueriesTest, SitesPaginationWalksEveryRowOnceOldestFirst) {
  std::vector<std::pair<std::string, std::string>> want;  // (createdAt, siteId) of tenant A
  for (int i = 0; i < 23; ++i) {
    // Groups of three share a timestamp, so the id breaks ties.
    char ts[40];
    std::snprintf(ts, sizeof ts, "2026-11-22T05:30:%02d.%06dZ", i / 3, 123456 + i / 3);
    char id[40];
    std::snprintf(id, sizeof id, "site-%02d", (i * 7) % 23);
    insert_site(kA, id, ts);
    want.emplace_back(ts, id);
  }
  insert_site(kB, "site-b", "2026-11-22T05:30:00.000000Z");
  std::sort(want.begin(), want.end());
  std::vector<std::string> want_ids;
  for (const auto& w : want) want_ids.push_back(w.second);

  for (int64_t limit : {1, 2, 3, 5, 22, 23, 24, 200}) {
    SCOPED_TRACE(limit);
    auto all = walk(limit, [&](const ListParams& p) { return rm_->list_sites(kA, p); });
    EXPECT_EQ(ids(all, "siteId"), want_ids);
  }
  auto all = walk(50, [&](const ListParams& p) { return rm_->list_sites(kA, p); });
  ASSERT_EQ(all.size(), want.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i]["createdAt"], want[i].first);

  // Exactly `limit` rows left: no cursor on the last page.
  ListParams p;
  p.limit = 23;
  auto exact = rm_->list_sites(kA, p);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 23u);
  EXPECT_FALSE(exact->next_cursor);

  auto b = walk(1, [&](const ListParams& q) { return rm_->list_sites(kB, q); });
  EXPECT_EQ(ids(b, "siteId"), std::vector<std::string>{"site-b"});
}

TEST_F(QueriesTest, PagesPaginationWalksEveryRowOnceNewestFirst) {
  insert_site(kA, "s1", "2026-01-01T00:00:00.000000Z");
  insert_site(kA, "s2", "2026-01-01T00:00:00.000000Z");
  std::vector<std::pair<std::string, std::string>> want;  // (updatedAt, pageId)
  for (int i = 0; i < 37; ++i) {
    char ts[40];
    std::snprintf(ts, sizeof ts, "2026-11-%02dT12:00:00.%06dZ", 1 + i / 4, 999999 - i / 4);
    const std::string id = "s1.p" + std::to_string((i * 11) % 37);
    insert_page(kA, "s1", id, "slug-" + std::to_string(i), "Page " + std::to_string(i), "draft", ts);
    want.emplace_back(ts, id);
  }
  insert_page(kA, "s2", "s2.other", "other", "Other", "draft", "2026-11-05T00:00:00.000000Z");
  std::sort(want.rbegin(), want.rend());
  std::vector<std::string> want_ids;
  for (const auto& w : want) want_ids.push_back(w.second);

  for (int64_t limit : {1, 4, 36, 37, 38}) {
    SCOPED_TRACE(limit);
    auto all = walk(limit, [&](const ListParams& p) {
      return rm_->list_pages(kA, SiteId{"s1"}, std::nullopt, std::nullopt, p);
    });
    EXPECT_EQ(ids(all, "pageId"), want_ids);
    if (!all.empty()) {
      EXPECT_FALSE(all[0].contains("content"));
    }
  }
  // Tenant B, same site id: nothing.
  auto b = rm_->list_pages(kB, SiteId{"s1"}, std::nullopt, std::nullopt, {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->items.empty());
}

TEST_F(QueriesTest, StatusAndQueryFilters) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  insert_page(kA, "s", "s.pct", "pct", "100% Pure", "published", "2026-11-22T00:00:01.000000Z");
  insert_page(kA, "s", "s.und", "a-b", "Snake_case", "draft", "2026-11-22T00:00:02.000000Z");
  insert_page(kA, "s", "s.plain", "plain", "Plain ab", "draft", "2026-11-22T00:00:03.000000Z");
  insert_page(kA, "s", "s.slash", "x", "Back\\slash", "draft", "2026-11-22T00:00:04.000000Z");
  insert_page(kA, "s", "s.gone", "pure-gone", "Gone", "deleted", "2026-11-22T00:00:05.000000Z");
  insert_page(kA, "s", "s.purepub", "pure", "Also", "published", "2026-11-22T00:00:06.000000Z");

  auto list = [&](std::optional<std::string> status, std::optional<std::string> q) {
    auto r = rm_->list_pages(kA, SiteId{"s"}, std::move(status), std::move(q), {});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? ids(r->items, "pageId") : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  const auto none = std::nullopt;
  EXPECT_EQ(list(none, none), (V{"s.purepub", "s.slash", "s.plain", "s.und", "s.pct"}));  // not deleted
  EXPECT_EQ(list("draft", none), (V{"s.slash", "s.plain", "s.und"}));
  EXPECT_EQ(list("published", none), (V{"s.purepub", "s.pct"}));
  EXPECT_EQ(list("deleted", none), (V{"s.gone"}));
  // Case-insensitive, title or slug.
  EXPECT_EQ(list(none, "PURE"), (V{"s.purepub", "s.pct"}));
  EXPECT_EQ(list("deleted", "pure"), (V{"s.gone"}));
  EXPECT_EQ(list("draft", "pure"), V{});
  // Wildcards are literal.
  EXPECT_EQ(list(none, "%"), (V{"s.pct"}));
  EXPECT_EQ(list(none, "0% p"), (V{"s.pct"}));
  EXPECT_EQ(list(none, "_"), (V{"s.und"}));
  EXPECT_EQ(list(none, "a_b"), V{});  // "a-b" (slug) and "ab" (title) are not "a_b"
  EXPECT_EQ(list(none, "e_c"), (V{"s.und"}));
  EXPECT_EQ(list(none, "\\"), (V{"s.slash"}));
  EXPECT_EQ(list(none, "k\\s"), (V{"s.slash"}));
  EXPECT_EQ(list(none, ""), list(none, none));

  // A filtered walk with a cursor.
  auto all = walk(1, [&](const ListParams& p) { return rm_->list_pages(kA, SiteId{"s"}, std::nullopt, "a", p); });
  EXPECT_EQ(ids(all, "pageId"), (V{"s.purepub", "s.slash", "s.plain", "s.und"}));

  EXPECT_EQ(validation_field(rm_->list_pages(kA, SiteId{"s"}, "Draft", none, {})), "status");
  EXPECT_EQ(validation_field(rm_->list_pages(kA, SiteId{"s"}, "", none, {})), "status");
  EXPECT_EQ(validation_field(rm_->list_pages(kA, SiteId{"s"}, none, std::string(201, 'x'), {})), "q");
  EXPECT_EQ(validation_field(rm_->list_pages(kA, SiteId{"s"}, none, std::string("a\0b", 3), {})), "q");
  EXPECT_EQ(validation_field(rm_->list_pages(kA, SiteId{"s"}, none, std::string("\xff"), {})), "q");
  // Another tenant with the same filters sees nothing.
  auto b = rm_->list_pages(kB, SiteId{"s"}, "published", "pure", {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->items.empty());
}

TEST_F(QueriesTest, BadLimitAndCursorAreValidationErrors) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  insert_site(kA, "t", "2026-01-02T00:00:00.000000Z");
  insert_page(kA, "s", "s.a", "a", "A", "draft", "2026-11-22T00:00:01.000000Z");
  insert_page(kA, "s", "s.b", "b", "B", "draft", "2026-11-22T00:00:02.000000Z");
  const SiteId s{"s"};
  const PageId page{"s.a"};

  for (int64_t limit : {int64_t{0}, int64_t{-1}, int64_t{201}, INT64_MAX, INT64_MIN}) {
    ListParams p;
    p.limit = limit;
    EXPECT_EQ(validation_field(rm_->list_sites(kA, p)), "limit") << limit;
    EXPECT_EQ(validation_field(rm_->list_pages(kA, s, std::nullopt, std::nullopt, p)), "limit") << limit;
    EXPECT_EQ(validation_field(rm_->page_history(kA, page, p)), "limit") << limit;
  }
  ListParams ok;
  ok.limit = 200;
  EXPECT_TRUE(rm_->list_sites(kA, ok).ok());
  ok.limit = 1;
  EXPECT_TRUE(rm_->list_sites(kA, ok).ok());

  // Real cursors of each list.
  auto sites = rm_->list_sites(kA, ok);
  ASSERT_TRUE(sites.ok() && sites->next_cursor);
  auto pages = rm_->list_pages(kA, s, std::nullopt, std::nullopt, ok);
  ASSERT_TRUE(pages.ok() && pages->next_cursor);
  const std::string sites_cursor = *sites->next_cursor;
  const std::string pages_cursor = *pages->next_cursor;
  const std::string history_cursor = queries::detail::encode_seq(1);

  namespace qd = queries::detail;
  auto b64 = [](const std::string& s) { return qd::base64url_encode(s); };
  std::vector<std::string> bad = {
      "",
      "not a cursor!",
      "%27%3B--",
      "' OR 1=1 --",
      sites_cursor + "=",
      sites_cursor.substr(0, sites_cursor.size() - 1),
      std::string(600, 'A'),
      b64("not json"),
      b64("[1,2]"),
      b64("{}"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z"})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z","id":"s","x":1})"),
      b64(R"({"k":"sites","t":"2026-02-30T00:00:00.000000Z","id":"s"})"),
      b64(R"({"k":"sites","t":"2026-01-01 00:00:00","id":"s"})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000+01:00","id":"s"})"),
      b64(R"({"k":"sites","t":"2026-01-01T24:00:00.000000Z","id":"s"})"),
      b64(R"({"k":"sites","t":"0000-01-01T00:00:00.000000Z","id":"s"})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z","id":""})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z","id":"a b"})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z","id":"a\u0000"})"),
      b64(R"({"k":"sites","t":"2026-01-01T00:00:00.000000Z","id":1})"),
      b64(R"({"k":"history","seq":-1})"),
      b64(R"({"k":"history","seq":1.5})"),
      b64(R"({"k":"history","seq":"1"})"),
      b64(R"({"k":"history","seq":18446744073709551615})"),
      b64("{\"k\":\"sites\",\"t\":\"2026-01-01T00:00:00.000000Z\",\"id\":\"\xff\"}"),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE("bad cursor #" + std::to_string(i) + ": " + bad[i]);
    ListParams p;
    p.cursor = bad[i];
    EXPECT_EQ(validation_field(rm_->list_sites(kA, p)), "cursor");
    EXPECT_EQ(validation_field(rm_->list_pages(kA, s, std::nullopt, std::nullopt, p)), "cursor");
    EXPECT_EQ(validation_field(rm_->page_history(kA, page, p)), "cursor");
  }
  // One list's cursor is refused by the others.
  ListParams p;
  p.cursor = sites_cursor;
  EXPECT_EQ(validation_field(rm_->list_pages(kA, s, std::nullopt, std::nullopt, p)), "cursor");
  EXPECT_EQ(validation_field(rm_->page_history(kA, page, p)), "cursor");
  EXPECT_TRUE(rm_->list_sites(kA, p).ok());
  p.cursor = pages_cursor;
  EXPECT_EQ(validation_field(rm_->list_sites(kA, p)), "cursor");
  EXPECT_TRUE(rm_->list_pages(kA, s, std::nullopt, std::nullopt, p).ok());
  p.cursor = history_cursor;
  EXPECT_EQ(validation_field(rm_->list_sites(kA, p)), "cursor");
  EXPECT_TRUE(rm_->page_history(kA, page, p).ok());

  // A well-formed forged cursor is only a position: it still shows the caller's rows only.
  p.cursor = qd::encode_keyset("sites", {"0001-01-01T00:00:00.000000Z", "!"});
  auto from_start = rm_->list_sites(kB, p);
  ASSERT_TRUE(from_start.ok());
  EXPECT_TRUE(from_start->items.empty());

  // Error details carry the field.
  p.cursor = "garbage";
  auto e = rm_->list_sites(kA, p);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::validation_error);
  EXPECT_EQ(e.error().details.size(), 1u);

  // An unusable tenant is refused too.
  EXPECT_EQ(validation_field(rm_->list_sites(TenantId{""}, {})), "tenant");
  EXPECT_EQ(validation_field(rm_->get_site(TenantId{std::string("a\0b", 3)}, s)), "tenant");
  // Ids no row can have are simply absent.
  auto weird = rm_->get_site(kA, SiteId{std::string("s\xff")});
  ASSERT_TRUE(weird.ok());
  EXPECT_FALSE(weird->has_value());
}

TEST_F(QueriesTest, CursorEncodingRoundTrips) {
  namespace qd = queries::detail;
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\xfe", 3)}) {
    auto back = qd::base64url_decode(qd::base64url_encode(s));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(qd::base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(qd::base64url_decode("-_9"));  // non-zero trailing bits
  EXPECT_FALSE(qd::base64url_decode("Zg=="));
  EXPECT_FALSE(qd::base64url_decode("Z"));
  auto k = qd::decode_keyset("pages", qd::encode_keyset("pages", {"2024-02-29T23:59:59.999999Z", "x.y"}));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->ts, "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(k->id, "x.y");
  EXPECT_FALSE(qd::is_canonical_timestamp("2023-02-29T00:00:00.000000Z"));
  EXPECT_TRUE(qd::is_canonical_timestamp("2000-02-29T00:00:00.000000Z"));
  EXPECT_FALSE(qd::is_canonical_timestamp("1900-02-29T00:00:00.000000Z"));
  EXPECT_EQ(qd::decode_seq(qd::encode_seq(42)), std::optional<int64_t>(42));
}

TEST_F(QueriesTest, PageHistoryOrderAndCursor) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  insert_page(kA, "s", "s.p", "p", "P", "draft", "2026-11-22T00:00:01.000000Z");
  // Seqs of the site interleave two pages and a site-level event; inserted out of order.
  std::vector<int64_t> mine;
  for (int64_t seq : {9, 2, 5, 1, 7, 3, 11, 4, 6, 8, 10}) {
    const char* page = seq % 3 == 0 ? "s.other" : (seq == 1 ? nullptr : "s.p");
    json env{{"seq", seq}, {"type", "Something"}, {"aggregate", {{"id", page ? page : "s"}}}};
    owner_exec(kA,
               "INSERT INTO page_events (tenant_id, site_id, page_id, seq, type, occurred_at, actor, command_id, "
               "envelope) VALUES ($1, 's', NULLIF($2, ''), $3, 'Something', '2026-11-22T00:00:00Z', 'u', 'c', $4::jsonb)",
               kA.value, std::string(page ? page : ""), seq, env.dump());
    if (page && std::string(page) == "s.p") mine.push_back(seq);
  }
  std::sort(mine.begin(), mine.end());
  for (int64_t limit : {1, 2, 3, 7, 50}) {
    SCOPED_TRACE(limit);
    auto all = walk(limit, [&](const ListParams& p) { return rm_->page_history(kA, PageId{"s.p"}, p); });
    std::vector<int64_t> seqs;
    for (const auto& e : all) {
      seqs.push_back(e["seq"].get<int64_t>());
      EXPECT_EQ(e["aggregate"]["id"], "s.p");
    }
    EXPECT_EQ(seqs, mine);
  }
  auto b = rm_->page_history(kB, PageId{"s.p"}, {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->items.empty());
  auto unknown = rm_->page_history(kA, PageId{"s.nope"}, {});
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->items.empty());
}

TEST_F(QueriesTest, WaitForPosition) {
  auto set_offset = [&](int32_t partition, int64_t next) {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    t.exec_params(
        "INSERT INTO projection_offsets (projector, topic, partition, next_offset) "
        "VALUES ('read-models', 'pagewright.events', $1, $2) "
        "ON CONFLICT (projector, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset",
        partition, next);
    t.commit();
  };
  set_offset(2, 10);
  // Another projection's offsets do not count.
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    t.exec("INSERT INTO projection_offsets VALUES ('other', 'pagewright.events', 3, 100)");
    t.commit();
  }

  auto passed = rm_->wait_for_position("2:9", 0ms);
  ASSERT_TRUE(passed.ok()) << passed.error().message;
  EXPECT_TRUE(*passed);
  EXPECT_TRUE(*rm_->wait_for_position("2:0", 1000ms));

  auto start = std::chrono::steady_clock::now();
  auto not_yet = rm_->wait_for_position("2:10", 60ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(not_yet.ok());
  EXPECT_FALSE(*not_yet);
  EXPECT_GE(took, 60ms);
  EXPECT_LT(took, 2s);
  auto no_row = rm_->wait_for_position("3:0", 20ms);
  ASSERT_TRUE(no_row.ok());
  EXPECT_FALSE(*no_row);
  auto zero = rm_->wait_for_position("2:10", 0ms);
  ASSERT_TRUE(zero.ok());
  EXPECT_FALSE(*zero);

  // The row advances while we wait.
  std::thread advance([&] {
    std::this_thread::sleep_for(150ms);
    set_offset(2, 12);
    std::this_thread::sleep_for(50ms);
    set_offset(2, 16);
  });
  start = std::chrono::steady_clock::now();
  auto later = rm_->wait_for_position("2:15", 5000ms);
  took = std::chrono::steady_clock::now() - start;
  advance.join();
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_TRUE(*later);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 3s);

  for (const char* bad : {"", "2", ":1", "1:", "a:1", "1:a", "-1:2", "1:-2", "+1:2", "1:2:3", " 1:2", "1:2 ",
                          "1 :2", "2147483648:1", "1:9223372036854775808", "1:99999999999999999999", "0x1:2"}) {
    EXPECT_EQ(validation_field(rm_->wait_for_position(bad, 0ms)), "position") << '"' << bad << '"';
  }
  auto p = queries::parse_position("2147483647:9223372036854775807");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->partition, 2147483647);
  EXPECT_EQ(p->offset, INT64_MAX);
}

TEST_F(QueriesTest, PingAndConnect) {
  EXPECT_TRUE(rm_->ping().ok());
  EXPECT_EQ(rm_->pool_size(), 3u);
  EXPECT_GE(rm_->open_connections(), 1u);

  auto zero = ReadModel::connect(reader_, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, Errc::validation_error);

  auto wrong_password = ReadModel::connect(conninfo_with(reader_, {{"password", "wrong"}}), 1);
  ASSERT_FALSE(wrong_password.ok());
  EXPECT_EQ(wrong_password.error().code, Errc::unavailable);

  auto no_server = ReadModel::connect(conninfo_with(reader_, {{"host", "127.0.0.1"}, {"port", "1"}}), 1);
  ASSERT_FALSE(no_server.ok());
  EXPECT_EQ(no_server.error().code, Errc::unavailable);
}

TEST_F(QueriesTest, BrokenConnectionsAreReplaced) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  // Open every pooled connection, then kill their backends (a role may
  // terminate its own sessions).
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) (void)rm_->get_site(kA, SiteId{"s"});
    });
  for (auto& t : threads) t.join();
  {
    pqxx::connection c(reader_);
    pqxx::nontransaction t(c);
    auto killed = t.exec(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
        "WHERE usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()");
    EXPECT_GE(killed.size(), 1u);
  }
  // Dead connections are retired and the calls retried on fresh ones: no
  // caller sees an error (reads are idempotent).
  int failures = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = rm_->get_site(kA, SiteId{"s"});
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::unavailable) << r.error().message;
      ++failures;
      continue;
    }
    EXPECT_TRUE(r->has_value());
  }
  EXPECT_EQ(failures, 0);
  for (int i = 0; i < 5; ++i) {
    auto r = rm_->get_site(kA, SiteId{"s"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->has_value());
    EXPECT_TRUE(rm_->ping().ok());
  }
  EXPECT_LE(rm_->open_connections(), 3u);
}

TEST_F(QueriesTest, UnreachableDatabaseIsUnavailable) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  ASSERT_TRUE(rm_->ping().ok());
  pqxx::connection reader(reader_);  // opened while it may still connect
  auto connect_grant = [&](bool allow) {
    pqxx::connection c(owner_);
    pqxx::nontransaction t(c);
    t.exec(std::string(allow ? "GRANT" : "REVOKE") + " CONNECT ON DATABASE " + c.quote_name(db_) +
           (allow ? " TO " : " FROM ") + "PUBLIC");
  };
  connect_grant(false);
  pqxx::nontransaction(reader).exec(
      "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
      "WHERE usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()");
  auto site = rm_->get_site(kA, SiteId{"s"});
  ASSERT_FALSE(site.ok());
  EXPECT_EQ(site.error().code, Errc::unavailable) << site.error().message;
  auto ping = rm_->ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, Errc::unavailable);
  auto wait = rm_->wait_for_position("0:0", 10ms);
  ASSERT_FALSE(wait.ok());
  EXPECT_EQ(wait.error().code, Errc::unavailable);
  EXPECT_EQ(rm_->open_connections(), 0u);

  connect_grant(true);
  auto again = rm_->get_site(kA, SiteId{"s"});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->has_value());
}

TEST_F(QueriesTest, ReaderRoleIsReadOnlyAndBoundByRowLevelSecurity) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  pqxx::connection c(reader_);
  pqxx::work t(c);
  // Without a tenant nothing is visible, even to a direct query.
  EXPECT_EQ(count(t, "SELECT count(*) FROM sites"), 0);
  t.exec_params("SELECT set_config('pagewright.tenant', $1, true)", kA.value);
  EXPECT_EQ(count(t, "SELECT count(*) FROM sites"), 1);
  EXPECT_THROW(t.exec("DELETE FROM sites"), pqxx::insufficient_privilege);
}

// get_page scopes and reads in one statement (page_in_tenant): the scope
// must end with it, on a connection the pool hands to another tenant next.
TEST_F(QueriesTest, APageReadInOneStatementLeavesNoTenantBehind) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  insert_page(kA, "s", "s.home", "home", "Home", "draft", "2026-01-02T00:00:00.000000Z");
  pqxx::connection c(reader_);
  pqxx::nontransaction n(c);
  EXPECT_EQ(count(n, "SELECT count(*) FROM page_in_tenant('" + kA.value + "', 's.home')"), 1);
  EXPECT_EQ(count(n, "SELECT count(*) FROM page_in_tenant('" + kB.value + "', 's.home')"), 0);
  // The statement's own transaction ended, and its scope with it.
  EXPECT_EQ(count(n, "SELECT count(*) FROM pages"), 0);
  EXPECT_EQ(n.exec1("SELECT coalesce(current_setting('pagewright.tenant', true), '')")[0].as<std::string>(), "");
  // Through the read model: the right tenant sees the page, the other not.
  auto mine = rm_->get_page(kA, PageId{"s.home"});
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_TRUE(mine->has_value());
  EXPECT_EQ((**mine)["title"], "Home");
  auto theirs = rm_->get_page(kB, PageId{"s.home"});
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  EXPECT_FALSE(theirs->has_value());
}

TEST_F(QueriesTest, ManyThreadsShareTheSmallPool) {
  insert_site(kA, "s", "2026-01-01T00:00:00.000000Z");
  insert_site(kB, "t", "2026-01-01T00:00:00.000000Z");
  std::atomic<int> failures{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const TenantId& tenant = i % 2 == 0 ? kA : kB;
      const std::string mine = i % 2 == 0 ? "s" : "t";
      const std::string theirs = i % 2 == 0 ? "t" : "s";
      for (int k = 0; k < 40; ++k) {
        auto own = rm_->get_site(tenant, SiteId{mine});
        auto other = rm_->get_site(tenant, SiteId{theirs});
        auto list = rm_->list_sites(tenant, {});
        if (!own.ok() || !other.ok() || !list.ok()) {
          ++failures;
          continue;
        }
        if (!own->has_value() || other->has_value() || list->items.size() != 1 ||
            list->items[0]["siteId"] != mine)
          ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(rm_->open_connections(), 3u);
}

}  // namespace
}  // namespace pw::test
