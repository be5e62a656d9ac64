#include "commands/assets.hpp"
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

Error page_deleted_error(std::string field) {
  return unprocessable(std::move(field), "the page is deleted; restore it first");
}

Result<const PageState*> find_any_page(const SiteState& s, const PageId& id, std::string field) {
  const PageState* p = find_page(s, id);
  if (!p) return reject(Errc::not_found, std::move(field), "page not found");
  return p;
}

Result<const PageState*> load_page(const SiteState& s, const CommandMeta& m, const PageId& id) {
  if (auto e = check_site(s, m)) return *e;
  auto p = find_any_page(s, id);
  if (!p) return p.error();
  if ((*p)->status == PageStatus::deleted) return page_deleted_error();
  if (auto e = check_version((*p)->version, m)) return *e;
  return *p;
}

std::optional<Error> check_url(const std::string& field, const std::string& url) {
  const std::string_view name = std::string_view(field).substr(field.rfind('.') + 1);  // npos + 1 == 0
  if (is_image_prop_name(name) && asset_ref_id(url)) return std::nullopt;  // checked by check_asset_refs
  if (!url.empty() && !is_safe_url(url))
    return unprocessable(field, "must be an http(s), relative, mailto: or tel: URL");
  return std::nullopt;
}

namespace {

// Every string of a command, named as command_to_json names it. Paths are
// built only for the one reported, so the common case allocates nothing.
class TextScan {
 public:
  void text(std::string_view field, const std::string& s) {
    if (found_) return;
    if (auto cp = first_refused_control(s)) found_ = RefusedText{std::string(field), *cp};
  }
  void text(std::string_view field, const std::optional<std::string>& s) {
    if (s) text(field, *s);
  }
  template <class Tag>
  void text(std::string_view field, const StrongId<Tag>& id) {
    text(field, id.value);
  }
  template <class Tag>
  void text(std::string_view field, const std::optional<StrongId<Tag>>& id) {
    if (id) text(field, id->value);
  }
  void value(std::string_view field, const nlohmann::json& v) {
    if (!found_) found_ = find_refused_control(v, field);
  }
  void value(std::string_view field, const std::optional<nlohmann::json>& v) {
    if (v) value(field, *v);
  }
  void lines(std::string_view field, const std::vector<std::string>& v) {
    for (size_t i = 0; i < v.size() && !found_; ++i)
      if (auto cp = first_refused_control(v[i]))
        found_ = RefusedText{std::string(field) + "[" + std::to_string(i) + "]", *cp};
  }
  std::optional<RefusedText> found() && { return std::move(found_); }

 private:
  std::optional<RefusedText> found_;
};

void scan(TextScan& t, const CreateSite& c) {
  t.text("siteId", c.siteId);
  t.text("name", c.name);
  t.text("subdomain", c.subdomain);
}
void scan(TextScan& t, const UpdateSiteSettings& c) {
  t.text("name", c.name);
  if (c.seo) {
    t.text("seo.titleTemplate", c.seo->titleTemplate);
    t.text("seo.description", c.seo->description);
    t.text("seo.ogImage", c.seo->ogImage);
  }
  t.value("settings", c.settings);
}
void scan(TextScan& t, const CreatePage& c) {
  t.text("pageId", c.pageId);
  t.text("title", c.title);
  t.text("slug", c.slug);
  t.text("description", c.description);
  t.value("content", c.content);
  t.text("templateId", c.templateId);
}
void scan(TextScan& t, const UpdatePageMetadata& c) {
  t.text("pageId", c.pageId);
  t.text("title", c.title);
  t.text("description", c.description);
  if (c.seo) {
    t.text("seo.canonical", c.seo->canonical);
    t.text("seo.ogImage", c.seo->ogImage);
  }
}
void scan(TextScan& t, const ChangePageSlug& c) {
  t.text("pageId", c.pageId);
  t.text("slug", c.slug);
}
void scan(TextScan& t, const AddComponent& c) {
  t.text("pageId", c.pageId);
  t.text("componentId", c.componentId);
  t.text("type", c.type);
  t.value("props", c.props);
  t.text("parentId", c.parentId);
  t.text("slot", c.slot);
}
void scan(TextScan& t, const UpdateComponentProps& c) {
  t.text("pageId", c.pageId);
  t.text("componentId", c.componentId);
  t.value("patch", c.patch);
}
void scan(TextScan& t, const MoveComponent& c) {
  t.text("pageId", c.pageId);
  t.text("componentId", c.componentId);
  t.text("parentId", c.parentId);
  t.text("slot", c.slot);
}
void scan(TextScan& t, const RemoveComponent& c) {
  t.text("pageId", c.pageId);
  t.text("componentId", c.componentId);
}
void scan(TextScan& t, const PublishPage& c) { t.text("pageId", c.pageId); }
void scan(TextScan& t, const RequestDeployment& c) {
  t.text("deploymentId", c.deploymentId);
  t.text("environment", c.environment);
  t.text("strategy", c.strategy);
}
void scan(TextScan& t, const StartDeployment& c) {
  t.text("deploymentId", c.deploymentId);
  t.text("worker", c.worker);
}
void scan(TextScan& t, const CompleteDeployment& c) {
  t.text("deploymentId", c.outcome.deploymentId);
  t.text("manifestHash", c.outcome.manifestHash);
  t.text("url", c.outcome.url);
  t.lines("log", c.outcome.log);
}
void scan(TextScan& t, const FailDeployment& c) {
  t.text("deploymentId", c.outcome.deploymentId);
  t.text("reason", c.outcome.reason);
  t.lines("log", c.outcome.log);
}
void scan(TextScan& t, const RollbackDeployment& c) { t.text("deploymentId", c.deploymentId); }
void scan(TextScan& t, const DeletePage& c) { t.text("pageId", c.pageId); }
void scan(TextScan& t, const RestorePage& c) {
  t.text("pageId", c.pageId);
  t.text("slug", c.slug);
}
void scan(TextScan& t, const UnpublishPage& c) { t.text("pageId", c.pageId); }
void scan(TextScan& t, const DuplicatePage& c) {
  t.text("pageId", c.pageId);
  t.text("sourcePageId", c.sourcePageId);
  t.text("title", c.title);
  t.text("slug", c.slug);
}
void scan(TextScan& t, const SaveTemplate& c) {
  t.text("templateId", c.templateId);
  t.text("pageId", c.pageId);
  t.text("name", c.name);
  t.text("description", c.description);
}
void scan(TextScan& t, const DeleteTemplate& c) { t.text("templateId", c.templateId); }
void scan(TextScan& t, const UpdateDesignTokens& c) { t.value("tokens", c.tokens); }
void scan(TextScan& t, const LabelVersion& c) {
  t.text("pageId", c.pageId);
  t.text("label", c.label);
}
void scan(TextScan& t, const RestorePageVersion& c) {
  t.text("pageId", c.pageId);
  t.text("title", c.title);
  t.text("slug", c.slug);
  t.text("description", c.description);
  t.text("seo.canonical", c.seo.canonical);
  t.text("seo.ogImage", c.seo.ogImage);
  t.value("content", c.content);
}
void scan(TextScan& t, const RequestPreview& c) {
  t.text("previewId", c.previewId);
  if (c.pageIds)
    for (size_t i = 0; i < c.pageIds->size(); ++i) t.text("pageIds[" + std::to_string(i) + "]", (*c.pageIds)[i]);
}
void scan(TextScan& t, const CompletePreview& c) {
  t.text("previewId", c.outcome.previewId);
  t.text("manifestHash", c.outcome.manifestHash);
}
void scan(TextScan& t, const UploadAsset& c) {
  t.text("assetId", c.asset.assetId);
  t.text("hash", c.asset.hash);
  t.text("contentType", c.asset.contentType);
  t.text("filename", c.asset.filename);
}
void scan(TextScan& t, const DeleteAsset& c) { t.text("assetId", c.assetId); }
void scan(TextScan& t, const FailPreview& c) {
  t.text("previewId", c.outcome.previewId);
  t.text("reason", c.outcome.reason);
  t.lines("log", c.outcome.log);
}
void scan(TextScan& t, const ReplacePageContent& c) {
  t.text("pageId", c.pageId);
  t.value("document", c.document);
}

}  // namespace

std::optional<RefusedText> find_unstorable_text(const Command& command) {
  TextScan t;
  // Every alternative needs its own scan overload, or this does not compile.
  std::visit([&](const auto& c) { scan(t, c); }, command);
  return std::move(t).found();
}

}  // namespace detail

Result<std::vector<DomainEvent>> decide(const Schemas& schemas, const SiteState& state, const CommandMeta& meta,
                                        const Command& command) {
  // The gateway's body parser refuses these already; commands that do not come
  // through HTTP (the build pool's reports, records appended to the log by
  // hand) meet the same rule here, before anything is stored.
  if (auto bad = detail::find_unstorable_text(command))
    return detail::invalid(std::move(bad->field), refused_control_message(bad->code_point));
  // Every alternative needs its own decide_cmd overload, or this does not compile.
  auto events = std::visit(
      [&](const auto& c) {
        if constexpr (requires { detail::decide_cmd(schemas, state, meta, c); })
          return detail::decide_cmd(schemas, state, meta, c);
        else
          return detail::decide_cmd(state, meta, c);
      },
      command);
  if (events.ok())
    if (auto e = detail::check_asset_refs(state, *events)) return *e;
  return events;
}

}  // namespace pw::domain
