#pragma once
// A few manifests the shipper read or wrote last, matched on their file's
// inode state: a check or a tree patch right after a write skips re-parsing
// a manifest of 10,000 entries.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "events/result.hpp"
#include "store/manifest.hpp"

namespace pw::ship {

class ManifestCache {
 public:
  explicit ManifestCache(int deploys_fd) : deploys_fd_(deploys_fd) {}

  // deploys/<site>/<id>.manifest.json.
  Result<std::shared_ptr<const store::Manifest>> load(const std::string& site, const std::string& id);
  // `rel` is "<site>/<name>.manifest.json" under deploys/.
  Result<std::shared_ptr<const store::Manifest>> load_file(const std::string& rel);
  // Keeps a manifest just written under `rel`.
  void remember(const std::string& rel, std::shared_ptr<const store::Manifest> m);

 private:
  static constexpr size_t kRecent = 8;
  struct FileState {
    uint64_t ino = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileState&) const = default;
  };
  struct Recent {
    FileState file;  // hard links (a spare's manifest) share it
    std::shared_ptr<const store::Manifest> manifest;
  };
  bool stat_file(const std::string& rel, FileState& out) const;

  int deploys_fd_;
  std::mutex mu_;
  std::vector<Recent> recent_;  // newest last
};

}  // namespace pw::ship
