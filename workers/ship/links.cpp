#include "workers/ship/links.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cctype>
#include <cstring>
#include <mutex>

namespace pw::ship::links {

namespace {

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

const char* attr_for(const xmlNode* n) {
  const char* name = reinterpret_cast<const char*>(n->name);
  if (std::strcmp(name, "a") == 0 || std::strcmp(name, "link") == 0) return "href";
  if (std::strcmp(name, "img") == 0 || std::strcmp(name, "script") == 0) return "src";
  return nullptr;
}

void collect(const xmlNode* node, std::vector<std::string>& out) {
  // Iterative pre-order walk: generated pages can nest deeply.
  const xmlNode* n = node;
  while (n != nullptr) {
    if (n->type == XML_ELEMENT_NODE) {
      if (const char* attr = attr_for(n)) {
        xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(attr));
        if (v != nullptr) {
          out.emplace_back(reinterpret_cast<const char*>(v));
          xmlFree(v);
        }
      }
      if (n->children != nullptr) { n = n->children; continue; }
    }
    while (n != nullptr && n->next == nullptr) {
      n = n->parent;
      if (n == node) return;
    }
    if (n == nullptr || n == node) return;
    n = n->next;
  }
}

std::string text_of(const xmlNode* n) {
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c != nullptr ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool is_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> extract_html_links(std::string_view html) {
  init_libxml();
  std::vector<std::string> out;
  htmlDocPtr doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                      HTML_PARSE_COMPACT | HTML_PARSE_NOBLANKS);
  if (doc == nullptr) return out;
  collect(xmlDocGetRootElement(doc), out);
  xmlFreeDoc(doc);
  return out;
}

Sitemap parse_sitemap(std::string_view xml) {
  init_libxml();
  Sitemap sm;
  xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "sitemap.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) {
    const xmlError* err = xmlGetLastError();
    std::string why = err != nullptr && err->message != nullptr ? err->message : "parse error";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    sm.problem = "not well-formed XML (line " + std::to_string(err != nullptr ? err->line : 0) + ": " + why + ")";
    return sm;
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  static constexpr const char* kNs = "http://www.sitemaps.org/schemas/sitemap/0.9";
  std::string name = root != nullptr ? reinterpret_cast<const char*>(root->name) : "";
  if (root == nullptr || root->ns == nullptr || std::strcmp(reinterpret_cast<const char*>(root->ns->href), kNs) != 0) {
    sm.problem = "root element is not in the sitemaps.org namespace";
  } else if (name != "urlset" && name != "sitemapindex") {
    sm.problem = "root element <" + name + "> is neither <urlset> nor <sitemapindex>";
  } else if (name == "sitemapindex") {
    for (const xmlNode* s = root->children; s != nullptr; s = s->next) {
      if (s->type != XML_ELEMENT_NODE || std::strcmp(reinterpret_cast<const char*>(s->name), "sitemap") != 0) continue;
      for (const xmlNode* l = s->children; l != nullptr; l = l->next) {
        if (l->type != XML_ELEMENT_NODE || std::strcmp(reinterpret_cast<const char*>(l->name), "loc") != 0) continue;
        // The index lists absolute URLs of this site: keep their path part.
        std::string loc = text_of(l);
        size_t scheme_end = loc.find("://");
        size_t path_start = scheme_end == std::string::npos ? 0 : loc.find('/', scheme_end + 3);
        std::string path = path_start == std::string::npos ? "" : loc.substr(path_start);
        Resolved p = resolve("sitemap.xml", path.empty() ? "/" : path);
        sm.listed.push_back(p.kind == LinkKind::internal ? p.path : loc);
      }
    }
  }
  xmlFreeDoc(doc);
  return sm;
}

Resolved resolve(std::string_view file_path, std::string_view link) {
  Resolved r;
  size_t b = link.find_first_not_of(" \t\r\n"), e = link.find_last_not_of(" \t\r\n");
  if (b == std::string_view::npos) { r.kind = LinkKind::self; return r; }
  link = link.substr(b, e - b + 1);
  if (link.front() == '#') { r.kind = LinkKind::self; return r; }
  if (link.size() >= 2 && link[0] == '/' && link[1] == '/') return r;  // protocol-relative: another host
  size_t colon = link.find(':');
  if (colon != std::string_view::npos && colon < link.find_first_of("/?#") && is_scheme(link.substr(0, colon))) return r;
  link = link.substr(0, link.find_first_of("?#"));
  if (link.empty()) { r.kind = LinkKind::self; return r; }

  std::string decoded = percent_decode(link);
  std::vector<std::string_view> segs;
  std::string_view rest = decoded;
  if (rest.front() == '/') {
    rest.remove_prefix(1);
  } else {
    std::string_view dir = file_path.substr(0, file_path.rfind('/') == std::string_view::npos ? 0 : file_path.rfind('/'));
    for (size_t pos = 0; !dir.empty() && pos <= dir.size();) {
      size_t next = dir.find('/', pos);
      if (next == std::string_view::npos) next = dir.size();
      segs.push_back(dir.substr(pos, next - pos));
      pos = next + 1;
    }
  }
  r.directory = rest.empty() || rest.back() == '/';
  for (size_t pos = 0; pos < rest.size();) {
    size_t next = rest.find('/', pos);
    if (next == std::string_view::npos) next = rest.size();
    std::string_view seg = rest.substr(pos, next - pos);
    pos = next + 1;
    if (seg.empty() || seg == ".") {
      if (next == rest.size()) r.directory = true;  // "foo/." names the directory
      continue;
    }
    if (seg == "..") {
      if (segs.empty()) { r.kind = LinkKind::escapes_root; r.path = std::string(link); return r; }
      segs.pop_back();
      if (next == rest.size()) r.directory = true;
      continue;
    }
    segs.push_back(seg);
  }
  r.kind = LinkKind::internal;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (i != 0) r.path += '/';
    r.path += segs[i];
  }
  return r;
}

}  // namespace pw::ship::links
