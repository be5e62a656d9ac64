#pragma once
// Deploys written to the store (store/layout.hpp): a deploy's tree of hard
// links to blobs, built under a temporary name and renamed into place, then
// its manifest. A deploy is complete once its manifest file exists.
//
// Trees are recycled: a deploy's tree exists while a live pointer names it and
// for as long after as no later deploy needed it. A new tree is made by
// patching a free one (no live pointer names it; the oldest first) into the
// new manifest, so its cost follows what changed. A deploy without a tree is
// still complete: with_tree lays it down again (rollback) from its manifest.
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/result.hpp"
#include "store/blob_store.hpp"
#include "store/deploy_reader.hpp"
#include "store/manifest.hpp"
#include "workers/ship/durability.hpp"
#include "workers/ship/manifest_cache.hpp"

namespace pw::ship {

class Trees {
 public:
  Trees(int deploys_fd, store::BlobStore& blobs, const store::DeployReader& reader, ManifestCache& manifests,
        Durability& durability)
      : deploys_fd_(deploys_fd), blobs_(blobs), reader_(reader), manifests_(manifests), durability_(durability) {}

  // Writes deploy <id> of the manifest (entries in any order): its tree, by
  // patching a free tree of the site or else from nothing, then its manifest.
  // Every blob must exist (Errc::not_found otherwise, nothing left behind). The
  // same manifest again is a no-op success (laying the tree down again if it
  // was recycled); a different one for an existing id is Errc::duplicate. A
  // tree without a manifest (a crash) is rebuilt. Returns manifest_hash(m).
  // Taken by value: a caller done with its manifest moves it in, and the
  // manifest cache keeps it for the next patch or check without a copy.
  Result<std::string> write_deploy(const std::string& site, const std::string& deploymentId, store::Manifest m);
  bool has_tree(const std::string& site, const std::string& deploymentId) const;
  // Makes sure the site has a free tree for its next deploy to patch: if
  // every tree is live, copies one (as many links as the site has files).
  // Call after switch_live; only a site's first deploys ever need it. Returns
  // whether a tree was made.
  Result<bool> keep_spare_tree(const std::string& site);

  // Runs `then` while no tree of the site moves, with the complete deploy's
  // tree in place (laid down again from its manifest if it was recycled):
  // what a live pointer needs before it may name the deploy. An incomplete
  // deploy is Errc::not_found. Once `then` succeeds the deploy is no longer
  // this writer's pending one.
  Result<void> with_tree(const std::string& site, const std::string& deploymentId,
                         const std::function<Result<void>()>& then);

 private:
  // Trees of a site (caller holds its lock): those a live pointer names, and
  // the free ones in the order they should be reused.
  struct FreeTree {
    std::string name;
    bool spare = false;
    int64_t mtime_ns = 0;
  };
  struct SiteTrees {
    std::vector<std::string> pinned;
    std::vector<FreeTree> free;
  };
  Result<SiteTrees> list_trees(int site_fd, const std::string& site, const std::string& except);
  // Lays down the tree of `id` (absent; caller holds the site lock) by
  // patching a free tree, or from nothing. Returns whether it was from nothing.
  Result<bool> materialize(int site_fd, const std::string& site, const std::string& id,
                           const std::vector<const store::ManifestEntry*>& sorted);
  // The deploy this writer last wrote per site, until it goes live or the
  // next one is written: not a donor meanwhile, so its check and switch find
  // it. (Another process's pending deploy is not known here; taking it costs
  // a failed check or a tree laid down again, never a wrong tree.)
  bool is_pending(const std::string& site, const std::string& id);

  int deploys_fd_;
  store::BlobStore& blobs_;
  const store::DeployReader& reader_;
  ManifestCache& manifests_;
  Durability& durability_;
  std::mutex pending_mu_;
  std::unordered_map<std::string, std::string> pending_;  // site → deployment id
};

}  // namespace pw::ship
