#pragma once
// Bearer-token authentication of the HTTP gateway (API.md "Conventions",
// DESIGN.md decision 11): an `Authorization: Bearer <JWT>` header, HS256 only,
// claims `sub` (user id), `tenant` (tenant id), `role` and `exp`.
//
// Thread-safe: every call works on its own libjwt objects; nothing is shared.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "events/ids.hpp"
#include "events/result.hpp"

namespace pw::gateway {

// Ordered: each role may do everything the roles below it may.
enum class Role { viewer, editor, admin, owner };

// "viewer", "editor", "admin", "owner" (the `role` claim's values).
const char* role_name(Role role);
// The role named exactly (lowercase) `name`, or nullopt.
std::optional<Role> parse_role(std::string_view name);
// True when a caller with role `have` may do what needs role `need`.
bool role_allows(Role have, Role need);

struct Principal {
  UserId user;
  TenantId tenant;
  Role role = Role::viewer;
  int64_t expires_at = 0;  // the `exp` claim, Unix seconds
  friend bool operator==(const Principal&, const Principal&) = default;
};

// HMAC keys shorter than this are refused by both functions below.
inline constexpr std::size_t kMinSecretBytes = 32;
// Longer headers/tokens are refused before any parsing.
inline constexpr std::size_t kMaxTokenBytes = 8192;

// The principal of a request, from its `Authorization` header value.
//
// Accepted: exactly `<scheme> <token>` — the scheme `Bearer` in any letter case,
// one space, a compact JWS (three base64url parts, no padding), nothing else (no
// leading, trailing or repeated whitespace). The JOSE header must say
// `"alg": "HS256"` (any other alg, `none` included, is refused before the
// signature is looked at, and libjwt's view of the alg is checked again
// afterwards), `typ` if present must be "JWT", and `crit` must be absent. The
// HMAC-SHA256 signature must verify with `secret`. The claims must hold `sub`
// and `tenant` as non-empty strings, `role` as one of the four role names, and
// `exp` as an integer > `now_unix`; `nbf`, if present, must be an integer
// <= `now_unix`. Other claims are ignored.
//
// Errors: any problem with the header or the token → Errc::unauthenticated with
// a short fixed message (never the token or its contents); a `secret` shorter
// than kMinSecretBytes → Errc::internal (a server misconfiguration, not the
// client's fault).
Result<Principal> verify_bearer(std::string_view authorization_header, std::string_view secret,
                                int64_t now_unix);

// verify_bearer for a server: it remembers the headers whose token verified,
// so a client's next request with the same token costs a lookup instead of two
// JSON parses and an HMAC (a tenth of an edit's instructions, by callgrind).
// A remembered token is still refused once it expires. Only tokens that
// verified are kept, so a client cannot fill the memory with junk; the store
// is bounded in bytes and starts afresh when full. Thread-safe.
class BearerVerifier {
 public:
  explicit BearerVerifier(std::string secret, std::size_t max_bytes = kDefaultMaxBytes);
  Result<Principal> verify(std::string_view authorization_header, int64_t now_unix);
  std::size_t remembered() const;

  static constexpr std::size_t kDefaultMaxBytes = std::size_t{4} << 20;

 private:
  const std::string secret_;
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Principal> verified_;
  std::size_t bytes_ = 0;
};

// A compact HS256 JWT with the claims `sub`, `tenant`, `role`, `exp` of `p`.
// Errors: a `secret` shorter than kMinSecretBytes → Errc::internal; an empty
// user or tenant, or expires_at <= 0 → Errc::validation_error.
Result<std::string> issue_token(const Principal& p, std::string_view secret);

}  // namespace pw::gateway
