#include "store/deploy_reader.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "store/layout.hpp"
#include "store/sys.hpp"

namespace pw::store {

using sys::errno_error;
using sys::Fd;

namespace {

constexpr std::string_view kDraftPrefix = "preview-";
constexpr size_t kKeyBytes = 32;
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
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

// O_PATH: lookups need only search permission (previews/ is 0711), and the
// descriptor can do nothing but name what lies below it.
Result<int> open_path(int parent, const char* name) {
  int fd = ::openat(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", name, errno);
  return fd;
}

}  // namespace

DeployReader::DeployReader(std::filesystem::path root, int root_fd, int blobs_fd, int deploys_fd, int live_fd,
                           int previews_fd)
    : root_(std::move(root)),
      root_fd_(root_fd),
      blobs_fd_(blobs_fd),
      deploys_fd_(deploys_fd),
      live_fd_(live_fd),
      previews_fd_(previews_fd) {}

DeployReader::~DeployReader() {
  for (int fd : {previews_fd_, live_fd_, deploys_fd_, blobs_fd_, root_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Result<std::unique_ptr<DeployReader>> DeployReader::open(const std::filesystem::path& root) {
  try {
    Fd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return errno_error("open", root.string(), errno);
    Fd fds[4];
    const char* names[4] = {"blobs", "deploys", "live", "previews"};
    for (int i = 0; i < 4; ++i) {
      auto fd = open_path(root_fd.get(), names[i]);
      if (!fd) return fd.error();
      fds[i] = Fd(*fd);
    }
    return std::unique_ptr<DeployReader>(new DeployReader(std::filesystem::absolute(root), root_fd.release(),
                                                          fds[0].release(), fds[1].release(), fds[2].release(),
                                                          fds[3].release()));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("open deploy reader: ") + e.what());
  }
}

Result<std::optional<std::string>> DeployReader::live(const std::string& site, const std::string& env) const {
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

Result<std::set<std::string>> DeployReader::live_deploys(const std::string& site) const {
  std::set<std::string> ids;
  for (const char* env : {"production", "staging", "preview"}) {
    auto l = live(site, env);
    if (!l) return l.error();
    if (l->has_value()) ids.insert(**l);
  }
  return ids;
}

bool DeployReader::has_deploy(const std::string& site, const std::string& id) const {
  if (!is_valid_site(site) || !is_valid_deployment_id(id)) return false;
  return ::faccessat(deploys_fd_, (site + "/" + id + std::string(kManifestSuffix)).c_str(), F_OK, 0) == 0;
}

Result<Manifest> DeployReader::read_manifest(const std::string& site, const std::string& id) const {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  try {
    auto json = sys::read_file_at(deploys_fd_, site + "/" + id + std::string(kManifestSuffix));
    if (!json) return json.error();
    return manifest_from_json(*json);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("read_manifest: ") + e.what());
  }
}

Result<std::unique_ptr<BlobFile>> DeployReader::open_blob(const std::string& hash) const {
  return open_blob_at(blobs_fd_, hash);
}

Result<std::string> DeployReader::preview_key() const {
  std::lock_guard lock(key_mu_);
  if (!key_.empty()) return key_;
  auto key = sys::read_file_at(root_fd_, kPreviewKeyName);
  if (!key && key.error().code == Errc::not_found)
    return make_error(Errc::unavailable, root_.string() + " has no " + kPreviewKeyName + " (the store was not created)");
  if (!key) return key.error();
  if (key->size() != kKeyBytes)
    return make_error(Errc::internal, std::string(kPreviewKeyName) + " is not " + std::to_string(kKeyBytes) + " bytes");
  key_ = std::move(key).value();
  return key_;
}

Result<std::string> DeployReader::token_of(std::string_view message) const {
  auto key = preview_key();
  if (!key) return key.error();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len) == nullptr)
    return make_error(Errc::internal, "HMAC failed");
  return to_hex(mac, len).substr(0, kTokenHex);
}

Result<std::string> DeployReader::preview_token(const std::string& site, const std::string& id) const {
  if (!is_valid_site(site)) return sys::invalid_name("site", site);
  if (!is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  return token_of(site + "/" + id);
}

Result<std::string> DeployReader::draft_preview_token(std::string_view previewId) const {
  if (previewId.empty() || previewId.size() > kMaxPreviewId || !printable(previewId))
    return sys::invalid_name("preview id", previewId);
  return token_of("draft/" + std::string(previewId));
}

Result<std::optional<PreviewTarget>> DeployReader::resolve_preview(std::string_view token) const {
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

std::string DeployReader::draft_preview_dir(std::string_view suffix, int64_t expires_unix) {
  return std::string(kDraftPrefix) + std::to_string(expires_unix) + "-" + std::string(suffix);
}

std::optional<int64_t> DeployReader::draft_preview_expiry(std::string_view deploy) {
  if (!deploy.starts_with(kDraftPrefix)) return std::nullopt;
  deploy.remove_prefix(kDraftPrefix.size());
  int64_t at = 0;
  auto [end, ec] = std::from_chars(deploy.data(), deploy.data() + deploy.size(), at);
  if (ec != std::errc() || end == deploy.data() || end == deploy.data() + deploy.size() || *end != '-')
    return std::nullopt;
  return at;
}

}  // namespace pw::store
