// Trees: write_deploy and the trees behind deploys. A deploy's tree of hard
// links is built under a temporary name and renamed into place, then its
// manifest is written. The tree is made by patching a donor (a tree no live pointer names)
// whenever there is one, so a republish costs what changed, not the site's
// size; only a site's first trees are laid down from nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_set>

#include <dirent.h>

#include "events/hash_chain.hpp"
#include "workers/ship/deploy_trees.hpp"
#include "workers/ship/trees.hpp"

namespace pw::ship {

namespace sys = store::sys;
using store::Manifest;
using store::ManifestEntry;
using sys::errno_error;
using sys::Fd;

namespace {

using trees::kManifestSuffix;
using trees::kSparePrefix;

bool is_dir_at(int dir_fd, const std::string& name, int64_t* mtime_ns = nullptr) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (mtime_ns != nullptr) *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

// Lays the sorted entries down in a new directory tmp under site_fd; on
// failure nothing is left.
Result<void> lay_down(int blobs_fd, int site_fd, const std::string& tmp, const std::vector<const ManifestEntry*>& sorted) {
  if (::mkdirat(site_fd, tmp.c_str(), 0755) != 0) return errno_error("mkdir", tmp, errno);
  Fd tmp_fd(::openat(site_fd, tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  Result<void> r = tmp_fd ? trees::link_all(blobs_fd, tmp_fd.get(), sorted) : errno_error("open", tmp, errno);
  if (!r) (void)sys::remove_tree_at(site_fd, tmp);
  return r;
}

}  // namespace

bool Trees::is_pending(const std::string& site, const std::string& id) {
  std::lock_guard lock(pending_mu_);
  auto it = pending_.find(site);
  return it != pending_.end() && it->second == id;
}

Result<Trees::SiteTrees> Trees::list_trees(int site_fd, const std::string& site, const std::string& except) {
  auto pins = reader_.live_deploys(site);
  if (!pins) return pins.error();  // unsure what is live: treat nothing as free
  DIR* d = sys::open_dir_stream(site_fd);
  if (d == nullptr) return errno_error("opendir deploys/", site, errno);
  std::set<std::string> names;
  while (struct dirent* e = ::readdir(d)) names.emplace(e->d_name);
  ::closedir(d);
  SiteTrees trees;
  for (const auto& name : names) {
    const bool spare = name.starts_with(kSparePrefix) && !name.ends_with(kManifestSuffix);
    if (!spare && (!store::is_valid_deployment_id(name) || name == except)) continue;
    if (names.count(name + std::string(kManifestSuffix)) == 0) continue;  // incomplete: not a tree to rely on
    int64_t mtime = 0;
    if (!is_dir_at(site_fd, name, &mtime)) continue;
    if (!spare && pins->count(name) != 0) trees.pinned.push_back(name);
    else if (spare || !is_pending(site, name)) trees.free.push_back({name, spare, mtime});
  }
  // Spares exist to be used; among deploy trees the oldest goes first, so
  // the one live just before keeps its tree for an instant rollback.
  std::sort(trees.free.begin(), trees.free.end(), [](const FreeTree& a, const FreeTree& b) {
    return a.spare != b.spare ? a.spare : a.mtime_ns < b.mtime_ns;
  });
  return trees;
}

Result<bool> Trees::materialize(int site_fd, const std::string& site, const std::string& id,
                                      const std::vector<const ManifestEntry*>& sorted) {
  const std::string tmp = sys::temp_name(id);
  auto cleanup = [&] { (void)sys::remove_tree_at(site_fd, tmp); };
  auto trees = list_trees(site_fd, site, id);
  if (!trees) return trees.error();
  bool patched = false;
  for (const FreeTree& donor : trees->free) {
    auto from = manifests_.load_file(site + "/" + donor.name + std::string(kManifestSuffix));
    if (!from) continue;  // unreadable: try another donor
    if (::renameat(site_fd, donor.name.c_str(), site_fd, tmp.c_str()) != 0) continue;  // gone meanwhile: the next one
    // Young from now on, so no gc_blobs run takes it for a crash's leftover
    // (it also holds the site lock, but a stale mtime should never decide).
    (void)::utimensat(site_fd, tmp.c_str(), nullptr, 0);
    // A spare's manifest describes nothing once its tree is taken; a deploy's stays its record.
    if (donor.spare) (void)::unlinkat(site_fd, (donor.name + std::string(kManifestSuffix)).c_str(), 0);
    Fd tmp_fd(::openat(site_fd, tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tmp_fd) { int err = errno; cleanup(); return errno_error("open", tmp, err); }
    auto p = trees::patch(blobs_.dir_fd(), tmp_fd.get(), (*from)->entries, sorted);
    if (p) { patched = true; break; }
    cleanup();
    // A missing blob or a full disk fails a fresh build as well; anything else
    // means the donor was not what its manifest says, so build from nothing.
    if (p.error().code == Errc::not_found || p.error().code == Errc::unavailable) return p.error();
    break;
  }
  if (!patched)
    if (auto r = lay_down(blobs_.dir_fd(), site_fd, tmp, sorted); !r) return r.error();
  // The tree's own mtime orders donors: this one is now the newest.
  (void)::utimensat(site_fd, tmp.c_str(), nullptr, 0);
  if (::renameat(site_fd, tmp.c_str(), site_fd, id.c_str()) != 0) {
    int err = errno;
    cleanup();
    if (err == EEXIST || err == ENOTEMPTY) {
      return make_error(Errc::unavailable, "deploy " + site + "/" + id + " is being written concurrently; retry");
    }
    return errno_error("rename", id, err);
  }
  durability_.mark_dir("deploys/" + site);
  return !patched;
}

Result<bool> Trees::keep_spare_tree(const std::string& site) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  try {
    auto locked = trees::lock_site(deploys_fd_, site, false);
    if (!locked) return locked.error();
    if (!*locked) return false;
    const int site_fd = (*locked)->fd.get();
    auto trees = list_trees(site_fd, site, "");
    if (!trees) return trees.error();
    if (!trees->free.empty() || trees->pinned.empty()) return false;
    const std::string& source = trees->pinned.front();
    const std::string source_manifest = source + std::string(kManifestSuffix);
    auto m = manifests_.load_file(site + "/" + source_manifest);
    if (!m) return m.error();
    const std::string spare = std::string(kSparePrefix) + sys::unique_suffix();
    const std::string tmp = sys::temp_name("spare");
    if (auto r = lay_down(blobs_.dir_fd(), site_fd, tmp, trees::pointers(**m)); !r) return r.error();
    // Tree first, then its manifest (a link to the source's immutable file):
    // a spare counts only with both, and gc_blobs clears a lone half.
    if (::renameat(site_fd, tmp.c_str(), site_fd, spare.c_str()) != 0) {
      int err = errno;
      (void)sys::remove_tree_at(site_fd, tmp);
      return errno_error("rename", spare, err);
    }
    if (::linkat(site_fd, source_manifest.c_str(), site_fd, (spare + std::string(kManifestSuffix)).c_str(), 0) != 0) {
      int err = errno;
      (void)sys::remove_tree_at(site_fd, spare);
      return errno_error("link", spare + std::string(kManifestSuffix), err);
    }
    durability_.mark_dir("deploys/" + site);
    return true;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("keep_spare_tree: ") + e.what());
  }
}

bool Trees::has_tree(const std::string& site, const std::string& id) const {
  if (!store::is_valid_site(site) || !store::is_valid_deployment_id(id)) return false;
  return is_dir_at(deploys_fd_, site + "/" + id);
}


Result<std::string> Trees::write_deploy(const std::string& site, const std::string& id, Manifest m) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  if (!store::is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  try {
    auto by_path = [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; };
    if (!std::is_sorted(m.entries.begin(), m.entries.end(), by_path)) std::sort(m.entries.begin(), m.entries.end(), by_path);
    auto sorted = trees::validated(m);
    if (!sorted) return sorted.error();
    std::string json = store::manifest_to_json(m);

    auto locked = trees::lock_site(deploys_fd_, site, true);
    if (!locked) return locked.error();
    const Fd& site_fd = (*locked)->fd;
    const std::string manifest_name = id + std::string(kManifestSuffix);

    auto existing = sys::read_file_at(site_fd.get(), manifest_name);
    if (existing) {
      if (*existing != json) {
        return make_error(Errc::duplicate, "deploy " + site + "/" + id + " exists with a different manifest");
      }
      // A retry; if the tree went to a later deploy meanwhile, lay it down again.
      if (!is_dir_at(site_fd.get(), id)) {
        if (auto built = materialize(site_fd.get(), site, id, *sorted); !built) return built.error();
      }
      return sha256_hex(json);
    }
    if (existing.error().code != Errc::not_found) return existing.error();
    // A tree without a manifest is a crashed write: never complete, so redo it.
    if (auto r = sys::remove_tree_at(site_fd.get(), id); !r) return r.error();

    auto built = materialize(site_fd.get(), site, id, *sorted);
    if (!built) return built.error();
    auto w = sys::write_file_atomic_at(site_fd.get(), manifest_name, sys::temp_name(id + ".manifest"), json, 0644);
    if (!w) {
      (void)sys::remove_tree_at(site_fd.get(), id);  // no manifest: drop the tree rather than leave it half-published
      return w.error();
    }
    manifests_.remember(site + "/" + manifest_name, std::make_shared<const Manifest>(std::move(m)));
    {
      std::lock_guard pending(pending_mu_);
      pending_[site] = id;
    }
    return sha256_hex(json);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("write_deploy: ") + e.what());
  }
}

Result<void> Trees::with_tree(const std::string& site, const std::string& id, const std::function<Result<void>()>& then) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  if (!store::is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  try {
    // Held until `then` is done, so no write_deploy takes the tree as a donor
    // in between.
    auto locked = trees::lock_site(deploys_fd_, site, false);
    if (!locked) return locked.error();
    if (!*locked || !reader_.has_deploy(site, id))
      return make_error(Errc::not_found, "deploy " + site + "/" + id + " not found");
    if (!has_tree(site, id)) {
      auto m = manifests_.load(site, id);
      if (!m) return m.error();
      if (auto built = materialize((*locked)->fd.get(), site, id, trees::pointers(**m)); !built) return built.error();
    }
    if (auto r = then(); !r) return r;
    std::lock_guard pending(pending_mu_);
    if (auto it = pending_.find(site); it != pending_.end() && it->second == id) pending_.erase(it);
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("with_tree: ") + e.what());
  }
}

}  // namespace pw::ship
