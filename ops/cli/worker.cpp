// `pagewright worker --pool commands|projections`: one pool's workers in this
// process, any number of processes per pool (Kafka consumer groups share the
// partitions). SIGTERM/SIGINT drain: the batch in flight commits, then every
// worker leaves its group cleanly.
#include <pthread.h>
#include <signal.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "events/log.hpp"
#include "ops/cli/cli.hpp"
#include "projections/pg.hpp"
#include "projections/projector.hpp"
#include "workers/command_processor.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;

struct WorkerOptions {
  std::string pool;
  std::string log_uri;
  std::string pg;
  std::string data = "var/worker";
  int threads = 1;
};

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// Blocks the stop signals before any library starts a thread (librdkafka and
// RocksDB do on open), so that none of those threads can be the one to take
// SIGTERM and die of it.
void block_stop_signals() {
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

// A thread that raises `stop` when a stop signal arrives.
std::thread watch_stop_signals(std::atomic<bool>& stop) {
  const sigset_t signals = stop_signals();
  return std::thread([signals, &stop] {
    int sig = 0;
    sigwait(&signals, &sig);
    stop = true;
  });
}

template <class Worker>
void run_loop(Worker& worker, const std::atomic<bool>& stop, const char* what) {
  while (!stop) {
    auto r = worker.run_once(200ms);
    if (!r.ok()) std::cerr << what << ": " << r.error().message << "\n";
  }
  worker.close();
}

int run_worker(const WorkerOptions& o) {
  block_stop_signals();
  auto log = log::open_log(o.log_uri);
  if (!log.ok()) {
    std::cerr << "worker: " << log.error().message << "\n";
    return 1;
  }
  auto topics = (*log)->create_topics({{std::string(log::kCommandsTopic), log::kDefaultPartitions},
                                       {std::string(log::kEventsTopic), log::kDefaultPartitions},
                                       {std::string(log::kResultsTopic), log::kDefaultPartitions}});
  if (!topics.ok()) {
    std::cerr << "worker: " << topics.error().message << "\n";
    return 1;
  }
  if (o.pool == "projections") {
    auto migrated = projections::migrate(o.pg);
    if (!migrated.ok()) {
      std::cerr << "worker: " << migrated.error().message << "\n";
      return 1;
    }
  }

  std::atomic<bool> stop{false};
  std::thread watcher = watch_stop_signals(stop);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int i = 0; i < o.threads; ++i) {
    threads.emplace_back([&, i] {
      // Runs a created worker until stopped; a worker that cannot start stops
      // the others too.
      auto serve = [&](auto created, const char* what) {
        if (!created.ok()) {
          std::cerr << "worker: " << created.error().message << "\n";
          ++failed;
          ::kill(::getpid(), SIGTERM);
          return;
        }
        run_loop(**created, stop, what);
      };
      if (o.pool == "commands") {
        workers::ProcessorConfig config;
        // Each processor keeps its own snapshots: they are a cache of the log.
        config.snapshot_dir = std::filesystem::path(o.data) / ("processor-" + std::to_string(::getpid()) + "-" +
                                                               std::to_string(i));
        serve(workers::CommandProcessor::create(**log, config), "command processor");
      } else {
        serve(projections::Projector::create(**log, o.pg, {}), "projector");
      }
    });
  }
  std::cerr << "pagewright worker: pool " << o.pool << ", " << o.threads << " thread(s) on " << o.log_uri << "\n";
  for (auto& t : threads) t.join();
  watcher.join();
  return failed > 0 ? 1 : 0;
}

}  // namespace

Runner add_worker(CLI::App& app) {
  auto* cmd = app.add_subcommand("worker", "Run one worker pool (commands or projections) against the event log");
  auto o = std::make_shared<WorkerOptions>();
  cmd->add_option("--pool", o->pool, "commands | projections")
      ->envname("PW_POOL")
      ->required()
      ->check(CLI::IsMember({"commands", "projections"}));
  cmd->add_option("--log", o->log_uri, "event log: kafka:<bootstrap> or local:<dir>")->envname("PW_LOG")->required();
  cmd->add_option("--pg", o->pg, "PostgreSQL conninfo (projections pool)")->envname("PW_PG");
  cmd->add_option("--data", o->data, "directory for local state (processor snapshots)")
      ->envname("PW_DATA")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "workers in this process")
      ->envname("PW_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  return [cmd, o]() -> int {
    if (!*cmd) return -1;
    if (o->pool == "projections" && o->pg.empty()) {
      std::cerr << "worker: --pg (or PW_PG) is required for the projections pool\n";
      return 2;
    }
    return run_worker(*o);
  };
}

}  // namespace pw::cli
