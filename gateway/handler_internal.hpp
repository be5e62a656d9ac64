#pragma once
// Shared by the handler's translation units (handler*.cpp) only.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/api_json.hpp"
#include "gateway/auth.hpp"
#include "gateway/handler.hpp"
#include "gateway/routes.hpp"

namespace pw::gateway {

// One request on its way to its one response. Shared by the callbacks that
// finish it (command outcomes, blocking-pool jobs).
struct Gateway::Exchange {
  Gateway& gw;
  HttpRequest request;
  Respond respond;
  std::string request_id;
  std::optional<RouteId> route;
  Match match;
  Principal principal;
  std::optional<RateDecision> rate;  // the rate limit's decision: RateLimit-* headers
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> answered{false};

  Exchange(Gateway& g, HttpRequest r, Respond out) : gw(g), request(std::move(r)), respond(std::move(out)) {}

  // Every response leaves through here: X-Request-Id, metrics, once only.
  void send(HttpResponse response);
  void json(int status, const nlohmann::json& envelope);
  void ok(int status, nlohmann::json data);
  void ok_list(nlohmann::json items, const Pagination& pagination);
  void fail(const Error& error);

  const std::string& param(const char* name) const { return match.params.at(name); }
  std::map<std::string, std::string> query() const;
};

using ExchangePtr = std::shared_ptr<Gateway::Exchange>;

// handler_commands.cpp: the write routes (each becomes one command).
bool is_command_route(RouteId id);
void handle_command(const ExchangePtr& ex);
// handler_queries.cpp: the read routes, audit and command status.
void handle_query(const ExchangePtr& ex);

// The role a route needs (viewer for reads).
Role required_role(RouteId id);

// Query parameter helpers: an integer in [min, max] or a validation error.
Result<std::optional<int64_t>> int_param(const std::map<std::string, std::string>& q, const char* name,
                                         int64_t min, int64_t max);

}  // namespace pw::gateway
