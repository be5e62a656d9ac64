#include "gateway/asset_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/blob_store.hpp"

namespace pw::gateway {
namespace {

// Blob collection keeps every blob with a second hard link (a deploy tree's,
// usually). An asset's blobs get one under <root>/assets/, so an asset no
// deploy ships yet is never collected.
class BlobStoreAssets final : public AssetStore {
 public:
  BlobStoreAssets(std::unique_ptr<store::BlobStore> blobs, std::filesystem::path keep_dir)
      : blobs_(std::move(blobs)), keep_dir_(std::move(keep_dir)) {}

  Result<std::string> put(std::string_view bytes) override {
    auto hash = blobs_->put(bytes);
    if (!hash.ok()) return hash;
    const std::string blob = hash->substr(0, 2) + "/" + *hash;
    const std::string keep = (keep_dir_ / *hash).string();
    if (::linkat(blobs_->dir_fd(), blob.c_str(), AT_FDCWD, keep.c_str(), 0) != 0 && errno != EEXIST)
      return make_error(Errc::internal, "keeping the asset's blob " + *hash + ": " + std::strerror(errno));
    return hash;
  }

  Result<std::string> read(const std::string& hash) const override { return blobs_->read(hash); }

 private:
  std::unique_ptr<store::BlobStore> blobs_;
  std::filesystem::path keep_dir_;
};

}  // namespace

std::unique_ptr<AssetStore> AssetStore::open(const std::filesystem::path& sites_dir) {
  auto blobs = store::BlobStore::open(sites_dir);
  if (!blobs.ok()) return nullptr;
  std::error_code ec;
  std::filesystem::create_directories(sites_dir / "assets", ec);
  if (ec) return nullptr;
  return std::make_unique<BlobStoreAssets>(std::move(blobs).value(), sites_dir / "assets");
}

}  // namespace pw::gateway
