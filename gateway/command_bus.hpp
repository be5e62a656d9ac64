#pragma once
// The gateway's way into the command path: submit a command record and wait
// (bounded) for its outcome on pagewright.results.
//
//   submit() ──queue──▶ appender thread ── one log::Batch per drain (≤ max_batch)
//                                          ──▶ [pagewright.commands]  key = site id
//   [pagewright.results] ──▶ tailer thread (its own consumer group, never commits,
//                            positioned at the end offsets seen at start)
//                            ──▶ waiters by (tenant, commandId) + LRU of outcomes
//
// Many concurrent HTTP requests share one durable write: the local log fsyncs
// once per append, Kafka runs one transaction per append. Every result the
// tailer sees is remembered (bounded LRU), whoever submitted the command, so
// GET /v1/commands/{id} can answer for commands of other gateway processes too
// — but only for results that arrived while this bus was running.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <deque>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands/command_record.hpp"
#include "commands/hand_off.hpp"
#include "events/log.hpp"
#include "events/result.hpp"

namespace pw::gateway {

struct CommandBusConfig {
  size_t max_batch = 1024;         // command records per append
  size_t remembered = 100000;      // outcomes kept for GET /v1/commands/{id} (LRU)
  // How long start() waits for the results tailer to be assigned and positioned
  // on every partition of pagewright.results (then Errc::unavailable).
  std::chrono::milliseconds start_timeout{30000};
  // Upper bound of one results poll: how late a timeout may fire.
  std::chrono::milliseconds tick{10};
  // false: every processor that writes pagewright.results runs in this process
  // and hands each outcome to deliver() (`serve`), so the bus reads nothing
  // back from the log: no consumer, no second decode of each result, one
  // thread hand-off less per command.
  bool tail_results = true;
  // `serve`: a command with a wait is handed to the processor owning its
  // partition (commands/hand_off.hpp), which appends it with its outcome; one
  // not taken before its wait elapses is withdrawn and appended here, so a 202
  // still means "durable, will be decided". Commands without a wait (Prefer:
  // respond-async) are appended here at once.
  domain::HandOff* hand_off = nullptr;
};

enum class CommandState { pending, decided };

struct CommandBusStats {
  int64_t batches = 0;   // appends to pagewright.commands
  int64_t records = 0;   // command records appended
  int64_t results = 0;   // results read from pagewright.results
  int64_t timeouts = 0;  // waiters completed with nullopt because `wait` elapsed
  int64_t failures = 0;  // submissions completed with an error
  int64_t tail_errors = 0;  // failed polls of pagewright.results (retried)
  int64_t malformed_results = 0;  // results that did not decode: logged and skipped
  int64_t handed_over = 0;        // commands offered to this process's processors
  int64_t withdrawn = 0;          // offers no processor took in time: appended by the bus instead
};

class CommandBus {
 public:
  // Starts the results tailer (returns once it is positioned at the current end
  // of every pagewright.results partition, so no outcome of a later submit can
  // be missed) and the appender thread. The topics must exist.
  static Result<std::unique_ptr<CommandBus>> start(log::EventLog& log, CommandBusConfig config = {});
  ~CommandBus();  // = close()
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;

  using Done = std::function<void(Result<std::optional<domain::CommandOutcome>>)>;
  // Appends the record to pagewright.commands (key = site id) and calls `done`
  // exactly once, from a bus thread: with the outcome when its result arrives,
  // with nullopt when `wait` elapses first (still pending — the result is still
  // remembered when it comes later), or with an error if the append failed
  // (Errc::unavailable). wait == 0 → done(nullopt) right after the append is
  // durable (or the outcome, if it arrived even earlier). `wait` never elapses
  // before the append is durable: nullopt always means "appended, undecided".
  // After close(), `done` gets Errc::unavailable at once, on the caller's thread.
  // `done` runs without any lock of the bus held: it may call submit().
  void submit(domain::CommandRecord record, std::chrono::milliseconds wait, Done done);

  // An outcome decided in this process, durable on pagewright.results: it
  // answers its waiters exactly as the same result read from the log would.
  void deliver(const domain::CommandOutcome& outcome);

  // For GET /v1/commands/{id}: what this bus knows of a command of `tenant`
  // (another tenant's → nullopt). pending: submitted through this bus, no result
  // seen yet. decided: its result was seen by this bus (of any gateway's
  // command). nullopt: unknown here (decided before this bus started, evicted
  // from the LRU, or submitted through another gateway and not decided yet).
  struct Status {
    CommandState state;
    std::optional<domain::CommandOutcome> outcome;
  };
  std::optional<Status> status(const std::string& command_id, const TenantId& tenant) const;

  // Appends what is queued, stops the threads; waiters still undecided get
  // done(nullopt) (on the calling thread). Idempotent. Called from inside a
  // done callback it only refuses new submissions; the destructor finishes.
  void close();

  CommandBusStats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    std::string key;          // tenant + '\n' + command id
    std::string fingerprint;  // command_fingerprint: a reuse of the id with another
                              // body is answered by its own (DUPLICATE) result
    Done done;
    Clock::time_point deadline;
    bool timed = false;    // appended or offered: `timer` is valid
    bool offered = false;  // in the hand-off, not (yet) taken back
    int32_t partition = 0;  // of pagewright.commands, when there is a hand-off
    std::multimap<Clock::time_point, uint64_t>::iterator timer;
  };
  struct Queued {
    uint64_t token;
    log::OutRecord record;
  };
  // The writer locks of a batch's partitions (hand-off only), taken in order.
  std::vector<std::unique_lock<std::mutex>> lock_writers(const log::Batch& batch);
  // An offer whose wait elapsed: appended here if no processor took it (under mu_).
  void withdraw_locked(uint64_t token, Waiter& w, Clock::time_point now);
  struct Remembered {
    std::string key;
    CommandState state = CommandState::pending;
    std::optional<domain::CommandOutcome> outcome;
  };
  using Completion = std::pair<Done, Result<std::optional<domain::CommandOutcome>>>;

  CommandBus(log::EventLog& log, CommandBusConfig config);

  Result<void> attach_results();
  void handle_results(std::vector<log::Record>& records);
  // Remembers the outcome and moves its waiters' callbacks to `completions`.
  void settle(const domain::CommandOutcome& outcome, std::vector<Completion>& completions);
  // A result no processor could have written: it answers no one, but is
  // logged and counted rather than passed over in silence.
  void report_malformed(const log::Record& rec, const Error& why);
  void appender_loop();
  void tailer_loop();
  void timer_loop();  // instead of the tailer when results are delivered
  // Removes the waiter (under mu_); the caller runs its done later, unlocked.
  Done take_locked(uint64_t token);
  void expire_due();
  void remember(const std::string& key, CommandState state, const domain::CommandOutcome* outcome);
  void forget_pending(const std::string& key);
  static void run(std::vector<Completion>& completions);

  log::EventLog& log_;
  CommandBusConfig config_;

  // Results tailer: touched only by start() and then the tailer thread.
  std::unique_ptr<log::Consumer> consumer_;
  std::map<log::TopicPartition, int64_t> next_;  // next result offset per partition
  size_t partitions_ = 0;
  bool positioned_ = false;
  std::optional<Error> attach_error_;

  // Waiters, queue, timers.
  mutable std::mutex mu_;
  std::condition_variable queued_cv_;
  std::deque<Queued> queue_;
  std::unordered_map<uint64_t, Waiter> waiters_;
  std::unordered_multimap<std::string, uint64_t> by_key_;
  std::multimap<Clock::time_point, uint64_t> timers_;
  uint64_t next_token_ = 0;
  bool stopping_ = false;   // appender: drain the queue and exit
  bool closed_ = false;     // submit refuses

  // Remembered statuses (LRU, most recent first).
  mutable std::mutex lru_mu_;
  std::list<Remembered> lru_;
  std::unordered_map<std::string, std::list<Remembered>::iterator> lru_index_;

  std::atomic<bool> tailer_stop_{false};
  std::condition_variable tailer_stop_cv_;  // wakes timer_loop (with mu_)
  std::mutex close_mu_;
  bool threads_joined_ = false;
  std::thread appender_;
  std::thread tailer_;
  std::thread::id appender_id_, tailer_id_;

  std::atomic<int64_t> batches_{0}, records_{0}, results_{0}, timeouts_{0}, failures_{0}, tail_errors_{0},
      malformed_results_{0}, handed_over_{0}, withdrawn_{0};
};

// Hands the outcomes of this process's processors to its command bus, which
// starts after them and closes before them: until attach() and after detach()
// an outcome answers no one (nobody can be waiting for it through this bus).
class OutcomeRelay {
 public:
  void attach(CommandBus* bus) {
    std::lock_guard lk(mu_);
    bus_ = bus;
  }
  void detach() { attach(nullptr); }
  void deliver(const domain::CommandOutcome& outcome) {
    std::lock_guard lk(mu_);
    if (bus_) bus_->deliver(outcome);
  }

 private:
  std::mutex mu_;
  CommandBus* bus_ = nullptr;
};

}  // namespace pw::gateway
