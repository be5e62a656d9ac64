// Markdown (GFM: tables, strikethrough, autolinks) to HTML with cmark-gfm.
// Without CMARK_OPT_UNSAFE cmark drops raw HTML and empties javascript:/vbscript:
// links itself; we also hold every link and image URL to the product's own
// is_safe_url, since cmark lets data:image/* through.
//
// Only text within the API's limits reaches the parser (kMaxMarkdownChars and
// the table bounds of commands/markdown_limits.hpp), checked here again for
// events stored before those limits: the parse runs partly under a
// process-wide mutex, and bounded input is what bounds how long one site's
// text can hold every other site's build.
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include <memory>
#include <mutex>

#include "commands/components.hpp"
#include "commands/markdown_limits.hpp"
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
// Registering the extensions once and a parser per thread does not help: the
// toggling is per inline pass, and the table is not per parser (cmark-gfm
// pull request 176, which would make it so, was never merged).
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

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

Result<void> markdown_within_limits(std::string_view markdown) {
  if (code_points(markdown) > kMaxMarkdownChars)
    return make_error(Errc::payload_too_large, "Markdown text of " + std::to_string(code_points(markdown)) +
                                                   " characters is over the limit of " +
                                                   std::to_string(kMaxMarkdownChars));
  if (!domain::markdown_tables_within_limits(markdown)) {
    const auto extent = domain::markdown_table_extent(markdown);
    return make_error(Errc::payload_too_large,
                      "Markdown tables of " + std::to_string(extent.max_columns) + " columns and " +
                          std::to_string(extent.cells) + " cells are over the limits of " +
                          std::to_string(domain::kMaxTableColumns) + " columns and " +
                          std::to_string(domain::kMaxTableCells) + " cells");
  }
  return {};
}

Result<std::string> markdown_to_html(std::string_view markdown) {
  if (auto within = markdown_within_limits(markdown); !within.ok()) return within.error();
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
  if (!doc) return std::string();
  neutralize_urls(doc.get());
  char* html = cmark_render_html(doc.get(), kOptions, cmark_parser_get_syntax_extensions(parser.get()));
  std::string out = html != nullptr ? html : "";
  cmark_get_default_mem_allocator()->free(html);
  return out;
}

}  // namespace pw::render::detail
