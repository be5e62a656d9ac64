#pragma once
// The embedded static host (API.md: GET /sites/{subdomain}/{path…}, no auth):
// serves a site's live production deploy, or another environment's under
// /sites/{subdomain}--{environment}/ ("--" never occurs in a subdomain).
// Files are looked up in the deploy's manifest, never by joining paths, so no
// request can reach outside a deploy. The live pointer is read per request,
// so a switch or rollback shows on the next request.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gateway/http_types.hpp"

namespace pw::ship {
class DeployStore;
struct ManifestEntry;
}  // namespace pw::ship

namespace pw::gateway {

class StaticHost {
 public:
  // nullptr when the store cannot be opened (the host then answers 404).
  static std::unique_ptr<StaticHost> open(const std::filesystem::path& sites_dir);
  ~StaticHost();

  static bool handles(std::string_view target);  // "/sites/…"
  // Blocking (file reads): run it off the I/O threads.
  HttpResponse serve(const HttpRequest& request);

 private:
  using Files = std::unordered_map<std::string, std::pair<std::string, uint64_t>>;  // path → hash, size
  explicit StaticHost(std::unique_ptr<ship::DeployStore> store);
  std::shared_ptr<const Files> manifest(const std::string& subdomain, const std::string& deploy);

  std::unique_ptr<ship::DeployStore> store_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Files>> manifests_;
};

}  // namespace pw::gateway
