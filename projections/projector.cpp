#include "projections/projector.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <pqxx/pqxx>
#include <stdexcept>

#include "events/dead_letter.hpp"
#include "events/domain.hpp"
#include "events/envelope.hpp"
#include "events/logging.hpp"
#include "projections/batch.hpp"
#include "projections/pg.hpp"

namespace pw::projections {
namespace {

// A Postgres array literal of integers ("{1,2,3}").
template <class Ints>
std::string int_array(const Ints& values) {
  std::string out = "{";
  for (const auto v : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  return out + "}";
}

const std::string kEvents(log::kEventsTopic);

// Postgres errors that a record's own data causes: invalid data (22, e.g.
// \u0000 in jsonb), constraint violations (23) and program limits (54, e.g. a
// row too large). Anything else (the connection, serialization, a trigger, a
// missing grant or row-level security refusing the role — the projector checks
// a record's tenant itself — or the schema not fitting this code) may pass, or
// is the operator's to fix: setting records aside for it would empty the read
// model for good.
bool record_sqlstate(const std::string& state) {
  const std::string_view cls = std::string_view(state).substr(0, 2);
  return cls == "22" || cls == "23" || cls == "54";
}

// Per event, at debug: what a grep for a request id finds in the projector.
void log_applied(const std::string& projection, const std::vector<DecodedEvent>& events) {
  for (const auto& e : events)
    logging::debug("event applied",
                   {{logging::kTenant, e.env.tenant_id}, {logging::kCommandId, e.env.command_id},
                    {logging::kCorrelationId, e.env.correlation_id}, {"projection", projection}, {"type", e.env.type},
                    {"site", e.env.site_id}, {"seq", e.env.seq}, {"partition", e.rec->partition},
                    {"offset", e.rec->offset}});
}

}  // namespace

Result<DecodedEvent> decode_record(const log::Record& rec) {
  if (rec.topic != kEvents) return make_error(Errc::unprocessable, "unexpected topic " + record_position(rec));
  auto env = decode(rec.value);
  if (!env.ok()) return make_error(Errc::unprocessable, record_position(rec) + ": " + env.error().message);
  auto event = domain::event_from_json(env->type, env->schema_version, env->data);
  if (!event.ok())
    return make_error(Errc::unprocessable, record_position(rec) + ": " + env->type + ": " + event.error().message);
  return DecodedEvent{&rec, std::move(env).value(), std::move(event).value()};
}

// Where each partition of a batch stands: `stored` is the locked offset the
// transaction started from, `next` where it will leave it.
struct Projector::Offsets {
  std::map<int32_t, int64_t> stored, next;
  bool applied_before(const log::Record& r) { return r.offset < stored[r.partition]; }
  void pass(const log::Record& r) { next[r.partition] = std::max(next[r.partition], r.offset + 1); }
};

struct Projector::Db {
  explicit Db(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

Projector::Projector(log::EventLog& log, std::string conninfo, ProjectorConfig config)
    : log_(log), conninfo_(std::move(conninfo)), config_(std::move(config)) {}

Projector::~Projector() { close(); }

Result<std::unique_ptr<Projector>> Projector::create(log::EventLog& log, std::string conninfo,
                                                     ProjectorConfig config) {
  if (config.name.empty()) return make_error(Errc::validation_error, "projector name is required");
  if (config.max_batch == 0) return make_error(Errc::validation_error, "max_batch must be > 0");
  std::unique_ptr<Projector> self(new Projector(log, std::move(conninfo), std::move(config)));
  if (auto c = self->connect(); !c.ok()) return c.error();
  auto* raw = self.get();
  log::RebalanceListener listener{
      [raw](const std::vector<log::TopicPartition>& tps) {
        std::vector<int32_t> ps;
        for (const auto& tp : tps)
          if (tp.topic == kEvents) ps.push_back(tp.partition);
        raw->seek_to_stored(ps);
      },
      [raw](const std::vector<log::TopicPartition>& tps) {
        // Nothing to commit: every batch already stored its offsets. Another
        // projector writes these partitions' pages from now on.
        for (const auto& tp : tps) raw->needs_seek_.erase(tp.partition);
        raw->forget_recent_pages();
      }};
  auto consumer = log.subscribe(self->config_.group, {kEvents}, std::move(listener));
  if (!consumer.ok()) return consumer.error();
  self->consumer_ = std::move(consumer).value();
  return self;
}

Result<void> Projector::connect() {
  try {
    auto db = std::make_unique<Db>(conninfo_);
    auto& c = db->conn;
    c.prepare("pw_offset_get",
              "SELECT next_offset FROM projection_offsets "
              "WHERE projector = $1 AND topic = $2 AND partition = $3");
    // The offsets of all a batch's partitions in one statement each: a batch
    // of `serve`'s one projector spans up to every partition, and a statement
    // per partition was most of a batch's round trips.
    c.prepare("pw_offsets_init",
              "INSERT INTO projection_offsets (projector, topic, partition, next_offset) "
              "SELECT $1, $2, p, 0 FROM unnest($3::int[]) AS p ON CONFLICT DO NOTHING");
    // Locked in the primary key's order, so two instances never wait on each
    // other in a cycle.
    c.prepare("pw_offsets_lock",
              "SELECT partition, next_offset FROM projection_offsets "
              "WHERE projector = $1 AND topic = $2 AND partition = ANY($3::int[]) ORDER BY partition FOR UPDATE");
    c.prepare("pw_offsets_set",
              "UPDATE projection_offsets o SET next_offset = v.next FROM unnest($3::int[], $4::bigint[]) AS v(p, next) "
              "WHERE o.projector = $1 AND o.topic = $2 AND o.partition = v.p");
    prepare_batch_statements(c);
    db_ = std::move(db);
    return {};
  } catch (const std::exception& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("postgres: ") + e.what());
  }
}

void Projector::seek_to_stored(const std::vector<int32_t>& partitions) {
  if (partitions.empty()) return;
  // The stored offsets announced below may include records another writer
  // applied.
  forget_recent_pages();
  for (int32_t p : partitions) needs_seek_.insert(p);
  if (!db_ && !connect().ok()) return;
  std::map<int32_t, int64_t> offsets;
  try {
    pqxx::read_transaction t(db_->conn);
    for (int32_t p : partitions) {
      auto r = t.exec_prepared("pw_offset_get", config_.name, kEvents, p);
      offsets[p] = r.empty() ? 0 : r[0][0].as<int64_t>();
    }
    t.commit();
  } catch (const pqxx::broken_connection&) {
    db_.reset();
    return;
  } catch (const std::exception&) {
    return;
  }
  for (const auto& [p, offset] : offsets) {
    announce(p, offset);
    if (consumer_ && consumer_->seek({kEvents, p}, offset).ok()) needs_seek_.erase(p);
  }
}

void Projector::forget_recent_pages() const {
  if (config_.recent_pages) config_.recent_pages->forget_all();
}

// Before the commit is announced. A record passed over (the stored offset or
// its site's version was ahead) was applied by another writer: another
// instance, or the rebuild a `--shadow` switch brought in. The rows held for
// the pages it touched are then older than the read model, and the
// announcement would let reads that waited for it take them: everything held
// goes, and only what this batch wrote, after them under the offsets' lock,
// is kept.
void Projector::keep_recent_pages(ReadModelBatch& batch, bool passed_over_records) const {
  if (!config_.recent_pages) return;
  if (passed_over_records) config_.recent_pages->forget_all();
  config_.recent_pages->committed(batch.take_written_pages());
}

void Projector::announce(int32_t partition, int64_t next) const {
  if (config_.positions) config_.positions->advance(partition, next);
}

std::vector<log::TopicPartition> Projector::assignment() const {
  return consumer_ ? consumer_->assignment() : std::vector<log::TopicPartition>{};
}

void Projector::close() {
  forget_recent_pages();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
  db_.reset();
}

Result<size_t> Projector::run_once(std::chrono::milliseconds timeout) {
  if (!consumer_) return make_error(Errc::unavailable, "projector is closed");
  auto polled = consumer_->poll(timeout, config_.max_batch);
  if (!polled.ok()) return polled.error();
  // Partitions whose stored offset could not be read: what was polled for them
  // may start anywhere, so it is dropped and re-read after the seek.
  if (!needs_seek_.empty()) {
    std::vector<int32_t> retry(needs_seek_.begin(), needs_seek_.end());
    std::erase_if(*polled, [&](const log::Record& r) { return needs_seek_.contains(r.partition); });
    seek_to_stored(retry);
    if (!needs_seek_.empty() && polled->empty())
      return make_error(Errc::unavailable, "cannot read the stored offsets of the projection");
  }
  if (polled->empty()) return size_t{0};
  if (!db_) {
    if (auto c = connect(); !c.ok()) {
      std::vector<int32_t> ps;
      for (const auto& r : *polled) ps.push_back(r.partition);
      for (int32_t p : ps) needs_seek_.insert(p);
      return c.error();
    }
  }
  auto applied = apply_batch(*polled);
  // A record that can never apply: find it, set it aside, keep the rest.
  if (!applied.ok() && applied.error().code == Errc::unprocessable) applied = isolate(*polled);
  if (!applied.ok()) {
    ++stats_.failures;
    // Nothing of the batch is in Postgres (or, after an in-doubt commit,
    // all of it is; or, while isolating, a prefix): re-read where the stored
    // offsets say.
    std::set<int32_t> ps;
    for (const auto& r : *polled) ps.insert(r.partition);
    seek_to_stored(std::vector<int32_t>(ps.begin(), ps.end()));
  }
  return applied;
}

Result<size_t> Projector::isolate(const std::vector<log::Record>& records) {
  size_t applied = 0;
  for (const auto& r : records) {
    if (!db_) {
      if (auto c = connect(); !c.ok()) return c.error();
    }
    auto one = apply_batch({r});
    if (one.ok()) {
      applied += *one;
      continue;
    }
    if (one.error().code != Errc::unprocessable) return one.error();
    const bool malformed = !decode_record(r).ok();
    if (auto aside = set_aside(r, one.error().message, malformed); !aside.ok()) return aside.error();
  }
  return applied;
}

Result<void> Projector::set_aside(const log::Record& r, const std::string& reason, bool malformed) {
  // The dead letter is durable before the offset passes the record: a crash
  // in between sets it aside again (at least once), never loses it.
  const auto letter = log::dead_letter_for(r, config_.pool, config_.group, reason);
  if (auto appended = log::append_dead_letter(log_, letter); !appended.ok()) return appended.error();
  try {
    // Only the offset moves: the site's version stays where it was, so the
    // site's later events meet a gap and are set aside too (quarantine).
    pqxx::work txn(db_->conn);
    if (config_.hold_off_switch) hold_off_switch(txn);
    auto offsets = lock_offsets(txn, {r});
    if (offsets.stored.at(r.partition) <= r.offset) {
      offsets.pass(r);
      store_offsets(txn, offsets);
    }
    txn.commit();
    // The record's site is quarantined until `pagewright deadletter retry`
    // applies it from another process; the rows held here are not told.
    forget_recent_pages();
    announce(r.partition, r.offset + 1);
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(Errc::unavailable, std::string("projector: passing a dead letter: ") + e.what());
  }
  ++stats_.dead_letters;
  if (malformed) ++stats_.malformed;
  logging::error("set aside in " + std::string(log::kDeadLetterTopic), {{"projection", config_.name}, {"position", record_position(r)}, {"malformed", malformed}, {"error", letter.reason}});
  return {};
}

// A second instance of the same projection waits on these locks, then skips
// what this transaction applied.
Projector::Offsets Projector::lock_offsets(pqxx::transaction_base& txn, const std::vector<log::Record>& records) {
  std::set<int32_t> partitions;
  for (const auto& r : records) partitions.insert(r.partition);
  const std::string wanted = int_array(partitions);
  Offsets offsets;
  auto lock = [&] {
    for (const auto& row : txn.exec_prepared("pw_offsets_lock", config_.name, kEvents, wanted)) {
      const auto p = row[0].as<int32_t>();
      offsets.stored[p] = offsets.next[p] = row[1].as<int64_t>();
    }
  };
  lock();
  // A partition's first batch creates its row (once per projection).
  if (offsets.stored.size() < partitions.size()) {
    txn.exec_prepared("pw_offsets_init", config_.name, kEvents, wanted);
    lock();
  }
  return offsets;
}

void Projector::store_offsets(pqxx::transaction_base& txn, const Offsets& offsets) {
  std::vector<int64_t> partitions, nexts;
  for (const auto& [p, offset] : offsets.next) {
    if (offset == offsets.stored.at(p)) continue;
    partitions.push_back(p);
    nexts.push_back(offset);
  }
  if (partitions.empty()) return;
  txn.exec_prepared("pw_offsets_set", config_.name, kEvents, int_array(partitions), int_array(nexts));
}

std::vector<DecodedEvent> Projector::decode_unapplied(const std::vector<log::Record>& records, Offsets& offsets) {
  std::vector<DecodedEvent> out;
  out.reserve(records.size());
  for (const auto& rec : records) {
    if (offsets.applied_before(rec)) continue;
    offsets.pass(rec);
    auto decoded = decode_record(rec);
    if (!decoded.ok()) throw RecordError(decoded.error().message);
    out.push_back(std::move(decoded).value());
  }
  return out;
}

Result<size_t> Projector::apply_batch(const std::vector<log::Record>& records) {
  size_t applied = 0;
  // Whether the statements running are a record's (a failure is then that
  // record's, unless the server or session says it is theirs).
  bool in_records = false;
  try {
    pqxx::work txn(db_->conn);
    if (config_.hold_off_switch) hold_off_switch(txn);
    auto offsets = lock_offsets(txn, records);
    in_records = true;
    const auto events = decode_unapplied(records, offsets);
    ReadModelBatch batch(txn, config_.recent_pages != nullptr);
    batch.load(events);
    for (const auto& e : events) applied += batch.project(e) ? 1 : 0;
    batch.write();
    in_records = false;
    store_offsets(txn, offsets);
    txn.commit();
    keep_recent_pages(batch, applied < records.size());
    for (const auto& [p, next] : offsets.next) announce(p, next);
    if (logging::enabled(logging::Level::debug)) log_applied(config_.name, events);
  } catch (...) {
    return batch_failure(in_records);
  }
  ++stats_.batches;
  stats_.events += static_cast<int64_t>(applied);
  stats_.skipped += static_cast<int64_t>(records.size() - applied);
  return applied;
}

// Must be called from a catch block: classifies the exception in flight.
Error Projector::batch_failure(bool in_records) {
  // A commit in doubt may have replaced rows held there; no failure is
  // common enough to be worth telling that case apart.
  forget_recent_pages();
  try {
    throw;
  } catch (const RecordError& e) {
    return make_error(Errc::unprocessable, std::string("projector: ") + e.what());
  } catch (const pqxx::broken_connection& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    db_.reset();
    return make_error(Errc::unavailable, std::string("projector: commit in doubt: ") + e.what());
  } catch (const pqxx::transaction_rollback& e) {  // serialization failure, deadlock
    return make_error(Errc::unavailable, std::string("projector: postgres: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    const bool record = in_records && record_sqlstate(e.sqlstate()) && db_->conn.is_open();
    return make_error(record ? Errc::unprocessable : Errc::unavailable,
                      std::string("projector: postgres refused it: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    // A record's data the read model cannot hold (e.g. text that is not UTF-8).
    return make_error(in_records ? Errc::unprocessable : Errc::internal, std::string("projector: ") + e.what());
  } catch (const std::exception& e) {
    // Not the record's fault (memory, a library's misuse): retried with backoff.
    return make_error(Errc::unavailable, std::string("projector: ") + e.what());
  }
}

}  // namespace pw::projections
