#pragma once
// One publish of one site: render what changed, ship it as an immutable deploy,
// check it (blue-green), switch the environment's live pointer. No event log
// here, so benchmarks and tests drive it directly.
//
// Incremental: every page's output is stored with its render key (a hash of
// everything the HTML depends on, render::SiteRenderer::page_key). A page whose
// key is in the site's last manifest is reused by hash, not rendered.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/domain.hpp"
#include "workers/render/render.hpp"
#include "workers/ship/deploy_store.hpp"

namespace pw::builds {

// A page's (pageId, version) names its content: a changed page must come with
// a new version, as published pages do (every edit counts as a version).
struct BuildRequest {
  std::string subdomain;
  std::string deploy;        // the deploy's directory name (the deployment id's suffix)
  std::string environment;   // production | staging | preview
  bool blue_green = false;   // check the deploy before switching
  render::SiteInput site;
  std::vector<render::PageInput> pages;
};

struct BuildOutcome {
  bool ok = false;
  std::string reason;  // when !ok
  std::string manifest_hash;
  domain::DeploymentReport report;
  std::vector<std::string> log;
};

class SiteBuilder {
 public:
  SiteBuilder(ship::DeployStore& store, unsigned threads);
  BuildOutcome build(const BuildRequest& request);

 private:
  using KeyIndex = std::unordered_map<std::string, ship::ManifestEntry>;  // render key → output
  struct Outputs {
    KeyIndex by_key;
    bool from_disk = false;  // read from a manifest after a restart: blobs not known to exist
  };
  // A page's render key, remembered for its published version: a page's
  // content at a version never changes, so only edited pages are hashed again.
  struct PageKey {
    std::string site_key;
    int64_t version = 0;
    std::string key;
  };
  const Outputs& reusable(const std::string& subdomain, const std::string& environment);
  std::vector<std::string> page_keys(const BuildRequest& rq, const render::SiteRenderer& renderer);

  ship::DeployStore& store_;
  unsigned threads_;
  std::mutex mu_;
  std::map<std::string, Outputs> last_;  // subdomain → outputs of its last deploy
  std::map<std::string, std::unordered_map<std::string, PageKey>> keys_;  // subdomain → page id → key
};

}  // namespace pw::builds
