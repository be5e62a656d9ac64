// The operator kit in ops/: Prometheus alert rules (ops/prometheus/alerts.yml)
// pass `promtool check rules` and their unit tests (alerts_test.yml), every
// alert has a test, and the rules and the Grafana dashboard
// (ops/grafana/pagewright.json) read only metric families a Pagewright process
// really exports, so a renamed metric cannot leave a panel or an alert blind.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/metrics.hpp"
#include "tests/published/fixture.hpp"

namespace pw::test {
namespace {

namespace fs = std::filesystem;
const fs::path kOps = fs::path(PW_SOURCE_DIR) / "ops";

// The families one process exports, each observed once so it has samples.
std::set<std::string> exported_families() {
  gateway::Metrics m;
  m.observe_http("update_page", 200, 0.01);
  m.count_command("UpdatePage", gateway::CommandOutcome::accepted, 0.01);
  m.add_events_appended(1);
  m.set_projection_lag(0, 1);
  m.observe_projection_batch(0.01);
  m.observe_deployment(true, 1.0);
  m.add_dead_letters("projections", 1);
  m.count_rate_limited(gateway::RateScope::tenant);
  std::set<std::string> out;
  const std::string text = m.render();
  const std::regex type_line(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) )");
  for (std::sregex_iterator it(text.begin(), text.end(), type_line), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

// The metric names a PromQL expression reads: identifiers with an underscore
// that are neither functions, nor Grafana variables, nor inside by (…).
std::set<std::string> metrics_in(std::string expr) {
  expr = std::regex_replace(expr, std::regex(R"(\b(by|without|on|ignoring)\s*\([^)]*\))"), "");
  expr = std::regex_replace(expr, std::regex(R"(\{[^}]*\})"), "{}");
  std::set<std::string> out;
  const std::regex ident(R"((^|[^$\w])([a-z][a-z0-9]*(_[a-z0-9]+)+)\b(\s*\()?)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), ident), end; it != end; ++it)
    if (!(*it)[4].matched) out.insert((*it)[2]);
  return out;
}

std::string family_of(const std::string& series) {
  for (const char* suffix : {"_bucket", "_sum", "_count"})
    if (series.ends_with(suffix) && !series.ends_with("_total")) return series.substr(0, series.size() - std::string(suffix).size());
  return series;
}

void expect_exported(const std::set<std::string>& names, const std::set<std::string>& exported, const std::string& where) {
  for (const auto& name : names)
    EXPECT_TRUE(exported.contains(family_of(name)) || name == "up")
        << where << " reads " << name << ", which no Pagewright process exports";
}

TEST(OperatorKit, AlertRulesPassPromtoolAndTheirUnitTests) {
  const std::string promtool = published::find_in_path("promtool");
  PW_REQUIRE_TOOL(!promtool.empty(), "promtool (Debian's prometheus package)");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"check", "rules", (kOps / "prometheus/alerts.yml").string()},
           {"test", "rules", (kOps / "prometheus/alerts_test.yml").string()},
           {"check", "config", (kOps / "prometheus/prometheus.yml").string()}}) {
    std::vector<std::string> argv{promtool};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto ran = published::run(argv);
    EXPECT_EQ(ran.exit_code, 0) << args[0] << " " << args[1] << ":\n" << ran.out << ran.err;
  }
}

TEST(OperatorKit, EveryAlertHasATestThatFiresIt) {
  const std::string rules = published::slurp(kOps / "prometheus/alerts.yml");
  const std::string tests = published::slurp(kOps / "prometheus/alerts_test.yml");
  const std::regex alert(R"(- alert: (\w+))");
  int alerts = 0;
  for (std::sregex_iterator it(rules.begin(), rules.end(), alert), end; it != end; ++it) {
    ++alerts;
    const std::string name = (*it)[1];
    // A firing case names the alert and expects labels.
    const std::regex firing("alertname: " + name + R"(\s*\n\s*exp_alerts:\s*\n\s*- exp_labels)");
    EXPECT_TRUE(std::regex_search(tests, firing)) << name << " has no test in which it fires";
  }
  EXPECT_GE(alerts, 10);
}

TEST(OperatorKit, AlertsAndDashboardReadOnlyExportedFamilies) {
  const auto exported = exported_families();
  ASSERT_TRUE(exported.contains("commands_total")) << "the exposition did not parse";

  const std::string rules = published::slurp(kOps / "prometheus/alerts.yml");
  // An expr is one line, or a block of more-indented lines after "expr: |".
  const std::regex expr_line(R"(expr: ([^|\n][^\n]*))"), expr_block(R"(expr: \|\n((?:\s{10,}[^\n]*\n)+))");
  int exprs = 0;
  for (const auto& re : {expr_line, expr_block})
    for (std::sregex_iterator it(rules.begin(), rules.end(), re), end; it != end; ++it, ++exprs)
      expect_exported(metrics_in((*it)[1]), exported, "alerts.yml: " + std::string((*it)[1]));
  EXPECT_GE(exprs, 11);

  const auto dashboard = nlohmann::json::parse(published::slurp(kOps / "grafana/pagewright.json"));
  std::set<std::string> read;
  for (const auto& panel : dashboard.at("panels")) {
    ASSERT_FALSE(panel.value("targets", nlohmann::json::array()).empty()) << panel.value("title", "");
    for (const auto& target : panel.at("targets")) {
      const auto names = metrics_in(target.at("expr").get<std::string>());
      EXPECT_FALSE(names.empty()) << target.at("expr");
      expect_exported(names, exported, "panel " + panel.value("title", ""));
      read.insert(names.begin(), names.end());
    }
  }
  // What the issue asks the dashboard to show.
  for (const char* family : {"commands_total", "command_duration_seconds_bucket", "projection_lag_events",
                             "deployment_build_seconds_bucket", "rate_limited_total"})
    EXPECT_TRUE(read.contains(family)) << "the dashboard does not show " << family;
}

TEST(OperatorKit, MetricNamesInExpressionsAreFoundAndFunctionsAreNot) {
  EXPECT_EQ(metrics_in(R"(histogram_quantile(0.99, sum by (le, type) (rate(command_duration_seconds_bucket{job=~"$job"}[$__rate_interval]))))"),
            (std::set<std::string>{"command_duration_seconds_bucket"}));
  EXPECT_EQ(metrics_in("min_over_time(projection_lag_events[10m]) > 0 and deriv(projection_lag_events[10m]) >= 0"),
            (std::set<std::string>{"projection_lag_events"}));
  EXPECT_EQ(metrics_in(R"(up{job=~"pagewright.*"} == 0)"), (std::set<std::string>{}));
}

}  // namespace
}  // namespace pw::test
