// The Markdown table bound the deciders and the renderer share.
#include <gtest/gtest.h>

#include <string>

#include "commands/markdown_limits.hpp"

namespace pw::domain {
namespace {

std::string row(int cells) {
  std::string r = "|";
  for (int i = 0; i < cells; ++i) r += " a |";
  return r;
}

std::string delimiter(int cells) {
  std::string r = "|";
  for (int i = 0; i < cells; ++i) r += i % 2 ? " :-: |" : "---|";
  return r;
}

TEST(MarkdownTables, TextWithoutTablesHasNone) {
  const auto e = markdown_table_extent("# Title\n\nSome *text* with a | pipe.\n\n---\n\n- a\n- b\n");
  EXPECT_EQ(e.max_columns, 0);
  EXPECT_EQ(e.cells, 0);
  EXPECT_TRUE(markdown_tables_within_limits(""));
}

TEST(MarkdownTables, CountsColumnsAndPaddedRowsUpToTheBlankLine) {
  const std::string md = row(3) + "\n" + delimiter(3) + "\n| x |\n| y | z |\nplain line\n\nafter | table\n";
  const auto e = markdown_table_extent(md);
  EXPECT_EQ(e.max_columns, 3);
  EXPECT_EQ(e.cells, 3 * 4);  // header + three body rows, each padded to three cells
}

TEST(MarkdownTables, DelimiterRowsWithoutOuterPipesCount) {
  const auto e = markdown_table_extent("a | b\n--- | ---\n1 | 2\n");
  EXPECT_EQ(e.max_columns, 2);
  EXPECT_EQ(e.cells, 4);
}

TEST(MarkdownTables, AThematicBreakOrSetextUnderlineIsNoTable) {
  EXPECT_EQ(markdown_table_extent("Heading\n---\ntext\n").max_columns, 0);
  EXPECT_EQ(markdown_table_extent("\n---\n| a |\n").max_columns, 0);
  EXPECT_EQ(markdown_table_extent("a\n--x--|---\n").max_columns, 0);
}

TEST(MarkdownTables, TablesInQuotesAndListsCountAndAllTablesAddUp) {
  const std::string md = "> " + row(2) + "\n> " + delimiter(2) + "\n> | 1 | 2 |\n\n  " + row(5) + "\n  " +
                         delimiter(5) + "\n";
  const auto e = markdown_table_extent(md);
  EXPECT_EQ(e.max_columns, 5);
  EXPECT_EQ(e.cells, 2 * 2 + 5 * 1);
}

TEST(MarkdownTables, TheLimitsAreInclusive) {
  EXPECT_TRUE(markdown_tables_within_limits(row(64) + "\n" + delimiter(64) + "\n"));
  EXPECT_FALSE(markdown_tables_within_limits(row(65) + "\n" + delimiter(65) + "\n"));
  // 50 columns × 100 rows = 5,000 cells: at the limit; one more row is over it.
  std::string md = row(50) + "\n" + delimiter(50) + "\n";
  for (int i = 0; i < 99; ++i) md += "| x |\n";
  EXPECT_EQ(markdown_table_extent(md).cells, 5000);
  EXPECT_TRUE(markdown_tables_within_limits(md));
  EXPECT_FALSE(markdown_tables_within_limits(md + "| x |\n"));
}

TEST(MarkdownTables, TheAmplificationAttackIsRefused) {
  // A 1,000-column header over one-cell rows: 20 KB of text, 100 MB of HTML.
  std::string md = row(1000) + "\n" + delimiter(1000) + "\n";
  for (int i = 0; i < 2000; ++i) md += "x\n";
  const auto e = markdown_table_extent(md);
  EXPECT_EQ(e.max_columns, 1000);
  EXPECT_EQ(e.cells, 1000 * 2001);
  EXPECT_FALSE(markdown_tables_within_limits(md));
}

// cmark-gfm ends a line at "\r" too: CR-only and CRLF texts are counted the
// same as LF ones, and so is a mix of them.
TEST(MarkdownTables, CarriageReturnsEndLinesAsLineFeedsDo) {
  std::string lf = row(1000) + "\n" + delimiter(1000) + "\n";
  for (int i = 0; i < 100; ++i) lf += "x\n";
  std::string cr = lf, crlf, mixed = row(1000) + "\n" + delimiter(1000) + "\n";
  for (char& c : cr)
    if (c == '\n') c = '\r';
  for (char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (int i = 0; i < 100; ++i) mixed += "x\r";
  const auto expected = markdown_table_extent(lf);
  EXPECT_EQ(expected.cells, 1000 * 101);
  for (const std::string* text : {&cr, &crlf, &mixed}) {
    const auto e = markdown_table_extent(*text);
    EXPECT_EQ(e.max_columns, expected.max_columns);
    EXPECT_EQ(e.cells, expected.cells);
    EXPECT_FALSE(markdown_tables_within_limits(*text));
  }
  // A CRLF blank line still ends a table.
  EXPECT_EQ(markdown_table_extent(row(2) + "\r\n" + delimiter(2) + "\r\n| a |\r\n\r\nafter\r\n").cells, 2 * 2);
}

TEST(MarkdownTables, EscapedPipesDoNotSplitCellsOfTheDelimiterRow) {
  // An escaped pipe inside a delimiter cell makes it no delimiter at all.
  EXPECT_EQ(markdown_table_extent("a | b\n--\\|-- | ---\n").max_columns, 0);
}

}  // namespace
}  // namespace pw::domain
