#pragma once
// RocksDB snapshots of the command processor's per-site state, so a processor
// that gains a partition replays only the tail of the log. A snapshot is a cache
// of the log, never the truth: losing the directory costs a longer replay.
//
// Consistency: the sites of a partition and the partition's watermark are
// written in one WriteBatch. Every site whose state changed after its last
// snapshot is written with the watermark, so each stored site is its state as of
// the watermark, and replaying the log from the watermark is exact.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/result.hpp"

namespace rocksdb { class DB; }

namespace pw::workers {

struct Watermark {
  int64_t events_next = 0;   // next offset of pagewright.events to replay
  int64_t results_next = 0;  // next offset of pagewright.results to replay
  int64_t commands_next = 0; // next command offset the snapshot does not cover
  friend bool operator==(const Watermark&, const Watermark&) = default;
};

class SnapshotStore {
 public:
  static Result<std::unique_ptr<SnapshotStore>> open(const std::filesystem::path& dir);
  ~SnapshotStore();

  Result<Watermark> watermark(int32_t partition);
  // The stored snapshot of a site (opaque bytes), if any.
  Result<std::optional<std::string>> site(int32_t partition, const std::string& site_id);
  // Atomically stores sites and the partition's new watermark.
  Result<void> write(int32_t partition, const std::vector<std::pair<std::string, std::string>>& sites,
                     const Watermark& watermark);

 private:
  explicit SnapshotStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace pw::workers
