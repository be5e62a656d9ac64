#pragma once
// Deploy trees (internal to the store): laying a manifest down as a directory
// of hard links, either from nothing or by patching a tree that holds another
// manifest. Patching touches only the paths whose bytes differ, which is what
// keeps a one-page republish independent of the site's size.
#include <string_view>
#include <vector>

#include "events/result.hpp"
#include "workers/ship/deploy_store.hpp"
#include "workers/ship/sys.hpp"

namespace pw::ship::trees {

// Names inside deploys/<site>/ besides deployment ids (deploy_store.hpp).
inline constexpr std::string_view kManifestSuffix = ".manifest.json";
inline constexpr std::string_view kSparePrefix = ".spare.";
inline constexpr std::string_view kTempPrefix = ".tmp.";
inline constexpr const char* kLockName = ".lock";

// The entries of a manifest already sorted by path, as laid down or patched.
std::vector<const ManifestEntry*> pointers(const Manifest& m);

// The manifest's entries sorted by path, after checking that every path is
// safe and unique, every hash valid, and no path is also a directory of
// another ("a" and "a/b").
Result<std::vector<const ManifestEntry*>> validated(const Manifest& m);

// Links every entry (sorted) into the empty directory dir_fd. A missing blob is
// Errc::not_found.
Result<void> link_all(int blobs_fd, int dir_fd, const std::vector<const ManifestEntry*>& entries);

// dir_fd holds exactly `from` (sorted by path); afterwards it holds exactly
// `to` (sorted): files only in `from` and the directories they leave empty are
// removed, changed files re-linked, new ones linked. Returns the number of
// paths that differed.
Result<size_t> patch(int blobs_fd, int dir_fd, const std::vector<ManifestEntry>& from,
                     const std::vector<const ManifestEntry*>& to);

}  // namespace pw::ship::trees

namespace pw::ship {
struct DeployStore::LockedSite {
  sys::Fd fd;          // deploys/<site>
  sys::FileLock lock;  // held while this lives
};
}  // namespace pw::ship
