// `pagewright rebuild`: projects the event log into the read models of --pg
// until they hold everything the log held when it started, then exits. On an
// empty database this is a rebuild from scratch (an auditor's or operator's
// replay of the whole history); on a live one it only catches up. It uses a
// consumer group of its own, so it never takes partitions from running workers.
// A record it cannot apply is set aside as the projection pool does (a dead
// letter with pool "rebuild") and counted in its closing line.
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

}  // namespace

Runner add_rebuild(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "rebuild", "Project the event log into the read models of --pg until they hold everything it holds now");
  auto o = std::make_shared<RebuildOptions>();
  cmd->add_option("--log", o->log_uri, "event log: kafka:<bootstrap> or local:<dir> (not in use by serve)")
      ->envname("PW_LOG")
      ->required();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo of the read models' owner")->envname("PW_PG")->required();
  cmd->add_option("--batch", o->batch, "records per transaction")
      ->envname("PW_BATCH")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    return run_rebuild(*o);
  };
}

}  // namespace pw::cli
