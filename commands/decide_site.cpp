// Site commands: CreateSite, UpdateSiteSettings.
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

// Tokens have their own command, checked against their schema; kept out of
// the free-form settings so an invalid one is refused, never stored and
// ignored. A patch removing an old settings.designTokens (null) is allowed.
std::optional<Error> check_no_design_tokens(const UpdateSiteSettings& c) {
  if (!c.settings) return std::nullopt;
  auto it = c.settings->find("designTokens");
  if (it == c.settings->end() || it->is_null()) return std::nullopt;
  return unprocessable("settings.designTokens",
                       "design tokens are not settings: set them with PUT "
                       "/v1/sites/{siteId}/design-tokens");
}

}  // namespace

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const CreateSite& c) {
  if (!is_valid_subdomain(c.subdomain))
    return invalid("subdomain", "must match ^[a-z0-9](-?[a-z0-9])*$ and be at most 63 characters");
  if (!valid_text(c.name, kMaxSiteName)) return invalid("name", "must be 1 to 200 characters");
  // The site id is derived from the subdomain, so two claims of one subdomain
  // meet in this aggregate and the second one finds it taken.
  if (c.siteId != site_id_for_subdomain(c.subdomain))
    return invalid("siteId", "must be the site id of the subdomain");
  if (c.siteId != m.siteId) return invalid("siteId", "command was routed to another site");
  if (s.exists) return reject(Errc::slug_taken, "subdomain", "subdomain is taken");
  if (auto e = check_version(s.version, m)) return *e;
  return one(SiteCreated{c.siteId, m.tenant, c.name, c.subdomain});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const UpdateSiteSettings& c) {
  if (c.name && !valid_text(*c.name, kMaxSiteName))
    return invalid("name", "must be 1 to 200 characters");
  if (c.seo) {
    if (c.seo->titleTemplate && !valid_text(*c.seo->titleTemplate, kMaxTitle, true))
      return invalid("seo.titleTemplate", "must be at most 300 characters");
    if (c.seo->description && !valid_text(*c.seo->description, kMaxDescription, true))
      return invalid("seo.description", "must be at most 1000 characters");
    if (c.seo->ogImage && !valid_text(*c.seo->ogImage, kMaxUrl, true))
      return invalid("seo.ogImage", "must be at most 2048 characters");
  }
  if (c.settings && !c.settings->is_object()) return invalid("settings", "must be an object");
  if (c.settings && json_depth(*c.settings) > kMaxJsonDepth)
    return invalid("settings", "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  if (auto e = check_site(s, m)) return *e;
  if (auto e = check_version(s.version, m)) return *e;
  if (c.seo && c.seo->ogImage)
    if (auto e = check_url("seo.ogImage", *c.seo->ogImage)) return *e;
  if (auto e = check_no_design_tokens(c)) return *e;

  SiteSettingsUpdated ev;
  ev.siteId = s.id;
  if (c.name && *c.name != s.name) ev.name = *c.name;
  if (c.seo) {
    SiteSeo seo = s.seo;
    if (c.seo->titleTemplate) seo.titleTemplate = *c.seo->titleTemplate;
    if (c.seo->description) seo.description = *c.seo->description;
    if (c.seo->ogImage) seo.ogImage = *c.seo->ogImage;
    if (seo != s.seo) ev.seo = std::move(seo);
  }
  if (c.settings) {
    nlohmann::json settings = s.settings;
    settings.merge_patch(*c.settings);
    if (settings != s.settings) {
      const size_t bytes = json_bytes(settings);
      if (bytes > kMaxSettingsBytes)
        return reject(Errc::payload_too_large, "settings",
                      "the settings would be " + std::to_string(bytes) +
                          " bytes serialized; the limit is " + std::to_string(kMaxSettingsBytes));
      // The event carries what changed, so events do not grow with the object.
      ev.settingsPatch = merge_patch_diff(s.settings, settings);
    }
  }
  if (!ev.name && !ev.seo && !ev.settingsPatch) return Events{};
  return one(std::move(ev));
}

}  // namespace pw::domain::detail
