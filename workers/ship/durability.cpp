#include "workers/ship/durability.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "store/sys.hpp"

namespace pw::ship {

using store::sys::errno_error;
using store::sys::Fd;

void Durability::mark_dir(std::string dir) {
  std::lock_guard lock(mu_);
  dirs_.insert(std::move(dir));
}

Result<void> Durability::sync() {
  std::set<std::string> dirs;
  {
    std::lock_guard lock(mu_);
    dirs.swap(dirs_);
  }
  auto requeue = [&] {
    std::lock_guard lock(mu_);
    dirs_.insert(dirs.begin(), dirs.end());
  };
  auto whole = blobs_.sync();
  if (!whole) {
    requeue();
    return whole.error();
  }
  // A syncfs made everything durable. Otherwise the few blobs are, and the
  // directories follow. The hard-link trees need no fsync of their own: a
  // journaling filesystem (ext4, XFS) commits their entries, made earlier, in
  // the same or an earlier journal transaction than these fsyncs.
  if (*whole) return {};
  for (const std::string top : {"deploys", "live", "previews"}) dirs.insert(top);
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

}  // namespace pw::ship
