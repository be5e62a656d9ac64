// Hostile props stay inert in every page of a real deploy, judged on the DOM
// libxml2's HTML parser builds, not on substrings.
#include <gtest/gtest.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <sstream>
#include <nlohmann/json.hpp>

#include "tests/published/fixture.hpp"

namespace pw::published {
namespace {

using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

Doc parse_html(const std::string& html) {
  return Doc(htmlReadMemory(html.data(), static_cast<int>(html.size()), "page.html", "UTF-8",
                            HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET),
             &xmlFreeDoc);
}

std::string str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string content(xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = str(v);
  xmlFree(v);
  return s;
}

std::string attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, BAD_CAST name);
  std::string s = str(v);
  xmlFree(v);
  return s;
}

void collect(xmlNode* n, std::vector<xmlNode*>& out) {
  for (; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) out.push_back(n);
    collect(n->children, out);
  }
}

std::vector<xmlNode*> elements(xmlDoc* doc) {
  std::vector<xmlNode*> out;
  collect(xmlDocGetRootElement(doc), out);
  return out;
}

// What a browser's URL parser effectively sees: it strips leading/trailing C0
// controls and spaces and removes tabs and newlines anywhere; schemes are
// case-insensitive. Dropping every control char and space over-approximates.
bool dangerous_url(const std::string& value) {
  std::string v;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7f) v += static_cast<char>(std::tolower(u));
  }
  return v.starts_with("javascript:") || v.starts_with("data:") || v.starts_with("vbscript:");
}

bool is_url_attr(const std::string& name) {
  static const std::set<std::string> kNames = {"href", "src", "action", "formaction", "srcset", "poster",
                                               "xlink:href", "background", "cite", "ping"};
  return kNames.contains(name);
}

// The renderer's favicon: an SVG drawn in the theme's colours, as a data: URL
// of escaped markup. A browser loads an icon as an image, where SVG runs no
// script; the character check keeps anything but escaped markup out.
bool inert_favicon(const std::string& tag, const std::string& rel, const std::string& name, const std::string& value) {
  return tag == "link" && rel == "icon" && name == "href" && value.starts_with("data:image/svg+xml,") &&
         value.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/+,.%'=-") ==
             std::string::npos;
}

// Problems of one parsed page; empty when it is inert.
std::vector<std::string> problems(xmlDoc* doc) {
  std::vector<std::string> out;
  for (xmlNode* n : elements(doc)) {
    const std::string tag = lower(str(n->name));
    if (tag == "script") {
      if (lower(attr(n, "type")) != "application/ld+json") {
        out.push_back("a <script> that is not JSON-LD: " + content(n));
      } else if (nlohmann::json::parse(content(n), nullptr, false).is_discarded()) {
        out.push_back("JSON-LD that does not parse: " + content(n));
      }
    }
    if (tag == "iframe" || tag == "object" || tag == "embed" || tag == "base" || tag == "frame" ||
        tag == "frameset" || tag == "applet") {
      out.push_back("a <" + tag + "> element");
    }
    if (tag == "meta" && lower(attr(n, "http-equiv")) == "refresh") out.push_back("a <meta http-equiv=refresh>");
    for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      const std::string name = lower(str(a->name));
      const std::string value = attr(n, str(a->name).c_str());
      if (name.starts_with("on")) out.push_back("<" + tag + " " + name + "=\"" + value + "\">");
      if (!is_url_attr(name)) continue;
      if (inert_favicon(tag, attr(n, "rel"), name, value)) continue;
      // srcset is a comma-separated list of candidates; check each one.
      std::stringstream parts(value);
      for (std::string part; std::getline(parts, part, name == "srcset" ? ',' : '\0');) {
        if (dangerous_url(part)) out.push_back("<" + tag + " " + name + "=\"" + value + "\">");
      }
    }
  }
  return out;
}

class Inert : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    site_ = new BuiltSite(build_fixture());
  }
  static void TearDownTestSuite() {
    delete site_;
    site_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(site_->error.empty()) << site_->error; }

  static Doc hostile_page() {
    return parse_html(slurp(site_->deploy / std::string(kHostileSlug) / "index.html"));
  }
  static BuiltSite* site_;
};
BuiltSite* Inert::site_ = nullptr;

TEST_F(Inert, NoPageHasScriptsHandlersScriptUrlsOrEmbeds) {
  auto files = files_ending(site_->deploy, ".html");
  ASSERT_EQ(files.size(), fixture_pages().size() + 1);
  for (const auto& f : files) {
    Doc doc = parse_html(slurp(f));
    ASSERT_NE(doc, nullptr) << f;
    for (const auto& p : problems(doc.get())) ADD_FAILURE() << f.lexically_relative(site_->deploy) << ": " << p;
  }
}

// The checker must not be vacuous: a page with each problem trips it.
TEST_F(Inert, TheDomCheckCatchesEachKindOfProblem) {
  const std::vector<std::string> bad = {
      "<p>x<script>alert(1)</script></p>", "<img src=x onerror=alert(1)>", "<a href=' JaVa\tScRiPt:x'>a</a>",
      "<img src=\"data:image/svg+xml,x\">",  "<iframe src=x></iframe>",     "<meta http-equiv=Refresh content=0>",
      "<img srcset=\"a.png 1x, javascript:x 2x\">", "<script type=application/ld+json>{nope</script>"};
  for (const auto& body : bad) {
    Doc doc = parse_html("<!DOCTYPE html><html><head></head><body>" + body + "</body></html>");
    EXPECT_FALSE(problems(doc.get()).empty()) << body;
  }
}

// Where a hostile string was text, it comes back verbatim as text or as an
// attribute value: escaped once, never dropped, never double-escaped.
TEST_F(Inert, HostileTextsSurviveVerbatim) {
  Doc doc = hostile_page();
  ASSERT_NE(doc, nullptr);
  std::multiset<std::pair<std::string, std::string>> texts;  // (tag, text)
  std::multiset<std::pair<std::string, std::string>> attrs;  // (tag@attr, value)
  for (xmlNode* n : elements(doc.get())) {
    const std::string tag = str(n->name);
    std::string t = content(n);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    texts.emplace(tag, t);
    for (xmlAttr* a = n->properties; a != nullptr; a = a->next) attrs.emplace(tag + "@" + str(a->name), attr(n, str(a->name).c_str()));
  }
  const std::string s(kScriptText), a(kAttrBreak);
  EXPECT_TRUE(texts.contains({"h1", s})) << "Hero title";
  EXPECT_TRUE(texts.contains({"h1", a})) << "second Hero title";
  EXPECT_TRUE(texts.contains({"p", a})) << "Hero subtitle";
  EXPECT_TRUE(texts.contains({"h2", s})) << "Heading text / Card title";
  EXPECT_TRUE(texts.contains({"h2", a})) << "Card title";
  EXPECT_TRUE(texts.contains({"figcaption", s})) << "Image caption";
  EXPECT_GE(texts.count({"a", s}), 2u) << "Button labels";
  EXPECT_GE(texts.count({"a", a}), 2u) << "Button labels";
  EXPECT_TRUE(attrs.contains({"img@alt", a})) << "Image alt";
  EXPECT_TRUE(attrs.contains({"meta@content", a})) << "description";
  bool title_ok = false;
  for (const auto& [tag, t] : texts) title_ok = title_ok || (tag == "title" && t.find(s) != std::string::npos);
  EXPECT_TRUE(title_ok) << "page title";
}

// A URL prop the renderer refused leaves no trace of the URL, and the rest of
// its component still renders (a Button keeps its label, minus the href).
TEST_F(Inert, RefusedUrlsLeaveNoLinkBehind) {
  Doc doc = hostile_page();
  ASSERT_NE(doc, nullptr);
  for (xmlNode* n : elements(doc.get())) {
    const std::string cls = " " + attr(n, "class") + " ";
    if (cls.find(" pw-button ") != std::string::npos && str(n->name) == "a") {
      EXPECT_EQ(xmlHasProp(n, BAD_CAST "href"), nullptr) << "a hostile Button kept an href: " << attr(n, "href");
    }
  }
  const std::string html = slurp(site_->deploy / std::string(kHostileSlug) / "index.html");
  EXPECT_EQ(lower(html).find("javascript:"), std::string::npos) << "in the bytes at all";
}

}  // namespace
}  // namespace pw::published
