#include <gtest/gtest.h>

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/metrics.hpp"

namespace {

using pw::gateway::CommandOutcome;
using pw::gateway::Metrics;
using pw::gateway::RateScope;

// The client metric of family `name` whose labels are exactly `labels`.
std::optional<prometheus::ClientMetric> find(Metrics& m, const std::string& name,
                                             const std::map<std::string, std::string>& labels) {
  for (const auto& fam : m.registry()->Collect()) {
    if (fam.name != name) continue;
    for (const auto& cm : fam.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : cm.label) got[l.name] = l.value;
      if (got == labels) return cm;
    }
  }
  return std::nullopt;
}

double counter(Metrics& m, const std::string& name,
               const std::map<std::string, std::string>& labels = {}) {
  auto cm = find(m, name, labels);
  return cm ? cm->counter.value : -1.0;
}

TEST(Metrics, EveryFamilyIsRegisteredWithHelp) {
  Metrics m;
  // A labelled family is exported from its first series on: make one of each.
  m.observe_http("healthz", 200, 0.001);
  m.count_command("CreateSite", CommandOutcome::accepted, 0.001);
  m.set_projection_lag(0, 0);
  m.observe_deployment(true, 0.2);
  std::map<std::string, prometheus::MetricType> want{
      {"http_requests_total", prometheus::MetricType::Counter},
      {"http_request_duration_seconds", prometheus::MetricType::Histogram},
      {"commands_total", prometheus::MetricType::Counter},
      {"command_duration_seconds", prometheus::MetricType::Histogram},
      {"events_appended_total", prometheus::MetricType::Counter},
      {"projection_lag_events", prometheus::MetricType::Gauge},
      {"projection_batch_seconds", prometheus::MetricType::Histogram},
      {"deployments_total", prometheus::MetricType::Counter},
      {"deployment_build_seconds", prometheus::MetricType::Histogram},
      {"dead_letters_total", prometheus::MetricType::Counter},
      {"rate_limited_total", prometheus::MetricType::Counter},
      {"dead_letter_retries_total", prometheus::MetricType::Counter},
      {"foreign_records_total", prometheus::MetricType::Counter},
      {"page_reads_from_commit_total", prometheus::MetricType::Counter},
  };
  for (const auto& fam : m.registry()->Collect()) {
    auto it = want.find(fam.name);
    ASSERT_NE(it, want.end()) << fam.name;
    EXPECT_EQ(fam.type, it->second) << fam.name;
    EXPECT_FALSE(fam.help.empty()) << fam.name;
    want.erase(it);
  }
  EXPECT_TRUE(want.empty());
}

TEST(Metrics, DeadLettersAreCountedPerPoolFromZeroAndNoOtherPoolMintsASeries) {
  Metrics m;
  EXPECT_EQ(counter(m, "dead_letters_total", {{"pool", "projections"}}), 0.0);
  EXPECT_EQ(counter(m, "dead_letters_total", {{"pool", "builds"}}), 0.0);
  m.add_dead_letters("projections", 3);
  m.add_dead_letters("builds", 1);
  m.add_dead_letters("projections\"} 99", 1);
  EXPECT_EQ(counter(m, "dead_letters_total", {{"pool", "projections"}}), 3.0);
  EXPECT_EQ(counter(m, "dead_letters_total", {{"pool", "builds"}}), 1.0);
  EXPECT_EQ(counter(m, "dead_letters_total", {{"pool", "other"}}), 1.0);
  EXPECT_NE(m.render().find("dead_letters_total{pool=\"projections\"} 3"), std::string::npos) << m.render();
}

TEST(Metrics, ForeignRecordsAreCountedPerTopicFromZeroAndNoOtherTopicMintsASeries) {
  Metrics m;
  EXPECT_EQ(counter(m, "foreign_records_total", {{"topic", "events"}}), 0.0);
  EXPECT_EQ(counter(m, "foreign_records_total", {{"topic", "results"}}), 0.0);
  m.add_foreign_records("events", 2);
  m.add_foreign_records("results", 1);
  m.add_foreign_records("events\"} 99", 1);
  EXPECT_EQ(counter(m, "foreign_records_total", {{"topic", "events"}}), 2.0);
  EXPECT_EQ(counter(m, "foreign_records_total", {{"topic", "results"}}), 1.0);
  EXPECT_EQ(counter(m, "foreign_records_total", {{"topic", "other"}}), 1.0);
  EXPECT_NE(m.render().find("foreign_records_total{topic=\"events\"} 2"), std::string::npos) << m.render();
}

TEST(Metrics, DeadLetterRetriesAreCountedByOutcomeFromZeroAndNoOtherOutcomeMintsASeries) {
  Metrics m;
  for (const char* outcome : {"applied", "already", "pending", "failed"})
    EXPECT_EQ(counter(m, "dead_letter_retries_total", {{"outcome", outcome}}), 0.0) << outcome;
  m.count_dead_letter_retry("applied");
  m.count_dead_letter_retry("applied");
  m.count_dead_letter_retry("pending");
  m.count_dead_letter_retry("failed\"} 99");
  EXPECT_EQ(counter(m, "dead_letter_retries_total", {{"outcome", "applied"}}), 2.0);
  EXPECT_EQ(counter(m, "dead_letter_retries_total", {{"outcome", "pending"}}), 1.0);
  EXPECT_EQ(counter(m, "dead_letter_retries_total", {{"outcome", "failed"}}), 0.0);
  EXPECT_EQ(counter(m, "dead_letter_retries_total", {{"outcome", "other"}}), 1.0);
}

TEST(Metrics, RateLimitedIsCountedByScopeFromZero) {
  Metrics m;
  const std::string before = m.render();
  EXPECT_NE(before.find("rate_limited_total{scope=\"tenant\"} 0"), std::string::npos) << before;
  EXPECT_NE(before.find("rate_limited_total{scope=\"address\"} 0"), std::string::npos) << before;
  m.count_rate_limited(RateScope::tenant);
  m.count_rate_limited(RateScope::tenant);
  m.count_rate_limited(RateScope::address);
  const std::string after = m.render();
  EXPECT_NE(after.find("rate_limited_total{scope=\"tenant\"} 2"), std::string::npos) << after;
  EXPECT_NE(after.find("rate_limited_total{scope=\"address\"} 1"), std::string::npos) << after;
}

TEST(Metrics, UnlabelledSeriesExistBeforeTheFirstObservation) {
  Metrics m;
  EXPECT_EQ(counter(m, "events_appended_total"), 0.0);
  auto h = find(m, "projection_batch_seconds", {});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.sample_count, 0u);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE events_appended_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP projection_batch_seconds "), std::string::npos) << text;
}

TEST(Metrics, HttpObservationsCarryRouteAndStatus) {
  Metrics m;
  m.observe_http("get_site", 200, 0.003);
  m.observe_http("get_site", 200, 0.020);
  m.observe_http("get_site", 404, 0.001);
  m.observe_http(std::nullopt, 404, 0.0001);
  m.observe_http("create_site", 999, 0.5);  // out of range → "invalid"

  EXPECT_EQ(counter(m, "http_requests_total", {{"route", "get_site"}, {"status", "200"}}), 2.0);
  EXPECT_EQ(counter(m, "http_requests_total", {{"route", "get_site"}, {"status", "404"}}), 1.0);
  EXPECT_EQ(counter(m, "http_requests_total", {{"route", "unmatched"}, {"status", "404"}}), 1.0);
  EXPECT_EQ(counter(m, "http_requests_total", {{"route", "create_site"}, {"status", "invalid"}}),
            1.0);

  auto h = find(m, "http_request_duration_seconds", {{"route", "get_site"}});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.sample_count, 3u);
  EXPECT_NEAR(h->histogram.sample_sum, 0.024, 1e-9);
  // 0.5 ms … 10 s, plus +Inf.
  ASSERT_EQ(h->histogram.bucket.size(), 15u);
  EXPECT_DOUBLE_EQ(h->histogram.bucket.front().upper_bound, 0.0005);
  EXPECT_DOUBLE_EQ(h->histogram.bucket[h->histogram.bucket.size() - 2].upper_bound, 10.0);
  // Cumulative: ≤ 1 ms holds the 1 ms request; ≤ 5 ms also the 3 ms one.
  EXPECT_EQ(h->histogram.bucket[1].cumulative_count, 1u);
  EXPECT_EQ(h->histogram.bucket[3].cumulative_count, 2u);
  EXPECT_EQ(h->histogram.bucket.back().cumulative_count, 3u);

  const std::string text = m.render();
  EXPECT_NE(text.find("http_requests_total{route=\"get_site\",status=\"200\"} 2"),
            std::string::npos)
      << text;
}

TEST(Metrics, CommandsAreLabelledByKnownTypeAndOutcome) {
  Metrics m;
  m.count_command("CreatePage", CommandOutcome::accepted, 0.01);
  m.count_command("CreatePage", CommandOutcome::conflict, 0.02);
  m.count_command("RequestDeployment", CommandOutcome::failed, 0.03);
  m.count_command("'; DROP TABLE x; --", CommandOutcome::rejected, 0.0);  // never a label

  EXPECT_EQ(counter(m, "commands_total", {{"type", "CreatePage"}, {"outcome", "accepted"}}), 1.0);
  EXPECT_EQ(counter(m, "commands_total", {{"type", "CreatePage"}, {"outcome", "conflict"}}), 1.0);
  EXPECT_EQ(counter(m, "commands_total", {{"type", "RequestDeployment"}, {"outcome", "failed"}}),
            1.0);
  EXPECT_EQ(counter(m, "commands_total", {{"type", "other"}, {"outcome", "rejected"}}), 1.0);
  EXPECT_EQ(m.render().find("DROP"), std::string::npos);

  auto h = find(m, "command_duration_seconds", {{"type", "CreatePage"}});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.sample_count, 2u);
  EXPECT_NEAR(h->histogram.sample_sum, 0.03, 1e-9);
}

TEST(Metrics, EventsAndProjections) {
  Metrics m;
  m.add_events_appended(3);
  m.add_events_appended(0);
  m.add_events_appended(4);
  EXPECT_EQ(counter(m, "events_appended_total"), 7.0);

  m.set_projection_lag(0, 12);
  m.set_projection_lag(11, 5);
  m.set_projection_lag(0, 2);  // a gauge: goes down too
  m.set_projection_lag(-1, 9);                       // ignored
  m.set_projection_lag(Metrics::kMaxPartitions, 9);  // ignored
  auto g0 = find(m, "projection_lag_events", {{"partition", "0"}});
  auto g11 = find(m, "projection_lag_events", {{"partition", "11"}});
  ASSERT_TRUE(g0 && g11);
  EXPECT_EQ(g0->gauge.value, 2.0);
  EXPECT_EQ(g11->gauge.value, 5.0);
  EXPECT_FALSE(find(m, "projection_lag_events", {{"partition", "-1"}}));

  m.observe_projection_batch(0.002);
  m.observe_projection_batch(20.0);
  m.observe_projection_batch(-1.0);  // clock trouble → 0
  auto h = find(m, "projection_batch_seconds", {});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.sample_count, 3u);
  EXPECT_NEAR(h->histogram.sample_sum, 20.002, 1e-9);
  ASSERT_EQ(h->histogram.bucket.size(), 15u);  // 1 ms … 30 s, plus +Inf
  EXPECT_DOUBLE_EQ(h->histogram.bucket.front().upper_bound, 0.001);
  EXPECT_DOUBLE_EQ(h->histogram.bucket[h->histogram.bucket.size() - 2].upper_bound, 30.0);
  EXPECT_EQ(h->histogram.bucket.front().cumulative_count, 1u);  // the clamped 0
}

TEST(Metrics, CountersAreMonotonic) {
  Metrics m;
  double last_http = 0, last_cmd = 0, last_events = 0;
  for (int i = 0; i < 50; ++i) {
    m.observe_http("healthz", 200, 0.0001);
    m.count_command("AddComponent", CommandOutcome::accepted, 0.001);
    m.add_events_appended(static_cast<std::uint64_t>(i % 3));
    const double http = counter(m, "http_requests_total", {{"route", "healthz"}, {"status", "200"}});
    const double cmd = counter(m, "commands_total", {{"type", "AddComponent"}, {"outcome", "accepted"}});
    const double events = counter(m, "events_appended_total");
    EXPECT_GT(http, last_http);
    EXPECT_GT(cmd, last_cmd);
    EXPECT_GE(events, last_events);
    last_http = http;
    last_cmd = cmd;
    last_events = events;
  }
  EXPECT_EQ(last_http, 50.0);
  EXPECT_EQ(last_events, 49.0);  // Σ i%3 for i < 50: 16 × 3 + (0 + 1)
}

TEST(Metrics, ConcurrentUpdatesSumExactly) {
  Metrics m;
  constexpr int kThreads = 8;
  constexpr int kIters = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kIters; ++i) {
        m.observe_http(i % 2 ? "get_page" : "list_pages", 200, 0.001);
        m.count_command("MoveComponent", CommandOutcome::accepted, 0.002);
        m.add_events_appended(2);
        m.observe_projection_batch(0.01);
        m.set_projection_lag(t, i);
      }
    });
  }
  for (auto& th : threads) th.join();
  constexpr double kTotal = double(kThreads) * kIters;
  EXPECT_EQ(counter(m, "http_requests_total", {{"route", "get_page"}, {"status", "200"}}) +
                counter(m, "http_requests_total", {{"route", "list_pages"}, {"status", "200"}}),
            kTotal);
  EXPECT_EQ(counter(m, "commands_total", {{"type", "MoveComponent"}, {"outcome", "accepted"}}),
            kTotal);
  EXPECT_EQ(counter(m, "events_appended_total"), 2 * kTotal);
  auto h = find(m, "projection_batch_seconds", {});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->histogram.sample_count, static_cast<std::uint64_t>(kTotal));
  auto hc = find(m, "command_duration_seconds", {{"type", "MoveComponent"}});
  ASSERT_TRUE(hc);
  EXPECT_EQ(hc->histogram.sample_count, static_cast<std::uint64_t>(kTotal));
  for (int t = 0; t < kThreads; ++t) {
    auto g = find(m, "projection_lag_events", {{"partition", std::to_string(t)}});
    ASSERT_TRUE(g);
    EXPECT_EQ(g->gauge.value, kIters - 1);
  }
}

// $PROMTOOL when set, else `promtool` on $PATH.
std::optional<std::string> find_promtool() {
  if (const char* env = std::getenv("PROMTOOL"); env && *env) {
    if (::access(env, X_OK) == 0) return std::string(env);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    if (dir.empty()) continue;
    const std::string candidate = dir + "/promtool";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Pipes `text` to `promtool check metrics`; returns (exit status, promtool's output).
std::pair<int, std::string> promtool_check(const std::string& promtool, const std::string& text) {
  const auto out_path = std::filesystem::temp_directory_path() /
                        ("pw_test_metrics_promtool_" + std::to_string(::getpid()) + ".out");
  const std::string cmd = "'" + promtool + "' check metrics > '" + out_path.string() + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "w");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::fwrite(text.data(), 1, text.size(), pipe);
  const int status = ::pclose(pipe);
  std::string output;
  if (FILE* f = std::fopen(out_path.c_str(), "r")) {
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) output.append(buf.data(), n);
    std::fclose(f);
  }
  std::filesystem::remove(out_path);
  const int code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return {code, output};
}

TEST(Metrics, RenderedOutputPassesPromtool) {
  const auto promtool = find_promtool();
  if (!promtool) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
      FAIL() << "promtool not found (Debian package `prometheus`; ops/install-deps installs it)";
    }
    GTEST_SKIP() << "promtool not found (install the Debian package `prometheus`)";
  }
  Metrics m;
  // Fresh: labelled families have no series yet.
  {
    auto [code, out] = promtool_check(*promtool, m.render());
    EXPECT_EQ(code, 0) << out << "\n--- input ---\n" << m.render();
  }
  m.observe_http("create_page", 201, 0.004);
  m.observe_http(std::nullopt, 405, 0.0002);
  m.count_command("CreatePage", CommandOutcome::accepted, 0.003);
  m.count_command("nonsense", CommandOutcome::rejected, 0.001);
  m.add_events_appended(5);
  m.set_projection_lag(3, 17);
  m.observe_projection_batch(0.25);
  const std::string text = m.render();
  auto [code, out] = promtool_check(*promtool, text);
  EXPECT_EQ(code, 0) << out << "\n--- input ---\n" << text;
  // promtool prints lint findings (e.g. naming problems) even when it exits 0 on
  // some versions: there must be none.
  EXPECT_EQ(out, "") << out;
}

}  // namespace
