#pragma once
// The content-addressed store on the local filesystem: immutable deploys laid
// out so nginx (or the gateway) can serve a live pointer directly (DESIGN.md,
// decision 13). pagewright::store reads it (DeployReader) and keeps its blobs
// (BlobStore); pagewright::ship writes the rest (trees, live pointers,
// preview entries) and collects what is no longer needed.
//
// Layout under the root:
//   blobs/<h0h1>/<hash>                     content-addressed files, mode 0444
//   deploys/<site>/<deploymentId>.manifest.json   the deploy (complete once present)
//   deploys/<site>/<deploymentId>/…          its tree of hard links to blobs
//   deploys/<site>/.spare.<n>/… (+ .manifest.json)  a tree held ready for the next deploy
//   deploys/<site>/.lock                     serializes tree moves of the site (flock)
//   live/<site>/<environment>               symlink → ../../deploys/<site>/<deploymentId>
//   previews/<token>                        symlink → ../deploys/<site>/<deploymentId> (0711 dir)
//   deploys/<site>/preview-<expiry>-<id>…   a draft preview's deploy (draft_preview_dir)
//   preview.key                             the previews' HMAC key, 32 random bytes, 0600
// Temporary names all start with ".tmp." (sys::kTempPrefix), so a crash
// leaves only names that the collectors ignore or clean up.
//
// Names: <site> matches ^[a-z0-9](-?[a-z0-9])*$ (≤ 63), environment is
// production|staging|preview, deploymentId matches ^[A-Za-z0-9_-]{1,128}$
// (manifest.hpp); anything else is Errc::validation_error and touches nothing.
//
// No public function of the store throws. ENOSPC comes back as
// Errc::unavailable with "no space left on device" in the message; other
// system errors as Errc::internal with strerror.
#include <filesystem>
#include <string_view>

#include "events/result.hpp"

namespace pw::store {

inline constexpr std::string_view kManifestSuffix = ".manifest.json";
inline constexpr const char* kPreviewKeyName = "preview.key";

// Makes the store's directories and its preview key where they are missing,
// and writes nothing where they exist. The writing side calls it when it
// opens the store; ops/ calls it before handing a DeployReader (which never
// writes) to the gateway, so that preview tokens can be derived before any
// build ran. The key is made once, by whichever process comes first (link(2),
// so concurrent makers agree), and is durable before this returns: a lost key
// would change every preview's url.
Result<void> create_layout(const std::filesystem::path& root);

}  // namespace pw::store
