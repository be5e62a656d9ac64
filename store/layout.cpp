#include "store/layout.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "store/sys.hpp"

namespace pw::store {

using sys::errno_error;
using sys::Fd;

namespace {

constexpr size_t kKeyBytes = 32;

Result<void> make_preview_key(int root_fd, const std::filesystem::path& root) {
  if (::faccessat(root_fd, kPreviewKeyName, F_OK, AT_SYMLINK_NOFOLLOW) == 0) return {};
  if (errno != ENOENT) return errno_error("stat", kPreviewKeyName, errno);
  unsigned char bytes[kKeyBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    return make_error(Errc::internal, "no random bytes for " + std::string(kPreviewKeyName));
  // Written complete under a temporary name, then linked into place: link(2)
  // never replaces, so when two processes race the first key stays.
  const std::string tmp = sys::temp_name("key");
  {
    Fd fd(::openat(root_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return errno_error("create", tmp, errno);
    if (::write(fd.get(), bytes, sizeof bytes) != static_cast<ssize_t>(sizeof bytes) || ::fsync(fd.get()) != 0) {
      const int err = errno;
      ::unlinkat(root_fd, tmp.c_str(), 0);
      return errno_error("write", tmp, err);
    }
  }
  const int linked = ::linkat(root_fd, tmp.c_str(), root_fd, kPreviewKeyName, 0);
  const int err = errno;
  ::unlinkat(root_fd, tmp.c_str(), 0);
  if (linked != 0 && err != EEXIST) return errno_error("link", kPreviewKeyName, err);
  if (::fsync(root_fd) != 0) return errno_error("fsync", root.string(), errno);
  return {};
}

}  // namespace

Result<void> create_layout(const std::filesystem::path& root) {
  try {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) return make_error(Errc::internal, "create " + root.string() + ": " + ec.message());
    Fd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return errno_error("open", root.string(), errno);
    // Tokens are looked up by name, never listed: no read permission for others.
    if (::mkdirat(root_fd.get(), "previews", 0711) != 0 && errno != EEXIST) return errno_error("mkdir", "previews", errno);
    for (const char* dir : {"blobs", "deploys", "live"}) {
      if (::mkdirat(root_fd.get(), dir, 0755) != 0 && errno != EEXIST) return errno_error("mkdir", dir, errno);
    }
    return make_preview_key(root_fd.get(), root);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("create the store's layout: ") + e.what());
  }
}

}  // namespace pw::store
