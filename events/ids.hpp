#pragma once
// Strong id types. Ids below a site carry their site id so that any command
// can be routed to the site's partition without a lookup (DESIGN.md, decision 4):
//   SiteId  = name-based UUID (v5) of the subdomain, e.g. "5f0c…-…"
//   PageId  = "<siteId>.<suffix>"  (suffix: 1–32 of [a-z0-9])
//   DeploymentId = "<siteId>.<suffix>", the same shape
//   TemplateId = "<siteId>.<suffix>" for a tenant's template (saved from a page
//     of that site, decided by its aggregate); a built-in template's id is a
//     plain name ("landing") and has no site
//   PreviewId    = "<siteId>.<suffix>", the same shape
#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pw {

template <class Tag>
struct StrongId {
  std::string value;
  StrongId() = default;
  explicit StrongId(std::string v) : value(std::move(v)) {}
  const std::string& str() const { return value; }
  bool empty() const { return value.empty(); }
  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend bool operator==(const StrongId&, const StrongId&) = default;
};

using TenantId = StrongId<struct TenantTag>;
using UserId = StrongId<struct UserTag>;
using SiteId = StrongId<struct SiteTag>;
using PageId = StrongId<struct PageTag>;
using ComponentId = StrongId<struct ComponentTag>;
using CommandId = StrongId<struct CommandTag>;
using EventId = StrongId<struct EventTag>;
using DeploymentId = StrongId<struct DeploymentTag>;
using TemplateId = StrongId<struct TemplateTag>;
using PreviewId = StrongId<struct PreviewTag>;
using AssetId = StrongId<struct AssetTag>;

// RFC 4122 name-based (SHA-1, version 5) UUID in lowercase canonical form.
std::string uuid_v5(std::string_view namespace_uuid, std::string_view name);
// Random (version 4) UUID, for ids the gateway mints.
std::string uuid_v4();
bool is_uuid(std::string_view s);

// The site id of a subdomain: the same subdomain always yields the same site id,
// so two claims of one subdomain meet in one aggregate.
SiteId site_id_for_subdomain(std::string_view subdomain);

PageId make_page_id(const SiteId& site, std::string_view suffix);
// A fresh page id under `site` with a random suffix.
PageId new_page_id(const SiteId& site);
// The site a page id belongs to, or nullopt if the id is malformed.
std::optional<SiteId> site_of(const PageId& page);

DeploymentId make_deployment_id(const SiteId& site, std::string_view suffix);
std::optional<SiteId> site_of(const DeploymentId& deployment);

TemplateId make_template_id(const SiteId& site, std::string_view suffix);
std::optional<SiteId> site_of(const TemplateId& template_id);
PreviewId make_preview_id(const SiteId& site, std::string_view suffix);
std::optional<SiteId> site_of(const PreviewId& preview);

// A media asset's id: "<siteId>.<first 32 hex digits of the SHA-256 of its
// bytes>". The same file twice in a site is the same asset; the site prefix
// keeps two sites' copies of one file apart (ids route to their site).
AssetId make_asset_id(const SiteId& site, std::string_view content_sha256_hex);
std::optional<SiteId> site_of(const AssetId& asset);

}  // namespace pw

template <class Tag>
struct std::hash<pw::StrongId<Tag>> {
  size_t operator()(const pw::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value);
  }
};
