// Store layout, blobs, live pointers, sync, prune and blob GC. write_deploy is
// in write_deploy.cpp, check_deploy in check.cpp.
#include "workers/ship/deploy_store.hpp"

#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <random>
#include <unordered_set>

#include <dirent.h>

#include "events/hash_chain.hpp"
#include "workers/ship/sys.hpp"
#include "workers/ship/trees.hpp"

namespace pw::ship {

using sys::errno_error;
using sys::Fd;

namespace {

std::string blob_rel(const std::string& hash) { return hash.substr(0, 2) + "/" + hash; }

Result<int> open_dir_at(int parent, const char* name, bool create) {
  if (create && ::mkdirat(parent, name, 0755) != 0 && errno != EEXIST) return errno_error("mkdir", name, errno);
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", name, errno);
  return fd;
}

}  // namespace

DeployStore::DeployStore(std::filesystem::path root, int root_fd, int blobs_fd, int deploys_fd, int live_fd,
                         int previews_fd)
    : root_(std::move(root)),
      root_fd_(root_fd),
      blobs_fd_(blobs_fd),
      deploys_fd_(deploys_fd),
      live_fd_(live_fd),
      previews_fd_(previews_fd) {}

DeployStore::~DeployStore() {
  for (int fd : {previews_fd_, live_fd_, deploys_fd_, blobs_fd_, root_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Result<std::unique_ptr<DeployStore>> DeployStore::open(const std::filesystem::path& root) {
  try {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) return make_error(Errc::internal, "create " + root.string() + ": " + ec.message());
    Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return errno_error("open", root.string(), errno);
    // Tokens are looked up by name, never listed: no read permission for others.
    if (::mkdirat(root_fd.get(), "previews", 0711) != 0 && errno != EEXIST) return errno_error("mkdir", "previews", errno);
    Fd fds[4];
    const char* names[4] = {"blobs", "deploys", "live", "previews"};
    for (int i = 0; i < 4; ++i) {
      auto fd = open_dir_at(root_fd.get(), names[i], true);
      if (!fd) return fd.error();
      fds[i] = Fd(*fd);
    }
    return std::unique_ptr<DeployStore>(new DeployStore(std::filesystem::absolute(root), root_fd.release(),
                                                        fds[0].release(), fds[1].release(), fds[2].release(),
                                                        fds[3].release()));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("open deploy store: ") + e.what());
  }
}

std::string DeployStore::unique_suffix() {
  // pid and counter alone repeat across restarts (in a container the pid is
  // often 1), and a leftover of a crashed run would then block the name.
  static const std::string process = [] {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::to_string(::getpid()) + "." + buf;
  }();
  static std::atomic<uint64_t> counter{0};
  return process + "." + std::to_string(counter.fetch_add(1));
}

std::string DeployStore::temp_name(std::string_view what) {
  return std::string(trees::kTempPrefix) + std::string(what) + "." + unique_suffix();
}

Result<std::string> DeployStore::put_blob(std::string_view bytes) {
  try {
    std::string hash = sha256_hex(bytes);
    std::string rel = blob_rel(hash);
    // Present already: refresh the mtime so a concurrent gc_blobs treats it as young.
    if (::utimensat(blobs_fd_, rel.c_str(), nullptr, 0) == 0) return hash;
    std::string tmp = hash.substr(0, 2) + "/" + temp_name(hash);
    Fd fd(::openat(blobs_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!fd && errno == ENOENT) {
      // Fan-out directories are made on first use: most small sites never need all 256.
      if (::mkdirat(blobs_fd_, hash.substr(0, 2).c_str(), 0755) != 0 && errno != EEXIST)
        return errno_error("mkdir blobs/", hash.substr(0, 2), errno);
      fd = Fd(::openat(blobs_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    }
    if (!fd) return errno_error("create blob", tmp, errno);
    // World-readable whatever the umask: the web server is another user.
    if (::fchmod(fd.get(), 0444) != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      return errno_error("chmod blob", tmp, err);
    }
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::unlinkat(blobs_fd_, tmp.c_str(), 0);
        return errno_error("write blob", hash, err);
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd.release()) != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      return errno_error("close blob", hash, err);
    }
    // NOREPLACE keeps the first writer's inode, so deploys already linking it
    // and the blob stay one inode; a second writer just drops its copy.
    int rc = ::renameat2(blobs_fd_, tmp.c_str(), blobs_fd_, rel.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) rc = ::renameat(blobs_fd_, tmp.c_str(), blobs_fd_, rel.c_str());
    if (rc != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      if (err != EEXIST) return errno_error("rename blob", hash, err);
    } else {
      std::lock_guard lock(sync_mu_);
      unsynced_blobs_.push_back(rel);
    }
    return hash;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("put_blob: ") + e.what());
  }
}

bool DeployStore::has_blob(const std::string& hash) const {
  if (!is_valid_blob_hash(hash)) return false;
  return ::faccessat(blobs_fd_, blob_rel(hash).c_str(), F_OK, 0) == 0;
}

bool DeployStore::touch_blob(const std::string& hash) {
  if (!is_valid_blob_hash(hash)) return false;
  return ::utimensat(blobs_fd_, blob_rel(hash).c_str(), nullptr, 0) == 0;
}

Result<std::string> DeployStore::read_blob(const std::string& hash) const {
  if (!is_valid_blob_hash(hash)) return sys::invalid_name("blob hash", hash);
  try {
    return sys::read_file_at(blobs_fd_, blob_rel(hash));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("read_blob: ") + e.what());
  }
}

Result<Manifest> DeployStore::read_manifest(const std::string& site, const std::string& id) const {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  try {
    auto json = sys::read_file_at(deploys_fd_, site + "/" + id + ".manifest.json");
    if (!json) return json.error();
    return manifest_from_json(*json);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("read_manifest: ") + e.what());
  }
}

Result<std::optional<DeployStore::LockedSite>> DeployStore::lock_site(const std::string& site, bool create) {
  if (create && ::mkdirat(deploys_fd_, site.c_str(), 0755) != 0 && errno != EEXIST)
    return errno_error("mkdir deploys/", site, errno);
  LockedSite locked{Fd(::openat(deploys_fd_, site.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), {}};
  if (!locked.fd && errno == ENOENT && !create) return std::optional<LockedSite>{};
  if (!locked.fd) return errno_error("open deploys/", site, errno);
  if (auto r = locked.lock.acquire(locked.fd.get(), trees::kLockName); !r) return r.error();
  return std::optional<LockedSite>(std::move(locked));
}

bool DeployStore::has_deploy(const std::string& site, const std::string& id) const {
  if (!is_valid_site(site) || !is_valid_deployment_id(id)) return false;
  return ::faccessat(deploys_fd_, (site + "/" + id + ".manifest.json").c_str(), F_OK, 0) == 0;
}

std::filesystem::path DeployStore::live_path(const std::string& site, const std::string& environment) const {
  return root_ / "live" / site / environment;
}

Result<void> DeployStore::switch_live(const std::string& site, const std::string& env, const std::string& id) {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_environment(env)) return sys::invalid_name("environment", env);
  if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  try {
    // Held until the pointer is switched, so no write_deploy takes the tree as
    // a donor in between.
    auto locked = lock_site(site, false);
    if (!locked) return locked.error();
    if (!*locked || !has_deploy(site, id)) return make_error(Errc::not_found, "deploy " + site + "/" + id + " not found");
    if (!has_tree(site, id)) {
      auto m = load_manifest(site, id);
      if (!m) return m.error();
      if (auto built = materialize((*locked)->fd.get(), site, id, trees::pointers(**m)); !built) return built.error();
    }
    if (::mkdirat(live_fd_, site.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir live/", site, errno);
    std::string tmp = site + "/" + temp_name(env);
    std::string target = "../../deploys/" + site + "/" + id;
    if (::symlinkat(target.c_str(), live_fd_, tmp.c_str()) != 0) return errno_error("symlink", tmp, errno);
    // rename() replaces the old link in one step: a reader resolves either
    // the old deploy or the new one, never nothing.
    std::string link = site + "/" + env;
    if (::renameat(live_fd_, tmp.c_str(), live_fd_, link.c_str()) != 0) {
      int err = errno;
      ::unlinkat(live_fd_, tmp.c_str(), 0);
      return errno_error("rename", "live/" + link, err);
    }
    {
      std::lock_guard pending(pending_mu_);
      if (auto it = pending_.find(site); it != pending_.end() && it->second == id) pending_.erase(it);
    }
    std::lock_guard guard(sync_mu_);
    unsynced_dirs_.insert("live/" + site);
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("switch_live: ") + e.what());
  }
}

Result<std::optional<std::string>> DeployStore::live(const std::string& site, const std::string& env) const {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_environment(env)) return sys::invalid_name("environment", env);
  char buf[512];
  std::string link = site + "/" + env;
  ssize_t n = ::readlinkat(live_fd_, link.c_str(), buf, sizeof buf);
  if (n < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return errno_error("readlink", "live/" + link, errno);
  }
  std::string_view target(buf, static_cast<size_t>(n));
  std::string_view id = target.substr(target.rfind('/') + 1);  // npos + 1 == 0: the whole target
  if (!is_valid_deployment_id(id)) return make_error(Errc::internal, "live/" + link + " points at " + std::string(target));
  return std::optional<std::string>(std::string(id));
}

Result<void> DeployStore::sync() {
  std::vector<std::string> blobs;
  std::set<std::string> dirs;
  {
    std::lock_guard lock(sync_mu_);
    blobs.swap(unsynced_blobs_);
    dirs.swap(unsynced_dirs_);
  }
  auto requeue = [&] {
    std::lock_guard lock(sync_mu_);
    unsynced_blobs_.insert(unsynced_blobs_.end(), blobs.begin(), blobs.end());
    unsynced_dirs_.insert(dirs.begin(), dirs.end());
  };
  // Many new files (a cold publish): one syncfs is cheaper than an fsync each.
  // A few (a republish after an edit): fsync just those, and the directories
  // whose entries changed; syncfs would also flush everyone else's dirty data
  // on the filesystem. The hard-link trees need no fsync of their own: a
  // journaling filesystem (ext4, XFS) commits their entries, made earlier, in
  // the same or an earlier journal transaction than these fsyncs.
  if (blobs.size() > kTargetedSyncMax) {
    if (::syncfs(root_fd_) != 0) {
      requeue();
      return errno_error("syncfs", root_.string(), errno);
    }
    return {};
  }
  for (const auto& rel : blobs) {
    dirs.insert("blobs/" + rel.substr(0, rel.find('/')));
    Fd fd(::openat(blobs_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) {
      const int err = errno;
      requeue();
      return errno_error("fsync blob", rel, err);
    }
  }
  for (const std::string top : {"blobs", "deploys", "live", "previews"}) dirs.insert(top);
  for (const auto& dir : dirs) {
    Fd fd(::openat(root_fd_, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd && errno == ENOENT) continue;
    if (!fd || ::fsync(fd.get()) != 0) {
      const int err = errno;
      requeue();
      return errno_error("fsync", dir, err);
    }
  }
  return {};
}

void DeployStore::mark_unsynced_dir(std::string dir) {
  std::lock_guard lock(sync_mu_);
  unsynced_dirs_.insert(std::move(dir));
}

Result<std::vector<std::string>> DeployStore::prune(const std::string& site, const std::vector<std::string>& ordered,
                                                   size_t keep, const std::set<std::string>& protect) {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  for (const auto& id : ordered) {
    if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  }
  try {
    // A tree being taken as a donor must not be half removed underneath.
    auto locked = lock_site(site, false);
    if (!locked) return locked.error();
    if (!*locked) return std::vector<std::string>{};
    auto pins = pinned(site);
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
    forget_previews(site, removed);
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
      auto man = manifest_from_json(*json);
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
      } else if (is_valid_deployment_id(n)) {
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

Result<size_t> DeployStore::gc_blobs(std::chrono::seconds min_age) {
  try {
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const int64_t cutoff = static_cast<int64_t>(now.tv_sec) - min_age.count();
    if (auto r = remove_stale_temps(deploys_fd_, cutoff); !r) return r.error();
    auto refs = referenced_hashes(deploys_fd_);
    if (!refs) return refs.error();
    size_t removed = 0;
    char sub[3];
    for (int i = 0; i < 256; ++i) {
      std::snprintf(sub, sizeof sub, "%02x", i);
      Fd sub_fd(::openat(blobs_fd_, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!sub_fd && errno == ENOENT) continue;
      if (!sub_fd) return errno_error("open blobs/", sub, errno);
      DIR* d = sys::open_dir_stream(sub_fd.get());
      if (d == nullptr) return errno_error("opendir blobs/", sub, errno);
      std::vector<std::string> victims;
      while (struct dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        bool temp = n.starts_with(trees::kTempPrefix);
        if (!temp && (!is_valid_blob_hash(n) || refs->count(std::string(n)) != 0)) continue;
        struct stat st {};
        if (::fstatat(sub_fd.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (static_cast<int64_t>(st.st_mtim.tv_sec) > cutoff) continue;
        // A link count above one means a deploy tree (maybe one still being
        // written, manifest not yet there) links this blob.
        if (!temp && st.st_nlink > 1) continue;
        victims.emplace_back(n);
        if (!temp) ++removed;
      }
      ::closedir(d);
      for (const auto& v : victims) {
        if (::unlinkat(sub_fd.get(), v.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove blob", v, errno);
      }
    }
    return removed;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("gc_blobs: ") + e.what());
  }
}

}  // namespace pw::ship
