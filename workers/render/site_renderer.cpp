// What the renderer computes once per deploy: navigation, stylesheet, keys.
#include <mstch/mstch.hpp>

#include <algorithm>

#include "events/hash_chain.hpp"
#include "workers/render/internal.hpp"
#include "workers/render/render.hpp"

namespace pw::render {
namespace {

constexpr size_t kMaxAutoNavPages = 7;  // besides the home page

const PageInput* find_page(std::span<const PageInput> pages, std::string_view slug) {
  for (const PageInput& p : pages) {
    if (p.slug == slug) return &p;
  }
  return nullptr;
}

std::vector<NavEntry> explicit_nav(const nlohmann::json& list, std::span<const PageInput> pages) {
  std::vector<NavEntry> nav;
  for (const auto& item : list) {
    if (!item.is_string() || !detail::valid_slug(item.get_ref<const std::string&>())) continue;
    const auto& slug = item.get_ref<const std::string&>();
    const PageInput* p = find_page(pages, slug);
    bool seen = std::any_of(nav.begin(), nav.end(), [&](const NavEntry& e) { return e.slug == slug; });
    if (p != nullptr && !seen) nav.push_back({p->slug, p->title});
  }
  return nav;
}

std::vector<NavEntry> automatic_nav(std::span<const PageInput> pages) {
  std::vector<NavEntry> top;
  for (const PageInput& p : pages) {
    if (!p.slug.empty() && p.slug.find('/') == std::string::npos && detail::valid_slug(p.slug)) {
      top.push_back({p.slug, p.title});
    }
  }
  std::sort(top.begin(), top.end(), [](const NavEntry& a, const NavEntry& b) { return a.slug < b.slug; });
  top.erase(std::unique(top.begin(), top.end(),
                        [](const NavEntry& a, const NavEntry& b) { return a.slug == b.slug; }),
            top.end());
  if (top.size() > kMaxAutoNavPages) top.resize(kMaxAutoNavPages);
  std::vector<NavEntry> nav;
  if (const PageInput* home = find_page(pages, ""); home != nullptr) nav.push_back({"", home->title});
  nav.insert(nav.end(), top.begin(), top.end());
  return nav;
}

nlohmann::json seo_json(const domain::PageSeo& s) {
  return {{"noIndex", s.noIndex}, {"canonical", s.canonical}, {"ogImage", s.ogImage}};
}

}  // namespace

ComponentSet SiteRenderer::components_used(const PageInput& p) {
  ComponentSet used = 0;
  detail::collect_types(p.content, used);
  return used;
}

SiteRenderer::SiteRenderer(SiteInput site, std::span<const PageInput> pages, std::optional<ComponentSet> used)
    : site_(std::move(site)) {
  lang_ = detail::site_lang(site_.settings);
  // Without a published home page the brand is not a link: "./" would be broken.
  has_home_ = std::any_of(pages.begin(), pages.end(), [](const PageInput& p) { return p.slug.empty(); });

  detail::Tokens tokens = detail::design_tokens(site_.designTokens);
  color_tokens_ = tokens.colors;
  dropped_tokens_ = tokens.dropped;
  favicon_ = detail::favicon_uri(tokens);
  if (!used) {
    used = 0;
    for (const PageInput& p : pages) *used |= components_used(p);
  }
  std::set<std::string> types;
  for (size_t i = 0; i < 32; ++i) {
    if ((*used >> i & 1u) != 0 && !detail::component_type(i).empty()) types.emplace(detail::component_type(i));
  }
  stylesheet_ = detail::build_stylesheet(tokens, types);
  stylesheet_path_ = "assets/site." + sha256_hex(stylesheet_).substr(0, 16) + ".css";

  const nlohmann::json* nav_list = nullptr;
  if (site_.settings.is_object()) {
    auto it = site_.settings.find("navigation");
    if (it != site_.settings.end() && it->is_array()) nav_list = &*it;
  }
  nav_ = nav_list != nullptr ? explicit_nav(*nav_list, pages) : automatic_nav(pages);

  footer_ = mstch::render(detail::layout_end_template(), mstch::map{{"siteName", site_.name}});

  nlohmann::json nav = nlohmann::json::array();
  for (const NavEntry& e : nav_) nav.push_back({e.slug, e.title});
  nlohmann::json key = {
      {"renderer", kRendererVersion},
      {"name", site_.name},
      {"seo", {{"titleTemplate", site_.seo.titleTemplate},
               {"description", site_.seo.description},
               {"ogImage", site_.seo.ogImage}}},
      {"settings", site_.settings},
      {"designTokens", site_.designTokens},
      {"lang", lang_},
      {"nav", std::move(nav)},
      {"stylesheet", stylesheet_path_},
      {"baseUrl", site_.baseUrl},
      {"hasHome", has_home_},
  };
  site_key_ = sha256_hex(detail::dump(key));
}

std::string SiteRenderer::page_key(const PageInput& p) const {
  nlohmann::json key = {
      {"slug", p.slug},
      {"title", p.title},
      {"description", p.description},
      {"seo", seo_json(p.seo)},
      {"content", detail::components_key_json(p.content)},
  };
  return sha256_hex(site_key_ + "\n" + detail::dump(key));
}

std::string SiteRenderer::page_path(std::string_view slug) {
  return slug.empty() ? std::string("index.html") : std::string(slug) + "/index.html";
}

}  // namespace pw::render
