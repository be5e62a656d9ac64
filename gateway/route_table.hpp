#pragma once
// The gateway's routes (API.md) in one declarative table: each row says the
// method, the path pattern, the name (logs, metrics), the least role, whether it
// is a command, a query or an operations endpoint, and the function that serves
// it. A new endpoint is one row in route_table.cpp plus its function.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "events/result.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler.hpp"

namespace pw::gateway {

struct Built;  // a command route's command (handler_internal.hpp)

inline constexpr std::size_t kDefaultMaxBody = std::size_t{1} << 20;  // = kMaxBodyBytes (api_json.hpp)

enum class RouteKind {
  command,     // one command on the bus; the reply waits for its outcome
  query,       // read models and the log, on the blocking pool
  operations,  // no authentication (health, readiness)
};

using BuildCommand = Result<Built> (*)(const Gateway::Exchange& ex, const std::string& command_id);
using Serve = void (*)(const std::shared_ptr<Gateway::Exchange>& ex);

struct Route {
  std::string_view method;   // compared exactly
  std::string_view pattern;  // "/v1/sites/{siteId}"
  std::string_view name;     // stable snake_case: "get_site"
  Role least_role = Role::viewer;
  RouteKind kind = RouteKind::query;
  BuildCommand build = nullptr;  // command routes
  Serve serve = nullptr;         // query and operations routes
  // false: answered on the I/O thread (cheap and never blocking).
  bool blocking = true;
  // The longest request body the route takes (longer → 413); the API's 1 MiB
  // unless the route says otherwise (an asset upload takes 10 MiB).
  std::size_t max_body = kDefaultMaxBody;
  // Reads the log, or folds events, for seconds at worst: runs on the long
  // queries' pool, so a few of them cannot hold every query thread.
  bool long_running = false;
};

std::span<const Route> route_table();
// The route of that name (nullptr if none), e.g. for tests.
const Route* find_route(std::string_view name);
// The body limit of the route a request goes to (kDefaultMaxBody when none
// matches), and the largest of any route: the HTTP server reads the head
// first, then allows that route's body and no more.
std::size_t max_body_for(std::string_view method, std::string_view target);
std::size_t largest_max_body();

}  // namespace pw::gateway
