#pragma once
// The shipper: the parts of pagewright::ship composed over one store
// (store/layout.hpp) the way the build worker uses them. Each part has one
// job: Trees writes deploys, LivePointers switches what an environment
// serves, Previews publishes preview entries, DeployChecker checks a deploy
// before it goes live, Collector removes what is no longer needed; the
// blobs and every read come from pagewright::store.
#include <filesystem>
#include <memory>

#include "events/result.hpp"
#include "store/blob_store.hpp"
#include "store/deploy_reader.hpp"
#include "store/manifest.hpp"
#include "store/sys.hpp"
#include "workers/ship/checker.hpp"
#include "workers/ship/collector.hpp"
#include "workers/ship/deploy_trees.hpp"
#include "workers/ship/durability.hpp"
#include "workers/ship/live_pointers.hpp"
#include "workers/ship/manifest_cache.hpp"
#include "workers/ship/previews.hpp"

namespace pw::ship {

class Shipper {
 public:
  // Creates the store where it is missing (store::create_layout), then opens
  // its parts.
  static Result<std::unique_ptr<Shipper>> open(const std::filesystem::path& root);
  ~Shipper();
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  const std::filesystem::path& root() const { return root_; }
  store::BlobStore& blobs() { return *blobs_; }
  const store::DeployReader& reader() const { return *reader_; }
  Trees& trees() { return *trees_; }
  LivePointers& pointers() { return *pointers_; }
  Previews& previews() { return *previews_; }
  DeployChecker& checker() { return *checker_; }
  Collector& collector() { return *collector_; }

  // Makes what was written since the last sync durable: call before
  // switch_live (the deploy) and after it (the rename).
  Result<void> sync() { return durability_->sync(); }

 private:
  Shipper() = default;

  std::filesystem::path root_;
  store::sys::Fd root_fd_, deploys_fd_, live_fd_, previews_fd_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<store::DeployReader> reader_;
  std::unique_ptr<Durability> durability_;
  std::unique_ptr<ManifestCache> manifests_;
  std::unique_ptr<Trees> trees_;
  std::unique_ptr<LivePointers> pointers_;
  std::unique_ptr<Previews> previews_;
  std::unique_ptr<DeployChecker> checker_;
  std::unique_ptr<Collector> collector_;
};

}  // namespace pw::ship
