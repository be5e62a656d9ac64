#pragma once
// pagewright::render — a site's published pages to static files. Pure code: the
// same input always yields the same bytes (the deploy reuses a page's previous
// output when its page_key is unchanged).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/state.hpp"
#include "events/domain.hpp"
#include "events/result.hpp"

namespace pw::render {

// Bumped whenever templates, CSS or rendering rules change, so every key changes.
inline constexpr std::string_view kRendererVersion = "pw-render-3";

// A page's HTML may not exceed this (API.md, "Limits"): a page over it fails
// its deployment instead of shipping a page nobody can load.
inline constexpr size_t kMaxPageHtmlBytes = size_t{5} << 20;

struct PageInput {
  std::string pageId;
  std::string slug;  // "" = home page; else like "about" or "docs/intro"
  std::string title;
  std::string description;
  pw::domain::PageSeo seo;
  std::vector<pw::domain::Component> content;  // the published component tree (top level)
  int64_t version = 0;
  std::string publishedAt;  // RFC 3339; its date is the sitemap's <lastmod>
};

struct SiteInput {
  std::string siteId, name, subdomain;
  pw::domain::SiteSeo seo;
  nlohmann::json settings = nlohmann::json::object();  // reads lang, navigation
  // The site's design-token set {theme?, colors?, typography?, spacing?, radii?}
  // (schemas/design-tokens.json): laid over the named built-in theme (default classic).
  nlohmann::json designTokens = nlohmann::json::object();
  std::string baseUrl;  // absolute, no trailing slash
};

struct RenderedFile {
  std::string path;  // relative, no leading slash
  std::string bytes;
};

struct NavEntry {
  std::string slug;
  std::string title;
  friend bool operator==(const NavEntry&, const NavEntry&) = default;
};

// The built-in component types a page uses, one bit per type: what the
// site's stylesheet must cover. A builder remembers it per page version, so a
// republish need not walk every page's tree again.
using ComponentSet = uint32_t;

class SiteRenderer {
 public:
  // `used`: the union of components_used over `pages`, if the caller knows it.
  SiteRenderer(SiteInput site, std::span<const PageInput> pages, std::optional<ComponentSet> used = std::nullopt);
  static ComponentSet components_used(const PageInput& p);

  const std::string& site_key() const { return site_key_; }
  std::string page_key(const PageInput& p) const;
  static std::string page_path(std::string_view slug);
  // Errc::payload_too_large when a Text is over the Markdown limits or the
  // HTML over kMaxPageHtmlBytes; every error names the page (id and slug).
  Result<std::string> render_page(const PageInput& p) const;  // thread-safe
  const std::string& stylesheet_path() const { return stylesheet_path_; }
  const std::string& stylesheet() const { return stylesheet_; }
  std::string render_404() const;
  std::vector<RenderedFile> sitemaps(std::span<const PageInput> pages) const;
  std::string robots() const;

  const std::vector<NavEntry>& navigation() const { return nav_; }
  const std::string& lang() const { return lang_; }
  // Site tokens left out of the stylesheet (not a token name, not a safe CSS
  // value), as "<group>.<name>: why"; the API refuses them, so any here came
  // from elsewhere and the caller logs them.
  const std::vector<std::string>& dropped_tokens() const { return dropped_tokens_; }

 private:
  struct Head;  // what the layout needs besides the site-wide parts
  std::string render_layout(const Head& head, const std::string& main_html) const;

  SiteInput site_;
  std::string lang_;
  bool has_home_ = false;  // a page with the empty slug is in the deploy
  std::vector<NavEntry> nav_;
  std::set<std::string> color_tokens_;  // valid colour token names (Section background)
  std::vector<std::string> dropped_tokens_;
  std::string favicon_;
  std::string stylesheet_;
  std::string stylesheet_path_;
  std::string site_key_;
  std::string footer_;  // the layout after <main>'s content; site-wide
};

}  // namespace pw::render
