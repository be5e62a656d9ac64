#include "commands/components.hpp"
#include "commands/decide_common.hpp"
#include "commands/deciders.hpp"
#include "commands/validation.hpp"

namespace pw::domain {
namespace detail {

Error reject(Errc code, std::string field, std::string message) {
  std::string summary = message;
  return make_error(code, std::move(summary), {{std::move(field), std::move(message)}});
}

std::optional<Error> check_site(const SiteState& s, const CommandMeta& m) {
  if (!s.exists || s.tenant != m.tenant) return reject(Errc::not_found, "siteId", "site not found");
  if (s.id != m.siteId) return invalid("siteId", "command was routed to another site");
  return std::nullopt;
}

std::optional<Error> check_version(int64_t current, const CommandMeta& m) {
  if (m.expectedVersion && *m.expectedVersion != current)
    return reject(Errc::version_conflict, "version",
                  "expected version " + std::to_string(*m.expectedVersion) +
                      ", current version is " + std::to_string(current));
  return std::nullopt;
}

std::optional<Error> check_page_route(const PageId& id, const CommandMeta& m) {
  auto site = site_of(id);
  if (!site) return invalid("pageId", "malformed page id");
  if (*site != m.siteId) return invalid("pageId", "page id does not belong to this site");
  return std::nullopt;
}

Result<const PageState*> load_page(const SiteState& s, const CommandMeta& m, const PageId& id) {
  if (auto e = check_site(s, m)) return *e;
  const PageState* p = find_page(s, id);
  if (!p || p->status == PageStatus::deleted)
    return reject(Errc::not_found, "pageId", "page not found");
  if (auto e = check_version(p->version, m)) return *e;
  return p;
}

std::optional<Error> check_url(const std::string& field, const std::string& url) {
  if (!url.empty() && !is_safe_url(url))
    return unprocessable(field, "must be an http(s), relative, mailto: or tel: URL");
  return std::nullopt;
}

}  // namespace detail

Result<std::vector<DomainEvent>> decide(const SiteState& state, const CommandMeta& meta,
                                        const Command& command) {
  // The gateway's body parser refuses these already; commands that do not come
  // through HTTP (the build pool's reports, records appended to the log by
  // hand) meet the same rule here, before anything is stored.
  if (auto bad = find_refused_control(command_to_json(command)))
    return detail::invalid(std::move(bad->field), refused_control_message(bad->code_point));
  // Every alternative needs its own decide_cmd overload, or this does not compile.
  return std::visit([&](const auto& c) { return detail::decide_cmd(state, meta, c); }, command);
}

}  // namespace pw::domain
