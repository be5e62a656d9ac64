#include "workers/snapshot_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <nlohmann/json.hpp>

#include "events/private_files.hpp"

namespace pw::workers {
namespace {

std::string partition_prefix(char kind, int32_t partition) {
  std::string key(1, kind);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((partition >> shift) & 0xff));
  return key;
}

Error rocks_error(const rocksdb::Status& s) {
  return make_error(Errc::unavailable, "snapshot store: " + s.ToString());
}

}  // namespace

SnapshotStore::SnapshotStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
SnapshotStore::~SnapshotStore() = default;

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(const std::filesystem::path& dir) {
  // Folded state of every tenant's sites: private to this user.
  if (auto made = files::make_private_dir(dir); !made)
    return make_error(Errc::unavailable, "snapshot store: " + made.error().message);
  rocksdb::Options options;
  options.env = files::private_rocksdb_env();
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir.string(), &raw);
  if (!s.ok()) return rocks_error(s);
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Result<Watermark> SnapshotStore::watermark(int32_t partition) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), partition_prefix('w', partition), &value);
  if (s.IsNotFound()) return Watermark{};
  if (!s.ok()) return rocks_error(s);
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("events") || !j.contains("results") ||
      !j.contains("commands") || !j["events"].is_number_integer() || !j["results"].is_number_integer() ||
      !j["commands"].is_number_integer())
    return make_error(Errc::internal, "snapshot store: unreadable watermark");
  return Watermark{j["events"].get<int64_t>(), j["results"].get<int64_t>(), j["commands"].get<int64_t>()};
}

Result<std::optional<std::string>> SnapshotStore::site(int32_t partition, const std::string& site_id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), partition_prefix('s', partition) + site_id, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return rocks_error(s);
  return std::optional<std::string>(std::move(value));
}

Result<void> SnapshotStore::write(int32_t partition,
                                  const std::vector<std::pair<std::string, std::string>>& sites,
                                  const Watermark& watermark) {
  rocksdb::WriteBatch batch;
  const auto prefix = partition_prefix('s', partition);
  for (const auto& [site_id, bytes] : sites) batch.Put(prefix + site_id, bytes);
  batch.Put(partition_prefix('w', partition),
            nlohmann::json{{"events", watermark.events_next},
                           {"results", watermark.results_next},
                           {"commands", watermark.commands_next}}
                .dump());
  // Not synced: a snapshot lost in a crash only lengthens the next replay.
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return rocks_error(s);
  return {};
}

}  // namespace pw::workers
