#pragma once
// One publish of one site: render what changed, ship it as an immutable deploy,
// check it (blue-green), switch the environment's live pointer. No event log
// here, so benchmarks and tests drive it directly.
//
// Incremental: every page's output is stored with its render key (a hash of
// everything the HTML depends on, render::SiteRenderer::page_key). A page whose
// key is that of its last shipped output is reused by hash, not rendered; after
// a restart the live deploy's manifest provides the outputs.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/domain.hpp"
#include "workers/render/render.hpp"
#include "workers/ship/shipper.hpp"

namespace pw::builds {

// A page's (pageId, version) names its content: a changed page must come with
// a new version, as published pages do (every edit counts as a version).
struct BuildRequest {
  std::string subdomain;
  std::string deploy;        // the deploy's directory name (the deployment id's suffix)
  std::string environment;   // production | staging | preview
  bool blue_green = false;   // check the deploy before switching
  // Set for a draft preview: the deploy is reachable only at its token
  // (ship::Previews::publish_draft_preview) and no live pointer moves.
  std::string draft_preview_id;
  render::SiteInput site;
  std::vector<render::PageInput> pages;
};

struct BuildOutcome {
  bool ok = false;
  std::string reason;  // when !ok
  std::string manifest_hash;
  domain::DeploymentReport report;
  std::vector<std::string> log;
  bool missing_blob = false;  // the deploy named a blob that is gone (build retries once afresh)
  // Staging, preview and draft previews: where the gateway serves the deploy
  // ("/previews/<token>/"), written before the outcome is returned.
  std::string preview_url;
};

// Builds of different sites may run concurrently; builds of one site must not.
class SiteBuilder {
 public:
  SiteBuilder(ship::Shipper& store, unsigned threads);
  BuildOutcome build(const BuildRequest& request);

 private:
  // The output last shipped for a page, and the render key it was made from.
  struct Output {
    std::string key;
    std::string hash;
    uint64_t size = 0;
  };
  // What a page's published version yields, remembered: a page's content at a
  // version never changes, so a republish walks, hashes and renders only the
  // edited pages.
  struct PageMemo {
    int64_t version = 0;
    render::ComponentSet used = 0;
    std::set<std::string> assets;  // the media assets it uses (content and ogImage)
    std::string site_key;  // `key` holds for this site key only
    std::string key;
    Output output;         // output.hash empty: none known
  };
  struct SiteMemo {
    std::unordered_map<std::string, PageMemo> pages;  // by page id
    // After a restart: the live deploy's outputs by render key, checked
    // against the blob store before reuse. Dropped after the first success.
    std::unordered_map<std::string, Output> from_disk;
  };
  BuildOutcome build_once(const BuildRequest& request);
  SiteMemo& site_memo(const std::string& subdomain, const std::string& environment);
  // After a success: remembers the shipped outputs and forgets pages that
  // left the site.
  void remember(SiteMemo& memo, const BuildRequest& rq, std::vector<std::pair<size_t, Output>> outputs);
  // The success of a build whose deploy is reachable: remembers its outputs and logs the totals.
  BuildOutcome finish(BuildOutcome& out, SiteMemo& memo, const BuildRequest& rq,
                      std::vector<std::pair<size_t, Output>> shipped, std::chrono::steady_clock::time_point started,
                      std::chrono::steady_clock::time_point switch_started);

  ship::Shipper& store_;
  unsigned threads_;
  std::mutex mu_;                        // guards memo_'s map, not a site's memo
  std::map<std::string, SiteMemo> memo_;  // by subdomain
};

}  // namespace pw::builds
