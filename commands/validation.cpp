#include "commands/validation.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

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

bool is_refused_control(uint32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

std::optional<uint32_t> first_refused_control(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (is_refused_control(b)) return b;
    } else if (b == 0xc2 && i + 1 < s.size()) {
      // U+0080–U+009F are C2 80 … C2 9F; C2 only ever starts a two-byte form.
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return next;
    }
  }
  return std::nullopt;
}

std::string storable_text(std::string_view s, size_t max_chars) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD
  std::string out;
  out.reserve(std::min(s.size(), max_chars * 4));
  size_t chars = 0;
  for (size_t i = 0; i < s.size();) {
    if (chars == max_chars) {
      // Room for the ellipsis: the last character kept gives way to it.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (!out.empty()) out.pop_back();
      out += "\xe2\x80\xa6";  // …
      return out;
    }
    // The length of the well-formed UTF-8 sequence at i, or 0.
    const std::string_view rest = s.substr(i, std::min<size_t>(4, s.size() - i));
    size_t len = 0;
    for (size_t n = 1; n <= rest.size() && len == 0; ++n)
      if (utf8_length(rest.substr(0, n)) == 1) len = n;
    if (len == 0) {
      out += kReplacement;
      ++i;
    } else {
      const std::string_view ch = s.substr(i, len);
      if (first_refused_control(ch))
        out += kReplacement;
      else
        out += ch;
      i += len;
    }
    ++chars;
  }
  return out;
}

void fit_report_log(std::vector<std::string>& log) {
  std::vector<std::string> kept;
  size_t bytes = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    std::string line = storable_text(log[i], kMaxReportLine);
    const bool last_slot = kept.size() + 1 == kMaxReportLines && i + 1 < log.size();
    if (last_slot || bytes + line.size() > kMaxReportLogBytes) {
      kept.push_back(std::to_string(log.size() - i) + " more line(s) left out");
      break;
    }
    bytes += line.size();
    kept.push_back(std::move(line));
  }
  log = std::move(kept);
}

std::string refused_control_message(uint32_t cp) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
  return std::string("must not contain control characters other than tab, CR and LF (found ") +
         hex + ")";
}

namespace {
// Whether any string or key below `value` holds one; no paths, so it costs a
// walk and nothing else in the common case.
bool holds_refused_control(const nlohmann::json& value) {
  if (value.is_string()) return first_refused_control(value.get_ref<const std::string&>()).has_value();
  if (!value.is_structured()) return false;
  std::vector<const nlohmann::json*> todo{&value};
  while (!todo.empty()) {
    const nlohmann::json* v = todo.back();
    todo.pop_back();
    if (v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        if (first_refused_control(it.key())) return true;
        if (it->is_string()) {
          if (first_refused_control(it->get_ref<const std::string&>())) return true;
        } else if (it->is_structured()) {
          todo.push_back(&*it);
        }
      }
    } else {
      for (const auto& x : *v) {
        if (x.is_string()) {
          if (first_refused_control(x.get_ref<const std::string&>())) return true;
        } else if (x.is_structured()) {
          todo.push_back(&x);
        }
      }
    }
  }
  return false;
}
}  // namespace

std::optional<RefusedText> find_refused_control(const nlohmann::json& value,
                                                std::string_view prefix) {
  if (!holds_refused_control(value)) return std::nullopt;
  struct Item {
    const nlohmann::json* value;
    std::string path;
  };
  std::vector<Item> todo{{&value, std::string(prefix)}};
  auto child = [](const std::string& base, std::string_view key) {
    return base.empty() ? std::string(key) : base + "." + std::string(key);
  };
  while (!todo.empty()) {
    Item item = std::move(todo.back());
    todo.pop_back();
    const nlohmann::json& v = *item.value;
    if (v.is_string()) {
      if (auto cp = first_refused_control(v.get_ref<const std::string&>()))
        return RefusedText{std::move(item.path), *cp};
    } else if (v.is_object()) {
      // Reverse order on the stack, so the first offending member is reported first.
      std::vector<Item> members;
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::string path = child(item.path, it.key());
        if (auto cp = first_refused_control(it.key())) return RefusedText{std::move(path), *cp};
        members.push_back({&*it, std::move(path)});
      }
      for (auto m = members.rbegin(); m != members.rend(); ++m) todo.push_back(std::move(*m));
    } else if (v.is_array()) {
      for (size_t n = v.size(); n-- > 0;)
        todo.push_back({&v[n], item.path + "[" + std::to_string(n) + "]"});
    }
  }
  return std::nullopt;
}

size_t json_string_bytes(std::string_view s) {
  size_t n = 2;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
        n += 2;
        break;
      default:
        n += c < 0x20 ? 6 : 1;  // \u00XX
    }
  }
  return n;
}

size_t json_bytes(const nlohmann::json& v) {
  using T = nlohmann::json::value_t;
  switch (v.type()) {
    case T::null: return 4;
    case T::boolean: return v.get<bool>() ? 4 : 5;
    case T::string: return json_string_bytes(v.get_ref<const std::string&>());
    case T::number_integer: {
      const int64_t i = v.get<int64_t>();
      uint64_t u = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      size_t n = i < 0 ? 2 : 1;
      while (u >= 10) u /= 10, ++n;
      return n;
    }
    case T::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      size_t n = 1;
      while (u >= 10) u /= 10, ++n;
      return n;
    }
    case T::array: {
      size_t n = 2 + (v.empty() ? 0 : v.size() - 1);
      for (const auto& x : v) n += json_bytes(x);
      return n;
    }
    case T::object: {
      size_t n = 2 + (v.empty() ? 0 : v.size() - 1);
      for (auto it = v.begin(); it != v.end(); ++it) n += json_string_bytes(it.key()) + 1 + json_bytes(*it);
      return n;
    }
    default:  // floats (their shortest form is nlohmann's to choose), binary, discarded
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  }
}

int json_depth(const nlohmann::json& value) {
  std::vector<std::pair<const nlohmann::json*, int>> todo{{&value, 0}};
  int deepest = 0;
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    for (const auto& child : *v) todo.emplace_back(&child, depth + 1);
  }
  return deepest;
}

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
