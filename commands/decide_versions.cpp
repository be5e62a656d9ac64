// Version commands: LabelVersion, RestorePageVersion.
#include <set>

#include "commands/components.hpp"
#include "commands/decide_common.hpp"
#include "commands/validation.hpp"

namespace pw::domain::detail {
namespace {

inline constexpr size_t kMaxLabel = 100;

// The page exists and is the tenant's (deleted or not), then If-Match.
Result<const PageState*> load_any_page(const SiteState& s, const CommandMeta& m, const PageId& id) {
  if (auto e = check_site(s, m)) return *e;
  const PageState* p = find_page(s, id);
  if (!p) return reject(Errc::not_found, "pageId", "page not found");
  if (auto e = check_version(p->version, m)) return *e;
  return p;
}

std::optional<Error> check_known_version(const PageState& p, int64_t version) {
  if (version < 1 || version > p.version)
    return reject(Errc::not_found, "version",
                  "no such version: the page has versions 1 to " + std::to_string(p.version));
  return std::nullopt;
}

// Restored content meets every rule an edit of it would have met: known
// types, valid props, the type's slots, unique valid ids, depth, count, size.
class ContentCheck {
 public:
  explicit ContentCheck(const Schemas& schemas) : schemas_(schemas) {}

  std::optional<Error> list(const std::vector<Component>& list, const std::string& field, int depth) {
    for (size_t i = 0; i < list.size(); ++i)
      if (auto e = one(list[i], field + "[" + std::to_string(i) + "]", depth)) return e;
    return std::nullopt;
  }

 private:
  std::optional<Error> one(const Component& c, const std::string& field, int depth) {
    if (depth > kMaxTreeDepth)
      return unprocessable(field, "nested deeper than " + std::to_string(kMaxTreeDepth));
    if (++count_ > kMaxComponentsPerPage)
      return unprocessable("content", "more than " + std::to_string(kMaxComponentsPerPage) + " components");
    if (!is_valid_component_id(c.id.value)) return invalid(field + ".id", "must match ^[A-Za-z0-9_-]{1,64}$");
    if (!ids_.insert(c.id.value).second) return reject(Errc::duplicate, field + ".id", "component id is not unique");
    if (!is_known_component_type(c.type)) return unprocessable(field + ".type", "unknown component type");
    if (auto r = schemas_.validate_component_props(c.type, c.props); !r) {
      Error e = r.error();
      for (auto& d : e.details) d.field = field + "." + d.field;
      return e;
    }
    auto want = component_slots(c.type, c.props);
    if (c.slots.size() != want.size())
      return unprocessable(field + ".slots", "must be exactly the slots of " + c.type);
    for (std::string_view name : want) {
      auto it = c.slots.find(std::string(name));
      if (it == c.slots.end()) return unprocessable(field + ".slots", "must be exactly the slots of " + c.type);
      if (auto e = list(it->second, field + ".slots." + it->first, depth + 1)) return e;
    }
    return std::nullopt;
  }

  const Schemas& schemas_;
  size_t count_ = 0;
  std::set<std::string> ids_;
};

}  // namespace

Decision decide_cmd(const SiteState& s, const CommandMeta& m, const LabelVersion& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  if (!valid_text(c.label, kMaxLabel)) return invalid("label", "must be 1 to 100 characters");
  auto page = load_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (auto e = check_known_version(p, c.version)) return *e;
  for (const auto& [version, label] : p.labels) {
    if (label != c.label) continue;
    if (version == c.version) return Events{};
    return reject(Errc::duplicate, "label", "version " + std::to_string(version) + " of this page has this label");
  }
  return one(PageVersionLabelled{c.pageId, c.version, c.label});
}

Decision decide_cmd(const Schemas& schemas, const SiteState& s, const CommandMeta& m, const RestorePageVersion& c) {
  if (auto e = check_page_route(c.pageId, m)) return *e;
  auto page = load_any_page(s, m, c.pageId);
  if (!page) return page.error();
  const PageState& p = **page;
  if (p.status == PageStatus::deleted)
    return unprocessable("pageId", "the page is deleted: restore the page first");
  if (auto e = check_known_version(p, c.version)) return *e;
  // The metadata and content were valid when they were stored, but rules and
  // component schemas may have tightened since: they are checked as new.
  if (!valid_text(c.title, kMaxTitle)) return invalid("title", "must be 1 to 300 characters");
  if (!is_valid_slug(c.slug)) return invalid("slug", "must be empty or lowercase words joined by '-' and '/'");
  if (!valid_text(c.description, kMaxDescription, true))
    return invalid("description", "must be at most 1000 characters");
  if (!valid_text(c.seo.canonical, kMaxUrl, true)) return invalid("seo.canonical", "must be at most 2048 characters");
  if (!valid_text(c.seo.ogImage, kMaxUrl, true)) return invalid("seo.ogImage", "must be at most 2048 characters");
  if (auto e = check_url("seo.canonical", c.seo.canonical)) return *e;
  if (auto e = check_url("seo.ogImage", c.seo.ogImage)) return *e;
  auto content = content_from_json(c.content);
  if (!content) return content.error();
  if (auto e = ContentCheck{schemas}.list(*content, "content", 1)) return *e;
  if (content_bytes(*content) > kMaxPageContentBytes)
    return unprocessable("content", "larger than " + std::to_string(kMaxPageContentBytes) + " bytes");
  if (c.slug != p.slug && s.slugs.contains(c.slug))
    return reject(Errc::slug_taken, "slug", "the version's slug is taken by another page");
  if (c.title == p.title && c.slug == p.slug && c.description == p.description && c.seo == p.seo &&
      *content == p.content)
    return Events{};
  return one(PageVersionRestored{c.pageId, c.version, c.title, c.slug, p.slug, c.description, c.seo, c.content});
}

}  // namespace pw::domain::detail
