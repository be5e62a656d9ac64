#include "events/domain.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "events/upcast.hpp"

namespace pw::domain {
using nlohmann::json;

namespace codec {

ObjectReader::ObjectReader(const json& j, std::string prefix, std::vector<ErrorDetail>& errors,
                           std::span<const std::string_view> allowed)
    : prefix_(std::move(prefix)), errors_(errors) {
  if (!j.is_object()) {
    std::string f = prefix_;
    if (!f.empty() && f.back() == '.') f.pop_back();
    errors_.push_back({std::move(f), "must be an object"});
    return;
  }
  obj_ = &j;
  for (const auto& [k, v] : j.items())
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
      errors_.push_back({prefix_ + k, "unknown field"});
}

std::string ObjectReader::field(std::string_view key) const {
  std::string f = prefix_;
  f += key;
  return f;
}

void ObjectReader::fail(std::string_view key, std::string message) {
  errors_.push_back({field(key), std::move(message)});
}

const json* ObjectReader::get(std::string_view key, bool required) {
  if (!obj_) return nullptr;
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) {
    if (required) fail(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::string_field(std::string_view key, bool required) {
  const json* v = get(key, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(key, "must be a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<int64_t> ObjectReader::int_field(std::string_view key, bool required) {
  const json* v = get(key, required);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    return v->get<int64_t>();
  }
  fail(key, "must be an integer");
  return std::nullopt;
}

std::optional<bool> ObjectReader::bool_field(std::string_view key, bool required) {
  const json* v = get(key, required);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(key, "must be a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

const json* ObjectReader::object_field(std::string_view key, bool required) {
  const json* v = get(key, required);
  if (v && !v->is_object()) {
    fail(key, "must be an object");
    return nullptr;
  }
  return v;
}

std::string ObjectReader::str(std::string_view key) {
  return string_field(key, true).value_or(std::string());
}
std::optional<std::string> ObjectReader::opt_str(std::string_view key) {
  return string_field(key, false);
}
int64_t ObjectReader::i64(std::string_view key) { return int_field(key, true).value_or(0); }
std::optional<int64_t> ObjectReader::opt_i64(std::string_view key) { return int_field(key, false); }
bool ObjectReader::boolean(std::string_view key) { return bool_field(key, true).value_or(false); }
std::optional<bool> ObjectReader::opt_bool(std::string_view key) { return bool_field(key, false); }
const json* ObjectReader::object(std::string_view key) { return object_field(key, true); }
const json* ObjectReader::opt_object(std::string_view key) { return object_field(key, false); }

const json* ObjectReader::array(std::string_view key) {
  const json* v = get(key, true);
  if (v && !v->is_array()) {
    fail(key, "must be an array");
    return nullptr;
  }
  return v;
}

const json* ObjectReader::opt_array(std::string_view key) {
  const json* v = get(key, false);
  if (v && !v->is_array()) {
    fail(key, "must be an array");
    return nullptr;
  }
  return v;
}

Error validation_error(std::string message, std::vector<ErrorDetail> details) {
  return make_error(Errc::validation_error, std::move(message), std::move(details));
}

std::optional<SiteSeo> read_site_seo(ObjectReader& r, std::string_view key, bool required) {
  const json* j = required ? r.object(key) : r.opt_object(key);
  if (!j) return std::nullopt;
  ObjectReader s(*j, r.field(key) + ".", r.errors(), {"titleTemplate", "description", "ogImage"});
  return SiteSeo{s.str("titleTemplate"), s.str("description"), s.str("ogImage")};
}

std::optional<std::vector<PageId>> read_opt_page_ids(ObjectReader& r, std::string_view key) {
  const json* a = r.opt_array(key);
  if (!a) return std::nullopt;
  std::vector<PageId> ids;
  for (size_t i = 0; i < a->size(); ++i) {
    if (!(*a)[i].is_string()) {
      r.fail(std::string(key) + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    ids.emplace_back((*a)[i].get<std::string>());
  }
  return ids;
}

json asset_uploaded_to_json(const AssetUploaded& e) {
  json variants = json::array();
  for (const auto& v : e.variants)
    variants.push_back(json{{"width", v.width}, {"height", v.height}, {"hash", v.hash}, {"bytes", v.bytes}});
  return json{{"assetId", e.assetId.value}, {"hash", e.hash},     {"contentType", e.contentType},
              {"bytes", e.bytes},           {"width", e.width},   {"height", e.height},
              {"filename", e.filename},     {"variants", std::move(variants)}};
}

std::span<const std::string_view> asset_uploaded_fields() {
  static constexpr std::string_view kFields[] = {"assetId", "hash",     "contentType", "bytes",
                                                 "width",   "height",   "filename",    "variants"};
  return kFields;
}

AssetUploaded read_asset_uploaded(ObjectReader& r) {
  AssetUploaded e;
  e.assetId = r.id<AssetId>("assetId");
  e.hash = r.str("hash");
  e.contentType = r.str("contentType");
  e.bytes = r.i64("bytes");
  e.width = r.i64("width");
  e.height = r.i64("height");
  e.filename = r.str("filename");
  const json* list = r.array("variants");
  if (!list) return e;
  for (size_t i = 0; i < list->size(); ++i) {
    ObjectReader v((*list)[i], r.field("variants") + "[" + std::to_string(i) + "].", r.errors(),
                   {"width", "height", "hash", "bytes"});
    if (!v.is_object()) continue;
    e.variants.push_back(AssetVariant{v.i64("width"), v.i64("height"), v.str("hash"), v.i64("bytes")});
  }
  return e;
}

std::optional<PageSeo> read_page_seo(ObjectReader& r, std::string_view key, bool required) {
  const json* j = required ? r.object(key) : r.opt_object(key);
  if (!j) return std::nullopt;
  ObjectReader s(*j, r.field(key) + ".", r.errors(), {"noIndex", "canonical", "ogImage"});
  PageSeo seo;
  seo.noIndex = s.boolean("noIndex");
  seo.canonical = s.str("canonical");
  seo.ogImage = s.str("ogImage");
  return seo;
}

}  // namespace codec

json site_seo_to_json(const SiteSeo& s) {
  return json{
      {"titleTemplate", s.titleTemplate}, {"description", s.description}, {"ogImage", s.ogImage}};
}

json page_seo_to_json(const PageSeo& s) {
  return json{{"noIndex", s.noIndex}, {"canonical", s.canonical}, {"ogImage", s.ogImage}};
}

namespace {

template <class T>
struct EventName;
#define PW_EVENT_NAME(T, agg)                          \
  template <>                                          \
  struct EventName<T> {                                \
    static constexpr std::string_view name = #T;       \
    static constexpr std::string_view aggregate = agg; \
  };
PW_EVENT_NAME(SiteCreated, "site")
PW_EVENT_NAME(SiteSettingsUpdated, "site")
PW_EVENT_NAME(PageCreated, "page")
PW_EVENT_NAME(PageMetadataUpdated, "page")
PW_EVENT_NAME(PageSlugChanged, "page")
PW_EVENT_NAME(ComponentAdded, "page")
PW_EVENT_NAME(ComponentPropsUpdated, "page")
PW_EVENT_NAME(ComponentMoved, "page")
PW_EVENT_NAME(ComponentRemoved, "page")
PW_EVENT_NAME(PagePublished, "page")
PW_EVENT_NAME(DeploymentRequested, "deployment")
PW_EVENT_NAME(DeploymentStarted, "deployment")
PW_EVENT_NAME(DeploymentSucceeded, "deployment")
PW_EVENT_NAME(DeploymentFailed, "deployment")
PW_EVENT_NAME(DeploymentRolledBack, "deployment")
PW_EVENT_NAME(DeploymentsPruned, "site")
PW_EVENT_NAME(PageDeleted, "page")
PW_EVENT_NAME(PageRestored, "page")
PW_EVENT_NAME(PageUnpublished, "page")
PW_EVENT_NAME(PageDuplicated, "page")
PW_EVENT_NAME(TemplateSaved, "template")
PW_EVENT_NAME(TemplateDeleted, "template")
PW_EVENT_NAME(DesignTokensUpdated, "site")
PW_EVENT_NAME(PageVersionLabelled, "page")
PW_EVENT_NAME(PageVersionRestored, "page")
PW_EVENT_NAME(PreviewRequested, "preview")
PW_EVENT_NAME(PreviewReady, "preview")
PW_EVENT_NAME(PreviewFailed, "preview")
PW_EVENT_NAME(AssetUploaded, "asset")
PW_EVENT_NAME(AssetDeleted, "asset")
#undef PW_EVENT_NAME

void put_position(json& j, const std::optional<ComponentId>& parent, const std::string& slot,
                  int64_t index) {
  if (parent) {
    j["parentId"] = parent->value;
    j["slot"] = slot;
  }
  j["index"] = index;
}

json to_data(const SiteCreated& e) {
  return json{{"siteId", e.siteId.value},
              {"tenantId", e.tenant.value},
              {"name", e.name},
              {"subdomain", e.subdomain}};
}
json to_data(const SiteSettingsUpdated& e) {
  json j{{"siteId", e.siteId.value}};
  if (e.name) j["name"] = *e.name;
  if (e.seo) j["seo"] = site_seo_to_json(*e.seo);
  if (e.settings) j["settings"] = *e.settings;
  if (e.settingsPatch) j["settingsPatch"] = *e.settingsPatch;
  return j;
}
json to_data(const PageCreated& e) {
  json j{{"pageId", e.pageId.value},
         {"title", e.title},
         {"slug", e.slug},
         {"description", e.description}};
  if (!e.content.empty()) j["content"] = e.content;
  if (e.templateId) j["templateId"] = *e.templateId;
  return j;
}
json to_data(const PageMetadataUpdated& e) {
  json j{{"pageId", e.pageId.value}};
  if (e.title) j["title"] = *e.title;
  if (e.description) j["description"] = *e.description;
  if (e.seo) j["seo"] = page_seo_to_json(*e.seo);
  return j;
}
json to_data(const PageSlugChanged& e) {
  return json{{"pageId", e.pageId.value}, {"slug", e.slug}, {"previousSlug", e.previousSlug}};
}
json to_data(const ComponentAdded& e) {
  json j{{"pageId", e.pageId.value},
         {"componentId", e.componentId.value},
         {"type", e.type},
         {"props", e.props}};
  put_position(j, e.parentId, e.slot, e.index);
  return j;
}
json to_data(const ComponentPropsUpdated& e) {
  return json{{"pageId", e.pageId.value},
              {"componentId", e.componentId.value},
              {"patch", e.patch},
              {"props", e.props}};
}
json position_json(const std::optional<ComponentId>& parent, const std::string& slot, int64_t index) {
  json j = json::object();
  put_position(j, parent, slot, index);
  return j;
}
json to_data(const ComponentMoved& e) {
  json j{{"pageId", e.pageId.value},
         {"componentId", e.componentId.value},
         {"to", position_json(e.parentId, e.slot, e.index)}};
  if (e.from) j["from"] = position_json(e.from->parentId, e.from->slot, e.from->index);
  return j;
}
json to_data(const ComponentRemoved& e) {
  return json{{"pageId", e.pageId.value}, {"componentId", e.componentId.value}};
}
json to_data(const PagePublished& e) {
  return json{{"pageId", e.pageId.value}, {"version", e.version}};
}

json to_data(const PageDeleted& e) { return json{{"pageId", e.pageId.value}}; }
json to_data(const PageRestored& e) { return json{{"pageId", e.pageId.value}, {"slug", e.slug}}; }
json to_data(const PageUnpublished& e) { return json{{"pageId", e.pageId.value}}; }
json to_data(const PageDuplicated& e) {
  return json{{"pageId", e.pageId.value},          {"sourcePageId", e.sourcePageId.value},
              {"title", e.title},                  {"slug", e.slug},
              {"description", e.description},      {"seo", page_seo_to_json(e.seo)},
              {"content", e.content}};
}
json to_data(const TemplateSaved& e) {
  return json{{"templateId", e.templateId.value}, {"sourcePageId", e.sourcePageId.value},
              {"name", e.name},                   {"description", e.description},
              {"content", e.content}};
}
json to_data(const TemplateDeleted& e) { return json{{"templateId", e.templateId.value}}; }
json to_data(const DesignTokensUpdated& e) {
  return json{{"siteId", e.siteId.value}, {"tokens", e.tokens}};
}

json strings_to_json(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& x : v) a.push_back(x);
  return a;
}
json to_data(const DeploymentRequested& e) {
  return json{{"deploymentId", e.deploymentId.value},
              {"environment", e.environment},
              {"strategy", e.strategy}};
}
json to_data(const DeploymentStarted& e) {
  return json{{"deploymentId", e.deploymentId.value}, {"worker", e.worker}};
}
json to_data(const DeploymentSucceeded& e) {
  const DeploymentReport& r = e.report;
  return json{{"deploymentId", e.deploymentId.value},
              {"manifestHash", e.manifestHash},
              {"url", e.url},
              {"report",
               {{"pagesRendered", r.pagesRendered},
                {"pagesReused", r.pagesReused},
                {"files", r.files},
                {"bytes", r.bytes},
                {"renderMs", r.renderMs},
                {"shipMs", r.shipMs},
                {"checkMs", r.checkMs},
                {"totalMs", r.totalMs}}},
              {"log", strings_to_json(e.log)}};
}
json to_data(const DeploymentFailed& e) {
  return json{{"deploymentId", e.deploymentId.value},
              {"reason", e.reason},
              {"log", strings_to_json(e.log)}};
}
json to_data(const DeploymentRolledBack& e) {
  return json{{"deploymentId", e.deploymentId.value},
              {"environment", e.environment},
              {"previousDeploymentId", e.previousDeploymentId.value}};
}
json to_data(const DeploymentsPruned& e) {
  json ids = json::array();
  for (const auto& id : e.deploymentIds) ids.push_back(id.value);
  return json{{"siteId", e.siteId.value}, {"deploymentIds", std::move(ids)}};
}

json to_data(const PageVersionLabelled& e) {
  return json{{"pageId", e.pageId.value}, {"version", e.version}, {"label", e.label}};
}
json to_data(const PageVersionRestored& e) {
  return json{{"pageId", e.pageId.value},       {"version", e.version},
              {"title", e.title},               {"slug", e.slug},
              {"previousSlug", e.previousSlug}, {"description", e.description},
              {"seo", page_seo_to_json(e.seo)}, {"content", e.content}};
}
json to_data(const PreviewRequested& e) {
  json j{{"previewId", e.previewId.value}, {"expiresAt", e.expiresAt}};
  if (e.pageIds) {
    json ids = json::array();
    for (const auto& id : *e.pageIds) ids.push_back(id.value);
    j["pageIds"] = std::move(ids);
  }
  return j;
}
json to_data(const PreviewReady& e) {
  return json{{"previewId", e.previewId.value}, {"manifestHash", e.manifestHash}};
}
json to_data(const PreviewFailed& e) {
  return json{{"previewId", e.previewId.value}, {"reason", e.reason}, {"log", strings_to_json(e.log)}};
}

json to_data(const AssetUploaded& e) { return codec::asset_uploaded_to_json(e); }
json to_data(const AssetDeleted& e) { return json{{"assetId", e.assetId.value}}; }

using codec::ObjectReader;

std::vector<std::string> read_strings(ObjectReader& r, std::string_view key) {
  std::vector<std::string> out;
  const json* a = r.array(key);
  if (!a) return out;
  for (const auto& x : *a) {
    if (!x.is_string()) {
      r.fail(key, "must be an array of strings");
      return {};
    }
    out.push_back(x.get<std::string>());
  }
  return out;
}

// parentId and slot come together; index is never negative.
void read_position(ObjectReader& r, std::optional<ComponentId>& parent, std::string& slot,
                   int64_t& index) {
  parent = r.opt_id<ComponentId>("parentId");
  auto s = r.opt_str("slot");
  if (parent && !s) r.fail("slot", "is required with parentId");
  if (!parent && s) r.fail("slot", "is only allowed with parentId");
  slot = s.value_or(std::string());
  index = r.i64("index");
  if (index < 0) r.fail("index", "must not be negative");
}

template <class T>
T from_data(ObjectReader& r);

template <>
SiteCreated from_data(ObjectReader& r) {
  return SiteCreated{r.id<SiteId>("siteId"), r.id<TenantId>("tenantId"), r.str("name"),
                     r.str("subdomain")};
}
template <>
SiteSettingsUpdated from_data(ObjectReader& r) {
  SiteSettingsUpdated e;
  e.siteId = r.id<SiteId>("siteId");
  e.name = r.opt_str("name");
  e.seo = codec::read_site_seo(r, "seo", false);
  // Which of the two the data may hold is the field list's business (decode).
  if (const json* s = r.opt_object("settings")) e.settings = *s;
  if (const json* s = r.opt_object("settingsPatch")) e.settingsPatch = *s;
  return e;
}
template <>
PageCreated from_data(ObjectReader& r) {
  PageCreated e;
  e.pageId = r.id<PageId>("pageId");
  e.title = r.str("title");
  e.slug = r.str("slug");
  e.description = r.str("description");
  // Version 1's field list has neither, so they are refused there as unknown.
  if (const json* c = r.opt_array("content")) e.content = *c;
  e.templateId = r.opt_str("templateId");
  return e;
}
template <>
PageMetadataUpdated from_data(ObjectReader& r) {
  PageMetadataUpdated e;
  e.pageId = r.id<PageId>("pageId");
  e.title = r.opt_str("title");
  e.description = r.opt_str("description");
  e.seo = codec::read_page_seo(r, "seo", false);
  return e;
}
template <>
PageSlugChanged from_data(ObjectReader& r) {
  return PageSlugChanged{r.id<PageId>("pageId"), r.str("slug"), r.str("previousSlug")};
}
template <>
ComponentAdded from_data(ObjectReader& r) {
  ComponentAdded e;
  e.pageId = r.id<PageId>("pageId");
  e.componentId = r.id<ComponentId>("componentId");
  e.type = r.str("type");
  if (const json* p = r.object("props")) e.props = *p;
  read_position(r, e.parentId, e.slot, e.index);
  return e;
}
template <>
ComponentPropsUpdated from_data(ObjectReader& r) {
  ComponentPropsUpdated e;
  e.pageId = r.id<PageId>("pageId");
  e.componentId = r.id<ComponentId>("componentId");
  if (const json* p = r.object("patch")) e.patch = *p;
  if (const json* p = r.object("props")) e.props = *p;
  return e;
}
template <>
ComponentMoved from_data(ObjectReader& r) {
  ComponentMoved e;
  e.pageId = r.id<PageId>("pageId");
  e.componentId = r.id<ComponentId>("componentId");
  static constexpr std::string_view kPosition[] = {"parentId", "slot", "index"};
  if (const json* to = r.object("to")) {
    ObjectReader p(*to, r.field("to") + ".", r.errors(), kPosition);
    read_position(p, e.parentId, e.slot, e.index);
  }
  if (const json* from = r.opt_object("from")) {
    ObjectReader p(*from, r.field("from") + ".", r.errors(), kPosition);
    ComponentPosition at;
    read_position(p, at.parentId, at.slot, at.index);
    e.from = std::move(at);
  }
  return e;
}
template <>
ComponentRemoved from_data(ObjectReader& r) {
  return ComponentRemoved{r.id<PageId>("pageId"), r.id<ComponentId>("componentId")};
}
template <>
PagePublished from_data(ObjectReader& r) {
  return PagePublished{r.id<PageId>("pageId"), r.i64("version")};
}

template <>
DeploymentRequested from_data(ObjectReader& r) {
  return DeploymentRequested{r.id<DeploymentId>("deploymentId"), r.str("environment"),
                             r.str("strategy")};
}
template <>
DeploymentStarted from_data(ObjectReader& r) {
  return DeploymentStarted{r.id<DeploymentId>("deploymentId"), r.str("worker")};
}
template <>
DeploymentSucceeded from_data(ObjectReader& r) {
  DeploymentSucceeded e;
  e.deploymentId = r.id<DeploymentId>("deploymentId");
  e.manifestHash = r.str("manifestHash");
  e.url = r.str("url");
  if (const json* rep = r.object("report")) {
    ObjectReader rr(*rep, "report.", r.errors(),
                    {"pagesRendered", "pagesReused", "files", "bytes", "renderMs", "shipMs",
                     "checkMs", "totalMs"});
    e.report = DeploymentReport{rr.i64("pagesRendered"), rr.i64("pagesReused"), rr.i64("files"),
                                rr.i64("bytes"),         rr.i64("renderMs"),    rr.i64("shipMs"),
                                rr.i64("checkMs"),       rr.i64("totalMs")};
  }
  e.log = read_strings(r, "log");
  return e;
}
template <>
DeploymentFailed from_data(ObjectReader& r) {
  DeploymentFailed e;
  e.deploymentId = r.id<DeploymentId>("deploymentId");
  e.reason = r.str("reason");
  e.log = read_strings(r, "log");
  return e;
}
template <>
DeploymentRolledBack from_data(ObjectReader& r) {
  return DeploymentRolledBack{r.id<DeploymentId>("deploymentId"), r.str("environment"),
                              r.id<DeploymentId>("previousDeploymentId")};
}
template <>
DeploymentsPruned from_data(ObjectReader& r) {
  DeploymentsPruned e;
  e.siteId = r.id<SiteId>("siteId");
  for (auto& id : read_strings(r, "deploymentIds")) e.deploymentIds.emplace_back(std::move(id));
  return e;
}

template <>
PageDeleted from_data(ObjectReader& r) {
  return PageDeleted{r.id<PageId>("pageId")};
}
template <>
PageRestored from_data(ObjectReader& r) {
  return PageRestored{r.id<PageId>("pageId"), r.str("slug")};
}
template <>
PageUnpublished from_data(ObjectReader& r) {
  return PageUnpublished{r.id<PageId>("pageId")};
}
template <>
PageDuplicated from_data(ObjectReader& r) {
  PageDuplicated e;
  e.pageId = r.id<PageId>("pageId");
  e.sourcePageId = r.id<PageId>("sourcePageId");
  e.title = r.str("title");
  e.slug = r.str("slug");
  e.description = r.str("description");
  if (auto seo = codec::read_page_seo(r, "seo", true)) e.seo = *seo;
  if (const json* c = r.array("content")) e.content = *c;
  return e;
}
template <>
TemplateSaved from_data(ObjectReader& r) {
  TemplateSaved e;
  e.templateId = r.id<TemplateId>("templateId");
  e.sourcePageId = r.id<PageId>("sourcePageId");
  e.name = r.str("name");
  e.description = r.str("description");
  if (const json* c = r.array("content")) e.content = *c;
  return e;
}
template <>
TemplateDeleted from_data(ObjectReader& r) {
  return TemplateDeleted{r.id<TemplateId>("templateId")};
}
template <>
DesignTokensUpdated from_data(ObjectReader& r) {
  DesignTokensUpdated e;
  e.siteId = r.id<SiteId>("siteId");
  if (const json* t = r.object("tokens")) e.tokens = *t;
  return e;
}
template <>
PageVersionLabelled from_data(ObjectReader& r) {
  return PageVersionLabelled{r.id<PageId>("pageId"), r.i64("version"), r.str("label")};
}
template <>
PageVersionRestored from_data(ObjectReader& r) {
  PageVersionRestored e;
  e.pageId = r.id<PageId>("pageId");
  e.version = r.i64("version");
  e.title = r.str("title");
  e.slug = r.str("slug");
  e.previousSlug = r.str("previousSlug");
  e.description = r.str("description");
  if (auto seo = codec::read_page_seo(r, "seo", true)) e.seo = *seo;
  if (const json* c = r.array("content")) e.content = *c;
  return e;
}
template <>
PreviewRequested from_data(ObjectReader& r) {
  PreviewRequested e;
  e.previewId = r.id<PreviewId>("previewId");
  e.pageIds = codec::read_opt_page_ids(r, "pageIds");
  e.expiresAt = r.str("expiresAt");
  return e;
}
template <>
PreviewReady from_data(ObjectReader& r) {
  return PreviewReady{r.id<PreviewId>("previewId"), r.str("manifestHash")};
}
template <>
PreviewFailed from_data(ObjectReader& r) {
  PreviewFailed e;
  e.previewId = r.id<PreviewId>("previewId");
  e.reason = r.str("reason");
  e.log = read_strings(r, "log");
  return e;
}

template <>
AssetUploaded from_data(ObjectReader& r) {
  return codec::read_asset_uploaded(r);
}
template <>
AssetDeleted from_data(ObjectReader& r) {
  return AssetDeleted{r.id<AssetId>("assetId")};
}

// Field lists per type, for the strict unknown-field check.
template <class T>
std::span<const std::string_view> fields_of();
#define PW_FIELDS(T, ...)                                        \
  template <>                                                    \
  std::span<const std::string_view> fields_of<T>() {             \
    static constexpr std::string_view kFields[] = {__VA_ARGS__}; \
    return kFields;                                              \
  }
PW_FIELDS(SiteCreated, "siteId", "tenantId", "name", "subdomain")
PW_FIELDS(SiteSettingsUpdated, "siteId", "name", "seo", "settingsPatch")
PW_FIELDS(PageCreated, "pageId", "title", "slug", "description", "content", "templateId")
PW_FIELDS(PageMetadataUpdated, "pageId", "title", "description", "seo")
PW_FIELDS(PageSlugChanged, "pageId", "slug", "previousSlug")
PW_FIELDS(ComponentAdded, "pageId", "componentId", "type", "props", "parentId", "slot", "index")
PW_FIELDS(ComponentPropsUpdated, "pageId", "componentId", "patch", "props")
PW_FIELDS(ComponentMoved, "pageId", "componentId", "to", "from")
PW_FIELDS(ComponentRemoved, "pageId", "componentId")
PW_FIELDS(PagePublished, "pageId", "version")
PW_FIELDS(DeploymentRequested, "deploymentId", "environment", "strategy")
PW_FIELDS(DeploymentStarted, "deploymentId", "worker")
PW_FIELDS(DeploymentSucceeded, "deploymentId", "manifestHash", "url", "report", "log")
PW_FIELDS(DeploymentFailed, "deploymentId", "reason", "log")
PW_FIELDS(DeploymentRolledBack, "deploymentId", "environment", "previousDeploymentId")
PW_FIELDS(DeploymentsPruned, "siteId", "deploymentIds")
PW_FIELDS(PageDeleted, "pageId")
PW_FIELDS(PageRestored, "pageId", "slug")
PW_FIELDS(PageUnpublished, "pageId")
PW_FIELDS(PageDuplicated, "pageId", "sourcePageId", "title", "slug", "description", "seo",
          "content")
PW_FIELDS(TemplateSaved, "templateId", "sourcePageId", "name", "description", "content")
PW_FIELDS(TemplateDeleted, "templateId")
PW_FIELDS(DesignTokensUpdated, "siteId", "tokens")
PW_FIELDS(PageVersionLabelled, "pageId", "version", "label")
PW_FIELDS(PageVersionRestored, "pageId", "version", "title", "slug", "previousSlug", "description",
          "seo", "content")
PW_FIELDS(PreviewRequested, "previewId", "pageIds", "expiresAt")
PW_FIELDS(PreviewReady, "previewId", "manifestHash")
PW_FIELDS(PreviewFailed, "previewId", "reason", "log")
PW_FIELDS(AssetUploaded, "assetId", "hash", "contentType", "bytes", "width", "height", "filename", "variants")
PW_FIELDS(AssetDeleted, "assetId")

#undef PW_FIELDS

// The fields a type's data may hold at a schema version (the current list
// unless the type changed shape).
template <class T>
std::span<const std::string_view> fields_at(int /*version*/) {
  return fields_of<T>();
}
template <>
std::span<const std::string_view> fields_at<SiteSettingsUpdated>(int version) {
  static constexpr std::string_view kVersion1[] = {"siteId", "name", "seo", "settings"};
  if (version == 1) return kVersion1;
  return fields_of<SiteSettingsUpdated>();
}
template <>
std::span<const std::string_view> fields_at<PageCreated>(int version) {
  static constexpr std::string_view kVersion1[] = {"pageId", "title", "slug", "description"};
  if (version == 1) return kVersion1;
  return fields_of<PageCreated>();
}

template <class T>
Result<DomainEvent> decode(const json& data, int version) {
  std::vector<ErrorDetail> errors;
  ObjectReader r(data, "", errors, fields_at<T>(version));
  T e = from_data<T>(r);
  if (!errors.empty())
    return codec::validation_error("invalid " + std::string(EventName<T>::name) + " data",
                                   std::move(errors));
  return DomainEvent{std::move(e)};
}

using Decoder = Result<DomainEvent> (*)(const json&, int);

template <class... Ts>
Decoder decoder_for(std::string_view type, std::variant<Ts...>*) {
  Decoder d = nullptr;
  ((type == EventName<Ts>::name ? (d = &decode<Ts>, true) : false) || ...);
  return d;
}

}  // namespace

void fold_settings(json& settings, const SiteSettingsUpdated& e) {
  if (e.settings) settings = *e.settings;
  if (e.settingsPatch) settings.merge_patch(*e.settingsPatch);
}

json merge_patch_diff(const json& from, const json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  json patch = json::object();
  for (auto it = from.begin(); it != from.end(); ++it)
    if (!to.contains(it.key())) patch[it.key()] = nullptr;
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto old = from.find(it.key());
    if (old == from.end()) {
      patch[it.key()] = *it;
    } else if (old->is_object() && it->is_object()) {
      json sub = merge_patch_diff(*old, *it);
      if (!sub.empty()) patch[it.key()] = std::move(sub);
    } else if (*old != *it) {
      patch[it.key()] = *it;
    }
  }
  return patch;
}

int event_schema_version(std::string_view type) {
  if (type == EventName<SiteSettingsUpdated>::name) return kSiteSettingsUpdatedVersion;
  if (type == EventName<PageCreated>::name) return kPageCreatedVersion;
  if (type == EventName<ComponentMoved>::name) return kComponentMovedVersion;
  return kEventSchemaVersion;
}

int event_schema_version(const DomainEvent& e) {
  // A version-1 settings event read back keeps its shape when written again.
  if (const auto* s = std::get_if<SiteSettingsUpdated>(&e); s && s->settings) return 1;
  // A blank page's PageCreated is version-1 data: written as version 1, so
  // readers that know only version 1 still read every page without content.
  if (const auto* p = std::get_if<PageCreated>(&e); p && p->content.empty() && !p->templateId)
    return 1;
  return event_schema_version(event_type(e));
}

std::string_view event_type(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return EventName<std::decay_t<decltype(ev)>>::name; }, e);
}

namespace {
template <size_t... I>
bool names_an_alternative(std::string_view name, std::index_sequence<I...>) {
  return ((EventName<std::variant_alternative_t<I, DomainEvent>>::name == name) || ...);
}
}  // namespace

bool is_event_type(std::string_view name) {
  return names_an_alternative(name, std::make_index_sequence<std::variant_size_v<DomainEvent>>{});
}

AggregateRef aggregate_of(const DomainEvent& e) {
  return std::visit(
      [](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (EventName<T>::aggregate == "site")
          return AggregateRef{"site", ev.siteId.value};
        else if constexpr (EventName<T>::aggregate == "deployment")
          return AggregateRef{"deployment", ev.deploymentId.value};
        else if constexpr (EventName<T>::aggregate == "template")
          return AggregateRef{"template", ev.templateId.value};
        else if constexpr (EventName<T>::aggregate == "preview")
          return AggregateRef{"preview", ev.previewId.value};
        else if constexpr (EventName<T>::aggregate == "asset")
          return AggregateRef{"asset", ev.assetId.value};
        else
          return AggregateRef{"page", ev.pageId.value};
      },
      e);
}

json event_data(const DomainEvent& e) {
  return std::visit([](const auto& ev) { return to_data(ev); }, e);
}

Result<DomainEvent> event_from_json(std::string_view type, int schemaVersion, const json& data) {
  Decoder d = decoder_for(type, static_cast<DomainEvent*>(nullptr));
  if (!d) return codec::validation_error("unknown event type", {{"type", "unknown event type"}});
  if (schemaVersion < 1 || schemaVersion > event_schema_version(type))
    return codec::validation_error(
        "unsupported schema version",
        {{"schemaVersion", "unsupported version " + std::to_string(schemaVersion)}});
  // Old data is brought to the current shape before it is decoded, so only
  // the current fields are ever read (the bytes it came from stay as stored).
  if (has_upcaster(type, schemaVersion)) {
    auto up = upcast(type, schemaVersion, data);
    if (!up.ok()) return up.error();
    return d(up->data, up->version);
  }
  return d(data, schemaVersion);
}

}  // namespace pw::domain
