// Small string rules shared by the renderer: slugs, relative paths, URLs,
// escaping for XML and for JSON inside <script>.
#include <cctype>

#include "commands/components.hpp"
#include "workers/render/internal.hpp"

namespace pw::render::detail {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool alnum(char c) { return alpha(c) || (c >= '0' && c <= '9'); }
bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// One segment of ^[a-z0-9]+(-[a-z0-9]+)*$.
bool valid_segment(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '-' && s[i + 1] == '-') return false;
    if (s[i] != '-' && !lower_alnum(s[i])) return false;
  }
  return true;
}

}  // namespace

bool valid_slug(std::string_view slug) {
  if (slug.empty()) return true;
  size_t start = 0;
  while (true) {
    size_t slash = slug.find('/', start);
    if (!valid_segment(slug.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string root_prefix(std::string_view slug) {
  if (slug.empty()) return {};
  std::string out = "../";
  for (char c : slug) {
    if (c == '/') out += "../";
  }
  return out;
}

std::string clean_url(std::string_view url) {
  if (url.empty() || !pw::domain::is_safe_url(url)) return {};
  static constexpr std::string_view kEncode = " \"<>\\^`{|}";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(url.size());
  for (size_t i = 0; i < url.size(); ++i) {
    auto c = static_cast<unsigned char>(url[i]);
    bool stray_percent = c == '%' && !(i + 2 < url.size() && hex(url[i + 1]) && hex(url[i + 2]));
    if (c < 0x20 || c == 0x7f || kEncode.find(static_cast<char>(c)) != std::string_view::npos ||
        stray_percent) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool is_absolute_http(std::string_view url) {
  auto starts = [&](std::string_view p) {
    if (url.size() <= p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

std::string site_lang(const nlohmann::json& settings) {
  auto it = settings.is_object() ? settings.find("lang") : settings.end();
  if (!settings.is_object() || it == settings.end() || !it->is_string()) return "en";
  const auto& s = it->get_ref<const std::string&>();
  size_t i = 0;
  while (i < s.size() && alpha(s[i])) ++i;
  if (i < 2 || i > 3) return "en";
  while (i < s.size()) {
    if (s[i] != '-') return "en";
    size_t j = ++i;
    while (j < s.size() && alnum(s[j])) ++j;
    if (j == i || j - i > 8) return "en";
    i = j;
  }
  return s;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "<", ">" and "&" can only occur inside JSON strings, where \u escapes mean the
// same, so "</script>" and "<!--" cannot appear in the element's text.
std::string json_for_script(const nlohmann::json& j) {
  std::string s = dump(j), out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace pw::render::detail
