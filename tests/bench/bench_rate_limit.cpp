// The rate limiter's cost on the request path: one take per request, from the
// HTTP threads at once. One tenant (every thread on one shard's lock, the
// worst case) and many tenants (spread over the shards). The limit never
// refuses here: the cost measured is the bookkeeping of a served request.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "gateway/rate_limit.hpp"

namespace {

using pw::gateway::RateLimit;
using pw::gateway::RateLimiter;

RateLimiter& limiter() {
  static RateLimiter l(RateLimit{1e12, 1'000'000'000});
  return l;
}

void BM_RateLimitOneTenant(benchmark::State& state) {
  const std::string tenant = "t-0123456789abcdef";
  for (auto _ : state) benchmark::DoNotOptimize(limiter().take(tenant));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RateLimitOneTenant)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

void BM_RateLimitManyTenants(benchmark::State& state) {
  std::vector<std::string> tenants;
  for (int i = 0; i < 1000; ++i) tenants.push_back("t-" + std::to_string(i * 7919 + state.thread_index()));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(limiter().take(tenants[i++ % tenants.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RateLimitManyTenants)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

}  // namespace
