// Every HTML page and the stylesheet of a real deploy pass the Nu Html Checker
// (the W3C validator) with zero errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/published/fixture.hpp"

namespace pw::published {
namespace {

TEST(NuHtmlChecker, EveryPageAndTheStylesheetHaveNoErrors) {
  const std::string java = find_in_path("java");
  PW_REQUIRE_TOOL(!java.empty(), std::string("java"));
  const std::string jar = vnu_jar();
  PW_REQUIRE_TOOL(!jar.empty(), "vnu.jar (npm ci --prefix ops/checkers, or set PW_VNU_JAR)");

  BuiltSite site = build_fixture();
  ASSERT_TRUE(site.error.empty()) << site.error;
  std::vector<fs::path> html = files_ending(site.deploy, ".html");
  std::vector<fs::path> css = files_ending(site.deploy, ".css");
  ASSERT_EQ(html.size(), fixture_pages().size() + 1) << "every page plus 404.html";
  ASSERT_EQ(css.size(), 1u);

  // One JVM for every file: starting the checker costs more than checking.
  std::vector<std::string> argv = {java, "-jar", jar, "--errors-only", "--also-check-css", "--format", "json",
                                   "--stdout"};
  for (const auto& f : html) argv.push_back(f.string());
  argv.push_back(css[0].string());
  // A known-bad page in the same run proves the checker ran and reports errors.
  TempDir control_dir("vnu-control");
  const fs::path control = control_dir.path() / "control.html";
  std::ofstream(control) << "<!DOCTYPE html><html lang=en><title>x</title><h1>a</h1><h3>skips h2</h3>";
  argv.push_back(control.string());
  Ran r = run(argv);

  auto report = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object() && report.contains("messages"))
      << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
  size_t errors = 0, control_errors = 0;
  for (const auto& m : report["messages"]) {
    if (m.value("type", "") == "info") continue;  // never with --errors-only; kept out of the count anyway
    if (m.value("url", "").ends_with("/control.html")) {
      ++control_errors;
      continue;
    }
    ++errors;
    ADD_FAILURE() << m.value("type", "?") << " in " << m.value("url", "?") << ":" << m.value("lastLine", 0)
                  << ": " << m.value("message", "") << "\n  extract: " << m.value("extract", "");
  }
  EXPECT_EQ(errors, 0u);
  EXPECT_GT(control_errors, 0u) << "the checker missed the control page's error: " << r.out;
}

}  // namespace
}  // namespace pw::published
