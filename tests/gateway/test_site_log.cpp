// A site's raw event stream read from the log (gateway/site_log.hpp) through
// the read model's index of log positions, on a real log (linked with each
// backend: the local log and librdkafka's mock cluster), the real processor and
// projector and Postgres: sites sharing a partition, afterSeq/limit/byte
// budget, streaming that stops, the hash-chain audit of intact, forged and
// mis-indexed streams, and what a call reads: the site's own records, however
// much another site on the same partition holds.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/local_keys.hpp"
#include "gateway/site_log.hpp"
#include "projections/projector.hpp"
#include "queries/read_model.hpp"
#include "tests/postgres/pg_test_util.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/kafka_log/broker.hpp"
#include "tests/workers/backend.hpp"
#include "workers/command_processor.hpp"
#include "tests/support/schemas.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;
using Clock = std::chrono::steady_clock;

const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);
constexpr int32_t kPartitions = 4;

TenantId tenant_of(const std::string& subdomain) { return TenantId{"tenant-" + subdomain}; }

int32_t partition_of(const std::string& subdomain) {
  return log::partition_for(site_id_for_subdomain(subdomain).str(), kPartitions);
}

// A subdomain, "<prefix>-<n>", whose site shares the events partition of `other`'s.
std::string colliding(const std::string& prefix, const std::string& other) {
  for (int n = 0;; ++n) {
    std::string s = prefix + "-" + std::to_string(n);
    if (partition_of(s) == partition_of(other)) return s;
  }
}

int64_t seq(std::string_view value) { return decode(value).value().seq; }

class SiteLogTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto m = projections::migrate(owner_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    backend_ = make_processor_backend();
    require_server(backend_->missing());
    if (IsSkipped() || HasFatalFailure()) return;
    uri_ = backend_->fresh_uri();
    auto log = log::open_log(uri_, backend_->config());
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(log).value();
    auto topics = create_pagewright_topics(*log_, kPartitions);
    ASSERT_TRUE(topics.ok()) << topics.error().message;
    auto rm = queries::ReadModel::connect(reader_, 2);
    ASSERT_TRUE(rm.ok()) << rm.error().message;
    read_model_ = std::move(rm).value();
    site_log_ = std::make_unique<gateway::SiteLog>(*log_, *read_model_);
  }
  void TearDown() override {
    site_log_.reset();
    results_readers_.clear();
    if (projector_) projector_->close();
    projector_.reset();
    read_model_.reset();
    log_.reset();
    backend_.reset();
    PgTest::TearDown();
  }

  // Commands decided by a real processor, until each has its result.
  void process(const std::vector<domain::CommandRecord>& commands) {
    ASSERT_TRUE(submit_commands(*log_, commands).ok());
    workers::ProcessorConfig config;
    config.schemas = ::pw::test::test_schemas();
    config.snapshot_dir = std::filesystem::temp_directory_path() / ("pw-sitelog-snap-" + uuid_v4());
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    const auto deadline = Clock::now() + 120s;
    const int64_t want = results_ + static_cast<int64_t>(commands.size());
    while (count_results() < want) {
      ASSERT_LT(Clock::now(), deadline);
      ASSERT_TRUE((*processor)->run_once(20ms).ok());
    }
    results_ = want;
    (*processor)->close();
    std::filesystem::remove_all(config.snapshot_dir);
  }

  // Results in the log so far, counted as read: offsets would count Kafka's
  // transaction markers too. The readers are dropped with the log they read.
  int64_t count_results() {
    if (results_readers_.empty()) {
      results_seen_ = 0;
      for (int32_t p = 0; p < kPartitions; ++p) {
        auto r = log_->reader({kResults, p}, 0);
        EXPECT_TRUE(r.ok()) << r.error().message;
        if (!r.ok()) return 0;
        results_readers_.push_back(std::move(r).value());
      }
    }
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto got = results_readers_[static_cast<size_t>(p)]->read(1ms, 10000);
      EXPECT_TRUE(got.ok()) << got.error().message;
      if (got.ok()) results_seen_ += static_cast<int64_t>(got->size());
    }
    return results_seen_;
  }

  // Sites a and b (sharing a partition), each created with `pages` pages,
  // their commands interleaved.
  void fill(int pages) {
    std::vector<domain::CommandRecord> commands;
    int n = 0;
    for (const auto& sub : {a_, b_})
      commands.push_back(command_record(++n, sub, d::CreateSite{site_id_for_subdomain(sub), "Site", sub}));
    for (int i = 0; i < pages; ++i)
      for (const auto& sub : {a_, b_})
        commands.push_back(command_record(
            ++n, sub,
            d::CreatePage{make_page_id(site_id_for_subdomain(sub), "p" + std::to_string(i)),
                          "Page " + std::to_string(i), "page-" + std::to_string(i), {}}));
    process(commands);
  }

  // Runs the projector until it stored every partition's end.
  void project() {
    if (!projector_) {
      auto p = projections::Projector::create(*log_, owner_);
      ASSERT_TRUE(p.ok()) << p.error().message;
      projector_ = std::move(p).value();
    }
    const auto deadline = Clock::now() + 180s;
    for (int32_t p = 0; p < kPartitions; ++p) {
      const int64_t end = log_->end_offset({kEvents, p}).value();
      if (end == 0) continue;
      for (;;) {
        auto there = read_model_->wait_for_position(std::to_string(p) + ":" + std::to_string(end - 1), 0ms);
        ASSERT_TRUE(there.ok()) << there.error().message;
        if (*there) break;
        ASSERT_LT(Clock::now(), deadline) << "projection of partition " << p;
        auto r = projector_->run_once(50ms);
        ASSERT_TRUE(r.ok()) << r.error().message;
      }
    }
  }

  // Every value of `site` in its partition, straight from the log.
  std::vector<std::string> raw(const SiteId& site) {
    std::vector<std::string> out;
    const log::TopicPartition tp{kEvents, log::partition_for(site.str(), kPartitions)};
    const int64_t end = log_->end_offset(tp).value();
    if (end == 0) return out;
    auto reader = log_->reader(tp, 0);
    const auto deadline = Clock::now() + 60s;
    for (int64_t last = -1; last < end - 1 && Clock::now() < deadline;) {
      auto got = (*reader)->read(100ms, 4096);
      EXPECT_TRUE(got.ok());
      for (auto& r : *got) {
        last = r.offset;
        if (r.key == site.str()) out.push_back(std::move(r.value));
      }
    }
    return out;
  }

  void append_values(const SiteId& site, const std::vector<std::string>& values) {
    for (size_t i = 0; i < values.size(); i += 1000) {
      log::Batch b;
      for (size_t j = i; j < std::min(values.size(), i + 1000); ++j)
        b.records.push_back({kEvents, site.str(), values[j], std::nullopt});
      auto r = log_->append(b);
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }

  // `count` correctly chained events of `sub` after `prev` (the values so far):
  // SiteCreated first, then renames, whose names are `name_bytes` long.
  std::vector<std::string> chain(const std::string& sub, const std::vector<std::string>& prev, int count,
                                 size_t name_bytes = 8) {
    const auto site = site_id_for_subdomain(sub);
    std::vector<std::string> out;
    std::string prev_hash = prev.empty() ? kGenesisHash : sha256_hex(prev.back());
    for (int i = 0; i < count; ++i) {
      const auto s = static_cast<int64_t>(prev.size()) + i + 1;
      d::DomainEvent e = d::SiteSettingsUpdated{site, std::string(name_bytes, 'n'), std::nullopt, std::nullopt, std::nullopt};
      if (s == 1) e = d::SiteCreated{site, tenant_of(sub), "Site", sub};
      Envelope env;
      env.id = uuid_v4();
      env.type = std::string(d::event_type(e));
      env.tenant_id = tenant_of(sub).str();
      env.site_id = site.str();
      env.aggregate = {"site", site.str(), s};
      env.seq = s;
      env.occurred_at = timestamp(static_cast<int>(s));
      env.actor = "user-1";
      env.command_id = "cmd-" + sub + "-" + std::to_string(s);
      env.correlation_id = env.command_id;
      env.causation_id = env.command_id;
      env.prev_hash = prev_hash;
      env.data = d::event_data(e);
      out.push_back(encode(env));
      prev_hash = sha256_hex(out.back());
    }
    return out;
  }

  // What the site log replaced: the whole partition read from offset 0,
  // filtered by key. Only timed, for comparison.
  std::chrono::milliseconds full_scan(const SiteId& site) {
    const auto t0 = Clock::now();
    EXPECT_FALSE(raw(site).empty());
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  }

  std::unique_ptr<ProcessorBackend> backend_;
  std::string uri_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<queries::ReadModel> read_model_;
  std::unique_ptr<projections::Projector> projector_;
  std::unique_ptr<gateway::SiteLog> site_log_;
  int64_t results_ = 0;
  std::vector<std::unique_ptr<log::Reader>> results_readers_;
  int64_t results_seen_ = 0;
  const std::string a_ = "alpha";
  const std::string b_ = colliding("beta", "alpha");
};

TEST_F(SiteLogTest, ReadsOneSitesEventsFromASharedPartition) {
  fill(5);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const auto beta = site_id_for_subdomain(b_);
  const auto want = raw(alpha);
  ASSERT_EQ(want.size(), 6u);  // SiteCreated + 5 PageCreated
  ASSERT_EQ(raw(beta).size(), 6u);

  gateway::SiteLogCost cost;
  auto all = site_log_->read(tenant_of(a_), alpha, 0, 100, gateway::kEventsByteBudget, &cost);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->values, want);  // exact bytes, oldest first, no record of beta
  EXPECT_FALSE(all->next_after_seq.has_value());
  for (size_t i = 0; i < all->values.size(); ++i) EXPECT_EQ(seq(all->values[i]), static_cast<int64_t>(i + 1));
  EXPECT_EQ(cost.index_rows, 6);
  EXPECT_EQ(cost.missing, 0);
  EXPECT_EQ(cost.tail_records, 0);

  auto page = site_log_->read(tenant_of(a_), alpha, 2, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->values.size(), 3u);
  EXPECT_EQ(seq(page->values[0]), 3);
  EXPECT_EQ(seq(page->values[2]), 5);
  EXPECT_EQ(page->next_after_seq, std::optional<int64_t>(5));
  auto tail = site_log_->read(tenant_of(a_), alpha, 5, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->values.size(), 1u);
  EXPECT_EQ(tail->values[0], want.back());
  EXPECT_FALSE(tail->next_after_seq.has_value());
  // Exactly full: nothing follows, so no continuation either.
  auto exact = site_log_->read(tenant_of(a_), alpha, 0, 6);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->values.size(), 6u);
  EXPECT_FALSE(exact->next_after_seq.has_value());
  auto past = site_log_->read(tenant_of(a_), alpha, 6, 100);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->values.empty());

  auto beta_events = site_log_->read(tenant_of(b_), beta, 0, 100);
  ASSERT_TRUE(beta_events.ok());
  EXPECT_EQ(beta_events->values, raw(beta));
  for (const auto& v : beta_events->values) EXPECT_EQ(decode(v)->site_id, beta.str());

  // Row-level security: another tenant's index shows nothing of alpha, and
  // alpha's projected records are not in the unprojected tail.
  auto foreign = site_log_->read(tenant_of(b_), alpha, 0, 100);
  ASSERT_TRUE(foreign.ok());
  EXPECT_TRUE(foreign->values.empty());

  auto nobody = site_log_->read(tenant_of("gamma"), site_id_for_subdomain("gamma"), 0, 100);
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->values.empty());
}

// Before the projector reaches them, a site's events come from the log after
// the projection's offset, in the same order and bytes.
TEST_F(SiteLogTest, UnprojectedEventsAreReadFromTheTail) {
  fill(2);
  project();
  process({command_record(100, a_, d::CreatePage{make_page_id(site_id_for_subdomain(a_), "late"), "Late", "late", {}})});
  const auto alpha = site_id_for_subdomain(a_);
  const auto want = raw(alpha);
  ASSERT_EQ(want.size(), 4u);
  gateway::SiteLogCost cost;
  auto all = site_log_->read(tenant_of(a_), alpha, 0, 100, gateway::kEventsByteBudget, &cost);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->values, want);
  EXPECT_EQ(cost.index_rows, 3);
  EXPECT_EQ(cost.tail_records, 1);  // only the new record lies past the projection
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, 4);
  EXPECT_EQ(report->head_hash, sha256_hex(want.back()));
  auto after = site_log_->read(tenant_of(a_), alpha, 3, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->values.size(), 1u);
  EXPECT_EQ(after->values[0], want.back());
}

TEST_F(SiteLogTest, StreamingStopsWhenTheSinkSaysSo) {
  fill(4);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  std::vector<int64_t> got;
  auto r = site_log_->for_each(tenant_of(a_), alpha, 1, [&](int64_t s, std::string_view v) {
    EXPECT_EQ(seq(v), s);
    got.push_back(s);
    return got.size() < 2;
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(got, (std::vector<int64_t>{2, 3}));

  std::vector<int64_t> all;
  ASSERT_TRUE(site_log_
                  ->for_each(tenant_of(a_), alpha, 0,
                             [&](int64_t s, std::string_view) {
                               all.push_back(s);
                               return true;
                             })
                  .ok());
  EXPECT_EQ(all, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(SiteLogTest, EmptyLogHasNoEventsAndVerifiesOk) {
  const auto alpha = site_id_for_subdomain(a_);
  auto none = site_log_->read(tenant_of(a_), alpha, 0, 10);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->values.empty());
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, 0);
  EXPECT_EQ(report->head_hash, std::string(64, '0'));
}

TEST_F(SiteLogTest, VerifyIntactStream) {
  fill(3);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const auto values = raw(alpha);
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, static_cast<int64_t>(values.size()));
  EXPECT_EQ(report->head_hash, sha256_hex(values.back()));
  EXPECT_FALSE(report->first_bad_seq.has_value());
}

// A forged record appended behind the processor's back (not projected): its
// prevHash does not link to the real head, and the one after it does not
// link to it either.
TEST_F(SiteLogTest, VerifyFindsTheForgedRecord) {
  fill(3);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const auto values = raw(alpha);
  const auto n = static_cast<int64_t>(values.size());
  auto forged = nlohmann::json::parse(values.back());
  forged["seq"] = n + 1;
  forged["prevHash"] = std::string(64, 'f');
  forged["data"] = nlohmann::json::object();
  const auto first = forged.dump();
  forged["seq"] = n + 2;
  forged["prevHash"] = std::string(64, 'e');
  append_values(alpha, {first, forged.dump()});

  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->events, n + 2);
  ASSERT_TRUE(report->first_bad_seq.has_value());
  EXPECT_EQ(*report->first_bad_seq, n + 1);
  // The other site sharing the partition is untouched.
  auto beta = site_log_->verify(tenant_of(b_), site_id_for_subdomain(b_));
  ASSERT_TRUE(beta.ok());
  EXPECT_TRUE(beta->ok);
}

TEST_F(SiteLogTest, VerifyFindsASkippedSeq) {
  fill(2);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const auto values = raw(alpha);
  const auto n = static_cast<int64_t>(values.size());
  // Correctly linked, but numbered as if events had been removed before it.
  auto forged = nlohmann::json::parse(values.back());
  forged["seq"] = n + 3;
  forged["prevHash"] = sha256_hex(values.back());
  append_values(alpha, {forged.dump()});
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  ASSERT_TRUE(report->first_bad_seq.has_value());
  EXPECT_EQ(*report->first_bad_seq, n + 1);
  // The raw stream shows the forged record, as stored.
  auto tail = site_log_->read(tenant_of(a_), alpha, n, 10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->values.size(), 1u);
  EXPECT_EQ(tail->values[0], forged.dump());
}

// A well-formed event with a forged prevHash in place of the real one, which
// the projector applied (and so indexed): verify reads it from the log at its
// indexed position and blames it, not its neighbours.
TEST_F(SiteLogTest, VerifyFindsAnIndexedForgery) {
  auto values = chain(a_, {}, 3);
  append_values(site_id_for_subdomain(a_), values);
  auto rest = chain(a_, values, 3);  // rest[1] links to the real rest[0]
  auto forged = nlohmann::json::parse(rest[0]);
  forged["prevHash"] = std::string(64, 'a');
  rest[0] = forged.dump();
  append_values(site_id_for_subdomain(a_), rest);
  project();

  gateway::SiteLogCost cost;
  auto report = site_log_->verify(tenant_of(a_), site_id_for_subdomain(a_), &cost);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->events, 6);
  EXPECT_EQ(report->first_bad_seq, std::optional<int64_t>(4));
  EXPECT_EQ(cost.index_rows, 6);
  EXPECT_EQ(cost.tail_records, 0);
}

// Tampering in place: a record's bytes rewritten in the local log's store
// (as someone with the files could). The site log serves the log's bytes, not
// the read model's copy, and verify blames that record.
TEST_F(SiteLogTest, VerifyFindsARecordRewrittenInPlace) {
  if (!backend_->single_process())
    GTEST_SKIP() << "a Kafka broker offers no way to rewrite a stored record; the forged-record tests cover Kafka";
  fill(3);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const int32_t partition = partition_of(a_);
  auto positions = read_model_->site_event_positions(tenant_of(a_), alpha, partition, 0, 100);
  ASSERT_TRUE(positions.ok()) << positions.error().message;
  ASSERT_EQ(positions->events.size(), 4u);
  const int64_t offset = positions->events[1].offset;  // seq 2, PageCreated "Page 0"

  site_log_.reset();
  projector_->close();
  projector_.reset();
  results_readers_.clear();
  log_.reset();
  std::string tampered;
  {
    const std::string dir = uri_.substr(std::string("local:").size());
    std::vector<rocksdb::ColumnFamilyDescriptor> families{{rocksdb::kDefaultColumnFamilyName, {}},
                                                          {"records", {}},
                                                          {"offsets", {}},
                                                          {"topics", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw_db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles, &raw_db).ok());
    std::unique_ptr<rocksdb::DB> db(raw_db);
    const std::string key = log::local::record_key(kEvents, partition, offset);
    std::string stored;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), handles[1], key, &stored).ok());
    // [u32 BE key length][key][value]
    const size_t value_at = 4 + log::local::get_be(stored, 0, 4);
    const size_t title = stored.find("Page 0", value_at);
    ASSERT_NE(title, std::string::npos);
    stored.replace(title, 6, "Page X");
    tampered = stored.substr(value_at);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], key, stored).ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto reopened = log::open_log(uri_, backend_->config());
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  log_ = std::move(reopened).value();
  site_log_ = std::make_unique<gateway::SiteLog>(*log_, *read_model_);

  auto events = site_log_->read(tenant_of(a_), alpha, 1, 1);
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->values.size(), 1u);
  EXPECT_EQ(events->values[0], tampered);
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->events, 4);
  EXPECT_EQ(report->first_bad_seq, std::optional<int64_t>(2));
  // The other site on the partition still verifies.
  auto beta = site_log_->verify(tenant_of(b_), site_id_for_subdomain(b_));
  ASSERT_TRUE(beta.ok());
  EXPECT_TRUE(beta->ok);
}

// The index names a record that is not the site's (a damaged read model):
// nothing of the other site is served, the gap is counted, and verify
// reports the seq it expected there.
TEST_F(SiteLogTest, APositionThatIsNotTheSitesIsSkippedAndReported) {
  fill(3);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  const auto beta = site_id_for_subdomain(b_);
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, tenant_of(b_).str());
    const auto other = t.exec_params1("SELECT log_offset FROM page_events WHERE site_id = $1 AND seq = 2",
                                      beta.str())[0]
                           .as<int64_t>();
    projections::with_tenant(t, tenant_of(a_).str());
    t.exec_params("UPDATE page_events SET log_offset = $2 WHERE site_id = $1 AND seq = 2", alpha.str(), other);
    t.commit();
  }
  gateway::SiteLogCost cost;
  auto events = site_log_->read(tenant_of(a_), alpha, 0, 100, gateway::kEventsByteBudget, &cost);
  ASSERT_TRUE(events.ok()) << events.error().message;
  EXPECT_EQ(events->values.size(), 3u);
  for (const auto& v : events->values) EXPECT_EQ(decode(v)->site_id, alpha.str());
  EXPECT_EQ(cost.missing, 1);
  auto report = site_log_->verify(tenant_of(a_), alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_bad_seq, std::optional<int64_t>(2));
}

// Rows projected before positions were recorded cannot be located without
// scanning the partition; that is refused, naming the remedy.
TEST_F(SiteLogTest, RowsWithoutPositionsAreUnavailable) {
  fill(1);
  project();
  const auto alpha = site_id_for_subdomain(a_);
  {
    pqxx::connection c(owner_);
    pqxx::work t(c);
    projections::with_tenant(t, tenant_of(a_).str());
    t.exec_params("UPDATE page_events SET log_partition = NULL, log_offset = NULL WHERE site_id = $1", alpha.str());
    t.commit();
  }
  gateway::SiteLogCost cost;
  auto report = site_log_->verify(tenant_of(a_), alpha, &cost);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::unavailable);
  EXPECT_NE(report.error().message.find("pagewright rebuild"), std::string::npos) << report.error().message;
  EXPECT_EQ(cost.records_read, 0);
}

// Without the read model there is no index: 503, and the partition is not read.
TEST_F(SiteLogTest, WithoutTheReadModelNothingIsScanned) {
  fill(1);
  project();
  projector_->close();
  projector_.reset();
  {
    pqxx::connection c(admin_);
    pqxx::nontransaction t(c);
    t.exec("ALTER DATABASE " + c.quote_name(db_) + " ALLOW_CONNECTIONS false");
    // Clients only: an autovacuum worker in the database is the superuser's,
    // and no one else may end it. Waits until they are gone.
    t.exec_params(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
        "WHERE datname = $1 AND backend_type = 'client backend'",
        db_);
  }
  gateway::SiteLogCost cost;
  auto events = site_log_->read(tenant_of(a_), site_id_for_subdomain(a_), 0, 10, gateway::kEventsByteBudget, &cost);
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.error().code, Errc::unavailable) << events.error().message;
  auto report = site_log_->verify(tenant_of(a_), site_id_for_subdomain(a_), &cost);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::unavailable) << report.error().message;
  EXPECT_EQ(cost.records_read, 0);
  pqxx::connection c(admin_);
  pqxx::nontransaction(c).exec("ALTER DATABASE " + c.quote_name(db_) + " ALLOW_CONNECTIONS true");
}

// A response stops at the byte budget (the first record always goes out) and
// says where to continue; the pages together are the whole stream.
TEST_F(SiteLogTest, ByteBudgetPagesTheStream) {
  const auto alpha = site_id_for_subdomain(a_);
  const auto values = chain(a_, {}, 12, 100 * 1024);
  append_values(alpha, values);
  project();
  const size_t budget = 350 * 1024;  // three of the renames and their newlines
  std::vector<std::string> got;
  int64_t after = 0;
  for (int pages = 0;; ++pages) {
    ASSERT_LT(pages, 12);
    auto page = site_log_->read(tenant_of(a_), alpha, after, gateway::kMaxEventsPerResponse, budget);
    ASSERT_TRUE(page.ok()) << page.error().message;
    size_t bytes = 0;
    for (const auto& v : page->values) bytes += v.size() + 1;
    EXPECT_LE(bytes, budget);
    got.insert(got.end(), page->values.begin(), page->values.end());
    if (!page->next_after_seq) break;
    EXPECT_EQ(*page->next_after_seq, seq(page->values.back()));
    // It stopped because the next record would not have fitted.
    const auto next = static_cast<size_t>(*page->next_after_seq);
    ASSERT_LT(next, values.size());
    EXPECT_GT(bytes + values[next].size() + 1, budget);
    after = *page->next_after_seq;
  }
  EXPECT_EQ(got, values);
  // A budget smaller than one record still moves forward, one record at a time.
  auto one = site_log_->read(tenant_of(a_), alpha, 4, 100, 10);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->values.size(), 1u);
  EXPECT_EQ(one->values[0], values[4]);
  EXPECT_EQ(one->next_after_seq, std::optional<int64_t>(5));
}

// Acceptance: a site's audit costs its own history. Site "small" shares its
// partition with "bulk"; after bulk appends 20,000 events, reading and
// verifying small reads exactly small's records (and bulk's 10,000-record
// pages stop at the cap). librdkafka's mock cluster keeps only the newest
// 5 MiB of a partition (older record sets are deleted, as by retention), so
// there bulk appends 6,000 (~3.5 MB).
TEST_F(SiteLogTest, AuditCostDoesNotGrowWithAnotherSitesTraffic) {
  const int bulk_events = backend_->single_process() ? 20000 : 6000;
  const std::string small = "small";
  const std::string bulk = colliding("bulk", small);
  const auto small_id = site_id_for_subdomain(small);
  const auto bulk_id = site_id_for_subdomain(bulk);
  ASSERT_EQ(partition_of(small), partition_of(bulk));

  auto small_values = chain(small, {}, 1);
  append_values(small_id, small_values);
  project();
  gateway::SiteLogCost before;
  auto t0 = Clock::now();
  auto first = site_log_->verify(tenant_of(small), small_id, &before);
  const auto verify_alone = Clock::now() - t0;
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->ok);
  EXPECT_EQ(before.records_read, 1);

  const auto bulk_values = chain(bulk, {}, bulk_events);
  if (!backend_->single_process()) {
    size_t bytes = 0;
    for (const auto& v : bulk_values) bytes += v.size();
    ASSERT_LT(bytes, size_t{4} << 20);
  }
  const auto middle = bulk_values.begin() + bulk_events / 2;
  append_values(bulk_id, std::vector<std::string>(bulk_values.begin(), middle));
  const auto more_small = chain(small, small_values, 1);  // one event of small amid bulk's
  append_values(small_id, more_small);
  append_values(bulk_id, std::vector<std::string>(middle, bulk_values.end()));
  small_values.insert(small_values.end(), more_small.begin(), more_small.end());
  project();

  gateway::SiteLogCost after;
  t0 = Clock::now();
  auto report = site_log_->verify(tenant_of(small), small_id, &after);
  const auto verify_shared = Clock::now() - t0;
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, 2);
  EXPECT_EQ(report->head_hash, sha256_hex(small_values.back()));
  EXPECT_EQ(after.records_read, 2);  // small's two records, none of bulk's
  EXPECT_EQ(after.index_rows, 2);
  EXPECT_EQ(after.tail_records, 0);
  EXPECT_LT(verify_shared, 2s);

  gateway::SiteLogCost read_cost;
  auto events = site_log_->read(tenant_of(small), small_id, 0, 100, gateway::kEventsByteBudget, &read_cost);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->values, small_values);
  EXPECT_EQ(read_cost.records_read, 2);

  // The bulk site's own audit reads its own records, and /events pages stop at the cap.
  gateway::SiteLogCost bulk_cost;
  auto bulk_report = site_log_->verify(tenant_of(bulk), bulk_id, &bulk_cost);
  ASSERT_TRUE(bulk_report.ok()) << bulk_report.error().message;
  EXPECT_TRUE(bulk_report->ok);
  EXPECT_EQ(bulk_report->events, bulk_events);
  EXPECT_EQ(bulk_cost.index_rows, bulk_events);
  EXPECT_LE(bulk_cost.records_read, bulk_events + 1);  // at most small's record read through
  auto capped = site_log_->read(tenant_of(bulk), bulk_id, 0, gateway::kMaxEventsPerResponse);
  ASSERT_TRUE(capped.ok());
  if (bulk_events > static_cast<int>(gateway::kMaxEventsPerResponse)) {
    EXPECT_EQ(capped->values.size(), gateway::kMaxEventsPerResponse);
    EXPECT_EQ(capped->next_after_seq, std::optional<int64_t>(gateway::kMaxEventsPerResponse));
  } else {
    EXPECT_EQ(capped->values.size(), static_cast<size_t>(bulk_events));
    EXPECT_FALSE(capped->next_after_seq.has_value());
  }

  const auto scan = full_scan(small_id);
  std::cout << "[ site log ] " << (backend_->single_process() ? "local log" : "kafka") << ": verify of a 1-event site alone "
            << std::chrono::duration_cast<std::chrono::microseconds>(verify_alone).count()
            << " us; of the 2-event site next to a " << bulk_events << "-event site "
            << std::chrono::duration_cast<std::chrono::microseconds>(verify_shared).count()
            << " us; reading its partition from offset 0 (the former way) " << scan.count() << " ms\n";
}

}  // namespace
}  // namespace pw::test
