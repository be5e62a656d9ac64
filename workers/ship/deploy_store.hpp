#pragma once
// The shipper's store: immutable, content-addressed deploys on the local
// filesystem, laid out so nginx (or the gateway) can serve a live pointer
// directly (DESIGN.md, decision 13).
//
// Layout under root():
//   blobs/<h0h1>/<hash>                     content-addressed files, mode 0444
//   deploys/<site>/<deploymentId>.manifest.json   the deploy (complete once present)
//   deploys/<site>/<deploymentId>/…          its tree of hard links to blobs
//   deploys/<site>/.spare.<n>/… (+ .manifest.json)  a tree held ready for the next deploy
//   deploys/<site>/.lock                     serializes tree moves of the site (flock)
//   live/<site>/<environment>               symlink → ../../deploys/<site>/<deploymentId>
//   previews/<token>                        symlink → ../deploys/<site>/<deploymentId> (0711 dir)
//   deploys/<site>/preview-<expiry>-<id>…   a draft preview's deploy (draft_preview_dir)
//   preview.key                             the previews' HMAC key, 32 random bytes, 0600
// Temporary names all start with ".tmp." (never a valid site, id or
// environment), so a crash leaves only names that gc_blobs/write_deploy ignore
// or clean up.
//
// A deploy is complete once its manifest file exists: the tree is built under a
// temporary name and renamed into place before the manifest is written, and
// prune removes the manifest before the tree.
//
// Trees are recycled: a deploy's tree exists while a live pointer names it and
// for as long after as no later deploy needed it. A new tree is made by
// patching a free one (no live pointer names it; the oldest first) into the
// new manifest, so its cost follows what changed. A deploy without a tree is
// still complete: switch_live lays it down again (rollback) from its manifest.
//
// Blobs are made 0444 whatever the umask; directories are 0755 less the
// umask, so run the shipper with umask 022 for a web server of another user.
//
// Durability is batched: nothing here fsyncs a file; sync() makes everything
// written so far durable (targeted fsyncs for a few new files, else syncfs).
//
// Names: <site> matches ^[a-z0-9](-?[a-z0-9])*$ (≤ 63), environment is
// production|staging|preview, deploymentId matches ^[A-Za-z0-9_-]{1,128}$;
// anything else is Errc::validation_error and touches nothing.
//
// No public function throws. ENOSPC comes back as Errc::unavailable with
// "no space left on device" in the message; other system errors as
// Errc::internal with strerror.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/result.hpp"

namespace pw::ship {

// path is relative ("index.html", "about/index.html"); hash is the sha256 hex
// of the bytes; key is the renderer's opaque dependency key ("" if none), kept
// so the next build can reuse outputs.
struct ManifestEntry {
  std::string path;
  std::string hash;
  uint64_t size = 0;
  std::string key;
  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

// Entries sorted by path, paths unique. manifest_to_json sorts on output, so
// the JSON (and its hash) does not depend on insertion order.
struct Manifest {
  std::vector<ManifestEntry> entries;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// Canonical compact JSON: {"files":[{"path":…,"hash":…,"size":…,"key":…},…]}.
std::string manifest_to_json(const Manifest& m);
// Strict: every entry needs a safe path, a 64-char lowercase hex hash, a size
// and a key; duplicate paths are refused. Returns the entries sorted.
Result<Manifest> manifest_from_json(std::string_view json);
std::string manifest_hash(const Manifest& m);

// Relative, no "." or ".." segments, no empty segments, no leading "/", no
// backslash, NUL or control characters, at most 1024 bytes.
bool is_safe_site_path(std::string_view path);
bool is_valid_site(std::string_view site);
bool is_valid_environment(std::string_view environment);
bool is_valid_deployment_id(std::string_view id);
bool is_valid_blob_hash(std::string_view hash);
bool is_valid_preview_token(std::string_view token);  // 32 lowercase hex digits

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

// Where a preview token leads.
struct PreviewTarget {
  std::string site;
  std::string deploymentId;
};

// problems are human-readable log lines, capped at kMaxProblems (+ one
// "… more" line); ok is false whenever any problem was found.
struct CheckReport {
  static constexpr size_t kMaxProblems = 50;
  bool ok = true;
  std::vector<std::string> problems;
  size_t html_parsed = 0;  // HTML files parsed this time (the rest came from the cache)
};

class DeployStore {
 public:
  static Result<std::unique_ptr<DeployStore>> open(const std::filesystem::path& root);
  ~DeployStore();
  DeployStore(const DeployStore&) = delete;
  DeployStore& operator=(const DeployStore&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // Returns the hash. Writes a temporary file and renames it into place only
  // when the blob is absent; concurrent writers of the same blob are fine. An
  // existing blob gets its mtime refreshed so gc_blobs sees it as young.
  Result<std::string> put_blob(std::string_view bytes);
  bool has_blob(const std::string& hash) const;
  // Refreshes the mtime of an existing blob that a build reuses without
  // rewriting (protects it from a concurrent gc_blobs). False if absent.
  bool touch_blob(const std::string& hash);
  Result<std::string> read_blob(const std::string& hash) const;
  Result<std::unique_ptr<BlobFile>> open_blob(const std::string& hash) const;

  // Writes deploy <id> of the manifest (entries in any order): its tree, by
  // patching a free tree of the site or else from nothing, then its manifest.
  // Every blob must exist (Errc::not_found otherwise, nothing left behind). The
  // same manifest again is a no-op success (laying the tree down again if it
  // was recycled); a different one for an existing id is Errc::duplicate. A
  // tree without a manifest (a crash) is rebuilt. Returns manifest_hash(m).
  // Taken by value: a caller done with its manifest moves it in, and the store
  // keeps it (cached for the next patch or check) without a copy.
  Result<std::string> write_deploy(const std::string& site, const std::string& deploymentId, Manifest m);
  Result<Manifest> read_manifest(const std::string& site, const std::string& deploymentId) const;
  // The deploy is complete (its manifest exists); its tree may be recycled.
  bool has_deploy(const std::string& site, const std::string& deploymentId) const;
  bool has_tree(const std::string& site, const std::string& deploymentId) const;
  // Makes sure the site has a free tree for its next deploy to patch: if
  // every tree is live, copies one (as many links as the site has files).
  // Call after switch_live; only a site's first deploys ever need it. Returns
  // whether a tree was made.
  Result<bool> keep_spare_tree(const std::string& site);

  // Blue-green checks of a written deploy before it goes live: files present,
  // readable, of the manifest's size and hash; sitemaps well-formed in the
  // sitemaps.org namespace; every internal link of every HTML file names a
  // manifest path. Parsed link lists and verified hashes are cached per blob,
  // so a republish only reads what it has not seen.
  Result<CheckReport> check_deploy(const std::string& site, const std::string& deploymentId);

  // Atomically re-points live/<site>/<environment> (symlink under a temporary
  // name, renamed over the old one). The deploy must be complete; if its tree
  // was recycled it is laid down again first (no rendering).
  Result<void> switch_live(const std::string& site, const std::string& environment, const std::string& deploymentId);
  Result<std::optional<std::string>> live(const std::string& site, const std::string& environment) const;
  std::filesystem::path live_path(const std::string& site, const std::string& environment) const;

  // Non-production deploys are served only at /previews/<token>/, never at a
  // guessable address. The token is the first 32 hex digits (128 bits) of
  // HMAC-SHA256(preview.key, "<site>/<deploymentId>"): every process sharing
  // the directory derives the same one without a database, and a build redone
  // after a crash reports the same url. preview.key is made once, on first use,
  // by whichever process comes first (link(2), so concurrent makers agree).
  Result<std::string> preview_token(const std::string& site, const std::string& deploymentId);
  // Writes previews/<token> naming the complete deploy (idempotent; call sync()
  // before reporting the url). Returns the token.
  Result<std::string> publish_preview(const std::string& site, const std::string& deploymentId);
  // The deploy previews/<token> names; nullopt for an unknown or malformed token.
  Result<std::optional<PreviewTarget>> resolve_preview(std::string_view token) const;

  // Draft previews (POST /v1/sites/{siteId}/previews) are deploys named
  // draft_preview_dir(suffix, expiry): the name carries when the preview
  // expires, so the static host and the sweeper need nothing beside it. No live
  // pointer ever names one; previews/<token> does, with the token the first 32
  // hex digits of HMAC-SHA256(preview.key, "draft/<previewId>") — known from
  // the preview id alone, so the gateway answers the url before the build.
  static std::string draft_preview_dir(std::string_view suffix, int64_t expires_unix);
  // The expiry (Unix seconds) a draft preview's deploy name carries; nullopt
  // for any other deploy.
  static std::optional<int64_t> draft_preview_expiry(std::string_view deploy);
  Result<std::string> draft_preview_token(std::string_view previewId);
  // Writes previews/<token> naming the complete deploy `dir` (idempotent; call
  // sync() before reporting it ready). Returns the token.
  Result<std::string> publish_draft_preview(const std::string& site, std::string_view previewId,
                                            const std::string& dir);
  // Removes every draft preview expired at `now` that a previews/ entry names:
  // the deploy (manifest first), then the entry. Blobs stay for gc_blobs, which
  // keeps those another deploy references. Returns how many were removed.
  Result<size_t> collect_expired_previews(std::chrono::system_clock::time_point now);

  // Makes what was written since the last sync durable: call before
  // switch_live (the deploy) and after it (the rename).
  Result<void> sync();

  // Removes deploys of `site` listed in `ordered` (oldest first) except the
  // newest `keep`, those in `protect` and any a live pointer of any
  // environment names. Returns the removed ids, oldest first.
  Result<std::vector<std::string>> prune(const std::string& site, const std::vector<std::string>& ordered, size_t keep,
                                         const std::set<std::string>& protect);

  // Deletes blobs no manifest references and no deploy tree links (st_nlink),
  // older than min_age (mtime; put_blob/touch_blob refresh it), after removing
  // temporary blob files and crashed-write trees older than min_age. min_age
  // must exceed the longest build. Returns the number of blobs removed.
  Result<size_t> gc_blobs(std::chrono::seconds min_age);

  struct CachedParse;  // a parsed file's links (or sitemap locations) and problem; check.cpp
  struct Resolution;   // a page's links resolved against its path; check.cpp

 private:
  DeployStore(std::filesystem::path root, int root_fd, int blobs_fd, int deploys_fd, int live_fd, int previews_fd);
  // preview.key's bytes; absent and !create: nullopt.
  Result<std::optional<std::string>> preview_key(bool create);
  // Removes the previews/ entries of pruned deploys (best effort).
  void forget_previews(const std::string& site, const std::vector<std::string>& ids);
  static std::string unique_suffix();  // "<pid>.<random>.<n>": unique across processes and restarts
  std::string temp_name(std::string_view what);
  // read_manifest through a small cache matched on the file's inode state, so
  // a check or a patch right after a write skips re-parsing the manifest.
  // `rel` is "<site>/<name>.manifest.json" under deploys/.
  Result<std::shared_ptr<const Manifest>> load_manifest(const std::string& site, const std::string& id);
  Result<std::shared_ptr<const Manifest>> load_manifest_file(const std::string& rel);
  void remember_manifest(const std::string& rel, std::shared_ptr<const Manifest> m);

  // Trees of a site (caller holds its lock): those a live pointer names, and
  // the free ones in the order they should be reused.
  struct FreeTree {
    std::string name;
    bool spare = false;
    int64_t mtime_ns = 0;
  };
  struct Trees {
    std::vector<std::string> pinned;
    std::vector<FreeTree> free;
  };
  // The site's directory under deploys/, open and locked (its .lock flock):
  // tree moves of one site are serialised across threads and processes.
  struct LockedSite;
  // nullopt when the site has no directory and `create` is false.
  Result<std::optional<LockedSite>> lock_site(const std::string& site, bool create);
  // The deploy this store last wrote per site, until it goes live or the next
  // one is written: not a donor meanwhile, so its check and switch find it.
  // (Another process's pending deploy is not known here; taking it costs a
  // failed check or a tree laid down again, never a wrong tree.)
  std::mutex pending_mu_;
  std::unordered_map<std::string, std::string> pending_;  // site → deployment id
  bool is_pending(const std::string& site, const std::string& id);
  Result<std::set<std::string>> pinned(const std::string& site) const;
  Result<Trees> list_trees(int site_fd, const std::string& site, const std::string& except);
  // Lays down the tree of `id` (absent; caller holds the site lock) by
  // patching a free tree, or from nothing. Returns whether it was from nothing.
  Result<bool> materialize(int site_fd, const std::string& site, const std::string& id,
                           const std::vector<const ManifestEntry*>& sorted);

  // Up to this many new blobs are fsynced one by one; more take one syncfs.
  static constexpr size_t kTargetedSyncMax = 64;
  void mark_unsynced_dir(std::string dir);  // relative to the root

  std::filesystem::path root_;
  int root_fd_ = -1;
  int blobs_fd_ = -1;
  int deploys_fd_ = -1;
  int live_fd_ = -1;
  int previews_fd_ = -1;
  std::mutex key_mu_;
  std::string key_;  // preview.key once read

  std::mutex sync_mu_;
  std::vector<std::string> unsynced_blobs_;  // "ab/abcd…" under blobs/
  std::set<std::string> unsynced_dirs_;      // e.g. "deploys/acme"

  std::mutex cache_mu_;
  // Keyed by blob hash: the bytes decide the result, whatever deploy holds them.
  std::unordered_map<std::string, std::shared_ptr<const CachedParse>> html_cache_;
  std::unordered_map<std::string, std::shared_ptr<const CachedParse>> sitemap_cache_;
  std::unordered_map<std::string, std::shared_ptr<const Resolution>> resolved_;  // valid for Resolution::file_path
  struct Verified {
    uint64_t ino = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Verified&) const = default;
  };
  struct RecentManifest {
    Verified file;  // hard links (a spare's manifest) share it
    std::shared_ptr<const Manifest> manifest;
  };
  std::vector<RecentManifest> recent_manifests_;  // a few, newest last
  std::unordered_map<std::string, Verified> verified_;  // inode state whose bytes matched the hash
};

}  // namespace pw::ship
