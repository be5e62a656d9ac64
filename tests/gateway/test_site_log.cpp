// A site's raw event stream read from the log (gateway/site_log.hpp): two sites
// interleaved in one events partition, afterSeq/limit, streaming that stops,
// and the hash-chain audit of an intact and of a tampered stream.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "gateway/site_log.hpp"
#include "tests/support/command_stream.hpp"
#include "workers/command_processor.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;
namespace d = domain;

const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);

class SiteLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("pw-sitelog-" + std::to_string(rd()) + std::to_string(rd()));
    auto log = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    ASSERT_TRUE(log.ok()) << log.error().message;
    log_ = std::move(log).value();
    // One partition each: every site shares it.
    auto topics = create_pagewright_topics(*log_, 1);
    ASSERT_TRUE(topics.ok()) << topics.error().message;
  }
  void TearDown() override {
    log_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Sites a and b, each created with `pages` pages, their commands interleaved;
  // decided by a real processor.
  void fill(int pages) {
    std::vector<workers::CommandRecord> commands;
    int n = 0;
    for (const char* sub : {"alpha", "beta"})
      commands.push_back(command_record(++n, sub, d::CreateSite{site_id_for_subdomain(sub), "Site", sub}));
    for (int i = 0; i < pages; ++i)
      for (const char* sub : {"alpha", "beta"})
        commands.push_back(command_record(
            ++n, sub,
            d::CreatePage{make_page_id(site_id_for_subdomain(sub), "p" + std::to_string(i)), "Page " + std::to_string(i),
                          "page-" + std::to_string(i), {}}));
    ASSERT_TRUE(submit_commands(*log_, commands).ok());
    workers::ProcessorConfig config;
    config.snapshot_dir = dir_ / "snapshots";
    auto processor = workers::CommandProcessor::create(*log_, config);
    ASSERT_TRUE(processor.ok()) << processor.error().message;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      auto end = log_->end_offset({kResults, 0});
      ASSERT_TRUE(end.ok());
      if (*end >= static_cast<int64_t>(commands.size())) break;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
      ASSERT_TRUE((*processor)->run_once(20ms).ok());
    }
    (*processor)->close();
  }

  // Every value of the events partition of `site`, straight from the log.
  std::vector<std::string> raw(const SiteId& site) {
    std::vector<std::string> out;
    auto end = log_->end_offset({kEvents, 0});
    auto reader = log_->reader({kEvents, 0}, 0);
    int64_t seen = 0;
    while (seen < *end) {
      auto got = (*reader)->read(100ms, 1000);
      for (auto& r : *got) {
        ++seen;
        if (r.key == site.str()) out.push_back(std::move(r.value));
      }
    }
    return out;
  }

  void append_event(const SiteId& site, const std::string& value) {
    log::Batch b;
    b.records.push_back({kEvents, site.str(), value, std::nullopt});
    ASSERT_TRUE(log_->append(b).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
};

int64_t seq(const std::string& value) { return decode(value).value().seq; }

TEST_F(SiteLogTest, ReadsOneSitesEventsFromASharedPartition) {
  fill(5);
  const auto alpha = site_id_for_subdomain("alpha");
  const auto beta = site_id_for_subdomain("beta");
  const auto want = raw(alpha);
  ASSERT_EQ(want.size(), 6u);  // SiteCreated + 5 PageCreated (the fixture's processor)
  ASSERT_EQ(raw(beta).size(), 6u);

  auto all = gateway::read_site_events(*log_, alpha, 0, 100);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, want);  // exact bytes, oldest first, no record of beta
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ(seq((*all)[i]), static_cast<int64_t>(i + 1));

  auto page = gateway::read_site_events(*log_, alpha, 2, 3);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ(seq((*page)[0]), 3);
  EXPECT_EQ(seq((*page)[2]), 5);
  auto tail = gateway::read_site_events(*log_, alpha, 5, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0], want.back());
  auto past = gateway::read_site_events(*log_, alpha, 6, 100);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());

  auto beta_events = gateway::read_site_events(*log_, beta, 0, 100);
  ASSERT_TRUE(beta_events.ok());
  EXPECT_EQ(*beta_events, raw(beta));
  for (const auto& v : *beta_events) EXPECT_EQ(decode(v)->site_id, beta.str());

  auto nobody = gateway::read_site_events(*log_, site_id_for_subdomain("gamma"), 0, 100);
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
}

TEST_F(SiteLogTest, StreamingStopsWhenTheSinkSaysSo) {
  fill(4);
  const auto alpha = site_id_for_subdomain("alpha");
  std::vector<std::string> got;
  auto r = gateway::for_each_site_event(*log_, alpha, 1, [&](std::string_view v) {
    got.emplace_back(v);
    return got.size() < 2;
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(seq(got[0]), 2);
  EXPECT_EQ(seq(got[1]), 3);

  std::vector<int64_t> all;
  ASSERT_TRUE(gateway::for_each_site_event(*log_, alpha, 0, [&](std::string_view v) {
                all.push_back(seq(std::string(v)));
                return true;
              }).ok());
  EXPECT_EQ(all, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(SiteLogTest, EmptyLogHasNoEventsAndVerifiesOk) {
  const auto alpha = site_id_for_subdomain("alpha");
  auto none = gateway::read_site_events(*log_, alpha, 0, 10);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());
  auto report = gateway::verify_site(*log_, alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, 0);
  EXPECT_EQ(report->head_hash, std::string(64, '0'));
}

TEST_F(SiteLogTest, VerifyIntactStream) {
  fill(3);
  const auto alpha = site_id_for_subdomain("alpha");
  const auto values = raw(alpha);
  auto report = gateway::verify_site(*log_, alpha);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events, static_cast<int64_t>(values.size()));
  EXPECT_EQ(report->head_hash, sha256_hex(values.back()));
  EXPECT_FALSE(report->first_bad_seq.has_value());
}

// A forged record appended behind the processor's back: its prevHash does not
// link to the real head, and the one after it does not link to it either.
TEST_F(SiteLogTest, VerifyFindsTheForgedRecord) {
  fill(3);
  const auto alpha = site_id_for_subdomain("alpha");
  const auto values = raw(alpha);
  const auto n = static_cast<int64_t>(values.size());
  auto forged = nlohmann::json::parse(values.back());
  forged["seq"] = n + 1;
  forged["prevHash"] = std::string(64, 'f');
  forged["data"] = nlohmann::json::object();
  append_event(alpha, forged.dump());
  forged["seq"] = n + 2;
  forged["prevHash"] = std::string(64, 'e');
  append_event(alpha, forged.dump());

  auto report = gateway::verify_site(*log_, alpha);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->events, n + 2);
  ASSERT_TRUE(report->first_bad_seq.has_value());
  EXPECT_EQ(*report->first_bad_seq, n + 1);
  // The other site sharing the partition is untouched.
  auto beta = gateway::verify_site(*log_, site_id_for_subdomain("beta"));
  ASSERT_TRUE(beta.ok());
  EXPECT_TRUE(beta->ok);
}

TEST_F(SiteLogTest, VerifyFindsASkippedSeq) {
  fill(2);
  const auto alpha = site_id_for_subdomain("alpha");
  const auto values = raw(alpha);
  const auto n = static_cast<int64_t>(values.size());
  // Correctly linked, but numbered as if events had been removed before it.
  auto forged = nlohmann::json::parse(values.back());
  forged["seq"] = n + 3;
  forged["prevHash"] = sha256_hex(values.back());
  append_event(alpha, forged.dump());
  auto report = gateway::verify_site(*log_, alpha);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  ASSERT_TRUE(report->first_bad_seq.has_value());
  EXPECT_EQ(*report->first_bad_seq, n + 1);
  // The raw stream shows the forged record, as stored.
  auto tail = gateway::read_site_events(*log_, alpha, n, 10);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0], forged.dump());
}

}  // namespace
}  // namespace pw::test
