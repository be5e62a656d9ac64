// Preview tokens: unguessable names for non-production deploys, derived from a
// key in the store so the build worker and the gateway agree without a
// database. Also blob streaming (BlobFile).
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "workers/ship/deploy_store.hpp"
#include "workers/ship/sys.hpp"

namespace pw::ship {

using sys::errno_error;
using sys::Fd;

namespace {

constexpr const char* kKeyName = "preview.key";
constexpr size_t kKeyBytes = 32;
constexpr size_t kTokenHex = 32;  // 128 bits

std::string to_hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

Result<std::string> read_key(int root_fd) {
  auto key = sys::read_file_at(root_fd, kKeyName);
  if (!key) return key.error();
  if (key->size() != kKeyBytes) return make_error(Errc::internal, std::string(kKeyName) + " is not " +
                                                                      std::to_string(kKeyBytes) + " bytes");
  return key;
}

}  // namespace

bool is_valid_preview_token(std::string_view token) {
  if (token.size() != kTokenHex) return false;
  for (char c : token)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

BlobFile::~BlobFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::string> BlobFile::read(uint64_t offset, size_t max) const {
  std::string out;
  if (offset >= size_) return out;
  out.resize(static_cast<size_t>(std::min<uint64_t>(max, size_ - offset)));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read", "blob", errno);
    if (n == 0) return make_error(Errc::internal, "blob shorter than its size");
    got += static_cast<size_t>(n);
  }
  return out;
}

Result<std::unique_ptr<BlobFile>> DeployStore::open_blob(const std::string& hash) const {
  if (!is_valid_blob_hash(hash)) return sys::invalid_name("blob hash", hash);
  const std::string rel = hash.substr(0, 2) + "/" + hash;
  Fd fd(::openat(blobs_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return make_error(Errc::not_found, "blob " + hash + " not found");
    return errno_error("open blob", hash, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat blob", hash, errno);
  return std::make_unique<BlobFile>(fd.release(), static_cast<uint64_t>(st.st_size));
}

Result<std::optional<std::string>> DeployStore::preview_key(bool create) {
  std::lock_guard lock(key_mu_);
  if (!key_.empty()) return std::optional<std::string>(key_);
  auto existing = read_key(root_fd_);
  if (existing) {
    key_ = std::move(existing).value();
    return std::optional<std::string>(key_);
  }
  if (existing.error().code != Errc::not_found) return existing.error();
  if (!create) return std::optional<std::string>{};
  unsigned char bytes[kKeyBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return make_error(Errc::internal, "no random bytes for " + std::string(kKeyName));
  // Written complete under a temporary name, then linked into place: link(2)
  // never replaces, so when two processes race the first key stays and both
  // read it back.
  const std::string tmp = temp_name("key");
  {
    Fd fd(::openat(root_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return errno_error("create", tmp, errno);
    // Durable before any token made from it is reported: a lost key would
    // change every preview's url.
    if (::write(fd.get(), bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes) || ::fsync(fd.get()) != 0) {
      const int err = errno;
      ::unlinkat(root_fd_, tmp.c_str(), 0);
      return errno_error("write", tmp, err);
    }
  }
  const int linked = ::linkat(root_fd_, tmp.c_str(), root_fd_, kKeyName, 0);
  const int err = errno;
  ::unlinkat(root_fd_, tmp.c_str(), 0);
  if (linked != 0 && err != EEXIST) return errno_error("link", kKeyName, err);
  if (Fd dir(::dup(root_fd_)); !dir || ::fsync(dir.get()) != 0) return errno_error("fsync", root_.string(), errno);
  auto key = read_key(root_fd_);
  if (!key) return key.error();
  key_ = std::move(key).value();
  return std::optional<std::string>(key_);
}

Result<std::string> DeployStore::preview_token(const std::string& site, const std::string& id) {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  auto key = preview_key(true);
  if (!key) return key.error();
  const std::string message = site + "/" + id;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), (*key)->data(), static_cast<int>((*key)->size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len) == nullptr)
    return make_error(Errc::internal, "HMAC failed");
  return to_hex(mac, len).substr(0, kTokenHex);
}

Result<std::string> DeployStore::publish_preview(const std::string& site, const std::string& id) {
  auto token = preview_token(site, id);
  if (!token) return token.error();
  if (!has_deploy(site, id)) return make_error(Errc::not_found, "deploy " + site + "/" + id + " not found");
  const std::string target = "../deploys/" + site + "/" + id;
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

Result<std::optional<PreviewTarget>> DeployStore::resolve_preview(std::string_view token) const {
  if (!is_valid_preview_token(token)) return std::optional<PreviewTarget>{};
  char buf[512];
  const std::string name(token);
  const ssize_t n = ::readlinkat(previews_fd_, name.c_str(), buf, sizeof buf);
  if (n < 0) {
    if (errno == ENOENT || errno == EINVAL) return std::optional<PreviewTarget>{};
    return errno_error("readlink", "previews/" + name, errno);
  }
  // "../deploys/<site>/<id>", each part checked: the link is data, not a path to follow.
  std::string_view target(buf, static_cast<size_t>(n));
  constexpr std::string_view kPrefix = "../deploys/";
  if (!target.starts_with(kPrefix)) return std::optional<PreviewTarget>{};
  target.remove_prefix(kPrefix.size());
  const auto slash = target.find('/');
  if (slash == std::string_view::npos) return std::optional<PreviewTarget>{};
  PreviewTarget t{std::string(target.substr(0, slash)), std::string(target.substr(slash + 1))};
  if (!is_valid_site(t.site) || !is_valid_deployment_id(t.deploymentId)) return std::optional<PreviewTarget>{};
  return std::optional<PreviewTarget>(std::move(t));
}

void DeployStore::forget_previews(const std::string& site, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  auto key = preview_key(false);
  if (!key || !*key) return;  // no preview was ever made here
  for (const auto& id : ids) {
    auto token = preview_token(site, id);
    // A leftover entry names a deploy that is gone: it resolves to 404.
    if (token && ::unlinkat(previews_fd_, token->c_str(), 0) == 0) mark_unsynced_dir("previews");
  }
}

}  // namespace pw::ship
