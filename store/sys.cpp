#include "store/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace pw::store::sys {

Error errno_error(std::string_view what, std::string_view path, int err) {
  std::string msg = std::string(what) + " " + std::string(path) + ": ";
  if (err == ENOSPC || err == EDQUOT) {
    return make_error(Errc::unavailable, msg + "no space left on device (" + std::strerror(err) + ")");
  }
  return make_error(Errc::internal, msg + std::strerror(err));
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

DIR* open_dir_stream(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    errno = err;
  }
  return d;
}

Result<std::string> read_file_at(int dir_fd, const std::string& name) {
  Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return make_error(Errc::not_found, name + " not found");
    return errno_error("open", name, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat", name, errno);
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() * 2 + 4096);  // the file grew, or st_size was 0 (procfs)
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", name, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Result<void> write_file_atomic_at(int dir_fd, const std::string& name, const std::string& tmp_name,
                                  std::string_view bytes, unsigned mode) {
  Fd fd(::openat(dir_fd, tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return errno_error("create", tmp_name, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlinkat(dir_fd, tmp_name.c_str(), 0);
      return errno_error("write", tmp_name, err);
    }
    done += static_cast<size_t>(n);
  }
  // close() can report a deferred write error (NFS, quotas).
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlinkat(dir_fd, tmp_name.c_str(), 0);
    return errno_error("close", tmp_name, err);
  }
  if (::renameat(dir_fd, tmp_name.c_str(), dir_fd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir_fd, tmp_name.c_str(), 0);
    return errno_error("rename", name, err);
  }
  return {};
}

namespace {

// Depth-first with *at() calls, so a deep tree never builds long paths.
Result<void> remove_children(int dir_fd, const std::string& label) {
  DIR* d = open_dir_stream(dir_fd);
  if (d == nullptr) return errno_error("opendir", label, errno);
  Result<void> res;
  while (struct dirent* ent = ::readdir(d)) {
    std::string_view n = ent->d_name;
    if (n == "." || n == "..") continue;
    bool is_dir = ent->d_type == DT_DIR;
    if (ent->d_type == DT_UNKNOWN) {
      struct stat st {};
      is_dir = ::fstatat(dir_fd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) {
      Fd sub(::openat(dir_fd, ent->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) { res = errno_error("open", label + "/" + ent->d_name, errno); break; }
      res = remove_children(sub.get(), label + "/" + ent->d_name);
      if (!res) break;
    }
    if (::unlinkat(dir_fd, ent->d_name, is_dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) {
      res = errno_error("remove", label + "/" + ent->d_name, errno);
      break;
    }
  }
  ::closedir(d);
  return res;
}

}  // namespace

Result<void> remove_tree_at(int dir_fd, const std::string& name) {
  Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return {};
    if (errno == ENOTDIR || errno == ELOOP) {
      if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove", name, errno);
      return {};
    }
    return errno_error("open", name, errno);
  }
  auto res = remove_children(fd.get(), name);
  if (!res) return res;
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return errno_error("remove", name, errno);
  return {};
}

Error invalid_name(std::string_view what, std::string_view value) {
  return make_error(Errc::validation_error, "invalid " + std::string(what) + " '" + std::string(value) + "'");
}

Result<void> FileLock::acquire(int dir_fd, const char* name) {
  fd_ = Fd(::openat(dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) return errno_error("open", name, errno);
  while (::flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return errno_error("lock", name, errno);
  }
  return {};
}

Result<void> mkdir_p_at(int dir_fd, const std::string& name) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = name.find('/', pos + 1);
    std::string prefix = name.substr(0, pos);
    if (::mkdirat(dir_fd, prefix.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir", prefix, errno);
  }
  return {};
}

std::string unique_suffix() {
  // pid and counter alone repeat across restarts (in a container the pid is
  // often 1), and a leftover of a crashed run would then block the name.
  static const std::string process = [] {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::to_string(::getpid()) + "." + buf;
  }();
  static std::atomic<uint64_t> counter{0};
  return process + "." + std::to_string(counter.fetch_add(1));
}

std::string temp_name(std::string_view what) {
  return std::string(kTempPrefix) + std::string(what) + "." + unique_suffix();
}

}  // namespace pw::store::sys
