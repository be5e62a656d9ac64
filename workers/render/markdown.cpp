// Markdown (GFM: tables, strikethrough, autolinks) to HTML with cmark-gfm.
// Without CMARK_OPT_UNSAFE cmark drops raw HTML and empties javascript:/vbscript:
// links itself; we also hold every link and image URL to the product's own
// is_safe_url, since cmark lets data:image/* through.
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <memory>
#include <mutex>

#include "commands/components.hpp"
#include "workers/render/internal.hpp"

namespace pw::render::detail {
namespace {

// Style attributes instead of the obsolete align= on table cells (valid HTML5).
constexpr int kOptions = CMARK_OPT_DEFAULT | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES;

struct Extensions {
  cmark_syntax_extension* table = nullptr;
  cmark_syntax_extension* strikethrough = nullptr;
  cmark_syntax_extension* autolink = nullptr;
};

// cmark-gfm 0.29 keeps the inline scanner's special-character table global and
// toggles the extensions' characters ("~", ":", "w", ...) on and off around
// every inline pass (cmark_manage_extensions_special_characters), so two
// concurrent cmark_parser_finish calls corrupt each other's output (seen as
// "~~x~~" left unparsed). Block parsing (feed) and HTML rendering do not touch
// the table and stay parallel; only finish, the inline pass, is serialized.
std::mutex& inline_pass_mutex() {
  static std::mutex m;
  return m;
}

// Registration mutates a global list; after it, lookups are read-only.
const Extensions& extensions() {
  static const Extensions ext = [] {
    cmark_gfm_core_extensions_ensure_registered();
    return Extensions{cmark_find_syntax_extension("table"),
                      cmark_find_syntax_extension("strikethrough"),
                      cmark_find_syntax_extension("autolink")};
  }();
  return ext;
}

void neutralize_urls(cmark_node* root) {
  cmark_iter* it = cmark_iter_new(root);
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    if (ev != CMARK_EVENT_ENTER) continue;
    cmark_node* n = cmark_iter_get_node(it);
    auto t = cmark_node_get_type(n);
    if (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE) continue;
    const char* url = cmark_node_get_url(n);
    if (url == nullptr || !pw::domain::is_safe_url(url)) cmark_node_set_url(n, "#");
  }
  cmark_iter_free(it);
}

}  // namespace

std::string markdown_to_html(std::string_view markdown) {
  const Extensions& ext = extensions();
  using Parser = std::unique_ptr<cmark_parser, decltype(&cmark_parser_free)>;
  Parser parser(cmark_parser_new(kOptions), &cmark_parser_free);
  for (auto* e : {ext.table, ext.strikethrough, ext.autolink}) {
    if (e != nullptr) cmark_parser_attach_syntax_extension(parser.get(), e);
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  using Node = std::unique_ptr<cmark_node, decltype(&cmark_node_free)>;
  Node doc(nullptr, &cmark_node_free);
  {
    std::lock_guard lock(inline_pass_mutex());
    doc.reset(cmark_parser_finish(parser.get()));
  }
  if (!doc) return {};
  neutralize_urls(doc.get());
  char* html = cmark_render_html(doc.get(), kOptions, cmark_parser_get_syntax_extensions(parser.get()));
  std::string out = html != nullptr ? html : "";
  cmark_get_default_mem_allocator()->free(html);
  return out;
}

}  // namespace pw::render::detail
