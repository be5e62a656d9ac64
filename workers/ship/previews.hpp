#pragma once
// Preview entries: previews/<token> names a non-production deploy, which is
// then served at /previews/<token>/ and never at a guessable address. The
// tokens are derived by store::DeployReader (preview_token,
// draft_preview_token), so the gateway and the build worker agree without a
// database; this class writes and removes the entries.
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"
#include "store/deploy_reader.hpp"
#include "workers/ship/durability.hpp"

namespace pw::ship {

class Previews {
 public:
  Previews(int previews_fd, const store::DeployReader& reader, Durability& durability)
      : previews_fd_(previews_fd), reader_(reader), durability_(durability) {}

  // Writes previews/<token> naming the complete deploy (idempotent; call
  // sync() before reporting the url). Returns the token.
  Result<std::string> publish_preview(const std::string& site, const std::string& deploymentId);
  // Draft previews are deploys named DeployReader::draft_preview_dir(…); no
  // live pointer ever names one. Writes previews/<token of previewId> naming
  // the complete deploy `dir` (idempotent; call sync() before reporting it
  // ready). Returns the token.
  Result<std::string> publish_draft_preview(const std::string& site, std::string_view previewId, const std::string& dir);

  // The tokens previews/ holds.
  Result<std::vector<std::string>> tokens() const;
  // Removes previews/<token> (absent is fine).
  Result<void> remove(const std::string& token);
  // Removes the entries of these (pruned) deploys of the site, best effort: a
  // leftover entry names a deploy that is gone and resolves to 404.
  void forget(const std::string& site, const std::vector<std::string>& deploymentIds);

 private:
  // previews/<token> → ../deploys/<site>/<dir>, replacing whatever it named.
  Result<std::string> point(std::string token, const std::string& site, const std::string& dir);

  int previews_fd_;
  const store::DeployReader& reader_;
  Durability& durability_;
};

}  // namespace pw::ship
