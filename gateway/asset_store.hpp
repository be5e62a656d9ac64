#pragma once
// Where the gateway keeps uploaded assets' bytes: content-addressed blobs of
// the deploy store (the same blobs a deploy ships, so publishing an asset
// copies nothing). Blocking file I/O: call it from the blocking pool.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "events/result.hpp"

namespace pw::gateway {

class AssetStore {
 public:
  // nullptr when the store cannot be opened.
  static std::unique_ptr<AssetStore> open(const std::filesystem::path& sites_dir);
  virtual ~AssetStore() = default;
  // Stores the bytes (a no-op when present) and returns their SHA-256 hex.
  virtual Result<std::string> put(std::string_view bytes) = 0;
  // The bytes of a blob; Errc::not_found when absent.
  virtual Result<std::string> read(const std::string& hash) const = 0;
};

}  // namespace pw::gateway
