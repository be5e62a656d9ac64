// One HTML document: the layout (head, header with navigation, footer) around
// the rendered components. Internal links are relative to the page's own
// folder so the site works under any path prefix; only canonical, og:url and
// og:image are absolute.
#include <mstch/mstch.hpp>

#include <exception>

#include "workers/render/internal.hpp"
#include "workers/render/render.hpp"

namespace pw::render {

struct SiteRenderer::Head {
  std::string slug;           // decides the relative prefix
  bool mark_current = false;  // 404 has no current page
  std::string title, og_title, description, canonical, og_image, json_ld;
  bool no_index = false;
};

namespace {

std::string apply_title_template(const std::string& tmpl, const std::string& site_name,
                                 const std::string& title) {
  std::string t = tmpl.empty() ? "%s | " + site_name : tmpl;
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 1 < t.size() && t[i + 1] == 's') {
      out += title;
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

bool has_scheme(std::string_view url) {
  size_t colon = url.find(':');
  return colon != std::string_view::npos && url.find_first_of("/?#") > colon;
}

// og:image must be absolute: relative URLs resolve against the site root.
std::string absolute_url(std::string_view url, const std::string& base) {
  std::string u = detail::clean_url(url);
  if (u.empty()) return {};
  if (detail::is_absolute_http(u)) return u;
  if (u.starts_with("//")) return "https:" + u;
  if (has_scheme(u)) return {};  // mailto:, tel:
  return u.starts_with("/") ? base + u : base + "/" + u;
}

}  // namespace

Result<std::string> SiteRenderer::render_page(const PageInput& p) const {
  if (!detail::valid_slug(p.slug)) {
    return make_error(Errc::validation_error, "page " + p.pageId + ": invalid slug: " + p.slug);
  }
  Head h;
  h.slug = p.slug;
  h.mark_current = true;
  h.title = apply_title_template(site_.seo.titleTemplate, site_.name, p.title);
  h.og_title = p.title;
  h.description = p.description.empty() ? site_.seo.description : p.description;
  std::string canonical = detail::clean_url(p.seo.canonical);
  h.canonical = detail::is_absolute_http(canonical)
                    ? canonical
                    : site_.baseUrl + "/" + (p.slug.empty() ? "" : p.slug + "/");
  h.og_image = absolute_url(detail::resolve_asset_url(p.seo.ogImage.empty() ? site_.seo.ogImage : p.seo.ogImage,
                                                      site_.assets),
                            site_.baseUrl);
  h.no_index = p.seo.noIndex;
  nlohmann::json ld = {{"@context", "https://schema.org"},
                       {"@type", "WebPage"},
                       {"name", p.title},
                       {"url", h.canonical},
                       {"inLanguage", lang_},
                       {"isPartOf", {{"@type", "WebSite"}, {"name", site_.name}, {"url", site_.baseUrl + "/"}}}};
  if (!h.description.empty()) ld["description"] = h.description;
  h.json_ld = detail::json_for_script(ld);
  const std::string page = "page " + p.pageId + " (/" + p.slug + "): ";
  try {
    detail::ComponentContext ctx;
    ctx.color_tokens = &color_tokens_;
    ctx.max_bytes = kMaxPageHtmlBytes;
    ctx.assets = &site_.assets;
    ctx.root = detail::root_prefix(p.slug);
    ctx.nav = &nav_;
    ctx.slug = p.slug;
    std::string main = detail::render_components(p.content, ctx);
    if (ctx.failed) return make_error(ctx.failed->code, page + ctx.failed->message);
    std::string html = render_layout(h, main);
    if (html.size() > kMaxPageHtmlBytes)
      return make_error(Errc::payload_too_large, page + "rendered HTML of " + std::to_string(html.size()) +
                                                     " bytes is over the limit of " +
                                                     std::to_string(kMaxPageHtmlBytes) + " bytes per page");
    return html;
  } catch (const std::exception& e) {
    return make_error(Errc::internal, page + "rendering failed: " + e.what());
  }
}

std::string SiteRenderer::render_404() const {
  Head h;
  h.title = apply_title_template(site_.seo.titleTemplate, site_.name, "Page not found");
  h.og_title = "Page not found";
  h.no_index = true;
  return render_layout(h, std::string("<section class=\"pw-section pw-pad-large\"><div class=\"pw-container\">\n"
                                      "<h1 class=\"pw-heading\">Page not found</h1>\n") +
                              (has_home_ ? "<p><a href=\"./\">Go to the home page</a></p>\n" : "") +
                              "</div></section>\n");
}

std::string SiteRenderer::render_layout(const Head& h, const std::string& main_html) const {
  const std::string prefix = detail::root_prefix(h.slug);
  const std::string home = prefix.empty() ? "./" : prefix;
  mstch::array nav;
  for (const NavEntry& e : nav_) {
    nav.emplace_back(mstch::map{{"href", e.slug.empty() ? home : prefix + e.slug + "/"},
                                {"current", h.mark_current && e.slug == h.slug},
                                {"label", e.title}});
  }
  mstch::map view{{"lang", lang_},
                  {"title", h.title},
                  {"description", h.description},
                  {"canonical", h.canonical},
                  {"noIndex", h.no_index},
                  {"ogTitle", h.og_title},
                  {"siteName", site_.name},
                  {"ogImage", h.og_image},
                  {"stylesheet", prefix + stylesheet_path_},
                  {"favicon", favicon_},
                  {"jsonLd", h.json_ld},
                  {"home", home},
                  {"hasHome", has_home_},
                  {"nav", std::move(nav)}};
  return mstch::render(detail::layout_template(), view) + main_html + footer_;
}

}  // namespace pw::render
