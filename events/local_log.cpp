// The local:<dir> backend: storage, recovery and group commit. Consumer groups
// and readers are in local_group.cpp; the key layout is in local_keys.hpp.
#include "events/local_log.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "events/backends.hpp"
#include "events/local_keys.hpp"
#include "events/private_files.hpp"

namespace pw::log::local {
namespace {

constexpr size_t kMaxTopicName = 249;
constexpr int32_t kMaxPartitions = 100000;
constexpr std::string_view kFormatKey = "pagewright.local_log.format";
constexpr std::string_view kFormat = "1";

Result<void> check_topic_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxTopicName && name != "." && name != "..";
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok)
    return make_error(Errc::validation_error,
                      "invalid topic name '" + name + "' (1-249 of [a-zA-Z0-9._-])");
  return {};
}

std::string be32(uint32_t v) {
  std::string s;
  put_be(s, v, 4);
  return s;
}

}  // namespace

Error rocks_error(const rocksdb::Status& s) {
  // I/O trouble and a directory locked by another process may pass; the rest is a bug or
  // corruption.
  bool transient = s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain();
  Errc code = transient ? Errc::unavailable : Errc::internal;
  return make_error(code, "rocksdb: " + s.ToString());
}

Result<std::shared_ptr<Core>> Core::open(const std::string& dir, const Config& config) {
  std::shared_ptr<Core> core(new Core());
  for (const auto& [k, v] : config) {
    if (k == "fsync") {
      if (v != "true" && v != "false")
        return make_error(Errc::validation_error, "fsync must be true or false, not '" + v + "'");
      core->sync_ = v == "true";
    } else if (k == "max.poll.interval.ms") {
      int64_t ms = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec != std::errc() || end != v.data() + v.size() || ms <= 0)
        return make_error(Errc::validation_error,
                          "max.poll.interval.ms must be a positive integer");
      core->max_poll_interval_ = std::chrono::milliseconds(ms);
    } else if (k == "read_only") {
      if (v != "true" && v != "false")
        return make_error(Errc::validation_error, "read_only must be true or false, not '" + v + "'");
      core->read_only_ = v == "true";
    }
    // Other keys belong to other backends; a shared config may carry them.
  }

  // Every tenant's drafts: private to this user.
  if (core->read_only_ && !std::filesystem::exists(dir))
    return make_error(Errc::not_found, "no local log at " + dir);
  if (auto made = files::make_private_dir(dir); !made) return made.error();

  rocksdb::DBOptions options;
  options.env = files::private_rocksdb_env();
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.keep_log_file_num = 4;
  // Bounds memory (the serve RSS budget) and keeps a rarely written column
  // family from pinning old WAL files forever.
  options.db_write_buffer_size = 64 << 20;
  options.max_total_wal_size = 128 << 20;
  rocksdb::ColumnFamilyOptions records;
  records.write_buffer_size = 32 << 20;
  rocksdb::ColumnFamilyOptions small;
  small.write_buffer_size = 4 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> families{{rocksdb::kDefaultColumnFamilyName, small},
                                                        {"records", records},
                                                        {"offsets", small},
                                                        {"topics", small}};
  rocksdb::DB* db = nullptr;
  // A reader takes no lock: RocksDB lets one writer and any number of
  // read-only instances share a directory.
  auto s = core->read_only_ ? rocksdb::DB::OpenForReadOnly(options, dir, families, &core->handles_, &db)
                            : rocksdb::DB::Open(options, dir, families, &core->handles_, &db);
  if (!s.ok()) return rocks_error(s);
  core->db_.reset(db);
  core->records_cf_ = core->handles_[1];
  core->offsets_cf_ = core->handles_[2];
  core->topics_cf_ = core->handles_[3];
  core->leader_batch_ = std::make_unique<rocksdb::WriteBatch>();
  if (auto r = core->recover(); !r) return r.error();
  return core;
}

Core::~Core() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  db_->Close().PermitUncheckedError();
}

Result<void> Core::recover() {
  std::string format;
  auto s = db_->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  if (s.IsNotFound() && read_only_) {
    return make_error(Errc::not_found, "not a local log (no format key)");
  } else if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, kFormatKey, kFormat);
  } else if (s.ok() && format != kFormat) {
    return make_error(Errc::unavailable, "unsupported local log format " + format);
  }
  if (!s.ok()) return rocks_error(s);

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), topics_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto v = it->value().ToStringView();
    if (v.size() != 4) return make_error(Errc::internal, "corrupt topic metadata");
    auto t = std::make_unique<TopicState>();
    t->name = it->key().ToString();
    t->partitions.resize(get_be(v, 0, 4));
    topics_.emplace(t->name, std::move(t));
  }
  if (!it->status().ok()) return rocks_error(it->status());

  // A partition's end is one past its last key: each partition is one ordered range.
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), records_cf_));
  std::string prefix;
  for (auto& [name, topic] : topics_) {
    for (size_t p = 0; p < topic->partitions.size(); ++p) {
      record_prefix(prefix, name, static_cast<int32_t>(p));
      it->SeekForPrev(record_key(name, static_cast<int32_t>(p), INT64_MAX));
      if (!it->status().ok()) return rocks_error(it->status());
      if (!it->Valid()) continue;
      if (auto off = record_key_offset(it->key().ToStringView(), prefix)) {
        topic->partitions[p].end = *off + 1;
        topic->partitions[p].next = *off + 1;
      }
    }
  }

  it.reset(db_->NewIterator(rocksdb::ReadOptions(), offsets_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = parse_offset_key(it->key().ToStringView());
    auto v = it->value().ToStringView();
    if (!key || v.size() != 8) return make_error(Errc::internal, "corrupt committed offset");
    auto& g = groups_[key->group];
    g.name = key->group;
    g.committed[{key->topic, key->partition}] = static_cast<int64_t>(get_be(v, 0, 8));
  }
  if (!it->status().ok()) return rocks_error(it->status());
  return {};
}

Result<void> Core::create_topics(const std::vector<TopicSpec>& specs) {
  for (const auto& spec : specs) {
    if (auto r = check_topic_name(spec.name); !r) return r;
    if (spec.partitions < 1 || spec.partitions > kMaxPartitions)
      return make_error(Errc::validation_error,
                        "topic '" + spec.name + "' needs 1-100000 partitions");
  }
  std::lock_guard create(create_mu_);
  std::vector<const TopicSpec*> missing;
  for (const auto& spec : specs) {
    bool seen = std::any_of(missing.begin(), missing.end(),
                            [&](const TopicSpec* m) { return m->name == spec.name; });
    if (!seen && !find_topic(spec.name)) missing.push_back(&spec);
  }
  if (missing.empty()) return {};
  // Metadata is durable before any record can refer to the topic.
  rocksdb::WriteBatch wb;
  for (const auto* spec : missing) {
    auto s = wb.Put(topics_cf_, spec->name, be32(static_cast<uint32_t>(spec->partitions)));
    if (!s.ok()) return rocks_error(s);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  if (auto s = db_->Write(wo, &wb); !s.ok()) return rocks_error(s);
  std::unique_lock lk(topics_mu_);
  for (const auto* spec : missing) {
    auto t = std::make_unique<TopicState>();
    t->name = spec->name;
    t->partitions.resize(static_cast<size_t>(spec->partitions));
    topics_.emplace(spec->name, std::move(t));
  }
  return {};
}

const TopicState* Core::find_topic(std::string_view name) const {
  std::shared_lock lk(topics_mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

Result<PartitionState*> Core::find_partition(const TopicPartition& tp) const {
  const TopicState* t = find_topic(tp.topic);
  if (!t) return make_error(Errc::not_found, "topic '" + tp.topic + "' does not exist");
  if (tp.partition < 0 || static_cast<size_t>(tp.partition) >= t->partitions.size())
    return make_error(Errc::validation_error,
                      "topic '" + tp.topic + "' has no partition " + std::to_string(tp.partition));
  // The vector never resizes after creation; only the elements' fields change, under mu.
  return const_cast<PartitionState*>(&t->partitions[static_cast<size_t>(tp.partition)]);
}

Result<int32_t> Core::partition_count(const std::string& topic) {
  const TopicState* t = find_topic(topic);
  if (!t) return make_error(Errc::not_found, "topic '" + topic + "' does not exist");
  return static_cast<int32_t>(t->partitions.size());
}

Result<int64_t> Core::end_offset(const TopicPartition& tp) {
  auto ps = find_partition(tp);
  if (!ps) return ps.error();
  std::lock_guard lk(mu);
  return (*ps)->end;
}

Result<std::optional<int64_t>> Core::committed_offset(const std::string& group,
                                                      const TopicPartition& tp) {
  if (auto ps = find_partition(tp); !ps) return ps.error();
  std::lock_guard lk(mu);
  auto g = groups_.find(group);
  if (g == groups_.end()) return std::optional<int64_t>();
  auto c = g->second.committed.find(tp);
  if (c == g->second.committed.end()) return std::optional<int64_t>();
  return std::optional<int64_t>(c->second);
}

Result<void> Core::read(const std::vector<ReadRange>& ranges, std::vector<Record>& out) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_cf_));
  std::string prefix;
  for (const auto& r : ranges) {
    if (r.from >= r.to) continue;
    record_prefix(prefix, r.tp.topic, r.tp.partition);
    it->Seek(record_key(r.tp.topic, r.tp.partition, r.from));
    for (int64_t off = r.from; off < r.to; ++off, it->Next()) {
      if (!it->Valid()) {
        if (!it->status().ok()) return rocks_error(it->status());
        return make_error(Errc::internal, "local log lost records of " + r.tp.topic);
      }
      auto got = record_key_offset(it->key().ToStringView(), prefix);
      auto v = it->value().ToStringView();
      bool sane = got == off && v.size() >= kRecordHeaderBytes &&
                  get_be(v, 0, 4) <= v.size() - kRecordHeaderBytes;
      if (!sane)
        return make_error(Errc::internal, "local log is corrupt at " + r.tp.topic + "[" +
                                              std::to_string(r.tp.partition) + "]@" +
                                              std::to_string(off));
      size_t klen = get_be(v, 0, 4);
      out.push_back(Record{r.tp.topic, r.tp.partition, off,
                           std::string(v.substr(kRecordHeaderBytes, klen)),
                           std::string(v.substr(kRecordHeaderBytes + klen))});
    }
  }
  if (!it->status().ok()) return rocks_error(it->status());
  return {};
}

namespace {

class LocalLog final : public EventLog {
 public:
  explicit LocalLog(std::shared_ptr<Core> core) : core_(std::move(core)) {}

  Result<void> create_topics(const std::vector<TopicSpec>& topics) override {
    return core_->create_topics(topics);
  }
  Result<int32_t> partition_count(const std::string& topic) override {
    return core_->partition_count(topic);
  }
  Result<Appended> append(const Batch& batch) override { return core_->append(batch); }
  Result<std::unique_ptr<Consumer>> subscribe(const std::string& group,
                                              const std::vector<std::string>& topics,
                                              RebalanceListener listener) override {
    return make_consumer(core_, group, topics, std::move(listener));
  }
  Result<std::unique_ptr<Reader>> reader(const TopicPartition& tp, int64_t from_offset) override {
    return make_reader(core_, tp, from_offset);
  }
  Result<int64_t> end_offset(const TopicPartition& tp) override { return core_->end_offset(tp); }
  Result<std::optional<int64_t>> committed_offset(const std::string& group,
                                                  const TopicPartition& tp) override {
    return core_->committed_offset(group, tp);
  }

 private:
  // Shared with consumers and readers, so they stay valid if they outlive the log.
  std::shared_ptr<Core> core_;
};

}  // namespace
}  // namespace pw::log::local

namespace pw::log {

Result<std::unique_ptr<EventLog>> open_local_log(const std::string& dir, const Config& config) {
  auto core = local::Core::open(dir, config);
  if (!core) return core.error();
  return std::unique_ptr<EventLog>(std::make_unique<local::LocalLog>(std::move(core).value()));
}

}  // namespace pw::log
