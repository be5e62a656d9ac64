#pragma once
// HTML link extraction and resolution, and sitemap parsing, for check_deploy
// (internal; libxml2 stays behind these functions).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::ship::links {

// a@href, link@href, img@src, script@src in document order, as written.
std::vector<std::string> extract_html_links(std::string_view html);

struct Sitemap {
  std::string problem;             // "" when well-formed in the sitemaps.org namespace
  std::vector<std::string> listed; // <sitemapindex>: the path part of each <sitemap><loc>
};
Sitemap parse_sitemap(std::string_view xml);

enum class LinkKind { external, self, internal, escapes_root };
struct Resolved {
  LinkKind kind = LinkKind::external;
  std::string path;        // site path for internal links, without query and fragment
  bool directory = false;  // the link ended in "/" (or named the root)
};
// Resolves `link` as written in the file at `file_path` (a site path).
// internal paths come back normalized and percent-decoded.
Resolved resolve(std::string_view file_path, std::string_view link);

}  // namespace pw::ship::links
