// Page lifecycle, templates and design tokens: DeletePage, RestorePage,
// UnpublishPage, DuplicatePage, SaveTemplate, DeleteTemplate, UpdateDesignTokens.
#include "commands/content.hpp"
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

inline constexpr size_t kMaxTemplateName = 200;

std::optional<Error> check_slug_value(const char* field, const std::string& slug) {
  if (!is_valid_slug(slug))
    return invalid(field,
                   "must be empty or lowercase words joined by '-' and '/', at most 200 characters");
  return std::nullopt;
}

Error slug_taken(const std::string& slug) {
  return reject(Errc::slug_taken, "slug",
                "slug '" + slug + "' is taken by another page; give a free slug");
}

// `head` + `tail`, with head cut so the slug stays within kMaxSlug and does
// not end in a separator.
std::string fit_slug(std::string head, const std::string& tail) {
  if (head.size() + tail.size() > kMaxSlug) head.resize(kMaxSlug - tail.size());
  while (!head.empty() && (head.back() == '-' || head.back() == '/')) head.pop_back();
  return head.empty() ? tail.substr(1) : head + tail;
}

// "<slug>-copy", then "-copy-2", "-copy-3", …; the home page's copy is "copy".
std::string copy_slug(const SiteState& s, const std::string& slug) {
  const std::string base = fit_slug(slug, "-copy");
  if (!s.slugs.contains(base)) return base;
  for (size_t n = 2;; ++n) {
    std::string candidate = fit_slug(slug, "-copy-" + std::to_string(n));
    if (!s.slugs.contains(candidate)) return candidate;
  }
}

std::string copy_title(const std::string& title) {
  static const std::string kSuffix = " (copy)";
  const int64_t n = utf8_length(title);
  if (n >= 0 && static_cast<size_t>(n) + 7 <= kMaxTitle) return title + kSuffix;
  return title;
}

std::optional<Error> check_template_route(const TemplateId& id, const CommandMeta& m) {
  auto site = site_of(id);
  if (!site) return invalid("templateId", "malformed template id");
  if (*site != m.siteId) return invalid("templateId", "template id does not belong to this site");
  return std::nullopt;
}

}  // namespace

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const DeletePage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  return one(PageDeleted{c.pageId});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const RestorePage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (c.slug)
    if (auto e = check_slug_value("slug", *c.slug)) return *e;
  if (auto e = check_site(s, m)) return *e;
  auto page = find_any_page(s, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (p.status != PageStatus::deleted) return unprocessable("pageId", "the page is not deleted");
  if (auto e = check_version(p.version, m)) return *e;
  const std::string slug = c.slug.value_or(p.slug);
  if (s.slugs.contains(slug)) return slug_taken(slug);
  return one(PageRestored{c.pageId, slug});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const UnpublishPage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  if ((*page)->status != PageStatus::published)
    return unprocessable("pageId", "the page is not published");
  return one(PageUnpublished{c.pageId});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const DuplicatePage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_page_route(c.sourcePageId, m))
    return invalid("sourcePageId", e->details.at(0).message);
  if (c.title && !valid_text(*c.title, kMaxTitle))
    return invalid("title", "must be 1 to 300 characters");
  if (c.slug)
    if (auto e = check_slug_value("slug", *c.slug)) return *e;
  if (auto e = check_site(s, m)) return *e;
  auto source = find_any_page(s, c.sourcePageId, "sourcePageId");
  if (!source) return source.error();
  const PageState& src = **source;
  if (src.status == PageStatus::deleted) return page_deleted_error("sourcePageId");
  if (s.pages.contains(c.pageId)) return reject(Errc::duplicate, "pageId", "page id exists");
  // If-Match names the new page, as for CreatePage.
  if (auto e = check_version(0, m)) return *e;
  std::string slug;
  if (c.slug) {
    if (s.slugs.contains(*c.slug)) return slug_taken(*c.slug);
    slug = *c.slug;
  } else {
    slug = copy_slug(s, src.slug);
  }
  // Fresh ids derive from the new page's id, which derives from the command
  // id: a repeat with the same Idempotency-Key makes the same copy.
  std::vector<Component> content = with_fresh_ids(src.content, c.pageId.value);
  const size_t bytes = content_bytes(content);
  if (bytes > kMaxPageContentBytes)
    return reject(Errc::payload_too_large, "sourcePageId",
                  "the copy's content would be " + std::to_string(bytes) +
                      " bytes serialized; the limit is " + std::to_string(kMaxPageContentBytes));
  return one(PageDuplicated{c.pageId, c.sourcePageId, c.title.value_or(copy_title(src.title)),
                            std::move(slug), src.description, src.seo,
                            content_to_json(content)});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const SaveTemplate& c) {
  if (auto e = check_template_route(c.templateId, m)) return *e;
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (!valid_text(c.name, kMaxTemplateName)) return invalid("name", "must be 1 to 200 characters");
  if (c.description && !valid_text(*c.description, kMaxDescription, true))
    return invalid("description", "must be at most 1000 characters");
  if (auto e = check_site(s, m)) return *e;
  auto page = find_any_page(s, c.pageId);
  if (!page) return page.error();
  if ((*page)->status == PageStatus::deleted) return page_deleted_error();
  if (s.templates.contains(c.templateId))
    return reject(Errc::duplicate, "templateId", "template id exists");
  if (auto e = check_version(0, m)) return *e;  // If-Match names the new template
  return one(TemplateSaved{c.templateId, c.pageId, c.name, c.description.value_or(""),
                           content_to_json((*page)->content)});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const DeleteTemplate& c) {
  if (auto e = check_template_route(c.templateId, m)) return *e;
  if (auto e = check_site(s, m)) return *e;
  const TemplateState* t = find_template(s, c.templateId);
  if (!t || t->deleted) return reject(Errc::not_found, "templateId", "template not found");
  if (auto e = check_version(t->version, m)) return *e;
  return one(TemplateDeleted{c.templateId});
}

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const UpdateDesignTokens& c) {
  if (!c.tokens.is_object()) return invalid("tokens", "must be an object");
  if (json_depth(c.tokens) > kMaxJsonDepth)
    return invalid("tokens", "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  if (auto e = check_site(s, m)) return *e;
  if (auto e = check_version(s.version, m)) return *e;
  if (auto r = schemas.validate_design_tokens(c.tokens); !r) return r.error();
  if (c.tokens == s.designTokens) return Events{};
  return one(DesignTokensUpdated{s.id, c.tokens});
}

}  // namespace pw::domain::detail
