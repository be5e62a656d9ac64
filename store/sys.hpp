#pragma once
// Small POSIX helpers shared by the store's .cpp files and the shipper's
// (pagewright::ship writes the same layout); not part of the store's API.
#include <dirent.h>

#include <string>
#include <string_view>

#include "events/result.hpp"

namespace pw::store::sys {

// errno → Error: ENOSPC/EDQUOT become Errc::unavailable with a clear reason,
// everything else Errc::internal with strerror.
Error errno_error(std::string_view what, std::string_view path, int err);
// Errc::validation_error "invalid <what> '<value>'".
Error invalid_name(std::string_view what, std::string_view value);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// An exclusive flock on dir_fd/name (created if absent), held until
// destruction. flock locks belong to the open file, so it also excludes other
// threads of this process.
class FileLock {
 public:
  Result<void> acquire(int dir_fd, const char* name);

 private:
  Fd fd_;
};

// A directory stream of its own for dir_fd's directory: a dup() would share
// (and leave at the end) the read position of dir_fd itself. nullptr + errno.
DIR* open_dir_stream(int dir_fd);

Result<std::string> read_file_at(int dir_fd, const std::string& name);
// Writes bytes under tmp_name (mode `mode`), then renames it over `name`; the
// temporary file is removed on any failure.
Result<void> write_file_atomic_at(int dir_fd, const std::string& name, const std::string& tmp_name,
                                  std::string_view bytes, unsigned mode);
// Removes a tree below dir_fd/name; ENOENT is success.
Result<void> remove_tree_at(int dir_fd, const std::string& name);
Result<void> mkdir_p_at(int dir_fd, const std::string& name);

// Temporary names all start with this (never a valid site, id, environment
// or blob hash), so a crash leaves only names that collectors recognise.
inline constexpr std::string_view kTempPrefix = ".tmp.";
// "<pid>.<random>.<n>": unique across processes and restarts.
std::string unique_suffix();
// kTempPrefix + what + "." + unique_suffix().
std::string temp_name(std::string_view what);

}  // namespace pw::store::sys
