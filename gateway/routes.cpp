#include "gateway/routes.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "gateway/api_json.hpp"
#include "gateway/route_table.hpp"

namespace pw::gateway {

namespace {

std::vector<std::string_view> split_pattern(std::string_view pattern) {
  std::vector<std::string_view> out;
  std::size_t i = 1;  // skip the leading '/'
  while (i <= pattern.size()) {
    std::size_t j = pattern.find('/', i);
    if (j == std::string_view::npos) j = pattern.size();
    out.push_back(pattern.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// The decoded segments of `path`, or nullopt when the path is unsafe (see the
// header's matching rules).
std::optional<std::vector<std::string>> split_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (path.find('#') != std::string_view::npos) return std::nullopt;
  std::vector<std::string> out;
  std::size_t i = 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view raw = path.substr(i, j - i);
    if (raw.empty() || raw == "." || raw == "..") return std::nullopt;
    auto seg = percent_decode(raw, /*plus_is_space=*/false);
    if (!seg || seg->empty() || *seg == "." || *seg == "..") return std::nullopt;
    if (seg->find('/') != std::string::npos || seg->find('\\') != std::string::npos) {
      return std::nullopt;
    }
    if (has_control(*seg) || !is_valid_utf8(*seg)) return std::nullopt;
    out.push_back(std::move(*seg));
    i = j + 1;
  }
  return out;
}

// A route's pattern split into its segments once: splitting every pattern of
// the table for every request was most of what routing cost (callgrind).
struct CompiledRoute {
  const Route* route;
  std::vector<std::string_view> parts;  // "{name}" marks a parameter
};

const std::vector<CompiledRoute>& compiled_routes() {
  static const std::vector<CompiledRoute> compiled = [] {
    std::vector<CompiledRoute> out;
    for (const Route& r : route_table()) out.push_back({&r, split_pattern(r.pattern)});
    return out;
  }();
  return compiled;
}

bool is_parameter(std::string_view part) { return part.size() >= 2 && part.front() == '{' && part.back() == '}'; }

bool matches(const std::vector<std::string_view>& parts, const std::vector<std::string>& segments) {
  if (parts.size() != segments.size()) return false;
  for (std::size_t k = 0; k < parts.size(); ++k)
    if (!is_parameter(parts[k]) && parts[k] != segments[k]) return false;
  return true;
}

std::map<std::string, std::string> parameters(const std::vector<std::string_view>& parts,
                                              const std::vector<std::string>& segments) {
  std::map<std::string, std::string> found;
  for (std::size_t k = 0; k < parts.size(); ++k)
    if (is_parameter(parts[k])) found.emplace(std::string(parts[k].substr(1, parts[k].size() - 2)), segments[k]);
  return found;
}

// One key=value pair; nullopt if it does not decode.
std::optional<std::pair<std::string, std::string>> decode_pair(std::string_view pair,
                                                               std::string& key_for_error) {
  const std::size_t eq = pair.find('=');
  const std::string_view raw_key = pair.substr(0, eq);
  const std::string_view raw_value = eq == std::string_view::npos ? std::string_view{}
                                                                  : pair.substr(eq + 1);
  auto key = percent_decode(raw_key, true);
  if (!key || !is_valid_utf8(*key)) {
    key_for_error = "query";
    return std::nullopt;
  }
  key_for_error = *key;
  auto value = percent_decode(raw_value, true);
  if (!value || !is_valid_utf8(*value)) return std::nullopt;
  return std::make_pair(std::move(*key), std::move(*value));
}

template <class OnBad>
std::map<std::string, std::string> parse_query_impl(std::string_view query, OnBad&& on_bad) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    const std::string_view pair = query.substr(i, j - i);
    i = j + 1;
    if (pair.empty()) continue;
    std::string key_for_error;
    auto kv = decode_pair(pair, key_for_error);
    if (!kv) {
      if (!on_bad(key_for_error)) return out;
      continue;
    }
    if (kv->first.empty()) continue;
    out.emplace(std::move(kv->first), std::move(kv->second));  // first wins
  }
  return out;
}

}  // namespace

std::string MatchResult::allow_header() const {
  std::string out;
  for (const std::string& m : allowed) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;  // needs two hex digits
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

MatchResult route(std::string_view method, std::string_view target) {
  MatchResult result;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const auto segments = split_path(path);
  if (!segments) return result;  // not_found

  for (const CompiledRoute& r : compiled_routes()) {
    if (!matches(r.parts, *segments)) continue;
    if (method == r.route->method) {
      result.kind = MatchResult::Kind::matched;
      result.match = Match{r.route, parameters(r.parts, *segments)};
      result.allowed.clear();
      return result;
    }
    result.allowed.emplace_back(r.route->method);
  }
  if (!result.allowed.empty()) {
    std::sort(result.allowed.begin(), result.allowed.end());
    result.allowed.erase(std::unique(result.allowed.begin(), result.allowed.end()),
                         result.allowed.end());
    result.kind = MatchResult::Kind::method_not_allowed;
  }
  return result;
}

std::optional<Match> match(std::string_view method, std::string_view target) {
  MatchResult r = route(method, target);
  if (r.kind != MatchResult::Kind::matched) return std::nullopt;
  return std::move(r.match);
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  return parse_query_impl(query, [](const std::string&) { return true; });
}

Result<std::map<std::string, std::string>> parse_query_strict(std::string_view query) {
  std::optional<std::string> bad;
  auto out = parse_query_impl(query, [&](const std::string& key) {
    bad = key.empty() ? std::string("query") : key;
    return false;
  });
  if (bad) {
    return make_error(Errc::validation_error, "invalid query string",
                      {{*bad, "invalid percent-encoding or UTF-8"}});
  }
  return out;
}

}  // namespace pw::gateway
