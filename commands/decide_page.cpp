// Page commands: CreatePage, UpdatePageMetadata, ChangePageSlug, PublishPage.
#include "commands/content.hpp"
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

std::optional<Error> check_title(const std::string& title) {
  if (!valid_text(title, kMaxTitle)) return invalid("title", "must be 1 to 300 characters");
  return std::nullopt;
}

std::optional<Error> check_slug(const std::string& slug) {
  if (!is_valid_slug(slug))
    return invalid(
        "slug", "must be empty or lowercase words joined by '-' and '/', at most 200 characters");
  return std::nullopt;
}

std::optional<Error> check_description(const std::optional<std::string>& d) {
  if (d && !valid_text(*d, kMaxDescription, true))
    return invalid("description", "must be at most 1000 characters");
  return std::nullopt;
}

// The title's slug, or the first of slug-2, slug-3, … that is free.
std::string derive_slug(const SiteState& s, const std::string& title) {
  std::string base = slug_from_title(title);
  if (!s.slugs.contains(base)) return base;
  for (size_t n = 2;; ++n) {
    std::string suffix = "-" + std::to_string(n);
    std::string head = base.substr(0, kMaxSlug - suffix.size());
    while (!head.empty() && (head.back() == '-' || head.back() == '/')) head.pop_back();
    std::string candidate = head + suffix;
    if (!s.slugs.contains(candidate)) return candidate;
  }
}

}  // namespace

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const CreatePage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_title(c.title)) return *e;
  if (c.slug)
    if (auto e = check_slug(*c.slug)) return *e;
  if (auto e = check_description(c.description)) return *e;
  if (auto e = check_site(s, m)) return *e;
  if (s.pages.contains(c.pageId)) return reject(Errc::duplicate, "pageId", "page id exists");
  if (auto e = check_version(0, m)) return *e;
  std::string slug;
  if (c.slug) {
    if (s.slugs.contains(*c.slug)) return reject(Errc::slug_taken, "slug", "slug is taken");
    slug = *c.slug;
  } else {
    slug = derive_slug(s, c.title);
  }
  PageCreated ev{c.pageId, c.title, std::move(slug), c.description.value_or("")};
  if (c.templateId && !valid_text(*c.templateId, kMaxTitle))
    return invalid("templateId", "must be 1 to 300 characters");
  ev.templateId = c.templateId;
  if (c.content) {
    // A template's content is checked as it would be component by component.
    auto content = checked_content(schemas, *c.content);
    if (!content) return content.error();
    ev.content = content_to_json(*content);
  }
  return one(std::move(ev));
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const UpdatePageMetadata& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (c.title)
    if (auto e = check_title(*c.title)) return *e;
  if (auto e = check_description(c.description)) return *e;
  if (c.seo) {
    if (c.seo->canonical && !valid_text(*c.seo->canonical, kMaxUrl, true))
      return invalid("seo.canonical", "must be at most 2048 characters");
    if (c.seo->ogImage && !valid_text(*c.seo->ogImage, kMaxUrl, true))
      return invalid("seo.ogImage", "must be at most 2048 characters");
  }
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (c.seo && c.seo->canonical)
    if (auto e = check_url("seo.canonical", *c.seo->canonical)) return *e;
  if (c.seo && c.seo->ogImage)
    if (auto e = check_url("seo.ogImage", *c.seo->ogImage)) return *e;

  PageMetadataUpdated ev;
  ev.pageId = c.pageId;
  if (c.title && *c.title != p.title) ev.title = *c.title;
  if (c.description && *c.description != p.description) ev.description = *c.description;
  if (c.seo) {
    PageSeo seo = p.seo;
    if (c.seo->noIndex) seo.noIndex = *c.seo->noIndex;
    if (c.seo->canonical) seo.canonical = *c.seo->canonical;
    if (c.seo->ogImage) seo.ogImage = *c.seo->ogImage;
    if (seo != p.seo) ev.seo = std::move(seo);
  }
  if (!ev.title && !ev.description && !ev.seo) return Events{};
  return one(std::move(ev));
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const ChangePageSlug& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (auto e = check_slug(c.slug)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (c.slug == p.slug) return Events{};
  if (s.slugs.contains(c.slug)) return reject(Errc::slug_taken, "slug", "slug is taken");
  return one(PageSlugChanged{c.pageId, c.slug, p.slug});
}

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const PublishPage& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (p.status == PageStatus::published && p.publishedVersion == p.version)
    return unprocessable("pageId",
                         "nothing to publish: the page is published at its current version");
  return one(PagePublished{c.pageId, p.version + 1});
}

}  // namespace pw::domain::detail
