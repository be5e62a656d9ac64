#include "workers/ship/live_pointers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "store/manifest.hpp"
#include "store/sys.hpp"

namespace pw::ship {

namespace sys = store::sys;
using sys::errno_error;

std::filesystem::path LivePointers::live_path(const std::string& site, const std::string& environment) const {
  return root_ / "live" / site / environment;
}

Result<void> LivePointers::switch_live(const std::string& site, const std::string& env, const std::string& id) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  if (!store::is_valid_environment(env)) return sys::invalid_name("environment", env);
  if (!store::is_valid_deployment_id(id)) return sys::invalid_name("deployment id", id);
  return trees_.with_tree(site, id, [&]() -> Result<void> {
    if (::mkdirat(live_fd_, site.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("mkdir live/", site, errno);
    std::string tmp = site + "/" + sys::temp_name(env);
    std::string target = "../../deploys/" + site + "/" + id;
    if (::symlinkat(target.c_str(), live_fd_, tmp.c_str()) != 0) return errno_error("symlink", tmp, errno);
    // rename() replaces the old link in one step: a reader resolves either
    // the old deploy or the new one, never nothing.
    std::string link = site + "/" + env;
    if (::renameat(live_fd_, tmp.c_str(), live_fd_, link.c_str()) != 0) {
      int err = errno;
      ::unlinkat(live_fd_, tmp.c_str(), 0);
      return errno_error("rename", "live/" + link, err);
    }
    durability_.mark_dir("live/" + site);
    return {};
  });
}

}  // namespace pw::ship
