#pragma once
// Test helpers: build renderer inputs, and parse output with libxml2 so tests
// assert on the DOM a browser would build, not on substrings.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <vector>

#include "workers/render/render.hpp"

namespace pw::render::test {

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

inline Doc parse_html(const std::string& html) {
  return Doc(htmlReadMemory(html.data(), static_cast<int>(html.size()), "page.html", "UTF-8",
                            HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET),
             &xmlFreeDoc);
}

inline Doc parse_xml(const std::string& xml) {
  return Doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "sitemap.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
             &xmlFreeDoc);
}

inline std::string name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

inline void collect(xmlNode* n, const std::string& name, std::vector<xmlNode*>& out) {
  for (; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && (name.empty() || name_of(n) == name)) out.push_back(n);
    collect(n->children, name, out);
  }
}

// Elements in document order; all of them when name is empty.
inline std::vector<xmlNode*> elements(xmlDoc* doc, const std::string& name = "") {
  std::vector<xmlNode*> out;
  if (doc != nullptr) collect(xmlDocGetRootElement(doc), name, out);
  return out;
}

inline bool has_attr(xmlNode* n, const char* name) {
  return xmlHasProp(n, reinterpret_cast<const xmlChar*>(name)) != nullptr;
}

inline std::string attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  std::string s = v != nullptr ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

inline std::string text(xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = v != nullptr ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

inline bool has_class(xmlNode* n, const std::string& cls) {
  std::string c = " " + attr(n, "class") + " ";
  return c.find(" " + cls + " ") != std::string::npos;
}

inline std::vector<xmlNode*> with_class(xmlDoc* doc, const std::string& cls) {
  std::vector<xmlNode*> out;
  for (xmlNode* n : elements(doc)) {
    if (has_class(n, cls)) out.push_back(n);
  }
  return out;
}

// <meta name=...> or <meta property=...> content; "" with found=false if absent.
inline std::vector<std::string> meta(xmlDoc* doc, const char* key_attr, const std::string& key) {
  std::vector<std::string> out;
  for (xmlNode* m : elements(doc, "meta")) {
    if (attr(m, key_attr) == key) out.push_back(attr(m, "content"));
  }
  return out;
}

inline std::vector<std::string> link_hrefs(xmlDoc* doc, const std::string& rel) {
  std::vector<std::string> out;
  for (xmlNode* l : elements(doc, "link")) {
    if (attr(l, "rel") == rel) out.push_back(attr(l, "href"));
  }
  return out;
}

inline domain::Component comp(std::string type, nlohmann::json props = nlohmann::json::object(),
                              std::map<std::string, std::vector<domain::Component>> slots = {}) {
  static int next = 0;
  domain::Component c;
  c.id = ComponentId("c" + std::to_string(++next));
  c.type = std::move(type);
  c.props = std::move(props);
  c.slots = std::move(slots);
  return c;
}

inline PageInput page(std::string slug, std::string title, std::vector<domain::Component> content = {}) {
  PageInput p;
  p.pageId = "site." + (slug.empty() ? std::string("home") : slug);
  p.slug = std::move(slug);
  p.title = std::move(title);
  p.content = std::move(content);
  p.version = 3;
  p.publishedAt = "2026-11-30T12:00:00Z";
  return p;
}

inline SiteInput site() {
  SiteInput s;
  s.siteId = "site";
  s.name = "Acme";
  s.subdomain = "acme";
  s.baseUrl = "https://acme.example";
  return s;
}

inline std::string render_ok(const SiteRenderer& r, const PageInput& p) {
  auto html = r.render_page(p);
  return html.ok() ? html.value() : "RENDER FAILED: " + html.error().message;
}

}  // namespace pw::render::test
