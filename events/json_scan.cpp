#include "events/json_scan.hpp"

#include <cstring>

namespace pw::json_scan {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// s[i] == '"'; returns the index one past the closing quote, or npos.
size_t skip_string(std::string_view s, size_t i) {
  ++i;
  while (i < s.size()) {
    const void* hit = nullptr;
    // Fast path: jump to the next quote or backslash.
    const char* base = s.data() + i;
    const size_t left = s.size() - i;
    const char* q = static_cast<const char*>(std::memchr(base, '"', left));
    const char* b = static_cast<const char*>(std::memchr(base, '\\', q ? static_cast<size_t>(q - base) : left));
    hit = b ? static_cast<const void*>(b) : static_cast<const void*>(q);
    if (!hit) return std::string_view::npos;
    i = static_cast<size_t>(static_cast<const char*>(hit) - s.data());
    if (s[i] == '"') return i + 1;
    i += 2;  // backslash escapes the next character
  }
  return std::string_view::npos;
}

// Skips one value starting at s[i]; returns the index one past it, or npos.
size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  const char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char d = s[i];
      if (d == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  // number, true, false, null
  const size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
  return i == start ? std::string_view::npos : i;
}

}  // namespace

bool for_each_field(std::string_view s,
                    const std::function<bool(std::string_view, std::string_view)>& field) {
  return scan_fields(s, [&](std::string_view k, std::string_view v) { return field(k, v) ? Step::next : Step::fail; });
}

bool scan_fields(std::string_view s, const std::function<Step(std::string_view, std::string_view)>& field) {
  size_t i = skip_space(s, 0);
  if (i >= s.size() || s[i] != '{') return false;
  i = skip_space(s, i + 1);
  if (i < s.size() && s[i] == '}') return skip_space(s, i + 1) == s.size();
  while (i < s.size()) {
    if (s[i] != '"') return false;
    const size_t key_end = skip_string(s, i);
    if (key_end == std::string_view::npos) return false;
    const std::string_view key = s.substr(i + 1, key_end - i - 2);
    i = skip_space(s, key_end);
    if (i >= s.size() || s[i] != ':') return false;
    i = skip_space(s, i + 1);
    const size_t value_end = skip_value(s, i);
    if (value_end == std::string_view::npos) return false;
    switch (field(key, s.substr(i, value_end - i))) {
      case Step::next: break;
      case Step::stop: return true;
      case Step::fail: return false;
    }
    i = skip_space(s, value_end);
    if (i >= s.size()) return false;
    if (s[i] == '}') return skip_space(s, i + 1) == s.size();
    if (s[i] != ',') return false;
    i = skip_space(s, i + 1);
  }
  return false;
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace pw::json_scan
