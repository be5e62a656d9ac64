// Baseline for the local log's append: the same bytes written straight to
// RocksDB (one WriteBatch per append, RocksDB's own write grouping), without
// offsets, visibility or wake-ups. The local log's figures are reported as a
// ratio to these.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace {

std::unique_ptr<rocksdb::DB> g_db;
std::string g_dir;
std::atomic<uint64_t> g_seq{0};

void open_db(const benchmark::State&) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-bench-rocks-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, tmpl, &db).ok()) return;
  g_db.reset(db);
  g_dir = tmpl;
}

void close_db(const benchmark::State&) {
  g_db.reset();
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

void BM_RocksDbBaseline(benchmark::State& state) {
  if (!g_db) {
    state.SkipWithError("could not open RocksDB");
    return;
  }
  rocksdb::WriteOptions wo;
  wo.sync = state.range(0) != 0;
  const std::string payload(500, 'x');
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < 3; ++i) {
      const uint64_t k = g_seq.fetch_add(1, std::memory_order_relaxed);
      batch.Put(rocksdb::Slice(reinterpret_cast<const char*>(&k), sizeof k), payload);
    }
    if (!g_db->Write(wo, &batch).ok()) {
      state.SkipWithError("write failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 3);
}
BENCHMARK(BM_RocksDbBaseline)
    ->Setup(open_db)
    ->Teardown(close_db)
    ->ArgName("fsync")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
