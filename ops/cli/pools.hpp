#pragma once
// The worker pools a process runs (`worker --pool …`, and all of them inside
// `serve`): threads that each own one command processor or projector and run
// it until `stop` is raised, then leave their group cleanly.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands/command_record.hpp"
#include "commands/hand_off.hpp"
#include "commands/schemas.hpp"
#include "events/log.hpp"
#include "events/projected_positions.hpp"
#include "events/recent_pages.hpp"
#include "gateway/metrics.hpp"

namespace pw::cli {

struct PoolThreads {
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};  // workers that could not start
  void join() {
    for (auto& t : threads) t.join();
    threads.clear();
  }
};

// Called when a worker cannot start (e.g. to stop the whole process).
using OnWorkerFailure = std::function<void()>;

// `count` command processors; each keeps its snapshots under data/processor-<pid>-<i>.
// They decide with `schemas`, loaded once when the process started.
// `on_decided` (optional) gets every durable outcome, on the processor's thread.
void start_command_pool(log::EventLog& log, const std::filesystem::path& data, int count,
                        std::shared_ptr<const domain::Schemas> schemas, const std::atomic<bool>& stop,
                        gateway::Metrics* metrics, PoolThreads& out, OnWorkerFailure on_failure,
                        std::function<void(const domain::CommandOutcome&)> on_decided = {},
                        domain::HandOff* hand_off = nullptr);
// The component and design-token schemas (Schemas::default_dir()); nullptr
// after telling stderr why they could not be loaded.
std::shared_ptr<const domain::Schemas> load_schemas(const char* role);
// `count` projectors writing the read models through `pg` (the tables' owner).
// `positions` (optional) is told of every commit.
void start_projection_pool(log::EventLog& log, const std::string& pg, int count, const std::atomic<bool>& stop,
                           gateway::Metrics* metrics, PoolThreads& out, OnWorkerFailure on_failure,
                           log::ProjectedPositions* positions = nullptr,
                           log::RecentPages* recent_pages = nullptr);

struct BuildPoolOptions {
  std::filesystem::path sites_dir;   // the deploy store
  std::string base_url;              // canonical URL base unless a site sets baseUrl ("{subdomain}")
  std::string public_url;            // where deploys are served ("{site}")
  unsigned render_threads = 2;       // per build
};
// Registers --site-base-url, --public-url, --render-threads (not --sites).
void add_build_options(CLI::App& cmd, BuildPoolOptions& o);
// `count` build workers (render and ship published sites).
void start_build_pool(log::EventLog& log, const BuildPoolOptions& options, int count,
                      const std::atomic<bool>& stop, gateway::Metrics* metrics, PoolThreads& out,
                      OnWorkerFailure on_failure);

// Creates the standard topics if missing (partitions: log::kDefaultPartitions;
// pagewright.deadletter: as many as pagewright.events has).
Result<void> create_standard_topics(log::EventLog& log);

}  // namespace pw::cli
