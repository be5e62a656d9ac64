// Hash-chain verification against its baseline, plain SHA-256 of the same bytes:
// the verifier's overhead is the seq/prevHash scan and the bookkeeping.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/envelope.hpp"
#include "events/hash_chain.hpp"

namespace {

const std::vector<std::string>& chain() {
  static const std::vector<std::string> records = [] {
    std::vector<std::string> out;
    std::string prev = pw::kGenesisHash;
    for (int i = 1; i <= 10000; ++i) {
      pw::Envelope e;
      e.id = "0b9b5f4e-8d3c-4f0e-9a55-" + std::to_string(100000000000 + i);
      e.type = "ComponentPropsUpdated";
      e.tenant_id = "tenant-0001";
      e.site_id = "5f0c8a1e-0000-5000-8000-000000000001";
      e.aggregate = {"page", e.site_id + ".home", i};
      e.seq = i;
      e.occurred_at = "2026-11-22T10:00:00.000000Z";
      e.actor = "user-0001";
      e.command_id = "cmd-" + std::to_string(i);
      e.correlation_id = e.command_id;
      e.causation_id = e.command_id;
      e.prev_hash = prev;
      e.data = {{"pageId", e.aggregate.id}, {"componentId", "hero-1"},
                {"props", {{"title", "Welcome to our site"}, {"subtitle", "Edited " + std::to_string(i)}}}};
      out.push_back(pw::encode(e));
      prev = pw::sha256_hex(out.back());
    }
    return out;
  }();
  return records;
}

void BM_VerifyChain(benchmark::State& state) {
  const auto& records = chain();
  for (auto _ : state) {
    pw::ChainVerifier v;
    for (const auto& r : records) v.add(r);
    auto report = v.finish();
    if (!report.ok) state.SkipWithError("chain broken");
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_VerifyChain)->Unit(benchmark::kMillisecond);

void BM_Sha256Baseline(benchmark::State& state) {
  const auto& records = chain();
  for (auto _ : state)
    for (const auto& r : records) benchmark::DoNotOptimize(pw::sha256(r));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_Sha256Baseline)->Unit(benchmark::kMillisecond);

void BM_EncodeEnvelope(benchmark::State& state) {
  auto e = *pw::decode(chain()[42]);
  for (auto _ : state) benchmark::DoNotOptimize(pw::encode(e));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeEnvelope);

// What every reader of the log (projector, build worker) pays per event,
// against building nlohmann::json's tree of the same bytes, which decode did.
void BM_DecodeEnvelope(benchmark::State& state) {
  const auto& records = chain();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(pw::decode(records[i++ % records.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEnvelope);

void BM_JsonParseEnvelopeBaseline(benchmark::State& state) {
  const auto& records = chain();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(records[i++ % records.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonParseEnvelopeBaseline);

}  // namespace
