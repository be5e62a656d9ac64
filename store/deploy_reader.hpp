#pragma once
// The store (layout.hpp) read-only: what the static host needs to serve a
// deploy, and nothing that writes. It opens the store's directories for
// lookups only (O_PATH, so search permission is enough) and never creates,
// renames, touches or removes anything, preview.key included: create_layout
// makes the key before a reader is handed out. A store made read-only
// (chmod, a read-only mount) serves as well as a writable one.
//
// Every lookup goes to the filesystem: a live pointer switched by another
// process shows on the next call. Manifests are immutable once present, so
// callers may cache them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "events/result.hpp"
#include "store/blob_store.hpp"
#include "store/manifest.hpp"

namespace pw::store {

// Where a preview token leads.
struct PreviewTarget {
  std::string site;
  std::string deploymentId;
};

class DeployReader {
 public:
  // The store must exist (create_layout); a missing directory is an error.
  static Result<std::unique_ptr<DeployReader>> open(const std::filesystem::path& root);
  ~DeployReader();
  DeployReader(const DeployReader&) = delete;
  DeployReader& operator=(const DeployReader&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // The deploy live/<site>/<environment> names; nullopt when there is none.
  Result<std::optional<std::string>> live(const std::string& site, const std::string& environment) const;
  // The deploys any environment's live pointer of the site names.
  Result<std::set<std::string>> live_deploys(const std::string& site) const;
  // The deploy is complete (its manifest exists); its tree may be recycled.
  bool has_deploy(const std::string& site, const std::string& deploymentId) const;
  Result<Manifest> read_manifest(const std::string& site, const std::string& deploymentId) const;
  Result<std::unique_ptr<BlobFile>> open_blob(const std::string& hash) const;

  // Non-production deploys are served only at /previews/<token>/, never at a
  // guessable address. The token is the first 32 hex digits (128 bits) of
  // HMAC-SHA256(preview.key, "<site>/<deploymentId>"): every process sharing
  // the directory derives the same one without a database, and a build redone
  // after a crash reports the same url. Without preview.key: Errc::unavailable.
  Result<std::string> preview_token(const std::string& site, const std::string& deploymentId) const;
  // A draft preview's token: HMAC-SHA256(preview.key, "draft/<previewId>"),
  // known from the preview id alone, so the gateway answers the url before
  // the build.
  Result<std::string> draft_preview_token(std::string_view previewId) const;
  // The deploy previews/<token> names; nullopt for an unknown or malformed token.
  Result<std::optional<PreviewTarget>> resolve_preview(std::string_view token) const;

  // Draft previews (POST /v1/sites/{siteId}/previews) are deploys named
  // draft_preview_dir(suffix, expiry): the name carries when the preview
  // expires, so the static host and the sweeper need nothing beside it.
  static std::string draft_preview_dir(std::string_view suffix, int64_t expires_unix);
  // The expiry (Unix seconds) a draft preview's deploy name carries; nullopt
  // for any other deploy.
  static std::optional<int64_t> draft_preview_expiry(std::string_view deploy);

 private:
  DeployReader(std::filesystem::path root, int root_fd, int blobs_fd, int deploys_fd, int live_fd, int previews_fd);
  // preview.key's bytes, read once.
  Result<std::string> preview_key() const;
  Result<std::string> token_of(std::string_view message) const;

  std::filesystem::path root_;
  int root_fd_ = -1;
  int blobs_fd_ = -1;
  int deploys_fd_ = -1;
  int live_fd_ = -1;
  int previews_fd_ = -1;
  mutable std::mutex key_mu_;
  mutable std::string key_;
};

}  // namespace pw::store
