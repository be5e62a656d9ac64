#include "commands/validation.hpp"

namespace pw::domain {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+(-[a-z0-9]+)*
bool is_dashed_word(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '-') {
      if (prev == '-') return false;
    } else if (!lower_alnum(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

}  // namespace

int64_t utf8_length(std::string_view s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return -1;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return -1;
    i += len;
    ++n;
  }
  return n;
}

bool valid_text(std::string_view s, size_t max, bool allow_empty) {
  int64_t n = utf8_length(s);
  return n >= (allow_empty ? 0 : 1) && static_cast<size_t>(n) <= max;
}

bool is_valid_subdomain(std::string_view s) {
  return s.size() <= kMaxSubdomain && is_dashed_word(s);
}

bool is_valid_slug(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() > kMaxSlug) return false;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (!is_dashed_word(s.substr(start, slash == std::string_view::npos ? slash : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool is_valid_component_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-')) return false;
  return true;
}

std::string slug_from_title(std::string_view title) {
  std::string out;
  bool dash = false;
  for (char ch : title) {
    char c = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if (lower_alnum(c)) {
      size_t need = (dash && !out.empty()) ? 2 : 1;
      if (out.size() + need > kMaxSlug) break;
      if (need == 2) out.push_back('-');
      out.push_back(c);
      dash = false;
    } else {
      dash = true;
    }
  }
  return out.empty() ? std::string("page") : out;
}

}  // namespace pw::domain
