#pragma once
// The embedded static host (API.md, no auth): GET /sites/{subdomain}/{path…}
// serves a site's live production deploy; GET /previews/{token}/{path…} serves
// the staging or preview deploy the token names (store::DeployReader::preview_token),
// always with X-Robots-Tag: noindex. No other environment has a guessable
// address. A draft preview's token answers 404 once the expiry its deploy's
// name carries has passed (by the clock it is given), and before it is ready.
// Files are looked up in the deploy's manifest, never by joining paths, so no
// request can reach outside a deploy. The live pointer is read per request,
// so a switch or rollback shows on the next request. Files are streamed in
// pieces (never read whole into memory) and single byte ranges are answered.
// It only reads the store, through the store::DeployReader ops/ hands it.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "events/result.hpp"
#include "gateway/http_types.hpp"

namespace pw::store {
class DeployReader;
}  // namespace pw::store

namespace pw::gateway {

class StaticHost {
 public:
  // The most a response's body holds; the rest of a file follows in pieces of
  // this size through next_chunk.
  static constexpr size_t kChunkBytes = 64 * 1024;

  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // Serves what `reader` reads (it must outlive the host). `clock` (empty:
  // the system clock) decides when previews expire.
  explicit StaticHost(const store::DeployReader& reader, Clock clock = {});
  ~StaticHost();

  static bool handles(std::string_view target);  // "/sites/…", "/previews/…"
  // Where a draft preview is served, "/previews/<token>/", known before it is
  // built (store::DeployReader::draft_preview_token).
  Result<std::string> draft_preview_url(const std::string& previewId);
  // Blocking (file reads): run it off the I/O threads. A large file's
  // next_chunk reads one piece per call.
  HttpResponse serve(const HttpRequest& request);

 private:
  using Files = std::unordered_map<std::string, std::pair<std::string, uint64_t>>;  // path → hash, size
  bool expired(const std::string& deploy) const;
  std::shared_ptr<const Files> manifest(const std::string& subdomain, const std::string& deploy);
  // The file at `path` (decoded, relative to the deploy's root) of a deploy.
  HttpResponse serve_file(const HttpRequest& request, const std::string& subdomain, const std::string& deploy,
                          std::string path);

  const store::DeployReader& reader_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Files>> manifests_;
};

}  // namespace pw::gateway
