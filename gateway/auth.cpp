#include "gateway/auth.hpp"

#include "events/encoding.hpp"

#include <jwt.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <limits>
#include <memory>

#include <nlohmann/json.hpp>

namespace pw::gateway {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 4> kRoleNames = {"viewer", "editor", "admin", "owner"};
// An HMAC-SHA256 signature is 32 bytes: 43 base64url characters without padding.
constexpr std::size_t kHs256SignatureChars = 43;

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct CStrDeleter {
  void operator()(char* s) const { std::free(s); }  // NOLINT(cppcoreguidelines-no-malloc)
};

Error unauthenticated(std::string message) {
  return make_error(Errc::unauthenticated, std::move(message));
}

Result<void> check_secret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return make_error(Errc::internal, "the JWT secret must be at least " +
                                          std::to_string(kMinSecretBytes) + " bytes long");
  }
  if (secret.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(Errc::internal, "the JWT secret is too long");
  }
  return {};
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The JSON object a base64url part encodes, or nullopt.
std::optional<json> decode_json_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  json j = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// A non-empty string claim, or nullopt.
std::optional<std::string> string_claim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return std::nullopt;
  auto s = it->get<std::string>();
  if (s.empty()) return std::nullopt;
  return s;
}

// An integer (NumericDate) claim that fits int64, or nullopt.
std::optional<int64_t> int_claim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

}  // namespace

const char* role_name(Role role) {
  const auto i = static_cast<std::size_t>(role);
  return i < kRoleNames.size() ? kRoleNames[i] : "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (std::size_t i = 0; i < kRoleNames.size(); ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

bool role_allows(Role have, Role need) { return have >= need; }

Result<Principal> verify_bearer(std::string_view authorization_header, std::string_view secret,
                                int64_t now_unix) {
  if (auto ok = check_secret(secret); !ok) return ok.error();

  // --- the header: exactly "<Bearer> <token>" ------------------------------
  if (authorization_header.empty()) return unauthenticated("missing bearer token");
  if (authorization_header.size() > kMaxTokenBytes + 7) return unauthenticated("bearer token too long");
  const auto space = authorization_header.find(' ');
  if (space == std::string_view::npos || !iequals(authorization_header.substr(0, space), "bearer")) {
    return unauthenticated("the Authorization header must be 'Bearer <token>'");
  }
  const std::string_view token = authorization_header.substr(space + 1);
  if (token.empty()) return unauthenticated("missing bearer token");
  for (char c : token) {
    if (!is_base64url_char(c) && c != '.') {
      return unauthenticated("the Authorization header must be 'Bearer <token>'");
    }
  }

  // --- the token's shape and its JOSE header, before any crypto -------------
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return unauthenticated("malformed token");
  }
  const auto head_part = token.substr(0, dot1);
  const auto body_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto sig_part = token.substr(dot2 + 1);
  if (head_part.empty() || body_part.empty()) return unauthenticated("malformed token");

  const auto head = decode_json_object(head_part);
  if (!head) return unauthenticated("malformed token");
  const auto alg = head->find("alg");
  if (alg == head->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return unauthenticated("unsupported token algorithm");
  }
  if (const auto typ = head->find("typ");
      typ != head->end() && (!typ->is_string() || !iequals(typ->get_ref<const std::string&>(), "JWT"))) {
    return unauthenticated("unsupported token type");
  }
  if (head->contains("crit")) return unauthenticated("unsupported token header");
  if (sig_part.size() != kHs256SignatureChars || !base64url_decode(sig_part)) {
    return unauthenticated("invalid token signature");
  }
  const auto claims = decode_json_object(body_part);
  if (!claims) return unauthenticated("malformed token");

  // --- the signature, by libjwt ---------------------------------------------
  {
    const std::string token_z(token);
    jwt_t* raw = nullptr;
    const int rc = jwt_decode(&raw, token_z.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                              static_cast<int>(secret.size()));
    JwtPtr decoded(raw);
    if (rc != 0 || !decoded) return unauthenticated("invalid token signature");
    // Belt and braces: whatever libjwt made of the header, only HS256 passes.
    if (jwt_get_alg(decoded.get()) != JWT_ALG_HS256) return unauthenticated("unsupported token algorithm");
  }

  // --- the claims (signed, so now worth reading) -----------------------------
  const auto exp = int_claim(*claims, "exp");
  if (!exp) return unauthenticated("token lacks a valid 'exp' claim");
  if (*exp <= now_unix) return unauthenticated("token expired");
  if (claims->contains("nbf")) {
    const auto nbf = int_claim(*claims, "nbf");
    if (!nbf) return unauthenticated("token has an invalid 'nbf' claim");
    if (*nbf > now_unix) return unauthenticated("token not yet valid");
  }
  auto sub = string_claim(*claims, "sub");
  if (!sub) return unauthenticated("token lacks a valid 'sub' claim");
  auto tenant = string_claim(*claims, "tenant");
  if (!tenant) return unauthenticated("token lacks a valid 'tenant' claim");
  const auto role_text = string_claim(*claims, "role");
  const auto role = role_text ? parse_role(*role_text) : std::nullopt;
  if (!role) return unauthenticated("token lacks a valid 'role' claim");

  return Principal{UserId{std::move(*sub)}, TenantId{std::move(*tenant)}, *role, *exp};
}

BearerVerifier::BearerVerifier(std::string secret, std::size_t max_bytes)
    : secret_(std::move(secret)), max_bytes_(max_bytes) {}

Result<Principal> BearerVerifier::verify(std::string_view authorization_header, int64_t now_unix) {
  {
    std::lock_guard lock(mu_);
    // Heterogeneous lookup needs C++20 transparent hashing; a header is short.
    if (auto it = verified_.find(std::string(authorization_header)); it != verified_.end()) {
      // The signature and the claims held when it was first seen; only time moves.
      if (it->second.expires_at <= now_unix) return unauthenticated("token expired");
      return it->second;
    }
  }
  auto principal = verify_bearer(authorization_header, secret_, now_unix);
  if (!principal.ok()) return principal;
  const std::size_t cost = authorization_header.size() + principal->user.str().size() +
                           principal->tenant.str().size() + sizeof(Principal) + 64;
  std::lock_guard lock(mu_);
  if (bytes_ + cost > max_bytes_) {
    verified_.clear();
    bytes_ = 0;
  }
  if (verified_.emplace(std::string(authorization_header), *principal).second) bytes_ += cost;
  return principal;
}

std::size_t BearerVerifier::remembered() const {
  std::lock_guard lock(mu_);
  return verified_.size();
}

Result<std::string> issue_token(const Principal& p, std::string_view secret) {
  if (auto ok = check_secret(secret); !ok) return ok.error();
  auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  if (p.user.empty() || has_nul(p.user.str())) {
    return make_error(Errc::validation_error, "user id must be a non-empty string", {{"user", "required"}});
  }
  if (p.tenant.empty() || has_nul(p.tenant.str())) {
    return make_error(Errc::validation_error, "tenant id must be a non-empty string",
                      {{"tenant", "required"}});
  }
  if (static_cast<std::size_t>(p.role) >= kRoleNames.size()) {
    return make_error(Errc::validation_error, "unknown role", {{"role", "unknown"}});
  }
  static_assert(sizeof(long) >= sizeof(int64_t), "jwt_add_grant_int takes a long");
  if (p.expires_at <= 0) {
    return make_error(Errc::validation_error, "expires_at must be a positive Unix time",
                      {{"expires_at", "must be > 0"}});
  }

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0 || raw == nullptr) return make_error(Errc::internal, "jwt_new failed");
  JwtPtr jwt(raw);
  if (jwt_add_grant(jwt.get(), "sub", p.user.str().c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "tenant", p.tenant.str().c_str()) != 0 ||
      jwt_add_grant(jwt.get(), "role", role_name(p.role)) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(p.expires_at)) != 0) {
    return make_error(Errc::internal, "could not set the token's claims");
  }
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0) {
    return make_error(Errc::internal, "could not set the token's algorithm");
  }
  std::unique_ptr<char, CStrDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) return make_error(Errc::internal, "could not encode the token");
  return std::string(encoded.get());
}

}  // namespace pw::gateway
