#pragma once
// State of one site aggregate (the consistency boundary): the site and all its
// pages with their component trees. Built only by folding DomainEvents (apply),
// or restored from a snapshot (site_state_from_json).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/domain.hpp"
#include "events/ids.hpp"
#include "events/result.hpp"

namespace pw::domain {

enum class PageStatus { draft, published, deleted };
std::string_view page_status_name(PageStatus s);
std::optional<PageStatus> page_status_from_name(std::string_view s);

struct Component {
  ComponentId id;
  std::string type;
  nlohmann::json props = nlohmann::json::object();
  // Exactly the slots the type (and, for Columns, its count) defines.
  std::map<std::string, std::vector<Component>> slots;
  friend bool operator==(const Component&, const Component&) = default;
};

// Where a component sits: its parent (empty id = top level) and slot. Positions
// are not stored, so moving a subtree touches only its root's entry.
struct ComponentLoc {
  ComponentId parent;
  std::string slot;
  friend bool operator==(const ComponentLoc&, const ComponentLoc&) = default;
};

struct PageState {
  PageId id;
  std::string slug;
  std::string title;
  std::string description;
  PageSeo seo;
  PageStatus status = PageStatus::draft;
  int64_t version = 0;             // number of this page's events
  int64_t publishedVersion = 0;    // 0 = never published
  std::vector<Component> content;  // top level
  // Derived from content (every component id → location); kept by apply and
  // rebuild_index. Part of == so tests catch a stale index.
  std::unordered_map<ComponentId, ComponentLoc> index;
  // Derived: content_bytes(content), kept by apply and rebuild_index, so the
  // deciders check a page's size without serializing it (also part of ==).
  size_t contentBytes = 2;
  // Named save points (PageVersionLabelled): version → its label.
  std::map<int64_t, std::string> labels;
  // The media assets its published version uses (set by PagePublished): an
  // asset they name cannot be deleted while the page is published.
  std::set<std::string> publishedAssets;
  friend bool operator==(const PageState&, const PageState&) = default;
};

enum class DeploymentStatus { queued, building, succeeded, failed };
std::string_view deployment_status_name(DeploymentStatus s);
std::optional<DeploymentStatus> deployment_status_from_name(std::string_view s);

// What deciding deployment commands needs; the details live in the read model.
struct DeploymentState {
  DeploymentId id;
  std::string environment;
  DeploymentStatus status = DeploymentStatus::queued;
  int64_t version = 0;        // number of this deployment's events
  int64_t succeededAt = 0;    // site version of its DeploymentSucceeded (0 = not yet)
  bool pruned = false;        // its files are gone: no rollback to it
  friend bool operator==(const DeploymentState&, const DeploymentState&) = default;
};

// An environment's live pointer and the deployment it replaced (kept by pruning).
struct EnvironmentState {
  DeploymentId live;
  DeploymentId previous;
  friend bool operator==(const EnvironmentState&, const EnvironmentState&) = default;
};

// A tenant template saved from a page of this site. Its content is kept as
// the event carried it (components as component_to_json writes them); a page
// made from it gets fresh ids.
struct TemplateState {
  TemplateId id;
  PageId sourcePageId;
  std::string name;
  std::string description;
  nlohmann::json content = nlohmann::json::array();
  int64_t version = 0;  // number of this template's events
  bool deleted = false;
  friend bool operator==(const TemplateState&, const TemplateState&) = default;
};
enum class PreviewStatus { requested, ready, failed };
std::string_view preview_status_name(PreviewStatus s);
std::optional<PreviewStatus> preview_status_from_name(std::string_view s);

// What deciding preview commands needs. A site keeps the previews that may
// not have expired yet (apply forgets those surely expired, so the state does
// not grow with every preview ever made).
struct PreviewState {
  PreviewId id;
  PreviewStatus status = PreviewStatus::requested;
  std::string expiresAt;
  int64_t version = 0;  // number of this preview's events
  friend bool operator==(const PreviewState&, const PreviewState&) = default;
};

// A media asset of the site, as uploaded; a deleted one is kept (its
// version goes on if the same file comes back).
struct AssetState {
  AssetUploaded asset;
  int64_t version = 0;  // number of this asset's events
  bool deleted = false;
  friend bool operator==(const AssetState&, const AssetState&) = default;
};

struct SiteState {
  bool exists = false;
  TenantId tenant;
  SiteId id;
  std::string subdomain;
  std::string name;
  SiteSeo seo;
  nlohmann::json settings = nlohmann::json::object();
  int64_t version = 0;  // number of all events of the site
  std::map<PageId, PageState> pages;
  std::unordered_map<std::string, PageId> slugs;  // derived: slug → its non-deleted page
  std::map<DeploymentId, DeploymentState> deployments;
  std::map<std::string, EnvironmentState> environments;  // "production" → pointers
  nlohmann::json designTokens = nlohmann::json::object();  // the whole set (DesignTokensUpdated)
  std::map<TemplateId, TemplateState> templates;
  std::map<PreviewId, PreviewState> previews;
  std::map<AssetId, AssetState> assets;
  friend bool operator==(const SiteState&, const SiteState&) = default;
};

// Lookups (nullptr when absent).
const PageState* find_page(const SiteState& s, const PageId& id);
const DeploymentState* find_deployment(const SiteState& s, const DeploymentId& id);
const TemplateState* find_template(const SiteState& s, const TemplateId& id);
const PreviewState* find_preview(const SiteState& s, const PreviewId& id);
const AssetState* find_asset(const SiteState& s, const AssetId& id);  // deleted ones too
const Component* find_component(const PageState& p, const ComponentId& id);
Component* find_component(PageState& p, const ComponentId& id);
// The list a component lives in, or the list `parent`/`slot` names (nullptr if absent).
const std::vector<Component>* child_list(const PageState& p, const ComponentId& parent,
                                         const std::string& slot);
std::vector<Component>* child_list(PageState& p, const ComponentId& parent,
                                   const std::string& slot);
// Depth of a component: 1 at top level. 0 if absent.
int component_depth(const PageState& p, const ComponentId& id);
// Levels in the subtree rooted at c (1 for a leaf).
int subtree_height(const Component& c);

// Sizes of compact JSON as component_to_json writes it, computed without
// building it (API.md "Limits": a page's content ≤ kMaxPageContentBytes).
// The whole list, e.g. a page's content: `[c1,c2,…]`.
size_t content_bytes(const std::vector<Component>& list);
// One component with every slot list empty (its slots as the type and props
// define them): what adding it, or changing its props, adds to the content.
size_t component_own_bytes(const ComponentId& id, std::string_view type,
                           const nlohmann::json& props);
// One component with its whole subtree.
size_t component_bytes(const Component& c);

void rebuild_index(PageState& p);  // the component index and contentBytes
void rebuild_indexes(SiteState& s);  // pages' component indexes and the slug index

// The version of an aggregate as the envelope reports it (0 if unknown).
int64_t aggregate_version(const SiteState& s, const AggregateRef& ref);

// Snapshots: exact round trip (site_state_from_json(site_state_to_json(s)) == s).
nlohmann::json component_to_json(const Component& c);
nlohmann::json content_to_json(const std::vector<Component>& content);
// A content array as content_to_json writes it (and as events carry it).
// Shape only (objects, ids, types, props objects, slot arrays, depth); what
// the types allow is validate_content's business (commands/components.hpp).
// Details name fields below `prefix` ("content[0].slots.children[1].id").
Result<std::vector<Component>> content_from_json(const nlohmann::json& j,
                                                 const std::string& prefix = "content");
nlohmann::json page_state_to_json(const PageState& p);
Result<PageState> page_state_from_json(const nlohmann::json& j);
nlohmann::json site_state_to_json(const SiteState& s);
Result<SiteState> site_state_from_json(const nlohmann::json& j);

}  // namespace pw::domain
