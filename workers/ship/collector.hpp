#pragma once
// Removing what the store no longer needs: old deploys (prune), expired
// draft previews, and blobs nothing references (gc_blobs).
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "events/result.hpp"
#include "store/blob_store.hpp"
#include "store/deploy_reader.hpp"
#include "workers/ship/previews.hpp"

namespace pw::ship {

class Collector {
 public:
  Collector(int deploys_fd, store::BlobStore& blobs, const store::DeployReader& reader, Previews& previews)
      : deploys_fd_(deploys_fd), blobs_(blobs), reader_(reader), previews_(previews) {}

  // Removes deploys of `site` listed in `ordered` (oldest first) except the
  // newest `keep`, those in `protect` and any a live pointer of any
  // environment names, and their preview entries. Returns the removed ids,
  // oldest first.
  Result<std::vector<std::string>> prune(const std::string& site, const std::vector<std::string>& ordered, size_t keep,
                                         const std::set<std::string>& protect);

  // Removes every draft preview expired at `now` that a previews/ entry names:
  // the deploy (manifest first), then the entry. Blobs stay for gc_blobs, which
  // keeps those another deploy references. Returns how many were removed.
  Result<size_t> collect_expired_previews(std::chrono::system_clock::time_point now);

  // Deletes blobs no manifest references and no deploy tree links (st_nlink),
  // older than min_age (mtime; put/touch refresh it), after removing
  // temporary blob files and crashed-write trees older than min_age. min_age
  // must exceed the longest build. Returns the number of blobs removed.
  Result<size_t> gc_blobs(std::chrono::seconds min_age);

 private:
  int deploys_fd_;
  store::BlobStore& blobs_;
  const store::DeployReader& reader_;
  Previews& previews_;
};

}  // namespace pw::ship
