#pragma once
// The published-output fixture: a site that uses every component type and
// variant, plus one page of hostile props, built by the real SiteBuilder into
// a throwaway store (ship::Shipper). Also the plumbing to run third-party tools.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workers/build/site_builder.hpp"

namespace pw::published {

namespace fs = std::filesystem;

inline constexpr std::string_view kSubdomain = "acme";
inline constexpr std::string_view kDomain = "sites.test";
inline constexpr std::string_view kBaseUrl = "https://acme.sites.test";
inline constexpr std::string_view kHostileSlug = "hostile";
inline constexpr std::string_view kNoIndexSlug = "docs/private";

inline constexpr std::string_view kScriptText = "<script>alert(1)</script>";
inline constexpr std::string_view kAttrBreak = "\"><img src=x onerror=alert(1)>";

class TempDir {
 public:
  explicit TempDir(std::string_view tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

render::SiteInput fixture_site();
std::vector<render::PageInput> fixture_pages();
// The slugs a sitemap must list: published and indexable.
std::vector<std::string> indexable_slugs();

builds::BuildRequest fixture_request(std::string deploy);

// A fixture site built into <dir>/store and live in production.
struct BuiltSite {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<ship::Shipper> store;
  std::unique_ptr<builds::SiteBuilder> builder;
  fs::path deploy;  // the live deploy's directory
  std::string error;  // non-empty when the build failed
};
BuiltSite build_fixture();

std::string slurp(const fs::path& p);
// Regular files under root whose name ends with ext, sorted.
std::vector<fs::path> files_ending(const fs::path& root, std::string_view ext);

// Tools we did not write. "" when absent.
std::string find_in_path(std::string_view program);
std::string vnu_jar();
bool in_ci();
std::string shell_quote(std::string_view s);

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs argv (no shell), capturing stdout and stderr.
Ran run(const std::vector<std::string>& argv);

}  // namespace pw::published

// A missing tool fails the test on CI (where install-deps ran) and skips it
// elsewhere. Only in void functions: both branches return.
#define PW_REQUIRE_TOOL(present, what)                                                    \
  do {                                                                                    \
    if (!(present)) {                                                                     \
      if (::pw::published::in_ci()) {                                                     \
        FAIL() << "CI=true but " << (what) << " is missing (run ops/install-deps)";       \
      }                                                                                   \
      GTEST_SKIP() << (what) << " is missing";                                            \
    }                                                                                     \
  } while (false)
