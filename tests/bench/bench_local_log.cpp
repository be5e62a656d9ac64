// Append throughput of the local log, fsync on and off, with 1, 8 and 64
// concurrent appenders. Each append is what a command processor writes: two
// ~500-byte events and a result, keyed by a site. With fsync on, group commit
// should make 64 appenders far faster than one (they share each sync).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "events/backends.hpp"
#include "events/log.hpp"

namespace {

using namespace pw::log;

struct BenchLog {
  std::string dir;
  std::unique_ptr<EventLog> log;
};
// One log per benchmark run, shared by its threads; Setup/Teardown run once per run.
std::unique_ptr<BenchLog> g_bench;

void open_bench_log(const benchmark::State& state) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-bench-local-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return;
  auto log = open_local_log(tmpl, {{"fsync", state.range(0) ? "true" : "false"}});
  if (!log.ok()) return;
  if (!(*log)
           ->create_topics({{std::string(kEventsTopic), kDefaultPartitions},
                            {std::string(kResultsTopic), kDefaultPartitions}})
           .ok())
    return;
  g_bench = std::make_unique<BenchLog>(BenchLog{tmpl, std::move(log).value()});
}

void close_bench_log(const benchmark::State&) {
  if (!g_bench) return;
  std::string dir = g_bench->dir;
  g_bench.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void BM_LocalAppend(benchmark::State& state) {
  if (!g_bench) {
    state.SkipWithError("could not open a local log");
    return;
  }
  EventLog& log = *g_bench->log;
  const std::string site = "site-" + std::to_string(state.thread_index());
  const std::string payload(500, 'x');
  Batch batch;
  batch.records = {{std::string(kEventsTopic), site, payload, std::nullopt},
                   {std::string(kEventsTopic), site, payload, std::nullopt},
                   {std::string(kResultsTopic), site, payload, std::nullopt}};
  for (auto _ : state) {
    auto r = log.append(batch);
    if (!r.ok()) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.records.size()));
  state.counters["batches"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LocalAppend)
    ->Setup(open_bench_log)
    ->Teardown(close_bench_log)
    ->ArgName("fsync")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
