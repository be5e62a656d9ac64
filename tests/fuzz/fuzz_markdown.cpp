// Markdown rendering (workers/render/markdown.cpp) and the table limits it
// enforces before parsing (commands/markdown_limits.hpp). Contract: never
// crashes; text within the limits renders and text over them is refused
// unparsed, as PAYLOAD_TOO_LARGE; no link or image keeps a javascript:,
// vbscript: or data: URL.
#include <algorithm>
#include <cctype>
#include <cstdint>

#include "commands/markdown_limits.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "workers/render/internal.hpp"

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = pw::fuzz::as_text(data, size);
  const auto extent = pw::domain::markdown_table_extent(text);
  PW_FUZZ_CHECK(extent.max_columns >= 0 && extent.cells >= extent.max_columns);
  PW_FUZZ_CHECK(pw::domain::markdown_tables_within_limits(text) ==
                (extent.max_columns <= pw::domain::kMaxTableColumns && extent.cells <= pw::domain::kMaxTableCells));

  const auto within = pw::render::detail::markdown_within_limits(text);
  auto html = pw::render::detail::markdown_to_html(text);
  PW_FUZZ_CHECK(html.ok() == within.ok());
  if (!html.ok()) {
    PW_FUZZ_CHECK(html.error().code == pw::Errc::payload_too_large);
    return 0;
  }
  const std::string out = lower(*html);
  for (const char* attr : {"href=\"", "src=\""}) {
    for (size_t at = out.find(attr); at != std::string::npos; at = out.find(attr, at + 1)) {
      const std::string_view url = std::string_view(out).substr(at + std::string_view(attr).size());
      PW_FUZZ_CHECK(!url.starts_with("javascript:") && !url.starts_with("vbscript:") && !url.starts_with("data:"));
    }
  }
  return 0;
}
