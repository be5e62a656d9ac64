#include "gateway/asset_store.hpp"

#include <system_error>

#include "workers/ship/deploy_store.hpp"

namespace pw::gateway {
namespace {

// Blob collection keeps every blob with a second hard link (a deploy tree's,
// usually). An asset's blobs get one under <root>/assets/, so an asset no
// deploy ships yet is never collected.
class DeployStoreAssets final : public AssetStore {
 public:
  explicit DeployStoreAssets(std::unique_ptr<ship::DeployStore> store) : store_(std::move(store)) {}

  Result<std::string> put(std::string_view bytes) override {
    auto hash = store_->put_blob(bytes);
    if (!hash.ok()) return hash;
    const auto& root = store_->root();
    std::error_code ec;
    std::filesystem::create_directories(root / "assets", ec);
    const auto keep = root / "assets" / *hash;
    if (!std::filesystem::exists(keep, ec)) {
      std::filesystem::create_hard_link(root / "blobs" / hash->substr(0, 2) / *hash, keep, ec);
      if (ec && ec != std::errc::file_exists)
        return make_error(Errc::internal, "keeping the asset's blob " + *hash + ": " + ec.message());
    }
    return hash;
  }

  Result<std::string> read(const std::string& hash) const override { return store_->read_blob(hash); }

 private:
  std::unique_ptr<ship::DeployStore> store_;
};

}  // namespace

std::unique_ptr<AssetStore> AssetStore::open(const std::filesystem::path& sites_dir) {
  auto store = ship::DeployStore::open(sites_dir);
  if (!store.ok()) return nullptr;
  return std::make_unique<DeployStoreAssets>(std::move(store).value());
}

}  // namespace pw::gateway
