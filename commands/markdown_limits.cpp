#include "commands/markdown_limits.hpp"

#include <vector>

namespace pw::domain {
namespace {

bool is_blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// Drops indentation and block quote markers, which may hold a table.
std::string_view container_content(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '>')) ++i;
  return line.substr(i);
}

// The cell count of a delimiter row, or 0 when `line` is not one: cells of
// `:?-+:?` between unescaped pipes, at least one pipe or more than one cell.
int64_t delimiter_cells(std::string_view line) {
  line = container_content(line);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return 0;
  bool piped = false;
  if (line.front() == '|') {
    line.remove_prefix(1);
    piped = true;
  }
  if (!line.empty() && line.back() == '|') {
    line.remove_suffix(1);
    piped = true;
  }
  int64_t cells = 0;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] != '|') continue;
    if (i < line.size()) piped = true;
    std::string_view cell = line.substr(start, i - start);
    size_t a = 0, b = cell.size();
    while (a < b && (cell[a] == ' ' || cell[a] == '\t')) ++a;
    while (b > a && (cell[b - 1] == ' ' || cell[b - 1] == '\t')) --b;
    cell = cell.substr(a, b - a);
    if (!cell.empty() && cell.front() == ':') cell.remove_prefix(1);
    if (!cell.empty() && cell.back() == ':') cell.remove_suffix(1);
    if (cell.empty()) return 0;
    for (char c : cell)
      if (c != '-') return 0;
    ++cells;
    start = i + 1;
  }
  return piped || cells > 1 ? cells : 0;
}

// Lines as CommonMark ends them: at "\n", "\r\n" or a lone "\r" (a text of
// CR-only lines is as much a table to cmark-gfm as one of LF lines).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  return lines;
}

}  // namespace

MarkdownTableExtent markdown_table_extent(std::string_view markdown) {
  MarkdownTableExtent extent;
  const auto lines = split_lines(markdown);
  size_t i = 1;
  while (i < lines.size()) {
    const int64_t columns = is_blank(lines[i - 1]) ? 0 : delimiter_cells(lines[i]);
    if (columns == 0) {
      ++i;
      continue;
    }
    int64_t rows = 1;  // the header
    size_t j = i + 1;
    while (j < lines.size() && !is_blank(lines[j])) {
      ++rows;
      ++j;
    }
    if (columns > extent.max_columns) extent.max_columns = columns;
    extent.cells += columns * rows;
    i = j + 1;
  }
  return extent;
}

bool markdown_tables_within_limits(std::string_view markdown) {
  const MarkdownTableExtent e = markdown_table_extent(markdown);
  return e.max_columns <= kMaxTableColumns && e.cells <= kMaxTableCells;
}

}  // namespace pw::domain
