// The router and its percent-decoding (gateway/routes.hpp). The input is a
// method, a newline, and a request target. Contract: route() answers a row of
// the table whose method and pattern fit, with decoded parameters that are
// safe path segments; or a clean not-found (nothing allowed); or a 405 that
// lists the path's methods, sorted. The query parsers agree with each other.
#include <algorithm>
#include <cstdint>

#include "gateway/api_json.hpp"
#include "gateway/route_table.hpp"
#include "gateway/routes.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

bool safe_segment(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7F) return false;
  }
  return pw::gateway::is_valid_utf8(s);
}

// The pattern's parameter names.
std::vector<std::string> parameter_names(std::string_view pattern) {
  std::vector<std::string> out;
  for (size_t open = pattern.find('{'); open != std::string_view::npos; open = pattern.find('{', open + 1))
    out.emplace_back(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = pw::fuzz::as_text(data, size);
  const size_t nl = input.find('\n');
  const std::string_view method = nl == std::string_view::npos ? std::string_view("GET") : input.substr(0, nl);
  const std::string_view target = nl == std::string_view::npos ? input : input.substr(nl + 1);

  const pw::gateway::MatchResult r = pw::gateway::route(method, target);
  using Kind = pw::gateway::MatchResult::Kind;
  switch (r.kind) {
    case Kind::matched: {
      PW_FUZZ_CHECK(r.match && r.match->route != nullptr);
      PW_FUZZ_CHECK(r.match->route->method == method);
      PW_FUZZ_CHECK(r.allowed.empty());
      std::vector<std::string> names;
      for (const auto& [name, value] : r.match->params) {
        PW_FUZZ_CHECK(safe_segment(value));
        names.push_back(name);
      }
      PW_FUZZ_CHECK(names == parameter_names(r.match->route->pattern));
      PW_FUZZ_CHECK(pw::gateway::match(method, target) == r.match);
      break;
    }
    case Kind::not_found:
      PW_FUZZ_CHECK(!r.match && r.allowed.empty());
      break;
    case Kind::method_not_allowed:
      PW_FUZZ_CHECK(!r.match && !r.allowed.empty());
      PW_FUZZ_CHECK(std::is_sorted(r.allowed.begin(), r.allowed.end()));
      PW_FUZZ_CHECK(std::find(r.allowed.begin(), r.allowed.end(), method) == r.allowed.end());
      PW_FUZZ_CHECK(!r.allow_header().empty());
      break;
  }
  PW_FUZZ_CHECK(pw::gateway::max_body_for(method, target) <= pw::gateway::largest_max_body());

  const size_t q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const auto lenient = pw::gateway::parse_query(query);
  const auto strict = pw::gateway::parse_query_strict(query);
  if (strict.ok()) PW_FUZZ_CHECK(*strict == lenient);
  for (const auto& [key, value] : lenient) {
    PW_FUZZ_CHECK(!key.empty());
    PW_FUZZ_CHECK(pw::gateway::is_valid_utf8(key) && pw::gateway::is_valid_utf8(value));
  }

  // A decoded string never grows, and plain text decodes to itself.
  if (auto d = pw::gateway::percent_decode(target, true)) PW_FUZZ_CHECK(d->size() <= target.size());
  if (target.find('%') == std::string_view::npos && target.find('+') == std::string_view::npos)
    PW_FUZZ_CHECK(pw::gateway::percent_decode(target, true) == std::string(target));
  return 0;
}
