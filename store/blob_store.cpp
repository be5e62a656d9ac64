#include "store/blob_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include "events/hash_chain.hpp"
#include "store/manifest.hpp"
#include "store/sys.hpp"

namespace pw::store {

using sys::errno_error;
using sys::Fd;

namespace {

std::string blob_rel(const std::string& hash) { return hash.substr(0, 2) + "/" + hash; }

}  // namespace

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

Result<std::unique_ptr<BlobFile>> open_blob_at(int blobs_dir_fd, const std::string& hash) {
  if (!is_valid_blob_hash(hash)) return sys::invalid_name("blob hash", hash);
  Fd fd(::openat(blobs_dir_fd, blob_rel(hash).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return make_error(Errc::not_found, "blob " + hash + " not found");
    return errno_error("open blob", hash, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat blob", hash, errno);
  return std::make_unique<BlobFile>(fd.release(), static_cast<uint64_t>(st.st_size));
}

Result<std::unique_ptr<BlobStore>> BlobStore::open(const std::filesystem::path& root) {
  try {
    std::error_code ec;
    std::filesystem::create_directories(root / "blobs", ec);
    if (ec) return make_error(Errc::internal, "create " + (root / "blobs").string() + ": " + ec.message());
    Fd fd(::open((root / "blobs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return errno_error("open", (root / "blobs").string(), errno);
    return std::unique_ptr<BlobStore>(new BlobStore(std::filesystem::absolute(root), fd.release()));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("open blob store: ") + e.what());
  }
}

BlobStore::~BlobStore() {
  if (blobs_fd_ >= 0) ::close(blobs_fd_);
}

Result<std::string> BlobStore::put(std::string_view bytes) {
  try {
    std::string hash = sha256_hex(bytes);
    std::string rel = blob_rel(hash);
    // Present already: refresh the mtime so a concurrent collect treats it as young.
    if (::utimensat(blobs_fd_, rel.c_str(), nullptr, 0) == 0) return hash;
    std::string tmp = hash.substr(0, 2) + "/" + sys::temp_name(hash);
    Fd fd(::openat(blobs_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!fd && errno == ENOENT) {
      // Fan-out directories are made on first use: most small sites never need all 256.
      if (::mkdirat(blobs_fd_, hash.substr(0, 2).c_str(), 0755) != 0 && errno != EEXIST)
        return errno_error("mkdir blobs/", hash.substr(0, 2), errno);
      fd = Fd(::openat(blobs_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    }
    if (!fd) return errno_error("create blob", tmp, errno);
    // World-readable whatever the umask: the web server is another user.
    if (::fchmod(fd.get(), 0444) != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      return errno_error("chmod blob", tmp, err);
    }
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::unlinkat(blobs_fd_, tmp.c_str(), 0);
        return errno_error("write blob", hash, err);
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd.release()) != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      return errno_error("close blob", hash, err);
    }
    // NOREPLACE keeps the first writer's inode, so deploys already linking it
    // and the blob stay one inode; a second writer just drops its copy.
    int rc = ::renameat2(blobs_fd_, tmp.c_str(), blobs_fd_, rel.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && errno == EINVAL) rc = ::renameat(blobs_fd_, tmp.c_str(), blobs_fd_, rel.c_str());
    if (rc != 0) {
      int err = errno;
      ::unlinkat(blobs_fd_, tmp.c_str(), 0);
      if (err != EEXIST) return errno_error("rename blob", hash, err);
    } else {
      std::lock_guard lock(sync_mu_);
      unsynced_.push_back(rel);
    }
    return hash;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("put blob: ") + e.what());
  }
}

bool BlobStore::has(const std::string& hash) const {
  if (!is_valid_blob_hash(hash)) return false;
  return ::faccessat(blobs_fd_, blob_rel(hash).c_str(), F_OK, 0) == 0;
}

bool BlobStore::touch(const std::string& hash) {
  if (!is_valid_blob_hash(hash)) return false;
  return ::utimensat(blobs_fd_, blob_rel(hash).c_str(), nullptr, 0) == 0;
}

Result<std::string> BlobStore::read(const std::string& hash) const {
  if (!is_valid_blob_hash(hash)) return sys::invalid_name("blob hash", hash);
  try {
    return sys::read_file_at(blobs_fd_, blob_rel(hash));
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("read blob: ") + e.what());
  }
}

Result<std::unique_ptr<BlobFile>> BlobStore::open_blob(const std::string& hash) const {
  return open_blob_at(blobs_fd_, hash);
}

Result<bool> BlobStore::sync() {
  std::vector<std::string> blobs;
  {
    std::lock_guard lock(sync_mu_);
    blobs.swap(unsynced_);
  }
  auto requeue = [&] {
    std::lock_guard lock(sync_mu_);
    unsynced_.insert(unsynced_.end(), blobs.begin(), blobs.end());
  };
  // Many new files (a cold publish): one syncfs is cheaper than an fsync each.
  // A few (a republish after an edit): fsync just those and their
  // directories; syncfs would also flush everyone else's dirty data on the
  // filesystem.
  if (blobs.size() > kTargetedSyncMax) {
    if (::syncfs(blobs_fd_) != 0) {
      requeue();
      return errno_error("syncfs", root_.string(), errno);
    }
    return true;
  }
  std::set<std::string> dirs{"."};
  for (const auto& rel : blobs) {
    dirs.insert(rel.substr(0, rel.find('/')));
    Fd fd(::openat(blobs_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) {
      const int err = errno;
      requeue();
      return errno_error("fsync blob", rel, err);
    }
  }
  for (const auto& dir : dirs) {
    Fd fd(::openat(blobs_fd_, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd && errno == ENOENT) continue;
    if (!fd || ::fsync(fd.get()) != 0) {
      const int err = errno;
      requeue();
      return errno_error("fsync", "blobs/" + dir, err);
    }
  }
  return false;
}

Result<size_t> BlobStore::collect(std::chrono::system_clock::time_point older_than,
                                  const std::unordered_set<std::string>& referenced) {
  try {
    const int64_t cutoff = std::chrono::duration_cast<std::chrono::seconds>(older_than.time_since_epoch()).count();
    size_t removed = 0;
    char sub[3];
    for (int i = 0; i < 256; ++i) {
      std::snprintf(sub, sizeof sub, "%02x", i);
      Fd sub_fd(::openat(blobs_fd_, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!sub_fd && errno == ENOENT) continue;
      if (!sub_fd) return errno_error("open blobs/", sub, errno);
      DIR* d = sys::open_dir_stream(sub_fd.get());
      if (d == nullptr) return errno_error("opendir blobs/", sub, errno);
      std::vector<std::string> victims;
      while (struct dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        bool temp = n.starts_with(sys::kTempPrefix);
        if (!temp && (!is_valid_blob_hash(n) || referenced.count(std::string(n)) != 0)) continue;
        struct stat st {};
        if (::fstatat(sub_fd.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (static_cast<int64_t>(st.st_mtim.tv_sec) > cutoff) continue;
        // A link count above one means a deploy tree (maybe one still being
        // written, manifest not yet there) links this blob.
        if (!temp && st.st_nlink > 1) continue;
        victims.emplace_back(n);
        if (!temp) ++removed;
      }
      ::closedir(d);
      for (const auto& v : victims) {
        if (::unlinkat(sub_fd.get(), v.c_str(), 0) != 0 && errno != ENOENT) return errno_error("remove blob", v, errno);
      }
    }
    return removed;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("collect blobs: ") + e.what());
  }
}

}  // namespace pw::store
