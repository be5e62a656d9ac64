#pragma once
// The store's blobs (layout.hpp): files named by the sha256 of their bytes,
// written once, never changed, shared by every deploy (and any other user of
// the store) that holds the same bytes. Blobs are made 0444 whatever the
// umask; directories are 0755 less the umask, so run writers with umask 022
// for a web server of another user.
//
// Durability is batched: put() does not fsync; sync() makes every blob put
// so far durable.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "events/result.hpp"

namespace pw::store {

// A blob opened for reading in pieces (the static host streams with it).
class BlobFile {
 public:
  BlobFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~BlobFile();
  BlobFile(const BlobFile&) = delete;
  BlobFile& operator=(const BlobFile&) = delete;
  uint64_t size() const { return size_; }
  // Up to `max` bytes from `offset`; fewer only at the end of the file.
  Result<std::string> read(uint64_t offset, size_t max) const;

 private:
  int fd_;
  uint64_t size_;
};

// Opens an existing blob of the blobs directory dir_fd (a hash that is not
// one is Errc::validation_error, an absent blob Errc::not_found).
Result<std::unique_ptr<BlobFile>> open_blob_at(int blobs_dir_fd, const std::string& hash);

class BlobStore {
 public:
  // Makes <root>/blobs where it is missing.
  static Result<std::unique_ptr<BlobStore>> open(const std::filesystem::path& root);
  ~BlobStore();
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  // Returns the hash. Writes a temporary file and renames it into place only
  // when the blob is absent; concurrent writers of the same blob are fine. An
  // existing blob gets its mtime refreshed so collect() sees it as young.
  Result<std::string> put(std::string_view bytes);
  bool has(const std::string& hash) const;
  // Refreshes the mtime of an existing blob that a writer reuses without
  // rewriting (protects it from a concurrent collect). False if absent.
  bool touch(const std::string& hash);
  Result<std::string> read(const std::string& hash) const;
  Result<std::unique_ptr<BlobFile>> open_blob(const std::string& hash) const;

  // The blobs directory: deploy trees are hard links to blobs (pagewright::ship
  // links them relative to it).
  int dir_fd() const { return blobs_fd_; }

  // Makes the blobs put so far durable: a few are fsynced one by one (with
  // their directories), many with one syncfs. Returns whether it was a
  // syncfs, which made everything else on the filesystem durable too.
  Result<bool> sync();

  // The last step of garbage collection: removes temporary files and blobs
  // not in `referenced` that no deploy tree links (st_nlink == 1), both last
  // modified (put/touch refresh it) before `older_than`. The caller gathers
  // `referenced` from everything that names blobs; `older_than` must leave
  // room for the longest writer between its put and its reference. Returns
  // the number of blobs removed.
  Result<size_t> collect(std::chrono::system_clock::time_point older_than,
                         const std::unordered_set<std::string>& referenced);

 private:
  BlobStore(std::filesystem::path root, int blobs_fd) : root_(std::move(root)), blobs_fd_(blobs_fd) {}

  // Up to this many new blobs are fsynced one by one; more take one syncfs.
  static constexpr size_t kTargetedSyncMax = 64;

  std::filesystem::path root_;
  int blobs_fd_ = -1;
  std::mutex sync_mu_;
  std::vector<std::string> unsynced_;  // "ab/abcd…" under blobs/
};

}  // namespace pw::store
