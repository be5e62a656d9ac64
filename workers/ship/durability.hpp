#pragma once
// Batched durability of what the shipper writes: nothing fsyncs a file as it
// is written; sync() makes everything written so far durable, the blobs
// (store::BlobStore::sync) and then the directories whose entries changed.
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

#include "events/result.hpp"
#include "store/blob_store.hpp"

namespace pw::ship {

class Durability {
 public:
  Durability(std::filesystem::path root, int root_fd, store::BlobStore& blobs)
      : root_(std::move(root)), root_fd_(root_fd), blobs_(blobs) {}

  // A directory (relative to the root, e.g. "deploys/acme") whose entries changed.
  void mark_dir(std::string dir);
  // Call before switch_live (the deploy) and after it (the rename).
  Result<void> sync();

 private:
  std::filesystem::path root_;
  int root_fd_;
  store::BlobStore& blobs_;
  std::mutex mu_;
  std::set<std::string> dirs_;
};

}  // namespace pw::ship
