#pragma once
// Domain events of a site aggregate and their JSON codec (the envelope's `data`).
// Tenant and site ids travel in the envelope; the data carries what folding needs.
// Page events name their page, so a page can be rebuilt from its events alone.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/ids.hpp"
#include "events/result.hpp"

namespace pw::domain {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

// Event data shapes are versioned per type (the envelope's schemaVersion).
// kEventSchemaVersion is every type's first version; a type whose data changed
// shape has a higher current version (event_schema_version). Older versions
// still decode, by an upcaster in event_from_json or, where the old shape
// cannot be turned into the new one without the state it was made from, by a
// struct that holds both forms; stored bytes are never rewritten.
inline constexpr int kEventSchemaVersion = 1;
// SiteSettingsUpdated 2: `settingsPatch` (what changed) instead of version 1's
// `settings` (the whole merged object, which grew every event).
inline constexpr int kSiteSettingsUpdatedVersion = 2;
// PageCreated 2: optional `content` (the components a page starts with, from a
// template) and `templateId`. A PageCreated without them is written as
// version 1, whose data it is exactly.
inline constexpr int kPageCreatedVersion = 2;
// ComponentMoved 2: the destination in `to` and where the component was in
// `from`, so history says what a move did without folding. Version 1 (the
// destination at the top level of the data) is upcast on read (events/upcast.hpp).
inline constexpr int kComponentMovedVersion = 2;

struct SiteSeo {
  std::string titleTemplate;
  std::string description;
  std::string ogImage;
  friend bool operator==(const SiteSeo&, const SiteSeo&) = default;
};

struct PageSeo {
  bool noIndex = false;
  std::string canonical;
  std::string ogImage;
  friend bool operator==(const PageSeo&, const PageSeo&) = default;
};

struct SiteCreated {
  SiteId siteId;
  TenantId tenant;
  std::string name;
  std::string subdomain;
  friend bool operator==(const SiteCreated&, const SiteCreated&) = default;
};

// Only the parts that changed are present. name and seo hold the resulting
// value; the settings object changes by settingsPatch, the RFC 7386 merge patch
// from the previous settings to the new ones (schema version 2). Version-1
// events carried the whole resulting object in `settings` instead; they still
// decode into that member and fold by replacing (fold_settings). At most one
// of the two is present.
struct SiteSettingsUpdated {
  SiteId siteId;
  std::optional<std::string> name;
  std::optional<SiteSeo> seo;
  std::optional<nlohmann::json> settings;       // version 1 only
  std::optional<nlohmann::json> settingsPatch;  // version 2
  friend bool operator==(const SiteSettingsUpdated&, const SiteSettingsUpdated&) = default;
};

// The settings object after `e`, from the settings before it.
void fold_settings(nlohmann::json& settings, const SiteSettingsUpdated& e);
// The smallest RFC 7386 merge patch that turns `from` into `to` (both objects
// without null members, as every merge-patch result is): removed members are
// null, changed non-objects are replaced, objects are diffed member by member.
nlohmann::json merge_patch_diff(const nlohmann::json& from, const nlohmann::json& to);

// content: a JSON array of components {id, type, props, slots} as snapshots
// write them (component_to_json), checked by the decider like any content;
// empty for a blank page (and in every version-1 event).
struct PageCreated {
  PageId pageId;
  std::string title;
  std::string slug;
  std::string description;
  nlohmann::json content = nlohmann::json::array();  // version 2
  std::optional<std::string> templateId = std::nullopt;  // version 2: where content came from
  friend bool operator==(const PageCreated&, const PageCreated&) = default;
};

struct PageMetadataUpdated {
  PageId pageId;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<PageSeo> seo;
  friend bool operator==(const PageMetadataUpdated&, const PageMetadataUpdated&) = default;
};

struct PageSlugChanged {
  PageId pageId;
  std::string slug;
  std::string previousSlug;  // for redirects; folding ignores it
  friend bool operator==(const PageSlugChanged&, const PageSlugChanged&) = default;
};

// Position is fully resolved: no parentId = top level (slot empty), index is
// the final position in the target list.
struct ComponentAdded {
  PageId pageId;
  ComponentId componentId;
  std::string type;
  nlohmann::json props = nlohmann::json::object();
  std::optional<ComponentId> parentId;
  std::string slot;
  int64_t index = 0;
  friend bool operator==(const ComponentAdded&, const ComponentAdded&) = default;
};

struct ComponentPropsUpdated {
  PageId pageId;
  ComponentId componentId;
  nlohmann::json patch = nlohmann::json::object();  // as requested (RFC 7386)
  nlohmann::json props = nlohmann::json::object();  // the result; folding sets it
  friend bool operator==(const ComponentPropsUpdated&, const ComponentPropsUpdated&) = default;
};

// Where a component sits in its page: no parentId = top level (slot empty).
struct ComponentPosition {
  std::optional<ComponentId> parentId;
  std::string slot;
  int64_t index = 0;
  friend bool operator==(const ComponentPosition&, const ComponentPosition&) = default;
};

// parentId, slot and index are the destination (the data's `to`); index is
// relative to the target list after the component was taken out. `from` is
// where it was (version 2; absent in events upcast from version 1); folding
// ignores it.
struct ComponentMoved {
  PageId pageId;
  ComponentId componentId;
  std::optional<ComponentId> parentId;
  std::string slot;
  int64_t index = 0;
  std::optional<ComponentPosition> from = std::nullopt;
  friend bool operator==(const ComponentMoved&, const ComponentMoved&) = default;
};

// Removes the component and its whole subtree.
struct ComponentRemoved {
  PageId pageId;
  ComponentId componentId;
  friend bool operator==(const ComponentRemoved&, const ComponentRemoved&) = default;
};

// version = the page version including this event, so a page is unchanged
// since its last publish exactly when page.version == page.publishedVersion.
struct PagePublished {
  PageId pageId;
  int64_t version = 0;
  friend bool operator==(const PagePublished&, const PagePublished&) = default;
};

// Page lifecycle. A deleted page keeps its events and content (it can be
// restored) but frees its slug and leaves the next deploy; an unpublished one
// is a draft again and leaves the next deploy too.
struct PageDeleted {
  PageId pageId;
  friend bool operator==(const PageDeleted&, const PageDeleted&) = default;
};

// Back as a draft, at `slug` (its old one, or a new one if that was taken).
struct PageRestored {
  PageId pageId;
  std::string slug;
  friend bool operator==(const PageRestored&, const PageRestored&) = default;
};

struct PageUnpublished {
  PageId pageId;
  friend bool operator==(const PageUnpublished&, const PageUnpublished&) = default;
};

// A new draft page (pageId) copied from sourcePageId: its own event type, so
// history says where a page came from. content as in PageCreated, with the
// component ids already made fresh by the decider.
struct PageDuplicated {
  PageId pageId;
  PageId sourcePageId;
  std::string title;
  std::string slug;
  std::string description;
  PageSeo seo;
  nlohmann::json content = nlohmann::json::array();
  friend bool operator==(const PageDuplicated&, const PageDuplicated&) = default;
};

// Templates (aggregate "template", id = templateId, below the site of the page
// they were saved from; listed tenant-wide by the read model).
struct TemplateSaved {
  TemplateId templateId;
  PageId sourcePageId;
  std::string name;
  std::string description;
  nlohmann::json content = nlohmann::json::array();  // as in PageCreated
  friend bool operator==(const TemplateSaved&, const TemplateSaved&) = default;
};

struct TemplateDeleted {
  TemplateId templateId;
  friend bool operator==(const TemplateDeleted&, const TemplateDeleted&) = default;
};

// The site's whole design-token set (schemas/design-tokens.json); replaces
// the previous one.
struct DesignTokensUpdated {
  SiteId siteId;
  nlohmann::json tokens = nlohmann::json::object();
  friend bool operator==(const DesignTokensUpdated&, const DesignTokensUpdated&) = default;
};

// Deployments (aggregate "deployment", id = deploymentId, below the site):
// requested by an admin, then started, succeeded or failed as the build pool
// reports back. Durations and counts are the builder's measurements.
inline constexpr std::string_view kEnvironments[] = {"production", "staging", "preview"};
inline constexpr std::string_view kStrategies[] = {"all-at-once", "blue-green"};

struct DeploymentRequested {
  DeploymentId deploymentId;
  std::string environment;
  std::string strategy;
  friend bool operator==(const DeploymentRequested&, const DeploymentRequested&) = default;
};

struct DeploymentStarted {
  DeploymentId deploymentId;
  std::string worker;  // which build worker took it, for operators
  friend bool operator==(const DeploymentStarted&, const DeploymentStarted&) = default;
};

struct DeploymentReport {
  int64_t pagesRendered = 0;
  int64_t pagesReused = 0;
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t renderMs = 0;
  int64_t shipMs = 0;
  int64_t checkMs = 0;
  int64_t totalMs = 0;
  friend bool operator==(const DeploymentReport&, const DeploymentReport&) = default;
};

// The deploy is live when this is appended: the builder switches the pointer
// first, so a crash between the two is redone by the next owner, never half done.
struct DeploymentSucceeded {
  DeploymentId deploymentId;
  std::string manifestHash;
  std::string url;
  DeploymentReport report;
  std::vector<std::string> log;
  friend bool operator==(const DeploymentSucceeded&, const DeploymentSucceeded&) = default;
};

struct DeploymentFailed {
  DeploymentId deploymentId;
  std::string reason;
  std::vector<std::string> log;
  friend bool operator==(const DeploymentFailed&, const DeploymentFailed&) = default;
};

// The environment's live pointer goes back to an earlier successful deployment.
struct DeploymentRolledBack {
  DeploymentId deploymentId;  // the one now live
  std::string environment;
  DeploymentId previousDeploymentId;  // the one it replaced
  friend bool operator==(const DeploymentRolledBack&, const DeploymentRolledBack&) = default;
};

// Deploys past the retention count; the build pool deletes their files when it
// reads this, and nothing can be rolled back to them afterwards.
struct DeploymentsPruned {
  SiteId siteId;
  std::vector<DeploymentId> deploymentIds;
  friend bool operator==(const DeploymentsPruned&, const DeploymentsPruned&) = default;
};

// A named save point on one of the page's versions (a version has at most one
// label; a new one replaces it). Not an edit: folding it does not count as a
// page version, so the envelope's aggregate version is the page's current one.
struct PageVersionLabelled {
  PageId pageId;
  int64_t version = 0;  // the labelled version, 1..the page's version
  std::string label;
  friend bool operator==(const PageVersionLabelled&, const PageVersionLabelled&) = default;
};

// The page's content and metadata become those of an earlier version, as one
// new version. Carries the whole restored state (content as component_to_json
// writes it), so folding needs nothing but the event; the command processor's
// event size limit bounds it like any event.
struct PageVersionRestored {
  PageId pageId;
  int64_t version = 0;  // the version restored from
  std::string title;
  std::string slug;
  std::string previousSlug;  // for redirects; folding ignores it
  std::string description;
  PageSeo seo;
  nlohmann::json content = nlohmann::json::array();
  friend bool operator==(const PageVersionRestored&, const PageVersionRestored&) = default;
};
// Previews (aggregate "preview", id = previewId, below the site): the current
// drafts rendered into a deploy that is served only at /previews/<token>/
// until expiresAt, never through a live pointer. The token derives from the
// preview id (store::DeployReader::draft_preview_token), so the url is known when the
// request is accepted; the build pool reports PreviewReady or PreviewFailed.
inline constexpr int64_t kPreviewTtlSeconds = 24 * 3600;  // API.md: default 24 h
inline constexpr int64_t kMaxPreviewTtlSeconds = 7 * 24 * 3600;
inline constexpr size_t kMaxPreviewPageIds = 1000;

struct PreviewRequested {
  PreviewId previewId;
  // Absent: every page's draft. Present: these pages' drafts, and every other
  // page as last published.
  std::optional<std::vector<PageId>> pageIds;
  std::string expiresAt;  // RFC 3339 UTC: the request's time plus its lifetime
  friend bool operator==(const PreviewRequested&, const PreviewRequested&) = default;
};

struct PreviewReady {
  PreviewId previewId;
  std::string manifestHash;
  friend bool operator==(const PreviewReady&, const PreviewReady&) = default;
};

struct PreviewFailed {
  PreviewId previewId;
  std::string reason;
  std::vector<std::string> log;
  friend bool operator==(const PreviewFailed&, const PreviewFailed&) = default;
};

// Media assets (aggregate "asset", id = assetId, below the site). The
// gateway checks the bytes (media/), stores them and their WebP variants as
// blobs and sends the outcome; the events carry what a deploy needs to ship
// and render them. `hash` is the SHA-256 hex of the original's bytes (its
// blob), each variant's hash that of its own bytes.
struct AssetVariant {
  int64_t width = 0;
  int64_t height = 0;
  std::string hash;
  int64_t bytes = 0;
  friend bool operator==(const AssetVariant&, const AssetVariant&) = default;
};

struct AssetUploaded {
  AssetId assetId;
  std::string hash;
  std::string contentType;  // image/png | image/jpeg | image/webp | image/gif | image/avif
  int64_t bytes = 0;
  int64_t width = 0;
  int64_t height = 0;
  std::string filename;
  std::vector<AssetVariant> variants;  // narrower than the original, widest last
  friend bool operator==(const AssetUploaded&, const AssetUploaded&) = default;
};

struct AssetDeleted {
  AssetId assetId;
  friend bool operator==(const AssetDeleted&, const AssetDeleted&) = default;
};

using DomainEvent =
    std::variant<SiteCreated, SiteSettingsUpdated, PageCreated, PageMetadataUpdated,
                 PageSlugChanged, ComponentAdded, ComponentPropsUpdated, ComponentMoved,
                 ComponentRemoved, PagePublished, DeploymentRequested, DeploymentStarted,
                 DeploymentSucceeded, DeploymentFailed, DeploymentRolledBack, DeploymentsPruned,
                 PageDeleted, PageRestored, PageUnpublished, PageDuplicated, TemplateSaved,
                 TemplateDeleted, DesignTokensUpdated, PageVersionLabelled, PageVersionRestored,
                 PreviewRequested, PreviewReady, PreviewFailed, AssetUploaded, AssetDeleted>;

struct AggregateRef {
  // "site" | "page" | "deployment" | "template" | "preview" | "asset" (static storage)
  std::string_view type;
  std::string id;
  friend bool operator==(const AggregateRef&, const AggregateRef&) = default;
};

std::string_view event_type(const DomainEvent& e);  // "PageCreated", ...
// Whether `name` is the type of some DomainEvent (GET /v1/audit's filter).
bool is_event_type(std::string_view name);
// The schema version of the data event_data writes for `e` (what the envelope
// must carry).
int event_schema_version(const DomainEvent& e);
// The current version of a type (kEventSchemaVersion for unknown types).
int event_schema_version(std::string_view type);
AggregateRef aggregate_of(const DomainEvent& e);
nlohmann::json event_data(const DomainEvent& e);
// Strict: unknown fields, missing fields and wrong types are VALIDATION_ERROR.
// Accepts every version from 1 to the type's current one, upcasting old data
// first (events/upcast.hpp); a newer version than this code knows is refused
// (field schemaVersion), never read as an older one.
Result<DomainEvent> event_from_json(std::string_view type, int schemaVersion,
                                    const nlohmann::json& data);

nlohmann::json site_seo_to_json(const SiteSeo& s);
nlohmann::json page_seo_to_json(const PageSeo& s);

// ---------------------------------------------------------------------------
// Strict JSON object reading, shared by the event, command and snapshot codecs.
// Every problem becomes an ErrorDetail{field, message}, so a client sees all of
// them at once. `null` counts as absent for optional fields.
namespace codec {

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& j, std::string prefix, std::vector<ErrorDetail>& errors,
               std::span<const std::string_view> allowed);
  ObjectReader(const nlohmann::json& j, std::string prefix, std::vector<ErrorDetail>& errors,
               std::initializer_list<std::string_view> allowed)
      : ObjectReader(j, std::move(prefix), errors,
                     std::span<const std::string_view>(allowed.begin(), allowed.size())) {}

  bool is_object() const { return obj_ != nullptr; }
  std::string field(std::string_view key) const;

  std::string str(std::string_view key);
  std::optional<std::string> opt_str(std::string_view key);
  int64_t i64(std::string_view key);
  std::optional<int64_t> opt_i64(std::string_view key);
  bool boolean(std::string_view key);
  std::optional<bool> opt_bool(std::string_view key);
  // The value if it is an object (required / optional).
  const nlohmann::json* object(std::string_view key);
  const nlohmann::json* opt_object(std::string_view key);
  const nlohmann::json* array(std::string_view key);
  const nlohmann::json* opt_array(std::string_view key);

  template <class Id>
  Id id(std::string_view key) {
    return Id{str(key)};
  }
  template <class Id>
  std::optional<Id> opt_id(std::string_view key) {
    auto s = opt_str(key);
    return s ? std::optional<Id>(Id{std::move(*s)}) : std::nullopt;
  }

  void fail(std::string_view key, std::string message);
  std::vector<ErrorDetail>& errors() { return errors_; }

 private:
  // The value of key, or nullptr (absent, or null when optional). Records
  // "is required" for a missing or null required field.
  const nlohmann::json* get(std::string_view key, bool required);
  std::optional<std::string> string_field(std::string_view key, bool required);
  std::optional<int64_t> int_field(std::string_view key, bool required);
  std::optional<bool> bool_field(std::string_view key, bool required);
  const nlohmann::json* object_field(std::string_view key, bool required);

  const nlohmann::json* obj_ = nullptr;
  std::string prefix_;
  std::vector<ErrorDetail>& errors_;
};

Error validation_error(std::string message, std::vector<ErrorDetail> details);

std::optional<SiteSeo> read_site_seo(ObjectReader& r, std::string_view key, bool required);
std::optional<PageSeo> read_page_seo(ObjectReader& r, std::string_view key, bool required);
// An optional array of page ids; a wrong element is reported as "key[i]".
std::optional<std::vector<PageId>> read_opt_page_ids(ObjectReader& r, std::string_view key);
// AssetUploaded's fields (the event's data and the UploadAsset command's body).
nlohmann::json asset_uploaded_to_json(const AssetUploaded& e);
AssetUploaded read_asset_uploaded(ObjectReader& r);
std::span<const std::string_view> asset_uploaded_fields();

}  // namespace codec
}  // namespace pw::domain
