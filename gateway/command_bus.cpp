#include "gateway/command_bus.hpp"

#include <algorithm>
#include <iostream>
#include <set>

#include "events/ids.hpp"
#include "events/logging.hpp"

namespace pw::gateway {
namespace {

const std::string kResults(log::kResultsTopic);
const std::string kCommands(log::kCommandsTopic);

std::string waiter_key(std::string_view tenant, std::string_view command_id) {
  std::string key;
  key.reserve(tenant.size() + 1 + command_id.size());
  key.append(tenant).push_back('\n');
  key.append(command_id);
  return key;
}

}  // namespace

CommandBus::CommandBus(log::EventLog& log, CommandBusConfig config) : log_(log), config_(config) {
  if (config_.max_batch == 0) config_.max_batch = 1;
  if (config_.tick <= std::chrono::milliseconds::zero()) config_.tick = std::chrono::milliseconds(1);
}

CommandBus::~CommandBus() { close(); }

Result<std::unique_ptr<CommandBus>> CommandBus::start(log::EventLog& log, CommandBusConfig config) {
  std::unique_ptr<CommandBus> bus(new CommandBus(log, config));
  if (bus->config_.tail_results)
    if (auto r = bus->attach_results(); !r) return r.error();
  bus->appender_ = std::thread([b = bus.get()] { b->appender_loop(); });
  bus->tailer_ = std::thread([b = bus.get()] { b->config_.tail_results ? b->tailer_loop() : b->timer_loop(); });
  // Read by close() on any thread; no callback can run before start() returns.
  bus->appender_id_ = bus->appender_.get_id();
  bus->tailer_id_ = bus->tailer_.get_id();
  return bus;
}

// Captures the end of every results partition, joins a group of its own and
// waits (polling on this thread, before the tailer exists) until every
// partition is assigned and sought to that end.
Result<void> CommandBus::attach_results() {
  auto unavailable = [](const std::string& what, const Error& e) {
    return make_error(Errc::unavailable, "command bus: " + what + ": " + e.message);
  };
  auto count = log_.partition_count(kResults);
  if (!count.ok()) return unavailable("partitions of " + kResults, count.error());
  partitions_ = static_cast<size_t>(std::max<int32_t>(*count, 0));
  for (int32_t p = 0; p < *count; ++p) {
    log::TopicPartition tp{kResults, p};
    auto end = log_.end_offset(tp);
    if (!end.ok()) return unavailable("end of " + kResults, end.error());
    next_[tp] = *end;
  }

  log::RebalanceListener listener;
  // Runs inside poll, on the thread that polls (start(), then the tailer).
  listener.on_assigned = [this](const std::vector<log::TopicPartition>& tps) {
    for (const auto& tp : tps) {
      auto it = next_.find(tp);
      if (it == next_.end()) continue;  // a partition added later: read it from its start
      if (auto r = consumer_->seek(tp, it->second); !r && !attach_error_) attach_error_ = r.error();
    }
    positioned_ = consumer_->assignment().size() >= partitions_;
  };
  listener.on_revoked = [this](const std::vector<log::TopicPartition>&) { positioned_ = false; };
  // Unique per bus: this member alone owns every partition, and never commits.
  auto consumer = log_.subscribe("pagewright.gateway." + uuid_v4(), {kResults}, std::move(listener));
  if (!consumer.ok()) return unavailable("subscribe to " + kResults, consumer.error());
  consumer_ = std::move(consumer).value();

  const auto deadline = Clock::now() + config_.start_timeout;
  while (!positioned_) {
    if (attach_error_) return unavailable("seek in " + kResults, *attach_error_);
    if (Clock::now() >= deadline)
      return make_error(Errc::unavailable, "command bus: not assigned every partition of " + kResults +
                                               " within " + std::to_string(config_.start_timeout.count()) +
                                               " ms");
    auto got = consumer_->poll(std::chrono::milliseconds(50), 10000);
    if (!got.ok()) continue;  // transient while joining; the deadline bounds it
    handle_results(*got);
  }
  if (attach_error_) return unavailable("seek in " + kResults, *attach_error_);
  return {};
}

void CommandBus::submit(domain::CommandRecord record, std::chrono::milliseconds wait, Done done) {
  Waiter w;
  w.key = waiter_key(record.meta.tenant.str(), record.meta.commandId.str());
  w.fingerprint = domain::command_fingerprint(record.command);
  w.done = std::move(done);
  // No overflow for "forever"; a year is forever enough for an HTTP request.
  wait = std::clamp(wait, std::chrono::milliseconds::zero(), std::chrono::milliseconds(365LL * 24 * 3600 * 1000));
  w.deadline = Clock::now() + wait;
  std::string site = record.meta.siteId.str();
  std::string value = domain::encode_command_record(record);
  std::optional<int32_t> partition;
  if (config_.hand_off) {
    partition = log::partition_for(site, config_.hand_off->partitions());
    w.partition = *partition;
    w.offered = wait > std::chrono::milliseconds::zero();
  }

  std::unique_lock lk(mu_);
  if (closed_) {
    lk.unlock();
    failures_.fetch_add(1, std::memory_order_relaxed);
    w.done(make_error(Errc::unavailable, "command bus is closed"));
    return;
  }
  remember(w.key, CommandState::pending, nullptr);  // lock order: mu_, then lru_mu_
  // Registered before the append or offer: a result may come before either returns.
  const uint64_t token = ++next_token_;
  by_key_.emplace(w.key, token);
  if (!w.offered) {
    waiters_.emplace(token, std::move(w));
    queue_.push_back(Queued{token, log::OutRecord{kCommands, std::move(site), std::move(value), partition}});
    lk.unlock();
    queued_cv_.notify_one();
    return;
  }
  w.timed = true;
  w.timer = timers_.emplace(w.deadline, token);
  domain::Offer offer{token, std::move(site), std::move(value), nullptr, w.fingerprint};
  waiters_.emplace(token, std::move(w));
  lk.unlock();
  offer.record = std::make_shared<const domain::CommandRecord>(std::move(record));
  handed_over_.fetch_add(1, std::memory_order_relaxed);
  config_.hand_off->offer(*partition, std::move(offer));
}

CommandBus::Done CommandBus::take_locked(uint64_t token) {
  auto it = waiters_.find(token);
  if (it == waiters_.end()) return {};
  Waiter& w = it->second;
  auto [first, last] = by_key_.equal_range(w.key);
  for (auto k = first; k != last; ++k)
    if (k->second == token) {
      by_key_.erase(k);
      break;
    }
  if (w.timed) timers_.erase(w.timer);
  Done done = std::move(w.done);
  waiters_.erase(it);
  return done;
}

void CommandBus::run(std::vector<Completion>& completions) {
  for (auto& [done, result] : completions)
    if (done) done(std::move(result));
  completions.clear();
}

void CommandBus::appender_loop() {
  std::vector<uint64_t> tokens;
  std::vector<Completion> completions;
  for (;;) {
    log::Batch batch;
    tokens.clear();
    {
      std::unique_lock lk(mu_);
      queued_cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued is appended
      const size_t n = std::min(queue_.size(), config_.max_batch);
      batch.records.reserve(n);
      tokens.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        tokens.push_back(queue_.front().token);
        batch.records.push_back(std::move(queue_.front().record));
        queue_.pop_front();
      }
    }
    // One durable write for everything that queued up meanwhile.
    auto writers = lock_writers(batch);
    auto appended = log_.append(batch);
    writers.clear();
    if (config_.hand_off) config_.hand_off->nudge();  // the processors read what it holds first
    if (appended.ok()) {
      batches_.fetch_add(1, std::memory_order_relaxed);
      records_.fetch_add(static_cast<int64_t>(tokens.size()), std::memory_order_relaxed);
    }
    {
      std::lock_guard lk(mu_);
      const auto now = Clock::now();
      for (const uint64_t token : tokens) {
        auto it = waiters_.find(token);
        if (it == waiters_.end()) continue;  // its result came before append() returned
        if (!appended.ok()) {
          failures_.fetch_add(1, std::memory_order_relaxed);
          forget_pending(it->second.key);  // never appended: not "pending" in status()
          completions.emplace_back(take_locked(token),
                                   make_error(Errc::unavailable, "event log: " + appended.error().message));
        } else if (it->second.deadline <= now) {
          timeouts_.fetch_add(1, std::memory_order_relaxed);
          completions.emplace_back(take_locked(token), std::optional<domain::CommandOutcome>{});
        } else {
          it->second.timed = true;
          it->second.timer = timers_.emplace(it->second.deadline, token);
        }
      }
    }
    run(completions);
  }
}

void CommandBus::tailer_loop() {
  while (!tailer_stop_.load(std::memory_order_acquire)) {
    auto got = consumer_->poll(config_.tick, 10000);
    if (got.ok()) {
      handle_results(*got);
    } else {
      tail_errors_.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(config_.tick);  // the log is unreachable; retry
    }
    expire_due();
  }
  consumer_->close();
}

// Without a tailer, timeouts still fire within a tick.
void CommandBus::timer_loop() {
  for (;;) {
    {
      std::unique_lock lk(mu_);
      if (tailer_stop_cv_.wait_for(lk, config_.tick, [this] { return tailer_stop_.load(); })) return;
    }
    expire_due();
  }
}

void CommandBus::handle_results(std::vector<log::Record>& records) {
  if (records.empty()) return;
  std::vector<Completion> completions;
  for (auto& rec : records) {
    next_[log::TopicPartition{rec.topic, rec.partition}] = rec.offset + 1;
    results_.fetch_add(1, std::memory_order_relaxed);
    auto outcome = domain::decode_outcome(rec.value);
    if (!outcome.ok()) {
      report_malformed(rec, outcome.error());
      continue;
    }
    settle(*outcome, completions);
  }
  run(completions);
}

void CommandBus::deliver(const domain::CommandOutcome& outcome) {
  results_.fetch_add(1, std::memory_order_relaxed);
  std::vector<Completion> completions;
  settle(outcome, completions);
  run(completions);
}

void CommandBus::settle(const domain::CommandOutcome& outcome, std::vector<Completion>& completions) {
  const std::string key = waiter_key(outcome.tenant_id, outcome.command_id);
  remember(key, CommandState::decided, &outcome);
  std::lock_guard lk(mu_);
  auto [first, last] = by_key_.equal_range(key);
  std::vector<uint64_t> matched;
  for (auto k = first; k != last; ++k) {
    const auto w = waiters_.find(k->second);
    if (w != waiters_.end() && w->second.fingerprint == outcome.fingerprint) matched.push_back(k->second);
  }
  for (const uint64_t token : matched)
    completions.emplace_back(take_locked(token), std::optional<domain::CommandOutcome>(outcome));
}

void CommandBus::report_malformed(const log::Record& rec, const Error& why) {
  malformed_results_.fetch_add(1, std::memory_order_relaxed);
  logging::warn("skipped a command result that does not decode",
                {{"topic", rec.topic}, {"partition", rec.partition}, {"offset", rec.offset}, {"error", why.message}});
}

std::vector<std::unique_lock<std::mutex>> CommandBus::lock_writers(const log::Batch& batch) {
  std::vector<std::unique_lock<std::mutex>> locks;
  if (!config_.hand_off) return locks;
  std::set<int32_t> partitions;
  for (const auto& r : batch.records)
    if (r.partition) partitions.insert(*r.partition);
  for (int32_t p : partitions) locks.emplace_back(config_.hand_off->writer(p));
  return locks;
}

void CommandBus::withdraw_locked(uint64_t token, Waiter& w, Clock::time_point now) {
  timers_.erase(w.timer);
  auto back = config_.hand_off->withdraw(w.partition, token);
  if (!back) {
    // A processor holds it: its outcome (or, if its append failed, the offer
    // itself) comes back shortly. Looked at again in a tick.
    w.timer = timers_.emplace(now + config_.tick, token);
    return;
  }
  withdrawn_.fetch_add(1, std::memory_order_relaxed);
  w.offered = false;
  w.timed = false;  // the appender completes it (nullopt: its wait is over) once durable
  queue_.push_back(Queued{token, log::OutRecord{kCommands, std::move(back->site_id), std::move(back->value),
                                                w.partition}});
  queued_cv_.notify_one();
}

void CommandBus::expire_due() {
  std::vector<Completion> completions;
  {
    std::lock_guard lk(mu_);
    const auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      const uint64_t token = timers_.begin()->second;
      auto& w = waiters_.at(token);
      if (w.offered) {
        withdraw_locked(token, w, now);
        continue;
      }
      timeouts_.fetch_add(1, std::memory_order_relaxed);
      completions.emplace_back(take_locked(token), std::optional<domain::CommandOutcome>{});
    }
  }
  run(completions);
}

void CommandBus::remember(const std::string& key, CommandState state, const domain::CommandOutcome* outcome) {
  if (config_.remembered == 0) return;
  std::lock_guard lk(lru_mu_);
  if (auto it = lru_index_.find(key); it != lru_index_.end()) {
    auto& entry = *it->second;
    // The first outcome stands: a later one for the same id is a repeat (the
    // same outcome) or a reuse with another body (DUPLICATE), not news.
    if (state == CommandState::decided && entry.state == CommandState::pending) {
      entry.state = state;
      entry.outcome = *outcome;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Remembered{key, state, outcome ? std::optional(*outcome) : std::nullopt});
  lru_index_.emplace(key, lru_.begin());
  while (lru_.size() > config_.remembered) {
    lru_index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void CommandBus::forget_pending(const std::string& key) {
  std::lock_guard lk(lru_mu_);
  auto it = lru_index_.find(key);
  if (it == lru_index_.end() || it->second->state != CommandState::pending) return;
  lru_.erase(it->second);
  lru_index_.erase(it);
}

std::optional<CommandBus::Status> CommandBus::status(const std::string& command_id, const TenantId& tenant) const {
  const std::string key = waiter_key(tenant.str(), command_id);
  std::lock_guard lk(lru_mu_);
  auto it = lru_index_.find(key);
  if (it == lru_index_.end()) return std::nullopt;
  return Status{it->second->state, it->second->outcome};
}

void CommandBus::close() {
  const auto self = std::this_thread::get_id();
  if (self == appender_id_ || self == tailer_id_) {
    // From inside a done callback: a thread cannot join itself. Refuse new
    // submissions and let the threads wind down; the destructor joins them.
    {
      std::lock_guard lk(mu_);
      closed_ = true;
      stopping_ = true;
    }
    queued_cv_.notify_all();
    return;
  }
  std::lock_guard close_lk(close_mu_);
  if (threads_joined_) return;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    stopping_ = true;
    // Offers no processor took yet are appended before the appender stops,
    // so the nullopt their waiters get below still means "durable".
    const auto now = Clock::now();
    for (auto& [token, w] : waiters_)
      if (w.offered) withdraw_locked(token, w, now);
  }
  queued_cv_.notify_all();
  if (appender_.joinable()) appender_.join();  // appends what was queued first
  {
    std::lock_guard lk(mu_);
    tailer_stop_.store(true, std::memory_order_release);
  }
  tailer_stop_cv_.notify_all();
  if (tailer_.joinable()) tailer_.join();
  if (consumer_) consumer_->close();  // already closed by the tailer, unless start() failed
  std::vector<Completion> completions;
  {
    std::lock_guard lk(mu_);
    std::vector<uint64_t> tokens;
    tokens.reserve(waiters_.size());
    for (const auto& [token, w] : waiters_) tokens.push_back(token);
    for (const uint64_t token : tokens)
      completions.emplace_back(take_locked(token), std::optional<domain::CommandOutcome>{});
  }
  run(completions);
  threads_joined_ = true;
}

CommandBusStats CommandBus::stats() const {
  CommandBusStats s;
  s.batches = batches_.load(std::memory_order_relaxed);
  s.records = records_.load(std::memory_order_relaxed);
  s.results = results_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  s.failures = failures_.load(std::memory_order_relaxed);
  s.tail_errors = tail_errors_.load(std::memory_order_relaxed);
  s.malformed_results = malformed_results_.load(std::memory_order_relaxed);
  s.handed_over = handed_over_.load(std::memory_order_relaxed);
  s.withdrawn = withdrawn_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace pw::gateway
