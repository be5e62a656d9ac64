#pragma once
// The editing session every end-to-end test runs over real HTTP: create a site
// and pages, add, move, update and remove nested components, read everything
// back (with X-Pagewright-After), page history, the raw NDJSON stream and the
// audit check. Assertions are GoogleTest's, inside.
#include <string>

#include "tests/support/http_client.hpp"

namespace pw::test {

struct Tokens {
  std::string owner, admin, editor, viewer, other_tenant;
};
// Tokens of tenant "t-<tag>" (and one of another tenant), signed with `secret`.
Tokens make_tokens(const std::string& secret, const std::string& tag);

struct ScenarioResult {
  std::string site_id;
  std::string page_id;
  int64_t page_version = 0;
  int64_t site_events = 0;
  std::string head_hash;
};

// Runs the scenario on a fresh subdomain; ASSERTs inside (check HasFatalFailure()).
ScenarioResult run_editing_scenario(HttpClient& http, const Tokens& tokens, const std::string& subdomain);

// Polls GET /v1/deployments/{id} until it succeeded or failed (ADD_FAILUREs
// after a minute); returns the last deployment seen.
nlohmann::json wait_for_deployment(HttpClient& http, const std::string& token, const std::string& id);

// sha256 hex of a string (for checking NDJSON lines against prevHash).
std::string sha256_of(const std::string& s);

}  // namespace pw::test
