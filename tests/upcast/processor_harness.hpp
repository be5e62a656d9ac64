#pragma once
// A fresh local log with one partition per topic and a command processor over
// it, for the fixture tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "events/log.hpp"
#include "tests/support/command_stream.hpp"
#include "tests/support/schemas.hpp"
#include "tests/upcast/fixture_log.hpp"
#include "workers/command_processor.hpp"
#include "workers/snapshot_store.hpp"

namespace pw::test::upcast {

class LocalLog {
 public:
  LocalLog() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("pw-upcast-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    auto opened = log::open_log("local:" + (dir_ / "log").string(), {{"fsync", "false"}});
    if (!opened.ok()) throw std::runtime_error(opened.error().message);
    log_ = std::move(opened).value();
    if (auto t = create_pagewright_topics(*log_, 1); !t.ok()) throw std::runtime_error(t.error().message);
  }
  ~LocalLog() {
    log_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  log::EventLog& log() { return *log_; }
  std::filesystem::path snapshots(const std::string& name) const { return dir_ / ("snapshots-" + name); }

  // Runs a processor (snapshots in `name`) until it has recovered and the
  // results topic holds `results` records, then closes it (which snapshots
  // every site it holds). Returns its stats.
  workers::ProcessorStats run_processor(const std::string& name, int64_t results) {
    using namespace std::chrono_literals;
    workers::ProcessorConfig config;
    config.snapshot_dir = snapshots(name);
    config.schemas = test_schemas();
    auto processor = workers::CommandProcessor::create(*log_, config);
    EXPECT_TRUE(processor.ok()) << processor.error().message;
    if (!processor.ok()) return {};
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      auto r = (*processor)->run_once(20ms);
      EXPECT_TRUE(r.ok()) << r.error().message;
      if ((*processor)->stats().recoveries > 0 &&
          *log_->end_offset({std::string(log::kResultsTopic), 0}) >= results)
        break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the processor did not finish";
        break;
      }
    }
    (*processor)->close();
    return (*processor)->stats();
  }

  // The snapshot a processor named `name` left of a site: {state, headHash, window}.
  nlohmann::json snapshot(const std::string& name, const std::string& site_id) const {
    auto store = workers::SnapshotStore::open(snapshots(name));
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store.ok()) return nullptr;
    auto stored = (*store)->site(0, site_id);
    EXPECT_TRUE(stored.ok() && stored->has_value()) << "no snapshot of " << site_id;
    if (!stored.ok() || !stored->has_value()) return nullptr;
    return nlohmann::json::parse(**stored);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<log::EventLog> log_;
};

}  // namespace pw::test::upcast
