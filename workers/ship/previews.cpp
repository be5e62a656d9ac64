#include "workers/ship/previews.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>

#include "store/manifest.hpp"
#include "store/sys.hpp"

namespace pw::ship {

namespace sys = store::sys;
using sys::errno_error;

Result<std::string> Previews::point(std::string token, const std::string& site, const std::string& dir) {
  if (!reader_.has_deploy(site, dir)) return make_error(Errc::not_found, "deploy " + site + "/" + dir + " not found");
  const std::string target = "../deploys/" + site + "/" + dir;
  char buf[512];
  const ssize_t n = ::readlinkat(previews_fd_, token.c_str(), buf, sizeof buf);
  if (n >= 0 && std::string_view(buf, static_cast<size_t>(n)) == target) return token;  // a redone build
  const std::string tmp = sys::temp_name("preview");
  if (::symlinkat(target.c_str(), previews_fd_, tmp.c_str()) != 0) return errno_error("symlink", tmp, errno);
  if (::renameat(previews_fd_, tmp.c_str(), previews_fd_, token.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(previews_fd_, tmp.c_str(), 0);
    return errno_error("rename", "previews/" + token, err);
  }
  durability_.mark_dir("previews");
  return token;
}

Result<std::string> Previews::publish_preview(const std::string& site, const std::string& id) {
  auto token = reader_.preview_token(site, id);
  if (!token) return token.error();
  return point(std::move(token).value(), site, id);
}

Result<std::string> Previews::publish_draft_preview(const std::string& site, std::string_view previewId,
                                                    const std::string& dir) {
  if (!store::is_valid_site(site)) return sys::invalid_name("site", site);
  if (!store::is_valid_deployment_id(dir) || !store::DeployReader::draft_preview_expiry(dir))
    return sys::invalid_name("draft preview", dir);
  auto token = reader_.draft_preview_token(previewId);
  if (!token) return token.error();
  return point(std::move(token).value(), site, dir);
}

Result<std::vector<std::string>> Previews::tokens() const {
  DIR* d = sys::open_dir_stream(previews_fd_);
  if (d == nullptr) return errno_error("opendir", "previews", errno);
  std::vector<std::string> tokens;
  while (struct dirent* e = ::readdir(d))
    if (store::is_valid_preview_token(e->d_name)) tokens.emplace_back(e->d_name);
  ::closedir(d);
  return tokens;
}

Result<void> Previews::remove(const std::string& token) {
  if (!store::is_valid_preview_token(token)) return sys::invalid_name("preview token", token);
  if (::unlinkat(previews_fd_, token.c_str(), 0) != 0) {
    if (errno == ENOENT) return {};
    return errno_error("remove", "previews/" + token, errno);
  }
  durability_.mark_dir("previews");
  return {};
}

void Previews::forget(const std::string& site, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    auto token = reader_.preview_token(site, id);
    if (!token) return;  // no key: no preview was ever made here
    if (::unlinkat(previews_fd_, token->c_str(), 0) == 0) durability_.mark_dir("previews");
  }
}

}  // namespace pw::ship
