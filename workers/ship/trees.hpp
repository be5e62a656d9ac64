#pragma once
// Deploy trees (internal to pagewright::ship): laying a manifest down as a directory
// of hard links, either from nothing or by patching a tree that holds another
// manifest. Patching touches only the paths whose bytes differ, which is what
// keeps a one-page republish independent of the site's size.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"
#include "store/layout.hpp"
#include "store/manifest.hpp"
#include "store/sys.hpp"

namespace pw::ship::trees {

namespace sys = store::sys;
using store::Manifest;
using store::ManifestEntry;

// Names inside deploys/<site>/ besides deployment ids (store/layout.hpp).
inline constexpr std::string_view kManifestSuffix = store::kManifestSuffix;
inline constexpr std::string_view kSparePrefix = ".spare.";
inline constexpr std::string_view kTempPrefix = sys::kTempPrefix;
inline constexpr const char* kLockName = ".lock";

// The site's directory under deploys/, open and locked (its .lock flock):
// tree moves of one site are serialised across threads and processes.
struct LockedSite {
  sys::Fd fd;          // deploys/<site>
  sys::FileLock lock;  // held while this lives
};
// nullopt when the site has no directory and `create` is false.
Result<std::optional<LockedSite>> lock_site(int deploys_fd, const std::string& site, bool create);

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
