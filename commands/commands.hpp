#pragma once
// Commands of the site aggregate and their JSON codec. Commands travel in log
// records as JSON (command_type + command_to_json), and the gateway builds them
// from HTTP bodies with command_from_json.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "events/domain.hpp"
#include "events/ids.hpp"
#include "events/result.hpp"

namespace pw::domain {

// Partial updates: absent fields keep their value.
struct SiteSeoPatch {
  std::optional<std::string> titleTemplate;
  std::optional<std::string> description;
  std::optional<std::string> ogImage;
  friend bool operator==(const SiteSeoPatch&, const SiteSeoPatch&) = default;
};

struct PageSeoPatch {
  std::optional<bool> noIndex;
  std::optional<std::string> canonical;
  std::optional<std::string> ogImage;
  friend bool operator==(const PageSeoPatch&, const PageSeoPatch&) = default;
};

struct CreateSite {
  SiteId siteId;
  std::string name;
  std::string subdomain;
  friend bool operator==(const CreateSite&, const CreateSite&) = default;
};

struct UpdateSiteSettings {
  std::optional<std::string> name;
  std::optional<SiteSeoPatch> seo;
  std::optional<nlohmann::json> settings;  // RFC 7386 merge patch onto the settings object
  friend bool operator==(const UpdateSiteSettings&, const UpdateSiteSettings&) = default;
};

struct CreatePage {
  PageId pageId;
  std::string title;
  std::optional<std::string> slug;  // absent: derived from the title
  std::optional<std::string> description;
  // From a template: the gateway resolves templateId and puts its content here
  // (components {id, type, props, slots}, ids already fresh); the decider
  // checks it like any content. templateId is recorded, never looked up.
  std::optional<nlohmann::json> content = std::nullopt;
  std::optional<std::string> templateId = std::nullopt;
  friend bool operator==(const CreatePage&, const CreatePage&) = default;
};

struct UpdatePageMetadata {
  PageId pageId;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<PageSeoPatch> seo;
  friend bool operator==(const UpdatePageMetadata&, const UpdatePageMetadata&) = default;
};

struct ChangePageSlug {
  PageId pageId;
  std::string slug;
  friend bool operator==(const ChangePageSlug&, const ChangePageSlug&) = default;
};

struct AddComponent {
  PageId pageId;
  ComponentId componentId;
  std::string type;
  std::optional<nlohmann::json> props;
  std::optional<ComponentId> parentId;  // absent: top level
  std::optional<std::string> slot;      // absent: the parent type's first slot
  std::optional<int64_t> index;         // absent: append
  friend bool operator==(const AddComponent&, const AddComponent&) = default;
};

struct UpdateComponentProps {
  PageId pageId;
  ComponentId componentId;
  nlohmann::json patch = nlohmann::json::object();  // RFC 7386 merge patch
  friend bool operator==(const UpdateComponentProps&, const UpdateComponentProps&) = default;
};

struct MoveComponent {
  PageId pageId;
  ComponentId componentId;
  std::optional<ComponentId> parentId;
  std::optional<std::string> slot;
  int64_t index = 0;  // in the target list after taking the component out
  friend bool operator==(const MoveComponent&, const MoveComponent&) = default;
};

struct RemoveComponent {
  PageId pageId;
  ComponentId componentId;
  friend bool operator==(const RemoveComponent&, const RemoveComponent&) = default;
};

struct PublishPage {
  PageId pageId;
  friend bool operator==(const PublishPage&, const PublishPage&) = default;
};

// Page lifecycle (editor+).
struct DeletePage {
  PageId pageId;
  friend bool operator==(const DeletePage&, const DeletePage&) = default;
};

struct RestorePage {
  PageId pageId;
  std::optional<std::string> slug = std::nullopt;  // absent: its slug before it was deleted
  friend bool operator==(const RestorePage&, const RestorePage&) = default;
};

struct UnpublishPage {
  PageId pageId;
  friend bool operator==(const UnpublishPage&, const UnpublishPage&) = default;
};

// pageId is the new page (the gateway derives it from the command id, so a
// repeat makes the same page); its component ids derive from it.
struct DuplicatePage {
  PageId pageId;
  PageId sourcePageId;
  std::optional<std::string> title = std::nullopt;  // absent: "<source title> (copy)"
  std::optional<std::string> slug = std::nullopt;   // absent: "<slug>-copy", "-copy-2", …
  friend bool operator==(const DuplicatePage&, const DuplicatePage&) = default;
};

// Templates (admin+): saved from the current content of a page of this site.
struct SaveTemplate {
  TemplateId templateId;
  PageId pageId;
  std::string name;
  std::optional<std::string> description = std::nullopt;
  friend bool operator==(const SaveTemplate&, const SaveTemplate&) = default;
};

struct DeleteTemplate {
  TemplateId templateId;
  friend bool operator==(const DeleteTemplate&, const DeleteTemplate&) = default;
};

// The site's whole token set (replaces it); schemas/design-tokens.json.
struct UpdateDesignTokens {
  nlohmann::json tokens = nlohmann::json::object();
  friend bool operator==(const UpdateDesignTokens&, const UpdateDesignTokens&) = default;
};

// Deployments. RequestDeployment and RollbackDeployment come from admins over
// HTTP; Start/Complete/FailDeployment only from the build pool (the gateway has
// no route that makes them).
struct RequestDeployment {
  DeploymentId deploymentId;
  std::string environment = "production";
  std::string strategy = "all-at-once";
  friend bool operator==(const RequestDeployment&, const RequestDeployment&) = default;
};

struct StartDeployment {
  DeploymentId deploymentId;
  std::string worker;
  friend bool operator==(const StartDeployment&, const StartDeployment&) = default;
};

// The builder's report travels as the event it asks for.
struct CompleteDeployment {
  DeploymentSucceeded outcome;
  friend bool operator==(const CompleteDeployment&, const CompleteDeployment&) = default;
};

struct FailDeployment {
  DeploymentFailed outcome;
  friend bool operator==(const FailDeployment&, const FailDeployment&) = default;
};

struct RollbackDeployment {
  DeploymentId deploymentId;  // the earlier successful deployment to make live again
  friend bool operator==(const RollbackDeployment&, const RollbackDeployment&) = default;
};

// A named save point on an existing version of the page (≤ 100 characters,
// unique per page); not an edit, so the page's version does not move.
struct LabelVersion {
  PageId pageId;
  int64_t version = 0;
  std::string label;
  friend bool operator==(const LabelVersion&, const LabelVersion&) = default;
};

// The page's content and metadata become those of `version`. The decider sees
// only the current state, so the gateway folds that version from the page's
// events and sends its metadata and content (component_to_json) along; the
// decider checks them like any content before they become one new version.
struct RestorePageVersion {
  PageId pageId;
  int64_t version = 0;
  std::string title;
  std::string slug;
  std::string description;
  PageSeo seo;
  nlohmann::json content = nlohmann::json::array();
  friend bool operator==(const RestorePageVersion&, const RestorePageVersion&) = default;
};
// Previews. RequestPreview comes from editors over HTTP (ttlSeconds from the
// gateway's configuration, never from the body); Complete/FailPreview only
// from the build pool.
struct RequestPreview {
  PreviewId previewId;
  std::optional<std::vector<PageId>> pageIds;  // absent: every page's draft
  std::optional<int64_t> ttlSeconds;           // absent: kPreviewTtlSeconds
  friend bool operator==(const RequestPreview&, const RequestPreview&) = default;
};

struct CompletePreview {
  PreviewReady outcome;
  friend bool operator==(const CompletePreview&, const CompletePreview&) = default;
};

struct FailPreview {
  PreviewFailed outcome;
  friend bool operator==(const FailPreview&, const FailPreview&) = default;
};

// Media assets (editor+). The gateway checks the file and stores its blobs
// before it sends UploadAsset, so the command carries the outcome (metadata
// and blob hashes); the decider checks it fits the site.
struct UploadAsset {
  AssetUploaded asset;
  friend bool operator==(const UploadAsset&, const UploadAsset&) = default;
};

struct DeleteAsset {
  AssetId assetId;
  friend bool operator==(const DeleteAsset&, const DeleteAsset&) = default;
};

// The page's whole tree as a Puck Data document (API.md "Puck documents"),
// kept as sent: the decider reads it against the current tree, so its errors
// name JSON pointers into the document, and turns the difference into the
// component events the per-component commands make.
struct ReplacePageContent {
  PageId pageId;
  nlohmann::json document = nlohmann::json::object();
  friend bool operator==(const ReplacePageContent&, const ReplacePageContent&) = default;
};

using Command =
    std::variant<CreateSite, UpdateSiteSettings, CreatePage, UpdatePageMetadata, ChangePageSlug,
                 AddComponent, UpdateComponentProps, MoveComponent, RemoveComponent, PublishPage,
                 RequestDeployment, StartDeployment, CompleteDeployment, FailDeployment,
                 RollbackDeployment, DeletePage, RestorePage, UnpublishPage, DuplicatePage,
                 SaveTemplate, DeleteTemplate, UpdateDesignTokens, LabelVersion,
                 RestorePageVersion, RequestPreview, CompletePreview, FailPreview,
                 UploadAsset, DeleteAsset, ReplacePageContent>;

struct CommandMeta {
  CommandId commandId;
  TenantId tenant;
  UserId actor;
  SiteId siteId;
  std::string occurredAt;  // RFC 3339, µs, UTC; deciders never read a clock
  std::optional<int64_t>
      expectedVersion;  // If-Match: the page's for page commands, else the site's
  friend bool operator==(const CommandMeta&, const CommandMeta&) = default;
};

std::string_view command_type(const Command& c);  // "CreatePage", ...
// The aggregate a command addresses (what If-Match refers to).
AggregateRef aggregate_of(const CommandMeta& meta, const Command& c);

nlohmann::json command_to_json(const Command& c);
// Strict: unknown fields, missing fields, wrong types → VALIDATION_ERROR with
// details {field, message}. Value rules (formats, lengths) are decide's job.
Result<Command> command_from_json(std::string_view type, const nlohmann::json& body);

nlohmann::json command_meta_to_json(const CommandMeta& m);
Result<CommandMeta> command_meta_from_json(const nlohmann::json& j);

}  // namespace pw::domain
