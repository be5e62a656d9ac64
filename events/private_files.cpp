#include "events/private_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace pw::files {
namespace {

// Best effort after creation: a file rocksdb made but we could not chmod is
// still inside a 0700 directory.
void make_private(const std::string& path) { ::chmod(path.c_str(), 0600); }

class PrivateFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit PrivateFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target) : FileSystemWrapper(target) {}
  const char* Name() const override { return "PagewrightPrivateFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    return made(f, target()->NewWritableFile(f, o, r, d));
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    return made(f, target()->ReopenWritableFile(f, o, r, d));
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    return made(f, target()->ReuseWritableFile(f, old, o, r, d));
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r, rocksdb::IODebugContext* d) override {
    return made(f, target()->NewRandomRWFile(f, o, r, d));
  }
  rocksdb::IOStatus NewLogger(const std::string& f, const rocksdb::IOOptions& o,
                              std::shared_ptr<rocksdb::Logger>* r, rocksdb::IODebugContext* d) override {
    return made(f, target()->NewLogger(f, o, r, d));
  }
  rocksdb::IOStatus LockFile(const std::string& f, const rocksdb::IOOptions& o, rocksdb::FileLock** l,
                             rocksdb::IODebugContext* d) override {
    return made(f, target()->LockFile(f, o, l, d));
  }

 private:
  static rocksdb::IOStatus made(const std::string& f, rocksdb::IOStatus s) {
    if (s.ok()) make_private(f);
    return s;
  }
};

}  // namespace

Result<void> make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::path made;
  for (const auto& part : dir.lexically_normal()) {
    made /= part;
    if (part.empty() || part == "/" || part == "." || part == "..") continue;
    if (::mkdir(made.c_str(), 0700) != 0 && errno != EEXIST)
      return make_error(Errc::unavailable, "cannot create " + made.string() + ": " + std::strerror(errno));
  }
  if (::chmod(dir.c_str(), 0700) != 0)
    return make_error(Errc::unavailable, "cannot make " + dir.string() + " private: " + std::strerror(errno));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec)) make_private(entry.path().string());
  if (ec) return make_error(Errc::unavailable, "cannot list " + dir.string() + ": " + ec.message());
  return {};
}

rocksdb::Env* private_rocksdb_env() {
  // Never destroyed: databases may be closed during static destruction.
  static rocksdb::Env* env =
      rocksdb::NewCompositeEnv(std::make_shared<PrivateFileSystem>(rocksdb::FileSystem::Default())).release();
  return env;
}

}  // namespace pw::files
