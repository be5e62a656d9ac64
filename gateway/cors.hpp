#pragma once
// Cross-origin access to /v1 (API.md "CORS"): only the origins an operator
// lists (--cors-origins) get the Access-Control-* headers, so a browser lets
// an editor served elsewhere call the API with its bearer token. Tokens travel
// in Authorization, never in cookies, so credentials mode is never allowed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"
#include "gateway/http_types.hpp"

namespace pw::gateway {

class CorsPolicy {
 public:
  CorsPolicy() = default;  // no origin listed: no CORS header, ever
  // Comma-separated origins, each "scheme://host[:port]" as a browser sends
  // Origin (http or https, no path, no trailing slash, no wildcard); spaces
  // around commas are ignored. Anything else is a validation error naming it.
  static Result<CorsPolicy> parse(std::string_view comma_separated);

  bool enabled() const { return !origins_.empty(); }
  const std::vector<std::string>& origins() const { return origins_; }
  // The request's Origin when it is listed and the target is under /v1.
  std::optional<std::string> allowed_origin(const HttpRequest& request) const;
  // A preflight (OPTIONS under /v1 with Access-Control-Request-Method) from a
  // listed origin: the 204 to send. nullopt for any other request.
  std::optional<HttpResponse> preflight(const HttpRequest& request) const;
  // Adds Access-Control-Allow-Origin, Vary and the exposed headers to a /v1
  // response for a listed origin; leaves any other response untouched.
  void decorate(const HttpRequest& request, HttpResponse& response) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace pw::gateway
