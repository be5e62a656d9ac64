#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/auth.hpp"

namespace {

using nlohmann::json;
using pw::Errc;
using pw::TenantId;
using pw::UserId;
using pw::gateway::issue_token;
using pw::gateway::Principal;
using pw::gateway::Role;
using pw::gateway::role_allows;
using pw::gateway::verify_bearer;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";  // 44 bytes
const std::string kOtherSecret = "fedcba9876543210fedcba9876543210-other-secret";
constexpr int64_t kNow = 1'700'000'000;

std::string b64url(std::string_view in) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

std::string b64url_decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = 0;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else v = 63;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// A compact JWS made by hand: header and payload as given, HMAC with `md`.
std::string hand_token(const json& header, const json& payload, const std::string& secret,
                       const EVP_MD* md = EVP_sha256()) {
  const std::string signing_input = b64url(header.dump()) + "." + b64url(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return signing_input + "." + b64url(std::string(reinterpret_cast<char*>(mac), mac_len));
}

json hs256_header() { return {{"alg", "HS256"}, {"typ", "JWT"}}; }

json good_claims() {
  return {{"sub", "user-1"}, {"tenant", "tenant-a"}, {"role", "editor"}, {"exp", kNow + 600}};
}

Principal principal(Role role = Role::editor, int64_t exp = kNow + 600) {
  return Principal{UserId{"user-1"}, TenantId{"tenant-a"}, role, exp};
}

void expect_unauthenticated(const pw::Result<Principal>& r, const char* what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code, Errc::unauthenticated) << what << ": " << r.error().message;
  EXPECT_FALSE(r.error().message.empty()) << what;
}

pw::Result<Principal> verify_token(const std::string& token, const std::string& secret = kSecret,
                                   int64_t now = kNow) {
  return verify_bearer("Bearer " + token, secret, now);
}

// --- round trip ---------------------------------------------------------------

TEST(Auth, IssueThenVerifyRoundTrips) {
  for (Role role : {Role::viewer, Role::editor, Role::admin, Role::owner}) {
    auto token = issue_token(principal(role), kSecret);
    ASSERT_TRUE(token.ok()) << token.error().message;
    auto p = verify_token(*token);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(*p, principal(role));
  }
}

TEST(Auth, IssuedTokenIsHs256WithTheFourClaims) {
  auto token = issue_token(principal(), kSecret);
  ASSERT_TRUE(token.ok());
  const auto dot1 = token->find('.');
  const auto dot2 = token->find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos);
  const json header = json::parse(b64url_decode(token->substr(0, dot1)));
  const json claims = json::parse(b64url_decode(token->substr(dot1 + 1, dot2 - dot1 - 1)));
  EXPECT_EQ(header.at("alg"), "HS256");
  EXPECT_EQ(claims, good_claims());
  EXPECT_EQ(token->size() - dot2 - 1, 43u);  // 32-byte MAC, unpadded base64url
}

TEST(Auth, HandMadeHs256TokenVerifies) {
  auto p = verify_token(hand_token(hs256_header(), good_claims(), kSecret));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->user, UserId{"user-1"});
  EXPECT_EQ(p->tenant, TenantId{"tenant-a"});
  EXPECT_EQ(p->role, Role::editor);
  EXPECT_EQ(p->expires_at, kNow + 600);
}

TEST(Auth, HeaderWithoutTypAndExtraClaimsAccepted) {
  auto claims = good_claims();
  claims["iat"] = kNow;
  claims["jti"] = "abc";
  auto p = verify_token(hand_token({{"alg", "HS256"}}, claims, kSecret));
  EXPECT_TRUE(p.ok()) << p.error().message;
}

// --- signature and algorithm ---------------------------------------------------

TEST(Auth, WrongKeyRefused) {
  auto token = issue_token(principal(), kOtherSecret);
  ASSERT_TRUE(token.ok());
  expect_unauthenticated(verify_token(*token), "wrong key");
}

TEST(Auth, TamperedPayloadRefused) {
  auto token = issue_token(principal(Role::viewer), kSecret);
  ASSERT_TRUE(token.ok());
  const auto dot1 = token->find('.');
  const auto dot2 = token->find('.', dot1 + 1);
  auto claims = good_claims();
  claims["role"] = "owner";
  const std::string forged = token->substr(0, dot1 + 1) + b64url(claims.dump()) + token->substr(dot2);
  expect_unauthenticated(verify_token(forged), "tampered payload");
}

TEST(Auth, TamperedSignatureRefused) {
  auto token = issue_token(principal(), kSecret);
  ASSERT_TRUE(token.ok());
  std::string t = *token;
  char& c = t[t.size() - 5];
  c = (c == 'A') ? 'B' : 'A';
  expect_unauthenticated(verify_token(t), "tampered signature");
  expect_unauthenticated(verify_token(token->substr(0, token->rfind('.') + 1)), "signature removed");
  expect_unauthenticated(verify_token(*token + "A"), "signature lengthened");
}

TEST(Auth, AlgNoneRefused) {
  const std::string none = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(good_claims().dump()) + ".";
  expect_unauthenticated(verify_token(none), "alg none, empty signature");
  // Even with a signature part that would be valid for HS256 over the same input.
  const std::string signed_none = hand_token(json{{"alg", "none"}, {"typ", "JWT"}}, good_claims(), kSecret);
  expect_unauthenticated(verify_token(signed_none), "alg none with an HMAC");
  for (const char* alg : {"None", "NONE", "nOnE"}) {
    expect_unauthenticated(verify_token(hand_token(json{{"alg", alg}}, good_claims(), kSecret)), alg);
  }
  // No alg at all, or a non-string alg.
  expect_unauthenticated(verify_token(hand_token(json{{"typ", "JWT"}}, good_claims(), kSecret)), "no alg");
  expect_unauthenticated(verify_token(hand_token(json{{"alg", 256}}, good_claims(), kSecret)), "alg 256");
  expect_unauthenticated(verify_token(hand_token(json{{"alg", "hs256"}}, good_claims(), kSecret)), "hs256");
}

TEST(Auth, OtherHmacAlgsWithTheRightSecretRefused) {
  expect_unauthenticated(verify_token(hand_token(json{{"alg", "HS384"}, {"typ", "JWT"}}, good_claims(),
                                                 kSecret, EVP_sha384())),
                         "HS384");
  expect_unauthenticated(verify_token(hand_token(json{{"alg", "HS512"}, {"typ", "JWT"}}, good_claims(),
                                                 kSecret, EVP_sha512())),
                         "HS512");
  // An HS256 MAC under a header that claims another alg.
  expect_unauthenticated(
      verify_token(hand_token(json{{"alg", "HS512"}, {"typ", "JWT"}}, good_claims(), kSecret)),
      "HS512 header, HS256 MAC");
  for (const char* alg : {"RS256", "ES256", "PS256", "EdDSA"}) {
    expect_unauthenticated(verify_token(hand_token(json{{"alg", alg}}, good_claims(), kSecret)), alg);
  }
}

TEST(Auth, OddJoseHeadersRefused) {
  expect_unauthenticated(
      verify_token(hand_token(json{{"alg", "HS256"}, {"typ", "at+jwt+x"}}, good_claims(), kSecret)), "typ");
  expect_unauthenticated(verify_token(hand_token(json{{"alg", "HS256"}, {"typ", 1}}, good_claims(), kSecret)),
                         "typ number");
  expect_unauthenticated(
      verify_token(hand_token(json{{"alg", "HS256"}, {"crit", {"b64"}}, {"b64", false}}, good_claims(), kSecret)),
      "crit");
  EXPECT_TRUE(verify_token(hand_token(json{{"alg", "HS256"}, {"typ", "jwt"}}, good_claims(), kSecret)).ok());
}

TEST(Auth, MalformedTokensRefused) {
  const std::string good = hand_token(hs256_header(), good_claims(), kSecret);
  for (const std::string& t : {std::string("abc"), std::string("a.b"), std::string("a.b.c.d"),
                               std::string(".."), std::string("..sig"), good + ".", "." + good,
                               b64url("not json") + "." + b64url(good_claims().dump()) + ".x",
                               b64url("[1,2]") + "." + b64url(good_claims().dump()) + ".x"}) {
    expect_unauthenticated(verify_token(t), t.c_str());
  }
  // A payload that is not a JSON object, correctly signed.
  const std::string input = b64url(hs256_header().dump()) + "." + b64url("\"just a string\"");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  expect_unauthenticated(verify_token(input + "." + b64url(std::string(reinterpret_cast<char*>(mac), mac_len))),
                         "payload not an object");
  // Padding and the standard (non-URL) alphabet are not base64url.
  expect_unauthenticated(verify_token(good + "="), "padding");
  std::string plus = good;
  plus[plus.find('.') - 1] = '+';
  expect_unauthenticated(verify_token(plus), "'+'");
  // Oversized.
  expect_unauthenticated(verify_token(std::string(20000, 'a')), "oversized");
}

TEST(Auth, ErrorsDoNotEchoTheToken) {
  auto token = issue_token(principal(), kOtherSecret);
  ASSERT_TRUE(token.ok());
  auto r = verify_token(*token);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(token->substr(0, 10)), std::string::npos);
  EXPECT_EQ(r.error().message.find(token->substr(token->rfind('.') + 1)), std::string::npos);
  EXPECT_TRUE(r.error().details.empty());
}

// --- expiry ----------------------------------------------------------------------

TEST(Auth, ExpiredRefused) {
  auto token = issue_token(principal(Role::editor, kNow + 10), kSecret);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(verify_token(*token, kSecret, kNow + 9).ok());
  expect_unauthenticated(verify_token(*token, kSecret, kNow + 10), "exp == now");
  expect_unauthenticated(verify_token(*token, kSecret, kNow + 11), "exp < now");
}

TEST(Auth, ExpMissingOrWrongTypeRefused) {
  auto claims = good_claims();
  claims.erase("exp");
  expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)), "exp missing");
  for (const json& bad : {json("1800000000"), json(1.8e9), json(nullptr), json(true), json::array({kNow + 600}),
                          json(18446744073709551615ULL)}) {
    claims["exp"] = bad;
    expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)), bad.dump().c_str());
  }
}

TEST(Auth, NotBeforeHonoured) {
  auto claims = good_claims();
  claims["nbf"] = kNow;
  EXPECT_TRUE(verify_token(hand_token(hs256_header(), claims, kSecret)).ok());
  claims["nbf"] = kNow + 1;
  expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)), "nbf future");
  claims["nbf"] = "now";
  expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)), "nbf string");
}

// --- claims ------------------------------------------------------------------------

TEST(Auth, EachClaimMissingEmptyOrWrongTypeRefused) {
  for (const char* name : {"sub", "tenant", "role"}) {
    auto claims = good_claims();
    claims.erase(name);
    expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)),
                           (std::string(name) + " missing").c_str());
    for (const json& bad : {json(""), json(42), json(nullptr), json(true), json::array({"x"}), json::object()}) {
      claims[name] = bad;
      expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)),
                             (std::string(name) + " = " + bad.dump()).c_str());
    }
  }
}

TEST(Auth, UnknownRoleRefused) {
  for (const char* role : {"superuser", "Owner", "ADMIN", " viewer", "viewer "}) {
    auto claims = good_claims();
    claims["role"] = role;
    expect_unauthenticated(verify_token(hand_token(hs256_header(), claims, kSecret)), role);
  }
}

TEST(Auth, ClaimsAreCheckedOnlyAfterTheSignature) {
  // A bad signature on an expired, role-less token reports the signature, not the claims.
  auto claims = good_claims();
  claims.erase("role");
  claims["exp"] = kNow - 1;
  auto r = verify_token(hand_token(hs256_header(), claims, kOtherSecret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "invalid token signature");
}

// --- the Authorization header ------------------------------------------------------

TEST(Auth, HeaderShapes) {
  auto token = issue_token(principal(), kSecret);
  ASSERT_TRUE(token.ok());
  const std::string& t = *token;
  EXPECT_TRUE(verify_bearer("Bearer " + t, kSecret, kNow).ok());
  EXPECT_TRUE(verify_bearer("bearer " + t, kSecret, kNow).ok());
  EXPECT_TRUE(verify_bearer("BEARER " + t, kSecret, kNow).ok());
  EXPECT_TRUE(verify_bearer("bEaReR " + t, kSecret, kNow).ok());

  for (const std::string& h :
       {std::string(""), std::string("Bearer"), std::string("Bearer "), std::string("Bearer  "),
        "Basic " + t, std::string("Basic dXNlcjpwYXNz"), "Token " + t, "Bearer  " + t, " Bearer " + t, "Bearer " + t + " ",
        "Bearer\t" + t, "Bearer " + t + " extra", "Bearer " + t + "\r\n", "Bearer:" + t, "Bearer=" + t,
        "Bearers " + t, t, "Bearer \"" + t + "\""}) {
    expect_unauthenticated(verify_bearer(h, kSecret, kNow), h.c_str());
  }
}

// --- the secret ---------------------------------------------------------------------

TEST(Auth, ShortSecretIsAServerError) {
  const std::string short_secret(31, 'k');
  auto issued = issue_token(principal(), short_secret);
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.error().code, Errc::internal);
  auto token = issue_token(principal(), kSecret);
  ASSERT_TRUE(token.ok());
  auto r = verify_token(*token, short_secret);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
  r = verify_token(*token, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
  // Exactly 32 bytes is enough.
  const std::string secret32(32, 'k');
  auto t32 = issue_token(principal(), secret32);
  ASSERT_TRUE(t32.ok());
  EXPECT_TRUE(verify_token(*t32, secret32).ok());
}

TEST(Auth, IssueValidatesThePrincipal) {
  auto p = principal();
  p.user = UserId{""};
  ASSERT_FALSE(issue_token(p, kSecret).ok());
  EXPECT_EQ(issue_token(p, kSecret).error().code, Errc::validation_error);
  p = principal();
  p.tenant = TenantId{""};
  EXPECT_EQ(issue_token(p, kSecret).error().code, Errc::validation_error);
  p = principal();
  p.expires_at = 0;
  EXPECT_EQ(issue_token(p, kSecret).error().code, Errc::validation_error);
  p = principal();
  p.role = static_cast<Role>(17);
  EXPECT_EQ(issue_token(p, kSecret).error().code, Errc::validation_error);
}

TEST(Auth, ClaimValuesAreOpaqueStrings) {
  // Ids with JSON-special and non-ASCII characters survive the round trip.
  Principal p{UserId{"u\"ser\\1/é"}, TenantId{"ten ant.{x}"}, Role::admin, kNow + 5};
  auto token = issue_token(p, kSecret);
  ASSERT_TRUE(token.ok());
  auto back = verify_token(*token);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, p);
}

// --- roles ----------------------------------------------------------------------------

TEST(Auth, RoleOrdering) {
  const Role all[] = {Role::viewer, Role::editor, Role::admin, Role::owner};
  for (int have = 0; have < 4; ++have) {
    for (int need = 0; need < 4; ++need) {
      EXPECT_EQ(role_allows(all[have], all[need]), have >= need) << have << " vs " << need;
    }
  }
  EXPECT_TRUE(role_allows(Role::owner, Role::admin));
  EXPECT_FALSE(role_allows(Role::editor, Role::admin));
  EXPECT_FALSE(role_allows(Role::viewer, Role::editor));
  for (Role r : all) {
    EXPECT_EQ(pw::gateway::parse_role(pw::gateway::role_name(r)), r);
  }
  EXPECT_FALSE(pw::gateway::parse_role("Owner").has_value());
}

// --- threads -----------------------------------------------------------------------------

TEST(Auth, ConcurrentIssueAndVerify) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([i, &failures] {
      for (int n = 0; n < 200; ++n) {
        Principal p{UserId{"u" + std::to_string(i)}, TenantId{"t" + std::to_string(n)}, Role::viewer, kNow + n + 1};
        auto token = issue_token(p, kSecret);
        if (!token.ok()) { ++failures; continue; }
        auto back = verify_token(*token);
        if (!back.ok() || !(*back == p)) ++failures;
        if (verify_token(*token, kOtherSecret).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace

// --- BearerVerifier: verify_bearer that remembers verified tokens -------------

namespace bearer {

using pw::gateway::BearerVerifier;

TEST(BearerVerifier, ARememberedTokenAnswersTheSamePrincipalWithoutVerifyingAgain) {
  BearerVerifier verifier(kSecret);
  const std::string header = "Bearer " + hand_token(hs256_header(), good_claims(), kSecret);
  for (int i = 0; i < 3; ++i) {
    auto p = verifier.verify(header, kNow);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(*p, principal());
  }
  EXPECT_EQ(verifier.remembered(), 1u);
}

TEST(BearerVerifier, ARememberedTokenIsRefusedOnceItExpires) {
  BearerVerifier verifier(kSecret);
  const std::string header = "Bearer " + hand_token(hs256_header(), good_claims(), kSecret);
  ASSERT_TRUE(verifier.verify(header, kNow).ok());
  auto late = verifier.verify(header, kNow + 600);
  expect_unauthenticated(late, "expired while remembered");
  EXPECT_EQ(late.error().message, "token expired");
}

TEST(BearerVerifier, RefusedTokensAreNotRememberedAndStayRefused) {
  BearerVerifier verifier(kSecret);
  const std::string forged = "Bearer " + hand_token(hs256_header(), good_claims(), kOtherSecret);
  for (int i = 0; i < 2; ++i) {
    auto r = verifier.verify(forged, kNow);
    expect_unauthenticated(r, "signed with another secret");
    EXPECT_EQ(r.error().message, "invalid token signature");
  }
  EXPECT_EQ(verifier.remembered(), 0u);
  // The genuine token with the same claims verifies; the forged one still does not.
  ASSERT_TRUE(verifier.verify("Bearer " + hand_token(hs256_header(), good_claims(), kSecret), kNow).ok());
  expect_unauthenticated(verifier.verify(forged, kNow), "forged after the genuine one");
  // Not yet valid: refused, so not remembered; valid later, then remembered.
  json early = good_claims();
  early["nbf"] = kNow + 60;
  const std::string later = "Bearer " + hand_token(hs256_header(), early, kSecret);
  expect_unauthenticated(verifier.verify(later, kNow), "before nbf");
  EXPECT_TRUE(verifier.verify(later, kNow + 61).ok());
  EXPECT_EQ(verifier.remembered(), 2u);
}

TEST(BearerVerifier, ItsMemoryIsBoundedAndEveryTokenStillVerifies) {
  BearerVerifier verifier(kSecret, 4096);
  for (int i = 0; i < 200; ++i) {
    json claims = good_claims();
    claims["sub"] = "user-" + std::to_string(i);
    auto p = verifier.verify("Bearer " + hand_token(hs256_header(), claims, kSecret), kNow);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->user.str(), "user-" + std::to_string(i));
    EXPECT_LT(verifier.remembered(), 4096u / 200u + 1) << "after " << i;
  }
}

TEST(BearerVerifier, ConcurrentRequestsAgree) {
  BearerVerifier verifier(kSecret, 2048);
  std::vector<std::string> headers;
  for (int i = 0; i < 16; ++i) {
    json claims = good_claims();
    claims["tenant"] = "tenant-" + std::to_string(i);
    headers.push_back("Bearer " + hand_token(hs256_header(), claims, kSecret));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int n = 0; n < 400; ++n) {
        const int i = (n + t) % 16;
        auto p = verifier.verify(headers[static_cast<size_t>(i)], kNow);
        if (!p.ok() || p->tenant.str() != "tenant-" + std::to_string(i)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace bearer
