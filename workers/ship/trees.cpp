// Laying manifests down as trees of hard links: all one mkdirat/linkat per
// directory/file relative to one directory fd, with no stats.
#include "workers/ship/trees.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_set>


namespace pw::ship::trees {

using sys::errno_error;

Result<std::optional<LockedSite>> lock_site(int deploys_fd, const std::string& site, bool create) {
  if (create && ::mkdirat(deploys_fd, site.c_str(), 0755) != 0 && errno != EEXIST)
    return errno_error("mkdir deploys/", site, errno);
  LockedSite locked{sys::Fd(::openat(deploys_fd, site.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), {}};
  if (!locked.fd && errno == ENOENT && !create) return std::optional<LockedSite>{};
  if (!locked.fd) return errno_error("open deploys/", site, errno);
  if (auto r = locked.lock.acquire(locked.fd.get(), kLockName); !r) return r.error();
  return std::optional<LockedSite>(std::move(locked));
}

namespace {

// "ab/abcd…" under blobs/, without allocating.
class BlobName {
 public:
  const char* operator()(const std::string& hash) {
    std::memcpy(buf_, hash.data(), 2);
    buf_[2] = '/';
    std::memcpy(buf_ + 3, hash.data(), 64);
    buf_[67] = '\0';
    return buf_;
  }

 private:
  char buf_[2 + 1 + 64 + 1];
};

Result<void> link_one(int blobs_fd, int dir_fd, const ManifestEntry& e, BlobName& blob) {
  const char* name = blob(e.hash);
  if (::linkat(blobs_fd, name, dir_fd, e.path.c_str(), 0) == 0) return {};
  int err = errno;
  if (err == ENOENT && ::faccessat(blobs_fd, name, F_OK, 0) != 0) {
    return make_error(Errc::not_found, "blob " + e.hash + " for " + e.path + " is missing");
  }
  return errno_error("link", e.path, err);
}

// The parent directories of path, shortest first ("a", "a/b" for "a/b/c").
template <class F>
void for_each_parent(std::string_view path, F&& f) {
  for (size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1))
    f(path.substr(0, slash));
}

// Whether some path of the sorted `entries` lies below directory `dir`: those
// sort together, from the first path not less than "dir/".
template <class Entries, class PathOf>
bool has_below(const Entries& entries, std::string_view dir, PathOf path_of) {
  std::string prefix(dir);
  prefix += '/';
  auto it = std::lower_bound(entries.begin(), entries.end(), prefix,
                             [&](const auto& e, const std::string& p) { return path_of(e) < p; });
  return it != entries.end() && std::string_view(path_of(*it)).substr(0, prefix.size()) == prefix;
}

}  // namespace

std::vector<const ManifestEntry*> pointers(const Manifest& m) {
  std::vector<const ManifestEntry*> v;
  v.reserve(m.entries.size());
  for (const auto& e : m.entries) v.push_back(&e);
  return v;
}

Result<std::vector<const ManifestEntry*>> validated(const Manifest& m) {
  std::vector<const ManifestEntry*> v;
  v.reserve(m.entries.size());
  for (const auto& e : m.entries) {
    if (!store::is_safe_site_path(e.path)) return make_error(Errc::validation_error, "unsafe path '" + e.path + "'");
    if (!store::is_valid_blob_hash(e.hash)) return make_error(Errc::validation_error, "bad hash for " + e.path);
    v.push_back(&e);
  }
  auto by_path = [](const ManifestEntry* a, const ManifestEntry* b) { return a->path < b->path; };
  if (!std::is_sorted(v.begin(), v.end(), by_path)) std::sort(v.begin(), v.end(), by_path);
  std::unordered_set<std::string_view> files;
  files.reserve(v.size() * 2);
  for (const ManifestEntry* e : v) {
    if (!files.insert(e->path).second) return make_error(Errc::validation_error, "duplicate path " + e->path);
  }
  for (const ManifestEntry* e : v) {
    std::optional<Error> below_file;
    for_each_parent(e->path, [&](std::string_view dir) {
      if (!below_file && files.count(dir) != 0)
        below_file = make_error(Errc::validation_error, "path " + e->path + " is below file " + std::string(dir));
    });
    if (below_file) return *below_file;
  }
  return v;
}

Result<void> link_all(int blobs_fd, int dir_fd, const std::vector<const ManifestEntry*>& entries) {
  std::unordered_set<std::string_view> made;
  made.reserve(entries.size() * 2);
  std::string buf;
  BlobName blob;
  for (const ManifestEntry* e : entries) {
    std::string_view p = e->path;
    size_t last = p.rfind('/');
    if (last != std::string_view::npos && made.count(p.substr(0, last)) == 0) {
      // Ancestors first; each directory is created exactly once.
      Result<void> made_dirs;
      for_each_parent(p, [&](std::string_view dir) {
        if (!made_dirs.ok() || !made.insert(dir).second) return;
        buf.assign(dir);
        if (::mkdirat(dir_fd, buf.c_str(), 0755) != 0) made_dirs = errno_error("mkdir", buf, errno);
      });
      if (!made_dirs) return made_dirs.error();
    }
    if (auto r = link_one(blobs_fd, dir_fd, *e, blob); !r) return r;
  }
  return {};
}

Result<size_t> patch(int blobs_fd, int dir_fd, const std::vector<ManifestEntry>& from,
                     const std::vector<const ManifestEntry*>& to) {
  std::vector<const ManifestEntry*> gone, changed, added;
  for (size_t i = 0, j = 0; i < from.size() || j < to.size();) {
    if (j == to.size() || (i < from.size() && from[i].path < to[j]->path)) {
      gone.push_back(&from[i++]);
    } else if (i == from.size() || to[j]->path < from[i].path) {
      added.push_back(to[j++]);
    } else {
      if (from[i].hash != to[j]->hash) changed.push_back(to[j]);
      ++i, ++j;
    }
  }
  auto from_path = [](const ManifestEntry& e) -> const std::string& { return e.path; };
  auto to_path = [](const ManifestEntry* e) -> const std::string& { return e->path; };

  // Removals first, so a name that turns from a directory into a file (or
  // back) is free before it is reused.
  std::vector<std::string> emptied;
  for (const ManifestEntry* e : gone) {
    if (::unlinkat(dir_fd, e->path.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove", e->path, errno);
    for_each_parent(e->path, [&](std::string_view dir) {
      if (!has_below(to, dir, to_path)) emptied.emplace_back(dir);
    });
  }
  std::sort(emptied.begin(), emptied.end(), std::greater<>());  // children before their parents
  emptied.erase(std::unique(emptied.begin(), emptied.end()), emptied.end());
  for (const auto& dir : emptied) {
    if (::unlinkat(dir_fd, dir.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return errno_error("rmdir", dir, errno);
  }

  BlobName blob;
  for (const ManifestEntry* e : changed) {
    if (::unlinkat(dir_fd, e->path.c_str(), 0) != 0 && errno != ENOENT) return errno_error("replace", e->path, errno);
    if (auto r = link_one(blobs_fd, dir_fd, *e, blob); !r) return r.error();
  }

  std::unordered_set<std::string> made;
  for (const ManifestEntry* e : added) {
    Result<void> made_dirs;
    for_each_parent(e->path, [&](std::string_view dir) {
      // A directory of `from` with an added file below was not emptied.
      if (!made_dirs.ok() || has_below(from, dir, from_path)) return;
      if (!made.emplace(dir).second) return;
      std::string name(dir);
      if (::mkdirat(dir_fd, name.c_str(), 0755) != 0) made_dirs = errno_error("mkdir", name, errno);
    });
    if (!made_dirs) return made_dirs.error();
    if (auto r = link_one(blobs_fd, dir_fd, *e, blob); !r) return r.error();
  }
  return gone.size() + changed.size() + added.size();
}

}  // namespace pw::ship::trees
