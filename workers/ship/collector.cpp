#include "workers/ship/collector.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <unordered_set>

#include "store/manifest.hpp"
#include "store/sys.hpp"
#include "workers/ship/trees.hpp"

namespace pw::ship {

namespace sys = store::sys;
using sys::errno_error;
using sys::Fd;

Result<std::vector<std::string>> Collector::prune(const std::string& site, const std::vector<std::string>& ordered,
                                                   size_t keep, const std::set<std::string>& protect) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  for (const auto& id : ordered) {
    if (!store::is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  }
  try {
    // A tree being taken as a donor must not be half removed underneath.
    auto locked = trees::lock_site(deploys_fd_, site, false);
    if (!locked) return locked.error();
    if (!*locked) return std::vector<std::string>{};
    auto pins = reader_.live_deploys(site);
    if (!pins) return pins.error();  // unsure what is live: remove nothing
    std::set<std::string> keep_ids = protect;
    keep_ids.insert(pins->begin(), pins->end());
    std::vector<std::string> removed;
    size_t candidates = ordered.size() > keep ? ordered.size() - keep : 0;
    for (size_t i = 0; i < candidates; ++i) {
      const std::string& id = ordered[i];
      if (keep_ids.count(id) != 0) continue;
      std::string dir = site + "/" + id;
      std::string manifest = dir + ".manifest.json";
      bool existed = ::faccessat(deploys_fd_, manifest.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
                     ::faccessat(deploys_fd_, dir.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
      if (!existed) continue;
      // Manifest first: a crash in between leaves a tree that no longer looks complete.
      if (::unlinkat(deploys_fd_, manifest.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove", manifest, errno);
      auto r = sys::remove_tree_at(deploys_fd_, dir);
      if (!r) return r.error();
      removed.push_back(id);
    }
    previews_.forget(site, removed);
    return removed;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("prune: ") + e.what());
  }
}

namespace {

// The site directories under deploys/ (dot-names are temporaries).
Result<std::vector<std::string>> site_dirs(int deploys_fd) {
  DIR* sites = sys::open_dir_stream(deploys_fd);
  if (sites == nullptr) return errno_error("opendir", "deploys", errno);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(sites)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  ::closedir(sites);
  return names;
}

Result<std::unordered_set<std::string>> referenced_hashes(int deploys_fd) {
  std::unordered_set<std::string> refs;
  auto site_names = site_dirs(deploys_fd);
  if (!site_names) return site_names.error();
  for (const auto& site : *site_names) {
    Fd site_fd(::openat(deploys_fd, site.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!site_fd) return errno_error("open deploys/", site, errno);
    DIR* d = sys::open_dir_stream(site_fd.get());
    if (d == nullptr) return errno_error("opendir", site, errno);
    std::vector<std::string> manifests;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      // In-flight manifests (".tmp.") count too: their deploy is being published.
      if (n.size() > trees::kManifestSuffix.size() && n.ends_with(trees::kManifestSuffix)) manifests.emplace_back(n);
      else if (n.starts_with(trees::kTempPrefix) && n.find(".manifest.") != std::string_view::npos) manifests.emplace_back(n);
    }
    ::closedir(d);
    for (const auto& m : manifests) {
      struct stat st {};
      // A temporary tree of a deployment whose id contains "manifest" is no manifest.
      if (::fstatat(site_fd.get(), m.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
      auto json = sys::read_file_at(deploys_fd, site + "/" + m);
      if (!json && json.error().code == Errc::not_found) continue;  // pruned or renamed meanwhile
      if (!json) return json.error();
      auto man = store::manifest_from_json(*json);
      if (!man) return make_error(Errc::internal, "gc: unreadable manifest " + site + "/" + m + ": " + man.error().message);
      for (const auto& entry : man->entries) refs.insert(entry.hash);
    }
  }
  return refs;
}

// Trees and manifests a crashed write_deploy left under temporary names,
// spares missing their other half (a crash while one was made or taken), and
// deploy trees without a manifest (a crash while one was written or pruned):
// they would otherwise hold their blobs (st_nlink, references) forever. Under
// each site's lock, so nothing being patched or renamed right now is touched.
Result<void> remove_stale_temps(int deploys_fd, int64_t cutoff) {
  auto site_names = site_dirs(deploys_fd);
  if (!site_names) return site_names.error();
  const std::string_view suffix = trees::kManifestSuffix;
  for (const auto& site : *site_names) {
    Fd site_fd(::openat(deploys_fd, site.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!site_fd) continue;  // removed meanwhile
    sys::FileLock lock;
    if (auto r = lock.acquire(site_fd.get(), trees::kLockName); !r) return r.error();
    DIR* d = sys::open_dir_stream(site_fd.get());
    if (d == nullptr) return errno_error("opendir", site, errno);
    std::set<std::string> names;
    while (struct dirent* e = ::readdir(d)) names.emplace(e->d_name);
    ::closedir(d);
    for (const auto& name : names) {
      const std::string_view n = name;
      bool stale = n.starts_with(trees::kTempPrefix);
      if (n.starts_with(trees::kSparePrefix)) {
        const bool is_manifest = n.ends_with(suffix);
        const std::string other = is_manifest ? std::string(n.substr(0, n.size() - suffix.size())) : name + std::string(suffix);
        stale = names.count(other) == 0;
      } else if (store::is_valid_deployment_id(n)) {
        stale = names.count(name + std::string(suffix)) == 0;
      }
      struct stat st {};
      if (!stale || ::fstatat(site_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_mtim.tv_sec >= cutoff)
        continue;
      if (auto r = sys::remove_tree_at(site_fd.get(), name); !r) return r.error();
    }
  }
  return {};
}

}  // namespace

Result<size_t> Collector::gc_blobs(std::chrono::seconds min_age) {
  try {
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const int64_t cutoff = static_cast<int64_t>(now.tv_sec) - min_age.count();
    if (auto r = remove_stale_temps(deploys_fd_, cutoff); !r) return r.error();
    auto refs = referenced_hashes(deploys_fd_);
    if (!refs) return refs.error();
    return blobs_.collect(std::chrono::system_clock::time_point(std::chrono::seconds(cutoff)), *refs);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("gc_blobs: ") + e.what());
  }
}

Result<size_t> Collector::collect_expired_previews(std::chrono::system_clock::time_point now) {
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  auto tokens = previews_.tokens();
  if (!tokens) return tokens.error();
  size_t removed = 0;
  for (const auto& token : *tokens) {
    auto target = reader_.resolve_preview(token);
    if (!target) return target.error();
    if (!*target) continue;
    const auto expiry = store::DeployReader::draft_preview_expiry((*target)->deploymentId);
    if (!expiry || *expiry > now_unix) continue;
    // The deploy first: a crash before the entry goes leaves an entry that
    // still reads as expired, and the next sweep finishes.
    auto pruned = prune((*target)->site, {(*target)->deploymentId}, 0, {});
    if (!pruned) return pruned.error();
    if (auto r = previews_.remove(token); !r) return r.error();
    ++removed;
  }
  return removed;
}

}  // namespace pw::ship
