// `pagewright rebuild`: projects the event log into the read models of --pg
// until they hold everything the log held when it started, then exits. On an
// empty database this is a rebuild from scratch (an auditor's or operator's
// replay of the whole history); on a live one it only catches up. It uses a
// consumer group of its own, so it never takes partitions from running workers.
// A record it cannot apply is set aside as the projection pool does (a dead
// letter with pool "rebuild") and counted in its closing line.
//
// With --shadow it builds a new read model beside the live one and switches
// to it (projections/shadow.hpp): queries and the live projection go on
// throughout.
#include <chrono>
#include <iostream>

#include "events/dead_letter.hpp"
#include "events/ids.hpp"
#include "events/log.hpp"
#include "events/logging.hpp"
#include "ops/cli/cli.hpp"
#include "ops/cli/signals.hpp"
#include "projections/lag.hpp"
#include "projections/pg.hpp"
#include "projections/projector.hpp"
#include "projections/shadow.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

struct RebuildOptions {
  std::string log_uri;
  std::string pg;
  // Records per transaction: larger than the projection pool's 512, since a
  // page the batch touches is written once per batch (docs/BENCHMARKS.md,
  // "Projector profile").
  size_t batch = 4096;
  bool shadow = false;
  bool drop_old = false;
  // How long the switch may hold the live projection back while the shadow
  // takes its last records (reads waiting for a position wait as long; their
  // bound is 5 s).
  int64_t switch_timeout_ms = 2000;
  std::chrono::milliseconds switch_timeout() const { return std::chrono::milliseconds(switch_timeout_ms); }
  int switch_attempts = 5;
};

// Everything up to the ends seen at start is stored. end_offset skips Kafka's
// transaction markers; the idle allowance covers a record the projector saw
// but could not use (an aborted one on a broker that shows them).
bool caught_up(const std::vector<projections::PartitionLag>& now, const std::vector<projections::PartitionLag>& at_start,
               bool idle) {
  for (size_t i = 0; i < now.size() && i < at_start.size(); ++i) {
    const int64_t target = at_start[i].end;
    if (now[i].stored >= target || (idle && now[i].stored >= target - 1)) continue;
    return false;
  }
  return true;
}

int run_rebuild(const RebuildOptions& o) {
  block_stop_signals();
  StopFlag stop;
  auto fail = [](const char* what, const Error& e) {
    logging::error(what, {{"error", e.message}});
    return 1;
  };
  if (auto m = projections::migrate(o.pg); !m.ok()) return fail("migrations", m.error());
  auto log = log::open_log(o.log_uri);
  if (!log.ok()) return fail("event log", log.error());
  auto probe = projections::LagProbe::connect(o.pg);
  if (!probe.ok()) return fail("postgres", probe.error());
  auto at_start = (*probe)->measure(**log);
  if (!at_start.ok()) return fail("event log", at_start.error());
  projections::ProjectorConfig config;
  config.group = "pagewright.rebuild." + uuid_v4();
  config.max_batch = o.batch;
  config.pool = "rebuild";
  auto projector = projections::Projector::create(**log, o.pg, config);
  if (!projector.ok()) return fail("projector", projector.error());

  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  auto last_check = started;
  while (!stop.raised()) {
    auto applied = (*projector)->run_once(100ms);
    if (!applied.ok()) return fail("projector", applied.error());
    const auto now = std::chrono::steady_clock::now();
    if (*applied > 0) last_progress = now;
    // A batch smaller than the poll allows drained what was there: look now
    // rather than wait out another poll on an empty log.
    const bool full = *applied >= o.batch;
    if (now - last_check < 100ms && full) continue;
    last_check = now;
    auto lag = (*probe)->measure(**log);
    if (!lag.ok()) return fail("lag", lag.error());
    if (caught_up(*lag, *at_start, now - last_progress > 2s)) break;
  }
  (*projector)->close();
  if (stop.raised()) {
    logging::warn("interrupted; what was stored is consistent, run again to continue");
    return 130;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto& stats = (*projector)->stats();
  std::cout << "rebuilt: " << stats.events << " events applied, " << stats.skipped << " skipped, "
            << stats.dead_letters << " set aside in " << log::kDeadLetterTopic << ", in " << seconds
            << " s (" << static_cast<int64_t>(static_cast<double>(stats.events) / std::max(seconds, 1e-9))
            << " events/s)" << std::endl;
  return 0;
}

// The shadow's projector and the log it reads. A local: log is opened
// read-only, since serve may own it; such a log shows what was durable when
// it was opened, so reopen() opens it again to see what came since.
class ShadowFeed {
 public:
  ShadowFeed(const RebuildOptions& o, std::string conninfo) : o_(o), conninfo_(std::move(conninfo)) {}
  ~ShadowFeed() { close(); }

  bool local() const { return o_.log_uri.rfind("local:", 0) == 0; }

  Result<void> reopen() {
    if (auto opened = open_log(); !opened.ok()) return opened;
    return start_projector();
  }

  Result<void> open_log() {
    close();
    auto log = local() ? log::open_log(o_.log_uri, {{"read_only", "true"}}) : log::open_log(o_.log_uri);
    if (!log.ok()) return log.error();
    log_ = std::move(log).value();
    return {};
  }

  Result<void> start_projector() {
    projections::ProjectorConfig config;
    config.group = "pagewright.rebuild." + uuid_v4();
    config.max_batch = o_.batch;
    config.pool = "rebuild";
    // The switch holds that lock while it waits for this projector.
    config.hold_off_switch = false;
    auto projector = projections::Projector::create(*log_, conninfo_, config);
    if (!projector.ok()) return projector.error();
    projector_ = std::move(projector).value();
    return {};
  }

  // Ensures the log shows at least `targets` (reopening a local one).
  Result<void> reaching(const projections::StoredOffsets& targets) {
    if (!local() && log_) return {};
    if (log_) {
      bool shows = true;
      for (const auto& [p, offset] : targets) {
        auto end = log_->end_offset({std::string(log::kEventsTopic), p});
        if (!end.ok() || *end < offset) shows = false;
      }
      if (shows) return {};
    }
    return reopen();
  }

  Result<size_t> run_once(std::chrono::milliseconds timeout) {
    auto applied = projector_->run_once(timeout);
    if (applied.ok()) applied_ += *applied;
    return applied;
  }

  log::EventLog& log() { return *log_; }
  int64_t applied() const { return applied_; }
  int64_t set_aside() const { return set_aside_ + (projector_ ? projector_->stats().dead_letters : 0); }

  void close() {
    if (projector_) {
      set_aside_ += projector_->stats().dead_letters;
      projector_->close();
      projector_.reset();
    }
    log_.reset();
  }

 private:
  const RebuildOptions& o_;
  std::string conninfo_;
  std::unique_ptr<log::EventLog> log_;
  std::unique_ptr<projections::Projector> projector_;
  int64_t applied_ = 0;
  int64_t set_aside_ = 0;
};

// Projects into the shadow until it holds what the log held at the start of
// the call. Returns false if stopped.
Result<bool> catch_up(ShadowFeed& feed, projections::LagProbe& probe, const StopFlag& stop) {
  if (feed.local()) {
    if (auto r = feed.reopen(); !r.ok()) return r.error();
  }
  auto at_start = probe.measure(feed.log());
  if (!at_start.ok()) return at_start.error();
  auto last_progress = std::chrono::steady_clock::now();
  while (!stop.raised()) {
    auto applied = feed.run_once(100ms);
    if (!applied.ok()) return applied.error();
    const auto now = std::chrono::steady_clock::now();
    if (*applied > 0) last_progress = now;
    auto lag = probe.measure(feed.log());
    if (!lag.ok()) return lag.error();
    if (caught_up(*lag, *at_start, now - last_progress > 2s)) return true;
  }
  return false;
}

enum class SwitchOutcome { switched, too_slow, stopped };

// Holds the live projection back (the switch lock), lets the shadow take the
// records the live one stored beyond it, and switches; gives up (rolling
// back, the live projection going on) after the switch timeout.
Result<SwitchOutcome> try_switch(const RebuildOptions& o, projections::ShadowBuild& build, ShadowFeed& feed,
                                 const StopFlag& stop, std::string& old_schema, double& held_ms) {
  // From the request on: once it waits for the lock, new batches wait behind it.
  const auto locked = std::chrono::steady_clock::now();
  auto live = build.lock_live();
  if (!live.ok()) return live.error();
  const auto deadline = locked + o.switch_timeout();
  if (auto r = feed.reaching(*live); !r.ok()) {
    build.abort_switch();
    return r.error();
  }
  for (;;) {
    auto shadow = build.shadow_offsets();
    if (!shadow.ok()) return shadow.error();
    if (projections::holds_all(*shadow, *live)) {
      auto old = build.commit_switch(*live, o.drop_old);
      if (!old.ok()) return old.error();
      old_schema = *old;
      held_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - locked).count();
      return SwitchOutcome::switched;
    }
    if (stop.raised()) {
      build.abort_switch();
      return SwitchOutcome::stopped;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      build.abort_switch();
      return SwitchOutcome::too_slow;
    }
    if (auto applied = feed.run_once(50ms); !applied.ok()) {
      build.abort_switch();
      return applied.error();
    }
  }
}

int run_shadow_rebuild(const RebuildOptions& o) {
  block_stop_signals();
  StopFlag stop;
  auto fail = [](const char* what, const Error& e) {
    logging::error(std::string("shadow: ") + what, {{"error", e.message}});
    return e.code == Errc::validation_error || e.code == Errc::forbidden ? 2 : 1;
  };
  // Everything is checked before the shadow is made.
  auto build = projections::ShadowBuild::open(o.pg);
  if (!build.ok()) return fail("postgres", build.error());
  ShadowFeed feed(o, (*build)->shadow_conninfo());
  if (auto r = feed.open_log(); !r.ok()) return fail("event log", r.error());
  if (auto r = (*build)->prepare(); !r.ok()) return fail("postgres", r.error());
  auto probe = projections::LagProbe::connect((*build)->shadow_conninfo());
  if (!probe.ok()) return fail("postgres", probe.error());
  if (auto r = feed.start_projector(); !r.ok()) return fail("projector", r.error());

  const auto started = std::chrono::steady_clock::now();
  std::string old_schema;
  double held_ms = 0;
  bool switched = false;
  for (int attempt = 0; attempt < o.switch_attempts && !switched && !stop.raised(); ++attempt) {
    // Close in on the live log first, so the switch holds the live
    // projection back for a few batches only: rounds until one is quick.
    for (int round = 0; round < 20 && !stop.raised(); ++round) {
      const auto round_started = std::chrono::steady_clock::now();
      auto done = catch_up(feed, **probe, stop);
      if (!done.ok()) return fail("projecting the shadow", done.error());
      if (std::chrono::steady_clock::now() - round_started < o.switch_timeout() / 2) break;
    }
    if (stop.raised()) break;
    auto outcome = try_switch(o, **build, feed, stop, old_schema, held_ms);
    if (!outcome.ok()) return fail("switching", outcome.error());
    switched = *outcome == SwitchOutcome::switched;
    if (*outcome == SwitchOutcome::too_slow)
      logging::warn("shadow: the shadow did not catch up within --switch-timeout-ms; trying again");
  }
  feed.close();
  if (!switched) {
    if (stop.raised()) {
      logging::warn("shadow: interrupted; the live read model is untouched and the shadow is kept: run again to continue",
                    {{"shadow_schema", projections::kShadowSchema}});
      return 130;
    }
    logging::error("shadow: the shadow could not catch up with the live projection; the live read model is untouched",
                   {{"attempts", o.switch_attempts}});
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "rebuilt: " << feed.applied() << " events applied, " << feed.set_aside() << " set aside in "
            << log::kDeadLetterTopic << ", in " << seconds << " s; switched to the new read model (the live "
            << "projection held back " << static_cast<int64_t>(held_ms) << " ms); the old one "
            << (o.drop_old ? "was dropped (" + old_schema + ")" : "is kept as schema " + old_schema) << std::endl;
  return 0;
}

}  // namespace

Runner add_rebuild(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "rebuild",
      "Project the event log into the read models of --pg until they hold everything it holds now. "
      "With --shadow, build a new read model beside the live one while queries and the live projection "
      "go on, then switch to it atomically once it holds every position the live one holds");
  auto o = std::make_shared<RebuildOptions>();
  cmd->add_option("--log", o->log_uri,
                  "event log: kafka:<bootstrap> or local:<dir> (without --shadow, not in use by serve; "
                  "with it, serve's <data>/log, opened read-only)")
      ->envname("PW_LOG")
      ->required();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo of the read models' owner")->envname("PW_PG")->required();
  cmd->add_option("--batch", o->batch, "records per transaction")
      ->envname("PW_BATCH")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_flag("--shadow", o->shadow,
                "build into the schema pagewright_shadow (an interrupted run's is continued), then rename "
                "public to pagewright_old_<UTC time> and the shadow to public in one transaction");
  cmd->add_flag("--drop-old", o->drop_old, "with --shadow: drop the old schema after the switch instead of keeping it");
  cmd->add_option("--switch-timeout-ms", o->switch_timeout_ms,
                  "with --shadow: longest the switch holds the live projection back (then it tries again)")
      ->check(CLI::Range(int64_t{100}, int64_t{60000}))
      ->capture_default_str();
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    if (o->drop_old && !o->shadow) return logging::error("--drop-old goes with --shadow"), 2;
    return o->shadow ? run_shadow_rebuild(*o) : run_rebuild(*o);
  };
}

}  // namespace pw::cli
