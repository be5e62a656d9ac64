#include "workers/command_processor.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>

#include "commands/deciders.hpp"
#include "commands/validation.hpp"
#include "events/envelope.hpp"
#include "events/hash_chain.hpp"
#include "events/ids.hpp"
#include "events/logging.hpp"
#include "workers/careful_apply.hpp"

namespace pw::workers {
namespace {

using namespace std::chrono_literals;

// Event ids are derived from the command id, so a replayed command yields
// byte-identical events.
constexpr std::string_view kEventIdNamespace = "0c7d3f7a-6d1e-5b2a-9f4c-2e8b1a6d5c3f";
const std::string kCommands(log::kCommandsTopic);
const std::string kEvents(log::kEventsTopic);
const std::string kResults(log::kResultsTopic);
// How long recovery waits for records the committed offsets say must exist.
constexpr auto kReplayPatience = 30s;

std::string position_of(int32_t partition, int64_t offset) {
  return std::to_string(partition) + ":" + std::to_string(offset);
}

std::optional<int64_t> position_offset(std::string_view position) {
  const auto colon = position.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  int64_t offset = 0;
  const char* end = position.data() + position.size();
  auto [p, ec] = std::from_chars(position.data() + colon + 1, end, offset);
  if (ec != std::errc{} || p != end || offset < 0) return std::nullopt;
  return offset;
}

// API.md "Limits": every event's envelope ≤ domain::kMaxEventBytes. Measured
// before any event of the command is applied (seq and versions at their widest,
// the rest as the append loop sets it), so a refusal leaves state and log as
// they were.
std::optional<Error> oversized_event(const std::vector<domain::DomainEvent>& events,
                                     const domain::CommandMeta& meta, const std::string& correlation_id) {
  for (const auto& event : events) {
    Envelope env;
    env.id = std::string(36, '0');
    env.type = std::string(domain::event_type(event));
    env.schema_version = domain::event_schema_version(event);
    env.tenant_id = meta.tenant.str();
    env.site_id = meta.siteId.str();
    const auto ref = domain::aggregate_of(event);
    env.aggregate = {std::string(ref.type), ref.id, std::numeric_limits<int64_t>::max()};
    env.seq = std::numeric_limits<int64_t>::max();
    env.occurred_at = meta.occurredAt;
    env.actor = meta.actor.str();
    env.command_id = meta.commandId.str();
    env.correlation_id = correlation_id.empty() ? env.command_id : correlation_id;
    env.causation_id = env.command_id;
    env.prev_hash = kGenesisHash;
    const nlohmann::json data = domain::event_data(event);
    const size_t bytes = encode(env).size() - 2 + domain::json_bytes(data);
    if (bytes <= domain::kMaxEventBytes) continue;
    std::string field = "data";  // named by its largest member, which made it too big
    size_t largest = 0;
    for (auto it = data.begin(); it != data.end(); ++it) {
      const size_t n = domain::json_bytes(*it);
      if (n > largest) {
        largest = n;
        field = it.key();
      }
    }
    return make_error(Errc::payload_too_large, "the command would make an event over the size limit",
                      {{field, "the " + env.type + " event would be " + std::to_string(bytes) +
                                   " bytes; the limit is " + std::to_string(domain::kMaxEventBytes)}});
  }
  return std::nullopt;
}

}  // namespace

CommandProcessor::CommandProcessor(log::EventLog& log, ProcessorConfig config,
                                   std::unique_ptr<SnapshotStore> store)
    : log_(log), config_(std::move(config)), store_(std::move(store)) {}

CommandProcessor::~CommandProcessor() { close(); }

Result<std::unique_ptr<CommandProcessor>> CommandProcessor::create(log::EventLog& log, ProcessorConfig config) {
  if (config.snapshot_dir.empty()) return make_error(Errc::validation_error, "snapshot_dir is required");
  if (!config.schemas) return make_error(Errc::validation_error, "schemas are required");
  auto store = SnapshotStore::open(config.snapshot_dir);
  if (!store.ok()) return store.error();
  std::unique_ptr<CommandProcessor> self(new CommandProcessor(log, std::move(config), std::move(store).value()));
  auto* raw = self.get();
  // Recovery runs inside the assignment callback so that its seek decides where
  // the partition's first fetch starts.
  log::RebalanceListener listener{
      [raw](const std::vector<log::TopicPartition>& tps) {
        for (const auto& tp : tps) {
          raw->partitions_[tp.partition];
          if (auto r = raw->recover(tp.partition); !r.ok()) {
            raw->distrust(tp.partition);
            raw->report_recovery_failure(tp.partition, r.error());
          }
        }
      },
      [raw](const std::vector<log::TopicPartition>& tps) {
        for (const auto& tp : tps) {
          // Best effort: a snapshot that fails only lengthens the next replay.
          // snapshot() refuses distrusted partitions.
          if (raw->partitions_.count(tp.partition)) (void)raw->snapshot(tp.partition);
          raw->forget(tp.partition);
          raw->partitions_.erase(tp.partition);
          std::erase(raw->needs_recovery_, tp.partition);
        }
      }};
  auto consumer = log.subscribe(self->config_.group, {kCommands}, std::move(listener));
  if (!consumer.ok()) return consumer.error();
  self->consumer_ = std::move(consumer).value();
  return self;
}

std::vector<log::TopicPartition> CommandProcessor::assignment() const {
  return consumer_ ? consumer_->assignment() : std::vector<log::TopicPartition>{};
}

void CommandProcessor::close() {
  if (!consumer_) return;
  consumer_->close();  // revokes: snapshots and forgets every partition
  consumer_.reset();
}

void CommandProcessor::report_recovery_failure(int32_t partition, const Error& e) {
  // Retried every poll: a line when the reason changes, not one per retry.
  if (!last_error_ || last_error_->message != e.message)
    logging::warn("partition waits to be rebuilt", {{"partition", partition}, {"error", e.message}});
  last_error_ = e;
}

void CommandProcessor::forget(int32_t partition) {
  for (auto it = sites_.begin(); it != sites_.end();) {
    if (it->second.partition == partition) {
      lru_.erase(it->second.lru);
      it = sites_.erase(it);
    } else {
      ++it;
    }
  }
}

void CommandProcessor::distrust(int32_t partition) {
  forget(partition);
  if (!distrusted(partition)) needs_recovery_.push_back(partition);
}

bool CommandProcessor::distrusted(int32_t partition) const {
  return std::find(needs_recovery_.begin(), needs_recovery_.end(), partition) != needs_recovery_.end();
}

std::string CommandProcessor::encode_site(const SiteEntry& e) const {
  nlohmann::json window = nlohmann::json::array();
  for (const auto& [id, r] : e.window) window.push_back(domain::outcome_to_json(r.outcome));
  return nlohmann::json{{"state", domain::site_state_to_json(e.state)},
                        {"headHash", e.head_hash},
                        {"window", std::move(window)}}
      .dump();
}

Result<CommandProcessor::SiteEntry> CommandProcessor::decode_site(const std::string& bytes,
                                                                  int32_t partition) const {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state") || !j.contains("headHash") ||
      !j.contains("window"))
    return make_error(Errc::internal, "unreadable site snapshot");
  try {
    return decode_site_json(j, partition);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("unreadable site snapshot: ") + e.what());
  }
}

Result<CommandProcessor::SiteEntry> CommandProcessor::decode_site_json(const nlohmann::json& j,
                                                                       int32_t partition) const {
  auto state = domain::site_state_from_json(j["state"]);
  if (!state.ok()) return state.error();
  SiteEntry e;
  e.state = std::move(state).value();
  e.head_hash = j["headHash"].get<std::string>();
  e.partition = partition;
  for (const auto& w : j["window"]) {
    auto o = domain::outcome_from_json(w);
    if (!o.ok()) return o.error();
    const auto id = o->command_id;
    const auto fp = o->fingerprint;
    e.window.emplace_back(id, Remembered{fp, std::move(o).value()});
    ++e.window_index[id];
  }
  return e;
}

Result<CommandProcessor::SiteEntry*> CommandProcessor::site(int32_t partition, const std::string& site_id) {
  auto it = sites_.find(site_id);
  if (it == sites_.end()) {
    SiteEntry entry;
    entry.partition = partition;
    entry.head_hash = kGenesisHash;
    auto stored = snapshotless_.count(partition) ? Result<std::optional<std::string>>(std::nullopt)
                                                 : store_->site(partition, site_id);
    if (!stored.ok()) return stored.error();
    if (stored->has_value()) {
      auto decoded = decode_site(**stored, partition);
      if (!decoded.ok()) {
        snapshotless_.insert(partition);  // the next recovery rebuilds from the log alone
        return decoded.error();
      }
      entry = std::move(decoded).value();
    }
    lru_.push_front(site_id);
    entry.lru = lru_.begin();
    it = sites_.emplace(site_id, std::move(entry)).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  return &it->second;
}

void CommandProcessor::remember(SiteEntry& entry, const std::string& command_id, Remembered r) {
  entry.window.emplace_back(command_id, std::move(r));
  ++entry.window_index[command_id];
  while (entry.window.size() > config_.idempotency_window) {
    auto& oldest = entry.window.front().first;
    if (--entry.window_index[oldest] == 0) entry.window_index.erase(oldest);
    entry.window.pop_front();
  }
}

const CommandProcessor::Remembered* CommandProcessor::recall(const SiteEntry& entry,
                                                              const std::string& command_id) const {
  if (!entry.window_index.count(command_id)) return nullptr;
  for (const auto& [id, r] : entry.window)  // first outcome wins
    if (id == command_id) return &r;
  return nullptr;
}

Result<void> CommandProcessor::snapshot(int32_t partition) {
  if (distrusted(partition)) return {};  // its cache is not what the log holds
  std::vector<std::pair<std::string, std::string>> dirty;
  for (auto& [id, e] : sites_)
    if (e.partition == partition && e.dirty) dirty.emplace_back(id, encode_site(e));
  auto& ps = partitions_[partition];
  auto r = store_->write(partition, dirty, ps.applied);
  if (!r.ok()) return r;
  for (auto& [id, e] : sites_)
    if (e.partition == partition) e.dirty = false;
  ps.events_since_snapshot = 0;
  snapshotless_.erase(partition);
  ++stats_.snapshots;
  return {};
}

void CommandProcessor::evict_if_needed() {
  if (sites_.size() <= config_.max_cached_sites) return;
  bool snapshotted = false;
  auto it = lru_.end();
  while (sites_.size() > config_.max_cached_sites && it != lru_.begin()) {
    --it;
    auto site = sites_.find(*it);
    if (site->second.dirty) {
      if (snapshotted) continue;
      // Every cached site is dirty from here back: persist them all, then evict.
      for (auto& [p, ps] : partitions_) (void)snapshot(p);
      snapshotted = true;
      if (site->second.dirty) continue;
    }
    it = lru_.erase(it);
    sites_.erase(site);
  }
}

Result<void> CommandProcessor::recover(int32_t partition) {
  // A corrupt record or snapshot must not escape through poll(): it fails this
  // partition's recovery, which is retried, and leaves the others working.
  auto attempt = [&]() -> Result<void> {
    try {
      return recover_unguarded(partition);
    } catch (const std::exception& e) {
      return make_error(Errc::internal, "recovery of partition " + std::to_string(partition) + ": " + e.what());
    }
  };
  auto r = attempt();
  if (!r.ok() && !snapshotless_.count(partition) && r.error().code == Errc::internal) {
    // Perhaps an unreadable snapshot: the log alone is enough to rebuild.
    snapshotless_.insert(partition);
    r = attempt();
  }
  if (!r.ok()) forget(partition);
  return r;
}

// What recovery has learned so far about one partition.
struct CommandProcessor::Replay {
  Watermark applied;      // next offsets after what the cache reflects
  int64_t events_end = 0;  // the events the results name end here
  int64_t covered = 0;     // commands below this have a result
};

Result<void> CommandProcessor::recover_unguarded(int32_t partition) {
  ++stats_.recoveries;
  forget(partition);
  auto wm = snapshotless_.count(partition) ? Result<Watermark>(Watermark{}) : store_->watermark(partition);
  if (!wm.ok()) return wm.error();
  // First, because it waits out a transaction that still carries offsets of
  // this partition (a member that lost it may yet commit that, on Kafka): the
  // results read next then include whatever that transaction decided.
  auto committed = log_.committed_offset(config_.group, {kCommands, partition});
  if (!committed.ok()) return committed.error();
  Replay replay{*wm, wm->events_next, wm->commands_next};
  if (auto r = replay_results(partition, *committed, replay); !r.ok()) return r;
  replay.applied.commands_next = std::max<int64_t>(replay.covered, committed->value_or(0));
  if (auto r = replay_events(partition, replay); !r.ok()) return r;
  partitions_[partition].applied = replay.applied;
  return consumer_->seek({kCommands, partition}, replay.applied.commands_next);
}

// Results say which commands were processed: each names its command's offset.
// They are the truth even where a broker lost the group's committed offset
// (librdkafka 2.0's mock keeps none of those sent with a transaction).
//
// Every command below a committed offset has its result, written in the same
// transaction. Yet the offsets become stable when the transaction's marker
// reaches the group's partition, and the results become readable when its
// marker reaches theirs, and Kafka orders the two in no way. Until the results
// cover the committed offset, their end is read again: deciding before would
// decide the site's next seq a second time.
Result<void> CommandProcessor::replay_results(int32_t partition, std::optional<int64_t> committed,
                                              Replay& replay) {
  auto results_end = log_.end_offset({kResults, partition});
  if (!results_end.ok()) return results_end.error();
  if (replay.applied.results_next > *results_end)
    return make_error(Errc::internal, "snapshot of partition " + std::to_string(partition) +
                                          " is ahead of the log; remove the snapshot directory");
  const int64_t must_cover = committed.value_or(0);
  const auto deadline = std::chrono::steady_clock::now() + kReplayPatience;
  std::unique_ptr<log::Reader> reader;
  int64_t next = replay.applied.results_next;
  for (;;) {
    while (next < *results_end) {
      if (!reader) {
        auto made = log_.reader({kResults, partition}, next);
        if (!made.ok()) return made.error();
        reader = std::move(*made);
      }
      if (std::chrono::steady_clock::now() > deadline)
        return make_error(Errc::unavailable, "results of partition " + std::to_string(partition) +
                                                 " could not be read to their end");
      auto recs = reader->read(200ms, 1000);
      if (!recs.ok()) return recs.error();
      for (const auto& rec : *recs) {
        next = rec.offset + 1;
        if (auto r = replay_result(partition, rec, replay); !r.ok()) return r;
      }
    }
    if (replay.covered >= must_cover) return {};
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(Errc::unavailable, "results of partition " + std::to_string(partition) +
                                               " end at command " + std::to_string(replay.covered) +
                                               ", short of the committed offset " + std::to_string(must_cover) +
                                               ": the transaction that committed it is not readable yet");
    std::this_thread::sleep_for(20ms);
    results_end = log_.end_offset({kResults, partition});
    if (!results_end.ok()) return results_end.error();
  }
}

// A result no processor wrote (it does not decode, or its position is not
// one an append gives) says nothing about any command: it is skipped, logged and
// counted, as foreign events are, and must not stop the partition.
Result<void> CommandProcessor::replay_result(int32_t partition, const log::Record& rec, Replay& replay) {
  replay.applied.results_next = rec.offset + 1;
  auto foreign = [&](const std::string& why) -> Result<void> {
    ++stats_.foreign_results;
    logging::warn("recovery skips a result no processor wrote",
                  {{"partition", partition}, {"offset", rec.offset}, {"error", why}});
    return {};
  };
  auto outcome = domain::decode_outcome(rec.value);
  if (!outcome.ok()) return foreign(outcome.error().message);
  std::optional<int64_t> event_offset;
  if (!outcome->position.empty()) {
    event_offset = position_offset(outcome->position);
    if (!event_offset) return foreign("malformed position " + outcome->position);
  }
  replay.covered = std::max<int64_t>(replay.covered, outcome->command_offset + 1);
  if (event_offset) replay.events_end = std::max<int64_t>(replay.events_end, *event_offset + 1);
  // Only what the live path remembers: outcomes of decided commands (a record
  // that could not be read has no fingerprint).
  if (rec.key.empty() || outcome->command_id.empty() || outcome->fingerprint.empty()) return {};
  auto entry = site(partition, rec.key);
  if (!entry.ok()) return entry.error();
  if (recall(**entry, outcome->command_id)) return {};
  const auto fp = outcome->fingerprint;
  const auto id = outcome->command_id;
  remember(**entry, id, {fp, std::move(outcome).value()});
  (*entry)->dirty = true;
  return {};
}

Result<void> CommandProcessor::replay_events(int32_t partition, Replay& replay) {
  if (replay.applied.events_next >= replay.events_end) return {};
  auto reader = log_.reader({kEvents, partition}, replay.applied.events_next);
  if (!reader.ok()) return reader.error();
  const auto deadline = std::chrono::steady_clock::now() + kReplayPatience;
  int64_t next = replay.applied.events_next;
  while (next < replay.events_end) {
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(Errc::unavailable, "events of partition " + std::to_string(partition) +
                                               " end before its results say");
    auto recs = (*reader)->read(200ms, 1000);
    if (!recs.ok()) return recs.error();
    for (const auto& rec : *recs) {
      if (rec.offset >= replay.events_end) break;
      next = rec.offset + 1;
      if (auto r = replay_event(partition, rec); !r.ok()) return r;
    }
  }
  replay.applied.events_next = replay.events_end;
  return {};
}

// Only processors append events, each the next link of its site's chain:
// anything else was put there by someone else and is no part of any site's
// state. It must not stop the partition either.
Result<void> CommandProcessor::replay_event(int32_t partition, const log::Record& rec) {
  auto foreign = [&](const std::string& why) -> Result<void> {
    ++stats_.foreign_events;
    logging::warn("recovery skips an event no processor wrote",
                  {{"partition", partition}, {"offset", rec.offset}, {"error", why}});
    return {};
  };
  auto env = decode(rec.value);
  if (!env.ok()) return foreign(env.error().message);
  auto event = domain::event_from_json(env->type, env->schema_version, env->data);
  if (!event.ok()) return foreign(env->type + ": " + event.error().message);
  auto entry = site(partition, env->site_id);
  if (!entry.ok()) return entry.error();
  SiteEntry& e = **entry;
  if (env->seq != e.state.version + 1 || env->prev_hash != e.head_hash)
    return foreign("site " + env->site_id + " seq " + std::to_string(env->seq) + " is not the next link (version " +
                   std::to_string(e.state.version) + ", head " + e.head_hash.substr(0, 12) + ")");
  if (auto applied = apply_or_keep(e.state, *event); !applied.ok()) return foreign(applied.error().message);
  e.head_hash = sha256_hex(rec.value);
  e.dirty = true;
  return {};
}

struct CommandProcessor::Pending {
  domain::CommandOutcome outcome;
  std::string site_id;
  int32_t partition = 0;
  long last_event = -1;  // index into Round::batch.records
  long repeat_of = -1;   // index into Round::pending of a first outcome in this round
};

struct CommandProcessor::Round {
  std::vector<Pending> pending;                        // one per polled record, in order
  std::unordered_map<std::string, long> decided_here;  // command id → index into pending
  log::Batch batch;  // handed-over command records and events, then (via then) results and offsets
  std::vector<std::pair<size_t, int64_t>> predicted;   // batch index of a command record → its offset
};

Result<size_t> CommandProcessor::run_once(std::chrono::milliseconds timeout) {
  if (!consumer_) return make_error(Errc::unavailable, "processor is closed");
  // With a hand-off, offers wake this thread, not the log: the log is only
  // looked at (and the group's callbacks run) between them.
  auto polled = consumer_->poll(config_.hand_off ? 0ms : timeout, config_.max_batch);
  if (!polled.ok()) return polled.error();
  retry_recoveries(*polled);
  if (!polled->empty()) return decide_polled(*polled);
  if (!config_.hand_off) return size_t{0};
  return decide_offers(timeout);
}

Result<size_t> CommandProcessor::decide_polled(const std::vector<log::Record>& records) {
  Round round;
  round.pending.reserve(records.size());
  round.batch.consumer = consumer_.get();
  for (const auto& rec : records)
    if (auto routed = route(rec, round); !routed.ok()) {
      // Commands of this round were applied in memory and will not be appended.
      for (const auto& polled_rec : records) distrust(polled_rec.partition);
      return routed.error();
    }
  auto appended = append_with_results(round);
  if (!appended.ok()) return appended.error();
  return finish_round(round, *appended, records.size());
}

// The offers of one partition, taken while its writer lock is held: nobody
// else appends to it until the round is appended.
struct CommandProcessor::Taken {
  int32_t partition = 0;
  std::unique_lock<std::mutex> writer;
  std::vector<domain::Offer> offers;
  int64_t first_offset = 0;  // where its first command record will land
};

// Each offer becomes the command record it would have been on the log, at the
// offset it will get, and is decided as that record would have been.
Result<size_t> CommandProcessor::decide_offers(std::chrono::milliseconds timeout) {
  auto taken = take_offers();
  if (!taken.ok()) return taken.error();
  if (taken->empty()) {
    config_.hand_off->wait(offers_seen_, timeout);
    return size_t{0};
  }
  auto give_back = [&] {
    for (auto& t : *taken) config_.hand_off->give_back(t.partition, std::move(t.offers));
  };
  Round round;
  round.batch.consumer = consumer_.get();
  size_t commands = 0;
  for (auto& t : *taken) {
    int64_t offset = t.first_offset;
    for (const auto& offer : t.offers) {
      const log::Record rec{kCommands, t.partition, offset++, offer.site_id, {}};
      round.predicted.emplace_back(round.batch.records.size(), rec.offset);
      round.batch.records.push_back({kCommands, offer.site_id, offer.value, t.partition});
      if (auto routed = route_decoded(rec, *offer.record, offer.fingerprint, round); !routed.ok()) {
        for (const auto& again : *taken) distrust(again.partition);
        give_back();
        return routed.error();
      }
      ++commands;
    }
  }
  auto appended = append_with_results(round);
  if (!appended.ok()) {
    give_back();  // never durable: decided again once the partitions are rebuilt
    return appended.error();
  }
  if (auto as_predicted = check_predicted(round, *appended); !as_predicted.ok()) return as_predicted.error();
  // The records it just appended are decided: its reading goes on after them.
  for (const auto& [tp, next] : round.batch.offsets)
    if (auto sought = consumer_->seek(tp, next); !sought.ok()) distrust(tp.partition);
  taken->clear();  // releases the writer locks
  stats_.handed_over += static_cast<int64_t>(commands);
  return finish_round(round, *appended, commands);
}

// Partitions are visited in order, so writer locks are always taken in the
// same order (the gateway's own appends take them in that order too).
Result<std::vector<CommandProcessor::Taken>> CommandProcessor::take_offers() {
  std::vector<Taken> out;
  size_t room = config_.max_batch;
  for (const auto& [partition, ps] : partitions_) {
    if (room == 0) break;
    if (partition >= config_.hand_off->partitions() || distrusted(partition)) continue;
    // No writer lock nor end offset for a partition nobody offered anything.
    if (!config_.hand_off->has_offers(partition)) continue;
    Taken t;
    t.partition = partition;
    t.writer = std::unique_lock(config_.hand_off->writer(partition));
    auto end = log_.end_offset({kCommands, partition});
    if (!end.ok()) return end.error();
    // Commands the log holds that it has not decided come first (next poll).
    if (*end != ps.applied.commands_next) continue;
    t.offers = config_.hand_off->take(partition, room);
    if (t.offers.empty()) continue;
    t.first_offset = *end;
    room -= t.offers.size();
    out.push_back(std::move(t));
  }
  return out;
}

// The writer locks make the offsets of the command records certain; were one
// elsewhere, its result would name a wrong command offset. Never seen, but
// checked: the partitions are then rebuilt from what the log holds.
Result<void> CommandProcessor::check_predicted(const Round& round, const log::Appended& appended) {
  for (const auto& [index, offset] : round.predicted)
    if (appended.offsets[index] != offset) {
      const auto partition = appended.partitions[index].partition;
      distrust(partition);
      logging::error("a handed-over command landed at another offset than its result names",
                     {{"partition", partition}, {"offset", appended.offsets[index]}, {"predicted", offset}});
      return make_error(Errc::internal, "command record of partition " + std::to_string(partition) +
                                            " landed at offset " + std::to_string(appended.offsets[index]) +
                                            ", not " + std::to_string(offset));
    }
  return {};
}

Result<size_t> CommandProcessor::finish_round(const Round& round, const log::Appended& appended, size_t commands) {
  learn_positions(round, appended);
  announce(round);
  if (auto snapshotted = snapshot_due(); !snapshotted.ok()) return snapshotted.error();
  evict_if_needed();
  return commands;
}

// A partition whose recovery failed is retried; what was polled for it may
// start at a stale offset, so it is dropped and re-read after the seek. A
// partition that still cannot be rebuilt waits for the next call; the others
// go on.
void CommandProcessor::retry_recoveries(std::vector<log::Record>& polled) {
  if (needs_recovery_.empty()) return;
  auto retry = std::move(needs_recovery_);
  needs_recovery_.clear();
  for (int32_t p : retry) {
    std::erase_if(polled, [p](const log::Record& r) { return r.partition == p; });
    if (auto r = recover(p); !r.ok()) {
      distrust(p);
      ++stats_.recovery_failures;
      report_recovery_failure(p, r.error());
    }
  }
}

// The command record's place in the round: its outcome names it, and the
// group's offset moves past it.
CommandProcessor::Pending CommandProcessor::pending_for(const log::Record& rec, Round& round) {
  round.batch.offsets[{rec.topic, rec.partition}] = rec.offset + 1;
  Pending p;
  p.partition = rec.partition;
  p.outcome.command_partition = rec.partition;
  p.outcome.command_offset = rec.offset;
  p.site_id = rec.key;
  return p;
}

// Decodes one command record and hands it to its site; a record that cannot be
// decided gets a rejected outcome. Fails only when the site's state cannot be
// loaded.
Result<void> CommandProcessor::route(const log::Record& rec, Round& round) {
  auto cmd = domain::decode_command_record(rec.value);
  if (!cmd.ok()) {
    Pending p = pending_for(rec, round);
    p.outcome.error = cmd.error();
    round.pending.push_back(std::move(p));
    return {};
  }
  return route_decoded(rec, *cmd, domain::command_fingerprint(cmd->command), round);
}

Result<void> CommandProcessor::route_decoded(const log::Record& rec, const domain::CommandRecord& cmd,
                                             const std::string& fingerprint, Round& round) {
  Pending p = pending_for(rec, round);
  const auto& meta = cmd.meta;
  p.outcome.command_id = meta.commandId.str();
  p.outcome.tenant_id = meta.tenant.str();
  p.outcome.command_type = std::string(domain::command_type(cmd.command));
  if (meta.siteId.str() != rec.key) {
    p.outcome.error = make_error(Errc::validation_error, "command record key is not its site id",
                                 {{"siteId", "must equal the record key"}});
    round.pending.push_back(std::move(p));
    return {};
  }
  auto entry = site(rec.partition, rec.key);
  if (!entry.ok()) return entry.error();
  decide_one(rec, cmd, fingerprint, **entry, std::move(p), round);
  // Per command: at debug, so a loaded pool's info lines stay few.
  if (const auto& o = round.pending.back().outcome; logging::enabled(logging::Level::debug))
    logging::debug("command decided",
                   {{logging::kCommandId, o.command_id}, {logging::kTenant, o.tenant_id},
                    {logging::kCorrelationId, cmd.correlation_id}, {"type", o.command_type}, {"site", rec.key},
                    {"accepted", o.accepted}, {"error", o.error ? errc_code(o.error->code) : ""},
                    {"events", o.events.size()}, {"partition", rec.partition}, {"offset", rec.offset}});
  return {};
}

// A repeated command id gets its first outcome (or DUPLICATE when the body
// differs); a new one is decided against the site's state, and its events are
// applied and queued for the append.
void CommandProcessor::decide_one(const log::Record& rec, const domain::CommandRecord& cmd,
                                  const std::string& fingerprint, SiteEntry& entry, Pending p, Round& round) {
  p.outcome.fingerprint = fingerprint;
  if (const auto* first = recall(entry, p.outcome.command_id)) {
    ++stats_.repeats;
    if (first->fingerprint == fingerprint) {
      p.outcome = first->outcome;  // the first outcome, appending nothing
      p.outcome.command_partition = rec.partition;
      p.outcome.command_offset = rec.offset;
      if (auto here = round.decided_here.find(p.outcome.command_id); here != round.decided_here.end())
        p.repeat_of = here->second;  // its position is known only after the append
    } else {
      p.outcome.error = make_error(Errc::duplicate, "command id was already used for another command",
                                   {{"commandId", "reused with a different body"}});
    }
    round.pending.push_back(std::move(p));
    return;
  }
  const auto aggregate = domain::aggregate_of(cmd.meta, cmd.command);
  p.outcome.aggregate_id = aggregate.id;
  auto decided = domain::decide(*config_.schemas, entry.state, cmd.meta, cmd.command);
  if (decided.ok())
    if (auto too_big = oversized_event(*decided, cmd.meta, cmd.correlation_id)) decided = std::move(*too_big);
  if (decided.ok()) {
    build_envelopes(rec, cmd, *decided, entry, p, round.batch);
    p.outcome.accepted = true;
    round.decided_here[p.outcome.command_id] = static_cast<long>(round.pending.size());
  } else {
    p.outcome.error = decided.error();
  }
  p.outcome.version = domain::aggregate_version(entry.state, aggregate);
  entry.dirty = true;
  remember(entry, p.outcome.command_id, {fingerprint, p.outcome});
  round.pending.push_back(std::move(p));
}

// Applies each event to the site's state and chains its envelope onto the
// site's head: ids derive from the command id, so a replay yields the same bytes.
void CommandProcessor::build_envelopes(const log::Record& rec, const domain::CommandRecord& cmd,
                                       const std::vector<domain::DomainEvent>& events, SiteEntry& entry,
                                       Pending& p, log::Batch& batch) {
  const auto& meta = cmd.meta;
  int index = 0;
  for (const auto& event : events) {
    domain::apply(entry.state, event);
    Envelope env;
    env.id = uuid_v5(kEventIdNamespace, p.outcome.command_id + "/" + std::to_string(index++));
    env.type = std::string(domain::event_type(event));
    env.schema_version = domain::event_schema_version(event);
    env.tenant_id = meta.tenant.str();
    env.site_id = meta.siteId.str();
    const auto ref = domain::aggregate_of(event);
    env.aggregate = {std::string(ref.type), ref.id, domain::aggregate_version(entry.state, ref)};
    env.seq = entry.state.version;
    env.occurred_at = meta.occurredAt;
    env.actor = meta.actor.str();
    env.command_id = p.outcome.command_id;
    env.correlation_id = cmd.correlation_id.empty() ? p.outcome.command_id : cmd.correlation_id;
    env.causation_id = p.outcome.command_id;
    env.prev_hash = entry.head_hash;
    env.data = domain::event_data(event);
    std::string bytes = encode(env);
    entry.head_hash = sha256_hex(bytes);
    p.outcome.events.push_back({env.type, env.seq});
    batch.records.push_back({kEvents, rec.key, std::move(bytes), rec.partition});
    p.last_event = static_cast<long>(batch.records.size()) - 1;
  }
}

// Appends the events, one result per command (its position filled in from the
// events' offsets) and the consumer offsets as one atomic batch.
Result<log::Appended> CommandProcessor::append_with_results(Round& round) {
  auto& pending = round.pending;
  round.batch.then = [&pending](const log::Appended& appended) {
    std::vector<log::OutRecord> results;
    results.reserve(pending.size());
    for (auto& p : pending) {
      if (p.last_event >= 0) {
        const auto i = static_cast<size_t>(p.last_event);
        p.outcome.position = position_of(appended.partitions[i].partition, appended.offsets[i]);
      } else if (p.repeat_of >= 0) {
        p.outcome.position = pending[static_cast<size_t>(p.repeat_of)].outcome.position;
      }
      results.push_back({kResults, p.site_id, domain::encode_outcome(p.outcome), p.partition});
    }
    return results;
  };
  auto appended = log_.append(round.batch);
  if (!appended.ok()) {
    // What was applied in memory never reached the log: rebuild the partitions
    // from the log and re-read their commands from the committed offsets.
    for (const auto& [tp, next] : round.batch.offsets)
      if (partitions_.count(tp.partition)) distrust(tp.partition);
  }
  return appended;
}

// The partitions' watermarks, the stats and the remembered outcomes learn
// what the log assigned.
void CommandProcessor::learn_positions(const Round& round, const log::Appended& appended) {
  int64_t events = 0;
  for (size_t i = 0; i < appended.offsets.size(); ++i) {
    const auto& tp = appended.partitions[i];
    auto& ps = partitions_[tp.partition];
    if (tp.topic == kEvents) {
      ps.applied.events_next = appended.offsets[i] + 1;
      ++ps.events_since_snapshot;
      ++events;
    } else if (tp.topic == kResults) {
      ps.applied.results_next = appended.offsets[i] + 1;
    }
  }
  for (const auto& [tp, next] : round.batch.offsets) partitions_[tp.partition].applied.commands_next = next;
  for (const auto& p : round.pending) {
    ++stats_.commands;
    if (p.outcome.accepted) ++stats_.accepted; else ++stats_.rejected;
    if (p.last_event < 0) continue;
    // decide_one remembered it last: found from the back at once, where a
    // search from the front compares the whole window.
    auto& window = sites_.at(p.site_id).window;
    for (auto it = window.rbegin(); it != window.rend(); ++it)
      if (it->first == p.outcome.command_id) {
        it->second.outcome.position = p.outcome.position;
        break;
      }
  }
  stats_.events += events;
}

void CommandProcessor::announce(const Round& round) const {
  if (!config_.on_decided) return;
  for (const auto& p : round.pending)
    if (!p.outcome.command_id.empty()) config_.on_decided(p.outcome);
}

Result<void> CommandProcessor::snapshot_due() {
  for (auto& [p, ps] : partitions_)
    if (ps.events_since_snapshot >= config_.snapshot_every)
      if (auto r = snapshot(p); !r.ok()) return r.error();
  return {};
}

}  // namespace pw::workers
