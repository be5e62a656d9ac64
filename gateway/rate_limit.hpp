#pragma once
// The gateway's rate limits (API.md "Rate limits"): token buckets keyed by
// tenant (on /v1) or by client address (on the public paths, and on /v1
// requests that carry no valid token, whose tenant is unknown).
//
// A bucket holds at most `burst` tokens and refills at `per_second`; a request
// takes one token or is refused. A bucket is created full, so a new key may
// send `burst` requests at once and then `per_second` on average.
//
// Memory is bounded: at most `max_keys` buckets (spread over shards). A shard
// that fills first drops the buckets that have refilled completely (forgetting
// them changes nothing: a new bucket starts full); if that frees too little,
// it drops the least recently used half. Only a client that sends from more
// than `max_keys` distinct keys can thereby get fresh buckets early.
//
// Cheap under concurrency: a take locks one of 64 shards (chosen by the key's
// hash) for a hash lookup and a few arithmetic operations.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace pw::gateway {

// What a bucket is keyed by; also the `scope` label of rate_limited_total.
enum class RateScope { tenant, address };
// "tenant", "address".
const char* rate_scope_name(RateScope scope);

struct RateLimit {
  double per_second = 1;  // refill rate, > 0
  int64_t burst = 1;      // bucket size, ≥ 1
  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

// A limit as given to the --rate-limit-* flags: "off" (no limit, nullopt) or
// RATE/UNIT with UNIT s, min or h, optionally followed by ",burst=N"
// ("30/s,burst=300", "600/min"). Without a burst, the bucket holds 10 s of the
// rate (at least 1). Errors: Errc::validation_error naming the problem.
Result<std::optional<RateLimit>> parse_rate_limit(std::string_view spec);

// What a take decided, with the values of the RateLimit-* headers.
struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;        // RateLimit-Limit: the burst
  int64_t remaining = 0;    // RateLimit-Remaining: whole tokens left after this request
  int64_t reset = 0;        // RateLimit-Reset: whole seconds until the bucket is full again
  int64_t retry_after = 0;  // refused: whole seconds until a token is available (≥ 1)
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr size_t kDefaultMaxKeys = 100000;

  explicit RateLimiter(RateLimit limit, size_t max_keys = kDefaultMaxKeys, Clock clock = {});
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket if it has one. Thread-safe.
  RateDecision take(std::string_view key);

  const RateLimit& limit() const { return limit_; }
  // Buckets held now (at most max_keys).
  size_t size() const;

 private:
  struct Shard;
  RateLimit limit_;
  size_t max_per_shard_;
  Clock clock_;
  std::unique_ptr<Shard[]> shards_;
};

// The key a request's client address counts under. `peer` is the socket's
// remote address; when it is one of `trusted_proxies` (exact addresses), the
// client is the rightmost X-Forwarded-For entry that is not itself a trusted
// proxy (entries left of it are the client's own claims). IPv6 addresses count
// by their /64 (one host usually holds a whole /64); IPv4-mapped IPv6 counts as
// the IPv4 address.
std::string client_address_key(std::string_view peer, std::optional<std::string_view> forwarded_for,
                               const std::vector<std::string>& trusted_proxies);

}  // namespace pw::gateway
