#pragma once
// How big the tables of a Markdown text can render (API.md, "Limits"). GFM pads
// every body row of a table to the header's column count, so a 1,000-column
// header over many one-cell rows turns 20 KB of text into 100 MB of HTML. The
// deciders refuse such text, and the renderer checks it again before parsing
// (for events stored before the limit), so the Markdown parser only ever sees
// bounded work.
#include <cstdint>
#include <string_view>

namespace pw::domain {

inline constexpr int64_t kMaxTableColumns = 64;
inline constexpr int64_t kMaxTableCells = 5000;

struct MarkdownTableExtent {
  int64_t max_columns = 0;  // the widest table's column count
  int64_t cells = 0;        // cells of all tables together, header rows included
};

// An upper bound of what cmark-gfm's table extension would make of `markdown`:
// a table is a line followed by a delimiter row (`| --- | :-: |`), and its body
// runs to the next blank line; each row renders as many cells as the delimiter
// row has. Block quote markers and indentation are looked through, so a table
// nested in a quote or a list item counts too. Linear in the input.
MarkdownTableExtent markdown_table_extent(std::string_view markdown);

// True when the text's tables are within kMaxTableColumns and kMaxTableCells.
bool markdown_tables_within_limits(std::string_view markdown);

}  // namespace pw::domain
