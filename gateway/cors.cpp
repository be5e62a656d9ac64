#include "gateway/cors.hpp"

#include <algorithm>

namespace pw::gateway {
namespace {

constexpr std::string_view kAllowedMethods = "GET, POST, PUT, PATCH, DELETE";
constexpr std::string_view kAllowedHeaders =
    "Authorization, Content-Type, If-Match, Idempotency-Key, Prefer, X-Pagewright-After, X-Request-Id";
constexpr std::string_view kExposedHeaders =
    "ETag, Location, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";
// Browsers cap it (Chromium at 2 h); 10 min keeps a changed list effective soon.
constexpr std::string_view kPreflightMaxAge = "600";

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' || c == ']' ||
         c == ':';
}

// What a browser sends as Origin: lowercase scheme and host, a port only when
// not the default, nothing after.
bool is_serialized_origin(std::string_view origin) {
  std::string_view rest;
  if (origin.starts_with("http://"))
    rest = origin.substr(7);
  else if (origin.starts_with("https://"))
    rest = origin.substr(8);
  else
    return false;
  if (rest.empty() || rest.size() > 253 + 6) return false;
  return std::all_of(rest.begin(), rest.end(), is_host_char) && rest.front() != '.' && rest.front() != ':' &&
         rest.back() != ':';
}

bool under_v1(std::string_view target) { return target == "/v1" || target.starts_with("/v1/") || target.starts_with("/v1?"); }

}  // namespace

Result<CorsPolicy> CorsPolicy::parse(std::string_view comma_separated) {
  CorsPolicy policy;
  while (!comma_separated.empty()) {
    const auto comma = comma_separated.find(',');
    const std::string_view item = trim(comma_separated.substr(0, comma));
    comma_separated = comma == std::string_view::npos ? std::string_view() : comma_separated.substr(comma + 1);
    if (item.empty()) continue;
    if (!is_serialized_origin(item))
      return make_error(Errc::validation_error, "invalid CORS origin",
                        {{"--cors-origins", "'" + std::string(item) +
                                                "' is not an origin like https://editor.example.com or "
                                                "http://localhost:5173 (lowercase, no path, no wildcard)"}});
    if (std::find(policy.origins_.begin(), policy.origins_.end(), item) == policy.origins_.end())
      policy.origins_.emplace_back(item);
  }
  return policy;
}

std::optional<std::string> CorsPolicy::allowed_origin(const HttpRequest& request) const {
  if (origins_.empty() || !under_v1(request.target)) return std::nullopt;
  const auto origin = request.header("origin");
  if (!origin || std::find(origins_.begin(), origins_.end(), *origin) == origins_.end()) return std::nullopt;
  return std::string(*origin);
}

std::optional<HttpResponse> CorsPolicy::preflight(const HttpRequest& request) const {
  if (request.method != "OPTIONS" || !request.header("access-control-request-method")) return std::nullopt;
  const auto origin = allowed_origin(request);
  if (!origin) return std::nullopt;
  HttpResponse r;
  r.status = 204;
  r.headers = {{"Access-Control-Allow-Origin", *origin},
               {"Vary", "Origin"},
               {"Access-Control-Allow-Methods", std::string(kAllowedMethods)},
               {"Access-Control-Allow-Headers", std::string(kAllowedHeaders)},
               {"Access-Control-Max-Age", std::string(kPreflightMaxAge)}};
  return r;
}

void CorsPolicy::decorate(const HttpRequest& request, HttpResponse& response) const {
  const auto origin = allowed_origin(request);
  if (!origin) return;
  response.set_header("Access-Control-Allow-Origin", *origin);
  response.set_header("Vary", "Origin");
  response.set_header("Access-Control-Expose-Headers", std::string(kExposedHeaders));
}

}  // namespace pw::gateway
