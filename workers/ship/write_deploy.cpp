// write_deploy: a deploy tree of hard links, built under a temporary name and
// renamed into place, then its manifest. The hot path of a republish: one
// mkdirat per new directory and one linkat per file, all relative to one
// directory fd, with no stats.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "workers/ship/deploy_store.hpp"
#include "workers/ship/sys.hpp"

namespace pw::ship {

using sys::errno_error;
using sys::Fd;

namespace {

// Sorted, unique, safe paths, valid hashes, and no path that is also a
// directory of another ("a" and "a/b").
Result<std::vector<const ManifestEntry*>> validated(const Manifest& m) {
  std::vector<const ManifestEntry*> v;
  v.reserve(m.entries.size());
  for (const auto& e : m.entries) {
    if (!is_safe_site_path(e.path)) return make_error(Errc::validation_error, "unsafe path '" + e.path + "'");
    if (!is_valid_blob_hash(e.hash)) return make_error(Errc::validation_error, "bad hash for " + e.path);
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
    std::string_view p = e->path;
    for (size_t slash = p.find('/'); slash != std::string_view::npos; slash = p.find('/', slash + 1)) {
      if (files.count(p.substr(0, slash)) != 0) {
        return make_error(Errc::validation_error, "path " + e->path + " is below file " + std::string(p.substr(0, slash)));
      }
    }
  }
  return v;
}

// Fast canonical JSON (same bytes as manifest_to_json for UTF-8 strings,
// which is what manifests hold); 10,000 entries should not cost a DOM.
void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') { out += '\\'; out += ch; }
    else if (c < 0x20) {
      static const char* hex = "0123456789abcdef";
      switch (c) {
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += "\\u00"; out += hex[c >> 4]; out += hex[c & 15];
      }
    } else {
      out += ch;
    }
  }
  out += '"';
}

bool plain_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string fast_manifest_json(const Manifest& m, const std::vector<const ManifestEntry*>& sorted) {
  for (const ManifestEntry* e : sorted) {
    if (!plain_ascii(e->path) || !plain_ascii(e->key)) return manifest_to_json(m);
  }
  std::string out;
  out.reserve(sorted.size() * 160 + 16);
  out += "{\"files\":[";
  bool first = true;
  for (const ManifestEntry* e : sorted) {
    if (!first) out += ',';
    first = false;
    out += "{\"path\":";
    append_json_string(out, e->path);
    out += ",\"hash\":\"";
    out += e->hash;
    out += "\",\"size\":";
    out += std::to_string(e->size);
    out += ",\"key\":";
    append_json_string(out, e->key);
    out += '}';
  }
  out += "]}";
  return out;
}

// Links every entry into dir_fd. Returns the failing path's error.
Result<void> link_tree(int blobs_fd, int dir_fd, const std::vector<const ManifestEntry*>& entries) {
  std::unordered_set<std::string_view> made;
  made.reserve(entries.size() * 2);
  std::string buf;
  char blob[2 + 1 + 64 + 1];
  for (const ManifestEntry* e : entries) {
    std::string_view p = e->path;
    size_t last = p.rfind('/');
    if (last != std::string_view::npos && made.count(p.substr(0, last)) == 0) {
      // Ancestors first; each directory is created exactly once.
      for (size_t slash = p.find('/'); slash != std::string_view::npos; slash = p.find('/', slash + 1)) {
        std::string_view dir = p.substr(0, slash);
        if (!made.insert(dir).second) continue;
        buf.assign(dir);
        if (::mkdirat(dir_fd, buf.c_str(), 0755) != 0) return errno_error("mkdir", buf, errno);
      }
    }
    std::memcpy(blob, e->hash.data(), 2);
    blob[2] = '/';
    std::memcpy(blob + 3, e->hash.data(), 64);
    blob[67] = '\0';
    if (::linkat(blobs_fd, blob, dir_fd, e->path.c_str(), 0) != 0) {
      int err = errno;
      if (err == ENOENT && ::faccessat(blobs_fd, blob, F_OK, 0) != 0) {
        return make_error(Errc::not_found, "blob " + e->hash + " for " + e->path + " is missing");
      }
      return errno_error("link", e->path, err);
    }
  }
  return {};
}

}  // namespace

Result<void> DeployStore::write_deploy(const std::string& site, const std::string& id, const Manifest& m) {
  if (!is_valid_site(site)) return make_error(Errc::validation_error, "invalid site '" + site + "'");
  if (!is_valid_deployment_id(id)) return make_error(Errc::validation_error, "invalid deployment id '" + id + "'");
  try {
    auto sorted = validated(m);
    if (!sorted) return sorted.error();
    std::string json = fast_manifest_json(m, *sorted);

    if (::mkdirat(deploys_fd_, site.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir deploys/", site, errno);
    Fd site_fd(::openat(deploys_fd_, site.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!site_fd) return errno_error("open deploys/", site, errno);
    const std::string manifest_name = id + ".manifest.json";

    auto existing = sys::read_file_at(site_fd.get(), manifest_name);
    if (existing) {
      struct stat st {};
      bool tree = ::fstatat(site_fd.get(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      if (*existing == json && tree) return {};  // a retried build
      if (*existing != json) {
        return make_error(Errc::duplicate, "deploy " + site + "/" + id + " exists with a different manifest");
      }
      // Manifest without its tree: someone removed the tree; rebuild it.
      if (::unlinkat(site_fd.get(), manifest_name.c_str(), 0) != 0 && errno != ENOENT)
        return errno_error("remove", manifest_name, errno);
    } else if (existing.error().code != Errc::not_found) {
      return existing.error();
    }
    // A tree without a manifest is a crashed write: never complete, so redo it.
    if (auto r = sys::remove_tree_at(site_fd.get(), id); !r) return r.error();

    const std::string tmp = temp_name(id);
    if (::mkdirat(site_fd.get(), tmp.c_str(), 0755) != 0) return errno_error("mkdir", tmp, errno);
    auto cleanup = [&] { (void)sys::remove_tree_at(site_fd.get(), tmp); };
    Fd tmp_fd(::openat(site_fd.get(), tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tmp_fd) { int err = errno; cleanup(); return errno_error("open", tmp, err); }
    if (auto r = link_tree(blobs_fd_, tmp_fd.get(), *sorted); !r) { cleanup(); return r.error(); }
    tmp_fd = Fd();
    if (::renameat(site_fd.get(), tmp.c_str(), site_fd.get(), id.c_str()) != 0) {
      int err = errno;
      cleanup();
      if (err == EEXIST || err == ENOTEMPTY) {
        return make_error(Errc::unavailable, "deploy " + site + "/" + id + " is being written concurrently; retry");
      }
      return errno_error("rename", id, err);
    }
    auto w = sys::write_file_atomic_at(site_fd.get(), manifest_name, temp_name(id + ".manifest"), json, 0644);
    if (!w) {
      (void)sys::remove_tree_at(site_fd.get(), id);  // no manifest: drop the tree rather than leave it half-published
      return w.error();
    }
    auto kept = std::make_shared<Manifest>();
    kept->entries.reserve(sorted->size());
    for (const ManifestEntry* e : *sorted) kept->entries.push_back(*e);
    remember_manifest(site, id, std::move(kept));
    mark_unsynced_dir("deploys/" + site);
    return {};
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("write_deploy: ") + e.what());
  }
}

}  // namespace pw::ship
