#pragma once
// Blue-green checks of a written deploy before it goes live: files present,
// readable, of the manifest's size and hash; sitemaps well-formed in the
// sitemaps.org namespace; every internal link of every HTML file names a
// manifest path. Parsed link lists and verified hashes are cached per blob,
// so a republish only reads what it has not seen.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/result.hpp"
#include "workers/ship/manifest_cache.hpp"

namespace pw::ship {

// problems are human-readable log lines, capped at kMaxProblems (+ one
// "… more" line); ok is false whenever any problem was found.
struct CheckReport {
  static constexpr size_t kMaxProblems = 50;
  bool ok = true;
  std::vector<std::string> problems;
  size_t html_parsed = 0;  // HTML files parsed this time (the rest came from the cache)
};

class DeployChecker {
 public:
  DeployChecker(int deploys_fd, ManifestCache& manifests) : deploys_fd_(deploys_fd), manifests_(manifests) {}

  Result<CheckReport> check_deploy(const std::string& site, const std::string& deploymentId);

  struct CachedParse;  // a parsed file's links (or sitemap locations) and problem; check.cpp
  struct Resolution;   // a page's links resolved against its path; check.cpp

 private:
  int deploys_fd_;
  ManifestCache& manifests_;
  std::mutex cache_mu_;
  // Keyed by blob hash: the bytes decide the result, whatever deploy holds them.
  std::unordered_map<std::string, std::shared_ptr<const CachedParse>> html_cache_;
  std::unordered_map<std::string, std::shared_ptr<const CachedParse>> sitemap_cache_;
  std::unordered_map<std::string, std::shared_ptr<const Resolution>> resolved_;  // valid for Resolution::file_path
  struct Verified {
    uint64_t ino = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Verified&) const = default;
  };
  std::unordered_map<std::string, Verified> verified_;  // inode state whose bytes matched the hash
};

}  // namespace pw::ship
