// sitemap.xml (sitemaps.org 0.9) and robots.txt (RFC 9309).
#include <algorithm>

#include "workers/render/internal.hpp"
#include "workers/render/render.hpp"

namespace pw::render {
namespace {

constexpr size_t kMaxUrlsPerSitemap = 50000;  // the protocol's limit per file
constexpr std::string_view kXmlHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr std::string_view kNs = "http://www.sitemaps.org/schemas/sitemap/0.9";

// "YYYY-MM-DD" from an RFC 3339 timestamp, "" if it does not start with one.
std::string date_part(std::string_view ts) {
  if (ts.size() < 10) return {};
  for (size_t i = 0; i < 10; ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? ts[i] != '-' : (ts[i] < '0' || ts[i] > '9')) return {};
  }
  return std::string(ts.substr(0, 10));
}

struct Entry {
  std::string slug;
  std::string lastmod;
};

// Appends only: a republish writes the whole sitemap again, 10,000 URLs and all.
std::string urlset(std::span<const Entry> entries, const std::string& base) {
  const std::string escaped_base = detail::xml_escape(base + "/");
  std::string out(kXmlHead);
  out.reserve(entries.size() * (escaped_base.size() + 64) + 128);
  out += "<urlset xmlns=\"";
  out += kNs;
  out += "\">\n";
  for (const Entry& e : entries) {
    out += "<url><loc>";
    out += escaped_base;
    if (!e.slug.empty()) {
      out += detail::xml_escape(e.slug);
      out += '/';
    }
    out += "</loc>";
    if (!e.lastmod.empty()) {
      out += "<lastmod>";
      out += e.lastmod;
      out += "</lastmod>";
    }
    out += "</url>\n";
  }
  out += "</urlset>\n";
  return out;
}

}  // namespace

std::vector<RenderedFile> SiteRenderer::sitemaps(std::span<const PageInput> pages) const {
  std::vector<Entry> entries;
  for (const PageInput& p : pages) {
    if (!p.seo.noIndex && detail::valid_slug(p.slug)) entries.push_back({p.slug, date_part(p.publishedAt)});
  }
  // Sorted so the bytes do not depend on the order the pages came in.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.slug < b.slug; });

  if (entries.size() <= kMaxUrlsPerSitemap) return {{"sitemap.xml", urlset(entries, site_.baseUrl)}};

  std::vector<RenderedFile> files;
  std::string index(kXmlHead);
  index += "<sitemapindex xmlns=\"" + std::string(kNs) + "\">\n";
  for (size_t start = 0, n = 1; start < entries.size(); start += kMaxUrlsPerSitemap, ++n) {
    std::string name = "sitemap-" + std::to_string(n) + ".xml";
    size_t count = std::min(kMaxUrlsPerSitemap, entries.size() - start);
    files.push_back({name, urlset(std::span(entries).subspan(start, count), site_.baseUrl)});
    index += "<sitemap><loc>" + detail::xml_escape(site_.baseUrl + "/" + name) + "</loc></sitemap>\n";
  }
  index += "</sitemapindex>\n";
  files.insert(files.begin(), {"sitemap.xml", std::move(index)});
  return files;
}

std::string SiteRenderer::robots() const {
  return "User-agent: *\nAllow: /\n\nSitemap: " + site_.baseUrl + "/sitemap.xml\n";
}

}  // namespace pw::render
