#include "commands/commands.hpp"

namespace pw::domain {
using codec::ObjectReader;
using nlohmann::json;

namespace {

template <class T>
struct CommandInfo;
#define PW_COMMAND(T, agg, ...)                                    \
  template <>                                                      \
  struct CommandInfo<T> {                                          \
    static constexpr std::string_view name = #T;                   \
    static constexpr std::string_view aggregate = agg;             \
    static std::span<const std::string_view> fields() {            \
      static constexpr std::string_view kFields[] = {__VA_ARGS__}; \
      return kFields;                                              \
    }                                                              \
  };
PW_COMMAND(CreateSite, "site", "siteId", "name", "subdomain")
PW_COMMAND(UpdateSiteSettings, "site", "name", "seo", "settings")
PW_COMMAND(CreatePage, "page", "pageId", "title", "slug", "description", "content", "templateId")
PW_COMMAND(UpdatePageMetadata, "page", "pageId", "title", "description", "seo")
PW_COMMAND(ChangePageSlug, "page", "pageId", "slug")
PW_COMMAND(AddComponent, "page", "pageId", "componentId", "type", "props", "parentId", "slot",
           "index")
PW_COMMAND(UpdateComponentProps, "page", "pageId", "componentId", "patch")
PW_COMMAND(MoveComponent, "page", "pageId", "componentId", "parentId", "slot", "index")
PW_COMMAND(RemoveComponent, "page", "pageId", "componentId")
PW_COMMAND(PublishPage, "page", "pageId")
PW_COMMAND(RequestDeployment, "deployment", "deploymentId", "environment", "strategy")
PW_COMMAND(StartDeployment, "deployment", "deploymentId", "worker")
PW_COMMAND(CompleteDeployment, "deployment", "deploymentId", "manifestHash", "url", "report", "log")
PW_COMMAND(FailDeployment, "deployment", "deploymentId", "reason", "log")
PW_COMMAND(RollbackDeployment, "deployment", "deploymentId")
PW_COMMAND(DeletePage, "page", "pageId")
PW_COMMAND(RestorePage, "page", "pageId", "slug")
PW_COMMAND(UnpublishPage, "page", "pageId")
PW_COMMAND(DuplicatePage, "page", "pageId", "sourcePageId", "title", "slug")
PW_COMMAND(SaveTemplate, "template", "templateId", "pageId", "name", "description")
PW_COMMAND(DeleteTemplate, "template", "templateId")
PW_COMMAND(UpdateDesignTokens, "site", "tokens")
PW_COMMAND(LabelVersion, "page", "pageId", "version", "label")
PW_COMMAND(RestorePageVersion, "page", "pageId", "version", "title", "slug", "description", "seo",
           "content")
PW_COMMAND(RequestPreview, "preview", "previewId", "pageIds", "ttlSeconds")
PW_COMMAND(CompletePreview, "preview", "previewId", "manifestHash")
PW_COMMAND(FailPreview, "preview", "previewId", "reason", "log")
PW_COMMAND(UploadAsset, "asset", "assetId", "hash", "contentType", "bytes", "width", "height", "filename",
           "variants")
PW_COMMAND(DeleteAsset, "asset", "assetId")
PW_COMMAND(ReplacePageContent, "page", "pageId", "document")
#undef PW_COMMAND

template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
template <class Tag>
void put(json& j, const char* key, const std::optional<StrongId<Tag>>& v) {
  if (v) j[key] = v->value;
}

json to_body(const CreateSite& c) {
  return json{{"siteId", c.siteId.value}, {"name", c.name}, {"subdomain", c.subdomain}};
}
json to_body(const UpdateSiteSettings& c) {
  json j = json::object();
  put(j, "name", c.name);
  if (c.seo) {
    json s = json::object();
    put(s, "titleTemplate", c.seo->titleTemplate);
    put(s, "description", c.seo->description);
    put(s, "ogImage", c.seo->ogImage);
    j["seo"] = std::move(s);
  }
  put(j, "settings", c.settings);
  return j;
}
json to_body(const CreatePage& c) {
  json j{{"pageId", c.pageId.value}, {"title", c.title}};
  put(j, "slug", c.slug);
  put(j, "description", c.description);
  put(j, "content", c.content);
  put(j, "templateId", c.templateId);
  return j;
}
json to_body(const UpdatePageMetadata& c) {
  json j{{"pageId", c.pageId.value}};
  put(j, "title", c.title);
  put(j, "description", c.description);
  if (c.seo) {
    json s = json::object();
    put(s, "noIndex", c.seo->noIndex);
    put(s, "canonical", c.seo->canonical);
    put(s, "ogImage", c.seo->ogImage);
    j["seo"] = std::move(s);
  }
  return j;
}
json to_body(const ChangePageSlug& c) { return json{{"pageId", c.pageId.value}, {"slug", c.slug}}; }
json to_body(const AddComponent& c) {
  json j{{"pageId", c.pageId.value}, {"componentId", c.componentId.value}, {"type", c.type}};
  put(j, "props", c.props);
  put(j, "parentId", c.parentId);
  put(j, "slot", c.slot);
  put(j, "index", c.index);
  return j;
}
json to_body(const UpdateComponentProps& c) {
  return json{{"pageId", c.pageId.value}, {"componentId", c.componentId.value}, {"patch", c.patch}};
}
json to_body(const MoveComponent& c) {
  json j{{"pageId", c.pageId.value}, {"componentId", c.componentId.value}, {"index", c.index}};
  put(j, "parentId", c.parentId);
  put(j, "slot", c.slot);
  return j;
}
json to_body(const RemoveComponent& c) {
  return json{{"pageId", c.pageId.value}, {"componentId", c.componentId.value}};
}
json to_body(const PublishPage& c) { return json{{"pageId", c.pageId.value}}; }
json to_body(const RequestDeployment& c) {
  return json{{"deploymentId", c.deploymentId.value},
              {"environment", c.environment},
              {"strategy", c.strategy}};
}
json to_body(const StartDeployment& c) {
  return json{{"deploymentId", c.deploymentId.value}, {"worker", c.worker}};
}
json to_body(const CompleteDeployment& c) { return event_data(DomainEvent{c.outcome}); }
json to_body(const FailDeployment& c) { return event_data(DomainEvent{c.outcome}); }
json to_body(const RollbackDeployment& c) { return json{{"deploymentId", c.deploymentId.value}}; }
json to_body(const DeletePage& c) { return json{{"pageId", c.pageId.value}}; }
json to_body(const RestorePage& c) {
  json j{{"pageId", c.pageId.value}};
  put(j, "slug", c.slug);
  return j;
}
json to_body(const UnpublishPage& c) { return json{{"pageId", c.pageId.value}}; }
json to_body(const DuplicatePage& c) {
  json j{{"pageId", c.pageId.value}, {"sourcePageId", c.sourcePageId.value}};
  put(j, "title", c.title);
  put(j, "slug", c.slug);
  return j;
}
json to_body(const SaveTemplate& c) {
  json j{{"templateId", c.templateId.value}, {"pageId", c.pageId.value}, {"name", c.name}};
  put(j, "description", c.description);
  return j;
}
json to_body(const DeleteTemplate& c) { return json{{"templateId", c.templateId.value}}; }
json to_body(const UpdateDesignTokens& c) { return json{{"tokens", c.tokens}}; }

json to_body(const LabelVersion& c) {
  return json{{"pageId", c.pageId.value}, {"version", c.version}, {"label", c.label}};
}
json to_body(const RestorePageVersion& c) {
  return json{{"pageId", c.pageId.value}, {"version", c.version},
              {"title", c.title},         {"slug", c.slug},
              {"description", c.description}, {"seo", page_seo_to_json(c.seo)},
              {"content", c.content}};
}
json to_body(const RequestPreview& c) {
  json j{{"previewId", c.previewId.value}};
  if (c.pageIds) {
    json ids = json::array();
    for (const auto& id : *c.pageIds) ids.push_back(id.value);
    j["pageIds"] = std::move(ids);
  }
  put(j, "ttlSeconds", c.ttlSeconds);
  return j;
}
json to_body(const CompletePreview& c) { return event_data(DomainEvent{c.outcome}); }
json to_body(const FailPreview& c) { return event_data(DomainEvent{c.outcome}); }
json to_body(const UploadAsset& c) { return codec::asset_uploaded_to_json(c.asset); }
json to_body(const DeleteAsset& c) { return json{{"assetId", c.assetId.value}}; }
json to_body(const ReplacePageContent& c) { return json{{"pageId", c.pageId.value}, {"document", c.document}}; }

template <class T>
T from_body(ObjectReader& r);

template <>
CreateSite from_body(ObjectReader& r) {
  return CreateSite{r.id<SiteId>("siteId"), r.str("name"), r.str("subdomain")};
}
template <>
UpdateSiteSettings from_body(ObjectReader& r) {
  UpdateSiteSettings c;
  c.name = r.opt_str("name");
  if (const json* s = r.opt_object("seo")) {
    ObjectReader sr(*s, "seo.", r.errors(), {"titleTemplate", "description", "ogImage"});
    c.seo =
        SiteSeoPatch{sr.opt_str("titleTemplate"), sr.opt_str("description"), sr.opt_str("ogImage")};
  }
  if (const json* s = r.opt_object("settings")) c.settings = *s;
  return c;
}
template <>
CreatePage from_body(ObjectReader& r) {
  CreatePage c;
  c.pageId = r.id<PageId>("pageId");
  c.title = r.str("title");
  c.slug = r.opt_str("slug");
  c.description = r.opt_str("description");
  if (const json* content = r.opt_array("content")) c.content = *content;
  c.templateId = r.opt_str("templateId");
  return c;
}
template <>
UpdatePageMetadata from_body(ObjectReader& r) {
  UpdatePageMetadata c;
  c.pageId = r.id<PageId>("pageId");
  c.title = r.opt_str("title");
  c.description = r.opt_str("description");
  if (const json* s = r.opt_object("seo")) {
    ObjectReader sr(*s, "seo.", r.errors(), {"noIndex", "canonical", "ogImage"});
    c.seo = PageSeoPatch{sr.opt_bool("noIndex"), sr.opt_str("canonical"), sr.opt_str("ogImage")};
  }
  return c;
}
template <>
ChangePageSlug from_body(ObjectReader& r) {
  return ChangePageSlug{r.id<PageId>("pageId"), r.str("slug")};
}
template <>
AddComponent from_body(ObjectReader& r) {
  AddComponent c;
  c.pageId = r.id<PageId>("pageId");
  c.componentId = r.id<ComponentId>("componentId");
  c.type = r.str("type");
  if (const json* p = r.opt_object("props")) c.props = *p;
  c.parentId = r.opt_id<ComponentId>("parentId");
  c.slot = r.opt_str("slot");
  c.index = r.opt_i64("index");
  return c;
}
template <>
UpdateComponentProps from_body(ObjectReader& r) {
  UpdateComponentProps c;
  c.pageId = r.id<PageId>("pageId");
  c.componentId = r.id<ComponentId>("componentId");
  if (const json* p = r.object("patch")) c.patch = *p;
  return c;
}
template <>
MoveComponent from_body(ObjectReader& r) {
  MoveComponent c;
  c.pageId = r.id<PageId>("pageId");
  c.componentId = r.id<ComponentId>("componentId");
  c.parentId = r.opt_id<ComponentId>("parentId");
  c.slot = r.opt_str("slot");
  c.index = r.i64("index");
  return c;
}
template <>
RemoveComponent from_body(ObjectReader& r) {
  return RemoveComponent{r.id<PageId>("pageId"), r.id<ComponentId>("componentId")};
}
template <>
PublishPage from_body(ObjectReader& r) {
  return PublishPage{r.id<PageId>("pageId")};
}

template <>
RequestDeployment from_body(ObjectReader& r) {
  RequestDeployment c;
  c.deploymentId = r.id<DeploymentId>("deploymentId");
  if (auto e = r.opt_str("environment")) c.environment = std::move(*e);
  if (auto s = r.opt_str("strategy")) c.strategy = std::move(*s);
  return c;
}
template <>
StartDeployment from_body(ObjectReader& r) {
  return StartDeployment{r.id<DeploymentId>("deploymentId"), r.str("worker")};
}
template <>
RollbackDeployment from_body(ObjectReader& r) {
  return RollbackDeployment{r.id<DeploymentId>("deploymentId")};
}

template <>
DeletePage from_body(ObjectReader& r) {
  return DeletePage{r.id<PageId>("pageId")};
}
template <>
RestorePage from_body(ObjectReader& r) {
  return RestorePage{r.id<PageId>("pageId"), r.opt_str("slug")};
}
template <>
UnpublishPage from_body(ObjectReader& r) {
  return UnpublishPage{r.id<PageId>("pageId")};
}
template <>
DuplicatePage from_body(ObjectReader& r) {
  return DuplicatePage{r.id<PageId>("pageId"), r.id<PageId>("sourcePageId"), r.opt_str("title"),
                       r.opt_str("slug")};
}
template <>
SaveTemplate from_body(ObjectReader& r) {
  return SaveTemplate{r.id<TemplateId>("templateId"), r.id<PageId>("pageId"), r.str("name"),
                      r.opt_str("description")};
}
template <>
DeleteTemplate from_body(ObjectReader& r) {
  return DeleteTemplate{r.id<TemplateId>("templateId")};
}
template <>
UpdateDesignTokens from_body(ObjectReader& r) {
  UpdateDesignTokens c;
  if (const json* t = r.object("tokens")) c.tokens = *t;
  return c;
}
template <>
LabelVersion from_body(ObjectReader& r) {
  return LabelVersion{r.id<PageId>("pageId"), r.i64("version"), r.str("label")};
}
template <>
RestorePageVersion from_body(ObjectReader& r) {
  RestorePageVersion c;
  c.pageId = r.id<PageId>("pageId");
  c.version = r.i64("version");
  c.title = r.str("title");
  c.slug = r.str("slug");
  c.description = r.str("description");
  if (auto seo = codec::read_page_seo(r, "seo", true)) c.seo = *seo;
  if (const json* content = r.array("content")) c.content = *content;
  return c;
}
template <>
UploadAsset from_body(ObjectReader& r) {
  return UploadAsset{codec::read_asset_uploaded(r)};
}

template <>
DeleteAsset from_body(ObjectReader& r) {
  return DeleteAsset{r.id<AssetId>("assetId")};
}

template <>
RequestPreview from_body(ObjectReader& r) {
  RequestPreview c;
  c.previewId = r.id<PreviewId>("previewId");
  c.pageIds = codec::read_opt_page_ids(r, "pageIds");
  c.ttlSeconds = r.opt_i64("ttlSeconds");
  return c;
}
template <>
ReplacePageContent from_body(ObjectReader& r) {
  ReplacePageContent c;
  c.pageId = r.id<PageId>("pageId");
  if (const json* d = r.object("document")) c.document = *d;
  return c;
}

template <class T>
Result<Command> decode_fields(const json& body);

// A builder's report is the event it asks for, so it is read by the event codec.
template <class C, class E>
Result<Command> decode_report(const json& body, std::string_view event_name) {
  auto e = event_from_json(event_name, kEventSchemaVersion, body);
  if (!e) return e.error();
  return Command{C{std::get<E>(std::move(e).value())}};
}

template <class T>
Result<Command> decode(const json& body) {
  if constexpr (std::is_same_v<T, CompleteDeployment>)
    return decode_report<CompleteDeployment, DeploymentSucceeded>(body, "DeploymentSucceeded");
  else if constexpr (std::is_same_v<T, FailDeployment>)
    return decode_report<FailDeployment, DeploymentFailed>(body, "DeploymentFailed");
  else if constexpr (std::is_same_v<T, CompletePreview>)
    return decode_report<CompletePreview, PreviewReady>(body, "PreviewReady");
  else if constexpr (std::is_same_v<T, FailPreview>)
    return decode_report<FailPreview, PreviewFailed>(body, "PreviewFailed");
  else
    return decode_fields<T>(body);
}

template <class T>
Result<Command> decode_fields(const json& body) {
  std::vector<ErrorDetail> errors;
  ObjectReader r(body, "", errors, CommandInfo<T>::fields());
  T c = from_body<T>(r);
  if (!errors.empty())
    return codec::validation_error("invalid " + std::string(CommandInfo<T>::name),
                                   std::move(errors));
  return Command{std::move(c)};
}

using Decoder = Result<Command> (*)(const json&);

template <class... Ts>
Decoder decoder_for(std::string_view type, std::variant<Ts...>*) {
  Decoder d = nullptr;
  ((type == CommandInfo<Ts>::name ? (d = &decode<Ts>, true) : false) || ...);
  return d;
}

}  // namespace

std::string_view command_type(const Command& c) {
  return std::visit([](const auto& x) { return CommandInfo<std::decay_t<decltype(x)>>::name; }, c);
}

AggregateRef aggregate_of(const CommandMeta& meta, const Command& c) {
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (CommandInfo<T>::aggregate == "page")
          return AggregateRef{"page", x.pageId.value};
        else if constexpr (std::is_same_v<T, CompleteDeployment> || std::is_same_v<T, FailDeployment>)
          return AggregateRef{"deployment", x.outcome.deploymentId.value};
        else if constexpr (CommandInfo<T>::aggregate == "deployment")
          return AggregateRef{"deployment", x.deploymentId.value};
        else if constexpr (CommandInfo<T>::aggregate == "template")
          return AggregateRef{"template", x.templateId.value};
        else if constexpr (std::is_same_v<T, CompletePreview> || std::is_same_v<T, FailPreview>)
          return AggregateRef{"preview", x.outcome.previewId.value};
        else if constexpr (CommandInfo<T>::aggregate == "preview")
          return AggregateRef{"preview", x.previewId.value};
        else if constexpr (std::is_same_v<T, UploadAsset>)
          return AggregateRef{"asset", x.asset.assetId.value};
        else if constexpr (std::is_same_v<T, DeleteAsset>)
          return AggregateRef{"asset", x.assetId.value};
        else
          return AggregateRef{"site", meta.siteId.value};
      },
      c);
}

json command_to_json(const Command& c) {
  return std::visit([](const auto& x) { return to_body(x); }, c);
}

Result<Command> command_from_json(std::string_view type, const json& body) {
  Decoder d = decoder_for(type, static_cast<Command*>(nullptr));
  if (!d)
    return codec::validation_error("unknown command type", {{"type", "unknown command type"}});
  return d(body);
}

json command_meta_to_json(const CommandMeta& m) {
  json j{{"commandId", m.commandId.value},
         {"tenantId", m.tenant.value},
         {"actor", m.actor.value},
         {"siteId", m.siteId.value},
         {"occurredAt", m.occurredAt}};
  if (m.expectedVersion) j["expectedVersion"] = *m.expectedVersion;
  return j;
}

Result<CommandMeta> command_meta_from_json(const json& j) {
  std::vector<ErrorDetail> errors;
  ObjectReader r(j, "", errors,
                 {"commandId", "tenantId", "actor", "siteId", "occurredAt", "expectedVersion"});
  CommandMeta m{r.id<CommandId>("commandId"), r.id<TenantId>("tenantId"),
                r.id<UserId>("actor"),        r.id<SiteId>("siteId"),
                r.str("occurredAt"),          r.opt_i64("expectedVersion")};
  if (!errors.empty()) return codec::validation_error("invalid command meta", std::move(errors));
  return m;
}

}  // namespace pw::domain
