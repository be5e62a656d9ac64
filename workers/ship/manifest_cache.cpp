#include "workers/ship/manifest_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "store/layout.hpp"
#include "store/sys.hpp"

namespace pw::ship {

using store::Manifest;

bool ManifestCache::stat_file(const std::string& rel, FileState& out) const {
  struct stat st {};
  if (::fstatat(deploys_fd_, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  out.ino = static_cast<uint64_t>(st.st_ino);
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return true;
}

void ManifestCache::remember(const std::string& rel, std::shared_ptr<const Manifest> m) {
  Recent r{{}, std::move(m)};
  if (!stat_file(rel, r.file)) return;
  std::lock_guard lock(mu_);
  std::erase_if(recent_, [&](const Recent& x) { return x.file == r.file; });
  if (recent_.size() >= kRecent) recent_.erase(recent_.begin());
  recent_.push_back(std::move(r));
}

Result<std::shared_ptr<const Manifest>> ManifestCache::load_file(const std::string& rel) {
  try {
    FileState now;
    if (stat_file(rel, now)) {
      std::lock_guard lock(mu_);
      for (const auto& r : recent_) {
        if (r.file == now) return r.manifest;
      }
    }
    auto json = store::sys::read_file_at(deploys_fd_, rel);
    if (!json) return json.error();
    auto m = store::manifest_from_json(*json);
    if (!m) return m.error();
    auto shared = std::make_shared<const Manifest>(std::move(*m));
    remember(rel, shared);
    return shared;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("load_manifest: ") + e.what());
  }
}

Result<std::shared_ptr<const Manifest>> ManifestCache::load(const std::string& site, const std::string& id) {
  if (!store::is_valid_site(site)) return store::sys::invalid_name("site", site);
  if (!store::is_valid_deployment_id(id)) return store::sys::invalid_name("deployment id", id);
  return load_file(site + "/" + id + std::string(store::kManifestSuffix));
}

}  // namespace pw::ship
