#include "gateway/rate_limit.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace pw::gateway {
namespace {

using steady = std::chrono::steady_clock;

constexpr size_t kShards = 64;
// Tokens are doubles; a refill that should give exactly one token may land a
// hair below it.
constexpr double kEpsilon = 1e-9;

// Looks keys up as string_views: no allocation for a bucket that exists.
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

Result<int64_t> positive_integer(std::string_view s, std::string_view what) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 1'000'000'000)
    return make_error(Errc::validation_error,
                      std::string(what) + " must be a whole number from 1 to 1000000000, got '" + std::string(s) + "'");
  return v;
}

int64_t whole_seconds_up(double seconds) {
  if (!(seconds > 0)) return 0;
  const double up = std::ceil(seconds - kEpsilon);
  return up >= 1e12 ? int64_t{1'000'000'000'000} : static_cast<int64_t>(up);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One spelling per address: brackets dropped, an IPv4-mapped IPv6 address as
// its IPv4 form, IPv6 in its canonical text (by its /64 when `by_prefix`);
// anything unparsable (it comes from our own socket or a trusted proxy) as given.
std::string canonical_address(std::string_view address, bool by_prefix) {
  std::string a(trim(address));
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  in6_addr v6{};
  if (a.find(':') != std::string::npos && ::inet_pton(AF_INET6, a.c_str(), &v6) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN] = {};
    if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
      in_addr v4{};
      std::memcpy(&v4, v6.s6_addr + 12, 4);
      ::inet_ntop(AF_INET, &v4, text, sizeof text);
      return text;
    }
    if (by_prefix) std::memset(v6.s6_addr + 8, 0, 8);
    ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    return by_prefix ? std::string(text) + "/64" : std::string(text);
  }
  return a;
}

// The address as counted: IPv4 as is, IPv6 by its /64.
std::string address_key(std::string_view address) { return canonical_address(address, true); }

// Compared in one spelling, so a trusted "127.0.0.1" is the peer
// "::ffff:127.0.0.1" of a dual-stack listener.
bool is_trusted(std::string_view address, const std::vector<std::string>& trusted) {
  const std::string a = canonical_address(address, false);
  return std::any_of(trusted.begin(), trusted.end(),
                     [&a](const std::string& t) { return canonical_address(t, false) == a; });
}

}  // namespace

const char* rate_scope_name(RateScope scope) { return scope == RateScope::tenant ? "tenant" : "address"; }

Result<std::optional<RateLimit>> parse_rate_limit(std::string_view spec) {
  if (spec == "off") return std::optional<RateLimit>{};
  const auto usage = [&spec](std::string why) {
    return make_error(Errc::validation_error, "rate limit '" + std::string(spec) + "': " + why +
                                                  " (expected off, or RATE/s|min|h with an optional ,burst=N)");
  };
  std::string_view rate = spec;
  std::optional<int64_t> burst;
  if (const auto comma = spec.find(','); comma != std::string_view::npos) {
    rate = spec.substr(0, comma);
    const std::string_view rest = spec.substr(comma + 1);
    if (rest.substr(0, 6) != "burst=") return usage("unknown part '" + std::string(rest) + "'");
    auto b = positive_integer(rest.substr(6), "burst");
    if (!b.ok()) return usage(b.error().message);
    burst = *b;
  }
  const auto slash = rate.find('/');
  if (slash == std::string_view::npos) return usage("no unit");
  auto count = positive_integer(rate.substr(0, slash), "the rate");
  if (!count.ok()) return usage(count.error().message);
  const std::string_view unit = rate.substr(slash + 1);
  double seconds = 0;
  if (unit == "s")
    seconds = 1;
  else if (unit == "min")
    seconds = 60;
  else if (unit == "h")
    seconds = 3600;
  else
    return usage("unknown unit '" + std::string(unit) + "'");
  RateLimit limit;
  limit.per_second = static_cast<double>(*count) / seconds;
  limit.burst = burst ? *burst : std::max<int64_t>(1, static_cast<int64_t>(std::floor(limit.per_second * 10)));
  return std::optional<RateLimit>{limit};
}

struct alignas(64) RateLimiter::Shard {
  struct Bucket {
    double tokens;
    steady::time_point updated;
  };
  std::mutex mu;
  std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets;
};


RateLimiter::RateLimiter(RateLimit limit, size_t max_keys, Clock clock)
    : limit_(limit),
      max_per_shard_(std::max<size_t>(2, max_keys / kShards)),
      clock_(clock ? std::move(clock) : Clock([] { return steady::now(); })),
      shards_(std::make_unique<Shard[]>(kShards)) {
  if (!(limit_.per_second > 0)) limit_.per_second = 1;
  if (limit_.burst < 1) limit_.burst = 1;
}

RateLimiter::~RateLimiter() = default;

size_t RateLimiter::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lk(shards_[i].mu);
    n += shards_[i].buckets.size();
  }
  return n;
}

RateDecision RateLimiter::take(std::string_view key) {
  const auto now = clock_();
  const double burst = static_cast<double>(limit_.burst);
  const double rate = limit_.per_second;
  auto refilled = [&](const Shard::Bucket& b) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    return elapsed > 0 ? std::min(burst, b.tokens + elapsed * rate) : b.tokens;
  };
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  double tokens = 0;
  bool allowed = false;
  {
    std::lock_guard lk(shard.mu);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
      if (shard.buckets.size() >= max_per_shard_) {
        // Amortised: each sweep frees at least half the shard.
        std::erase_if(shard.buckets, [&](const auto& kv) { return refilled(kv.second) >= burst; });
        if (shard.buckets.size() > max_per_shard_ / 2) {
          std::vector<steady::time_point> times;
          times.reserve(shard.buckets.size());
          for (const auto& [k, b] : shard.buckets) times.push_back(b.updated);
          auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
          std::nth_element(times.begin(), middle, times.end());
          const auto cutoff = *middle;
          std::erase_if(shard.buckets, [cutoff](const auto& kv) { return kv.second.updated <= cutoff; });
        }
      }
      it = shard.buckets.emplace(std::string(key), Shard::Bucket{burst, now}).first;
    }
    Shard::Bucket& b = it->second;
    tokens = refilled(b);
    b.updated = std::max(b.updated, now);
    if (tokens >= 1 - kEpsilon) {
      tokens = std::max(0.0, tokens - 1);
      allowed = true;
    }
    b.tokens = tokens;
  }
  RateDecision d;
  d.allowed = allowed;
  d.limit = limit_.burst;
  d.remaining = static_cast<int64_t>(std::floor(tokens + kEpsilon));
  d.reset = whole_seconds_up((burst - tokens) / rate);
  if (!allowed) d.retry_after = std::max<int64_t>(1, whole_seconds_up((1 - tokens) / rate));
  return d;
}

std::string client_address_key(std::string_view peer, std::optional<std::string_view> forwarded_for,
                               const std::vector<std::string>& trusted_proxies) {
  if (!forwarded_for || trusted_proxies.empty() || !is_trusted(peer, trusted_proxies)) return address_key(peer);
  // Right to left: each hop appended the address it received from.
  std::string_view rest = *forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (entry.empty()) continue;
    if (!is_trusted(entry, trusted_proxies)) return address_key(entry);
  }
  return address_key(peer);
}

}  // namespace pw::gateway
