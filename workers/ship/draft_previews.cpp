// Draft previews: deploys of a site's drafts, reachable only at
// /previews/<token>/ until the expiry their name carries, then collected.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "workers/ship/deploy_store.hpp"
#include "workers/ship/sys.hpp"

namespace pw::ship {

using sys::errno_error;

namespace {

constexpr std::string_view kDraftPrefix = "preview-";
constexpr size_t kTokenHex = 32;  // 128 bits
constexpr size_t kMaxPreviewId = 200;

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

std::string to_hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

}  // namespace

std::string DeployStore::draft_preview_dir(std::string_view suffix, int64_t expires_unix) {
  return std::string(kDraftPrefix) + std::to_string(expires_unix) + "-" + std::string(suffix);
}

std::optional<int64_t> DeployStore::draft_preview_expiry(std::string_view deploy) {
  if (!deploy.starts_with(kDraftPrefix)) return std::nullopt;
  deploy.remove_prefix(kDraftPrefix.size());
  int64_t at = 0;
  auto [end, ec] = std::from_chars(deploy.data(), deploy.data() + deploy.size(), at);
  if (ec != std::errc() || end == deploy.data() || end == deploy.data() + deploy.size() || *end != '-')
    return std::nullopt;
  return at;
}

Result<std::string> DeployStore::draft_preview_token(std::string_view previewId) {
  if (previewId.empty() || previewId.size() > kMaxPreviewId || !printable(previewId))
    return sys::invalid_name("preview id", previewId);
  auto key = preview_key(true);
  if (!key) return key.error();
  const std::string message = "draft/" + std::string(previewId);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), (*key)->data(), static_cast<int>((*key)->size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len) == nullptr)
    return make_error(Errc::internal, "HMAC failed");
  return to_hex(mac, len).substr(0, kTokenHex);
}

Result<std::string> DeployStore::publish_draft_preview(const std::string& site, std::string_view previewId,
                                                       const std::string& dir) {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_deployment_id(dir) || !draft_preview_expiry(dir)) return sys::invalid_name("draft preview", dir);
  auto token = draft_preview_token(previewId);
  if (!token) return token.error();
  if (!has_deploy(site, dir)) return make_error(Errc::not_found, "deploy " + site + "/" + dir + " not found");
  const std::string target = "../deploys/" + site + "/" + dir;
  char buf[512];
  const ssize_t n = ::readlinkat(previews_fd_, token->c_str(), buf, sizeof buf);
  if (n >= 0 && std::string_view(buf, static_cast<size_t>(n)) == target) return token;  // a redone build
  const std::string tmp = temp_name("preview");
  if (::symlinkat(target.c_str(), previews_fd_, tmp.c_str()) != 0) return errno_error("symlink", tmp, errno);
  if (::renameat(previews_fd_, tmp.c_str(), previews_fd_, token->c_str()) != 0) {
    const int err = errno;
    ::unlinkat(previews_fd_, tmp.c_str(), 0);
    return errno_error("rename", "previews/" + *token, err);
  }
  mark_unsynced_dir("previews");
  return token;
}

Result<size_t> DeployStore::collect_expired_previews(std::chrono::system_clock::time_point now) {
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  DIR* d = sys::open_dir_stream(previews_fd_);
  if (d == nullptr) return errno_error("opendir", "previews", errno);
  std::vector<std::string> tokens;
  while (struct dirent* e = ::readdir(d))
    if (is_valid_preview_token(e->d_name)) tokens.emplace_back(e->d_name);
  ::closedir(d);
  size_t removed = 0;
  for (const auto& token : tokens) {
    auto target = resolve_preview(token);
    if (!target) return target.error();
    if (!*target) continue;
    const auto expiry = draft_preview_expiry((*target)->deploymentId);
    if (!expiry || *expiry > now_unix) continue;
    // The deploy first: a crash before the entry goes leaves an entry that
    // still reads as expired, and the next sweep finishes.
    auto pruned = prune((*target)->site, {(*target)->deploymentId}, 0, {});
    if (!pruned) return pruned.error();
    if (::unlinkat(previews_fd_, token.c_str(), 0) != 0 && errno != ENOENT)
      return errno_error("remove", "previews/" + token, errno);
    mark_unsynced_dir("previews");
    ++removed;
  }
  return removed;
}

}  // namespace pw::ship
