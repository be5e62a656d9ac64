// check_deploy: the blue-green gate between write_deploy and switch_live.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "events/hash_chain.hpp"
#include "store/manifest.hpp"
#include "store/sys.hpp"
#include "workers/ship/checker.hpp"
#include "workers/ship/links.hpp"

namespace pw::ship {

namespace sys = store::sys;
using store::Manifest;
using store::ManifestEntry;

struct DeployChecker::CachedParse {
  std::vector<std::string> links;
  std::string problem;
};

// Resolving is pure string work but, at 10,000 pages of ~25 links, most of a
// warm check; a page at the same path resolves the same way in every deploy,
// so only the manifest lookups are left.
struct DeployChecker::Resolution {
  struct Target {
    size_t link = 0;        // index into page->links
    std::string as_file;    // the resolved path ("" = the root)
    std::string as_index;   // <path>/index.html, for directory links or directory names
    bool directory = false;
  };
  std::string file_path;
  std::shared_ptr<const CachedParse> page;
  std::vector<Target> targets;
  std::vector<size_t> escapes;  // indexes of links that leave the site root
};

namespace {

// Caches are per store and keyed by content; a bound keeps a long-lived
// shipper serving many sites from growing without limit.
constexpr size_t kMaxCachedFiles = 200000;

class Problems {
 public:
  explicit Problems(CheckReport& r) : r_(r) {}
  void add(std::string p) {
    r_.ok = false;
    if (r_.problems.size() < CheckReport::kMaxProblems) r_.problems.push_back(std::move(p));
    else ++dropped_;
  }
  void finish() {
    if (dropped_ != 0) r_.problems.push_back("… and " + std::to_string(dropped_) + " more problems");
    dropped_ = 0;
  }

 private:
  CheckReport& r_;
  size_t dropped_ = 0;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_html(std::string_view path) { return ends_with(path, ".html") || ends_with(path, ".htm"); }

bool is_sitemap(std::string_view path) {
  return path == "sitemap.xml" || (path.substr(0, 8) == "sitemap-" && ends_with(path, ".xml") &&
                                   path.find('/') == std::string_view::npos);
}

}  // namespace

Result<CheckReport> DeployChecker::check_deploy(const std::string& site, const std::string& id) {
  try {
    auto loaded = manifests_.load(site, id);
    if (!loaded) return loaded.error();
    const std::shared_ptr<const Manifest> manifest = *loaded;
    CheckReport report;
    Problems problems(report);
    const std::string dir = site + "/" + id;
    sys::Fd dir_fd(::openat(deploys_fd_, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) {
      if (errno == ENOENT) return make_error(Errc::not_found, "deploy " + dir + " has a manifest but no tree");
      return sys::errno_error("open deploys/", dir, errno);
    }
    const auto& entries = manifest->entries;
    std::unordered_set<std::string_view> files, dirs;
    files.reserve(entries.size() * 2);
    for (const auto& e : entries) {
      files.insert(e.path);
      std::string_view p = e.path;
      for (size_t s = p.rfind('/'); s != std::string_view::npos; s = p.rfind('/', s - 1)) {
        if (!dirs.insert(p.substr(0, s)).second || s == 0) break;  // shorter prefixes already there
      }
    }

    // Files: present, regular, world-readable (the server is another user),
    // the manifest's size, and the manifest's bytes (rehashed only when the
    // inode changed since it last matched).
    std::vector<char> ok(entries.size(), 0);
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      struct stat st {};
      if (::fstatat(dir_fd.get(), e.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        problems.add(e.path + ": missing (" + std::strerror(errno) + ")");
        continue;
      }
      if (!S_ISREG(st.st_mode)) { problems.add(e.path + ": not a regular file"); continue; }
      if ((st.st_mode & S_IRUSR) == 0 || (st.st_mode & S_IROTH) == 0) { problems.add(e.path + ": not readable by all"); continue; }
      if (static_cast<uint64_t>(st.st_size) != e.size) {
        problems.add(e.path + ": size " + std::to_string(st.st_size) + ", manifest says " + std::to_string(e.size));
        continue;
      }
      Verified now{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
      bool known;
      {
        std::lock_guard lock(cache_mu_);
        auto it = verified_.find(e.hash);
        known = it != verified_.end() && it->second.ino == now.ino && it->second.size == now.size &&
                it->second.mtime_ns == now.mtime_ns;
      }
      if (!known) {
        auto bytes = sys::read_file_at(dir_fd.get(), e.path);
        if (!bytes) { problems.add(e.path + ": unreadable (" + bytes.error().message + ")"); continue; }
        if (sha256_hex(*bytes) != e.hash) { problems.add(e.path + ": content does not match hash " + e.hash); continue; }
        std::lock_guard lock(cache_mu_);
        verified_[e.hash] = now;
      }
      ok[i] = 1;
    }

    // Parsed results are cached by blob hash; only files that passed the
    // byte check are parsed, so the cache never holds a parse of wrong bytes.
    auto cached = [&](std::unordered_map<std::string, std::shared_ptr<const CachedParse>>& cache, const ManifestEntry& e,
                      auto&& parse) -> std::shared_ptr<const CachedParse> {
      {
        std::lock_guard lock(cache_mu_);
        if (auto it = cache.find(e.hash); it != cache.end()) return it->second;
      }
      auto bytes = sys::read_file_at(dir_fd.get(), e.path);
      if (!bytes) return nullptr;
      auto parsed = std::make_shared<const CachedParse>(parse(*bytes));
      std::lock_guard lock(cache_mu_);
      if (cache.size() >= kMaxCachedFiles) cache.clear();
      return cache.emplace(e.hash, std::move(parsed)).first->second;
    };

    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (!ok[i] || !is_sitemap(e.path)) continue;
      auto sm = cached(sitemap_cache_, e, [](const std::string& b) {
        auto s = links::parse_sitemap(b);
        return CachedParse{std::move(s.listed), std::move(s.problem)};
      });
      if (!sm) { problems.add(e.path + ": unreadable"); continue; }
      if (!sm->problem.empty()) problems.add(e.path + ": " + sm->problem);
      for (const auto& listed : sm->links) {
        if (files.count(listed) == 0) problems.add(e.path + ": lists " + listed + ", which is not in the deploy");
      }
    }

    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (!ok[i] || !is_html(e.path)) continue;
      bool fresh = false;
      auto page = cached(html_cache_, e, [&](const std::string& b) {
        fresh = true;
        return CachedParse{links::extract_html_links(b), {}};
      });
      if (fresh) ++report.html_parsed;
      if (!page) { problems.add(e.path + ": unreadable"); continue; }
      std::shared_ptr<const Resolution> res;
      {
        std::lock_guard lock(cache_mu_);
        if (auto it = resolved_.find(e.hash); it != resolved_.end() && it->second->file_path == e.path) res = it->second;
      }
      if (!res) {
        auto fresh_res = std::make_shared<Resolution>();
        fresh_res->file_path = e.path;
        fresh_res->page = page;
        for (size_t li = 0; li < page->links.size(); ++li) {
          links::Resolved r = links::resolve(e.path, page->links[li]);
          if (r.kind == links::LinkKind::escapes_root) fresh_res->escapes.push_back(li);
          if (r.kind != links::LinkKind::internal) continue;
          std::string index = r.path.empty() ? "index.html" : r.path + "/index.html";
          fresh_res->targets.push_back({li, std::move(r.path), std::move(index), r.directory});
        }
        std::lock_guard lock(cache_mu_);
        if (resolved_.size() >= kMaxCachedFiles) resolved_.clear();
        resolved_[e.hash] = fresh_res;
        res = std::move(fresh_res);
      }
      for (size_t li : res->escapes) problems.add(e.path + ": link " + page->links[li] + " leaves the site root");
      for (const auto& t : res->targets) {
        // A link naming a directory without the slash is served its index.
        bool as_index = t.directory || t.as_file.empty() || dirs.count(t.as_file) != 0;
        const std::string& target = as_index ? t.as_index : t.as_file;
        if (files.count(target) == 0) {
          problems.add(e.path + ": broken link " + page->links[t.link] + " (" + target + " is not in the deploy)");
        }
      }
    }
    problems.finish();
    return report;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("check_deploy: ") + e.what());
  }
}

}  // namespace pw::ship
