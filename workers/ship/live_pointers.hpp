#pragma once
// Live pointers: live/<site>/<environment> names the deploy an environment
// serves (store/layout.hpp). Switching one is atomic: a reader resolves
// either the old deploy or the new one, never nothing.
#include <filesystem>
#include <optional>
#include <string>

#include "events/result.hpp"
#include "store/deploy_reader.hpp"
#include "workers/ship/deploy_trees.hpp"
#include "workers/ship/durability.hpp"

namespace pw::ship {

class LivePointers {
 public:
  LivePointers(std::filesystem::path root, int live_fd, Trees& trees, const store::DeployReader& reader,
               Durability& durability)
      : root_(std::move(root)), live_fd_(live_fd), trees_(trees), reader_(reader), durability_(durability) {}

  // Re-points live/<site>/<environment> (symlink under a temporary name,
  // renamed over the old one). The deploy must be complete; if its tree was
  // recycled it is laid down again first (no rendering).
  Result<void> switch_live(const std::string& site, const std::string& environment, const std::string& deploymentId);
  Result<std::optional<std::string>> live(const std::string& site, const std::string& environment) const {
    return reader_.live(site, environment);
  }
  std::filesystem::path live_path(const std::string& site, const std::string& environment) const;

 private:
  std::filesystem::path root_;
  int live_fd_;
  Trees& trees_;
  const store::DeployReader& reader_;
  Durability& durability_;
};

}  // namespace pw::ship
