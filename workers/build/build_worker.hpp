#pragma once
// The build pool's worker (`pagewright worker --pool builds`, and a role of
// `serve`). It is a consumer of pagewright.events in its own group: it folds
// every event of the sites in its partitions into their state (with each
// page as it was last published), so when it reads a DeploymentRequested its
// state is exactly the site at that request's position — never older, never
// newer. It then builds and ships (SiteBuilder) and reports back through
// pagewright.commands (StartDeployment, then CompleteDeployment or
// FailDeployment), whose command ids derive from the deployment id: a build
// redone after a crash reports the same commands, which the processor
// recognises as repeats. The group offset moves past a request only after its
// report is appended, so a crash anywhere before that makes the next owner of
// the partition build it again (deploys are content-addressed; redoing costs
// only time).
//
// It also carries out DeploymentRolledBack (re-point live, no rendering) and
// DeploymentsPruned (delete those deploys' files), builds draft previews
// (PreviewRequested → the drafts shipped as a deploy no live pointer names,
// reported by CompletePreview or FailPreview), and every
// preview_sweep_interval deletes the previews that have expired.
//
// A record that does not fold (undecodable, unknown type, invalid, not the
// next seq of its site) is appended to pagewright.deadletter before the group
// offset passes it, and the worker goes on; the site's state does not move,
// so its later events are set aside too (the site is quarantined). One whose
// action throws is set aside as well, after its request is reported failed.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "commands/commands.hpp"
#include "commands/state.hpp"
#include "events/envelope.hpp"
#include "events/log.hpp"
#include "workers/build/site_builder.hpp"

namespace pw::builds {

struct BuildWorkerConfig {
  std::string group = "pagewright.builds";
  std::filesystem::path sites_dir;  // the deploy store's root (required)
  // Absolute base of a site's canonical URLs, unless its settings.baseUrl is
  // an http(s) URL; "{subdomain}" is replaced.
  std::string base_url = "http://{subdomain}.localhost";
  // Where the gateway's static host serves a deploy (the deployment's url).
  std::string public_url = "/sites/{site}/";
  std::string worker_name = "builder";
  unsigned render_threads = 2;
  size_t max_batch = 256;
  // How long the group offset may trail the events folded without acting
  // (every action is committed at once; the rest is refolded anyway).
  std::chrono::milliseconds commit_interval{1000};
  // Unreferenced blobs are collected after a prune, at most this often, and
  // only once older than blob_min_age (a concurrent build may be about to use them).
  std::chrono::seconds gc_interval{3600};
  std::chrono::seconds blob_min_age{3600};
  // Called after each build's report (for metrics): success, seconds taken.
  std::function<void(bool, double)> on_build;
  // What time it is for previews' expiry (tests move it).
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
  std::chrono::seconds preview_sweep_interval{60};
  // Tests only: called after a build has shipped and before its report is
  // appended; returning true makes the worker stop there as if it crashed.
  std::function<bool()> crash_before_report;
};

struct BuildWorkerStats {
  int64_t events = 0;
  int64_t builds = 0;
  int64_t failures = 0;
  int64_t rollbacks = 0;
  int64_t pruned = 0;
  int64_t blobs_collected = 0;
  int64_t spare_trees = 0;  // trees copied after a deployment for the site's next one to patch
  int64_t dead_letters = 0;  // records set aside in pagewright.deadletter
  int64_t replay_skipped = 0;  // records a replay passed over: set aside before the commit passed them
  int64_t previews = 0;             // draft previews built
  int64_t preview_failures = 0;     // draft previews reported failed
  int64_t previews_collected = 0;   // expired previews deleted
};

class BuildWorker {
 public:
  static Result<std::unique_ptr<BuildWorker>> create(log::EventLog& log, BuildWorkerConfig config);
  ~BuildWorker();

  // Polls once and handles what arrived, in order. Returns the events read.
  Result<size_t> run_once(std::chrono::milliseconds timeout);
  void close();
  const BuildWorkerStats& stats() const { return stats_; }
  std::vector<log::TopicPartition> assignment() const;

 private:
  struct SiteEntry {
    domain::SiteState state;
    std::map<PageId, render::PageInput> published;  // each page as last published
    int32_t partition = 0;
  };

  BuildWorker(log::EventLog& log, BuildWorkerConfig config, std::unique_ptr<ship::Shipper> store);
  void on_assigned(const std::vector<log::TopicPartition>& tps);
  void on_revoked(const std::vector<log::TopicPartition>& tps);
  Result<void> replay(int32_t partition);
  // Commits what is folded: always (`now`), or once commit_interval passed.
  Result<void> commit_folded(bool now);
  // Folds one event; returns the envelope and event for acting on.
  // Errc::unprocessable: the record does not fold (undecodable, unknown type,
  // invalid, not the next link of its site's stream) and the state is as it was.
  Result<void> fold(const log::Record& r, Envelope& env, domain::DomainEvent& event);
  static void forget_withdrawn(SiteEntry& site, const domain::DomainEvent& event);
  // Appends the record's dead letter (before the group offset passes it).
  Result<void> set_aside(const log::Record& r, const Error& why);
  // Logs and counts a record a replay passes over because it was set aside.
  void skipped_in_replay(const log::Record& r, const Error& why);
  Result<void> act(const Envelope& env, const domain::DomainEvent& event);
  // act(), where an exception (a bug in rendering or shipping) fails the
  // request it was acting on and sets the record aside instead of stalling
  // the partition (every owner would throw again).
  Result<void> act_or_set_aside(const log::Record& r, const Envelope& env, const domain::DomainEvent& event);
  Result<void> deploy(SiteEntry& site, const Envelope& env, const domain::DeploymentRequested& rq);
  Result<void> report(const Envelope& env, const std::string& what, domain::Command command);
  std::string site_url(const SiteEntry& site, const std::string& environment) const;
  // After a deployment is reported and committed, off its path: a free tree
  // for the site's next deploy to patch (ship::Trees::keep_spare_tree).
  void keep_spare_tree(const std::string& site_id);
  // Builds a PreviewRequested's drafts and reports the outcome.
  Result<void> preview(SiteEntry& site, const Envelope& env, const domain::PreviewRequested& rq);
  // The pages a preview shows, by slug: drafts (all, or the listed ones) and
  // the rest as last published.
  std::vector<render::PageInput> preview_pages(const SiteEntry& site, const domain::PreviewRequested& rq,
                                               const std::string& at) const;
  // Every preview_sweep_interval: deletes expired previews, then unreferenced blobs.
  void sweep_previews();

  log::EventLog& log_;
  BuildWorkerConfig config_;
  std::unique_ptr<ship::Shipper> store_;
  SiteBuilder builder_;
  // Previews have their own memo: their outputs never stand in for a
  // deployment's, and expired ones are collected.
  SiteBuilder preview_builder_;
  std::unique_ptr<log::Consumer> consumer_;
  // Folded, needing no action, not yet committed (commit_interval).
  log::Offsets uncommitted_;
  std::chrono::steady_clock::time_point committed_at_{};
  std::unordered_map<std::string, SiteEntry> sites_;
  std::set<int32_t> needs_replay_;
  // Deployments past the committed offset whose outcome is already in the log.
  std::unordered_map<std::string, int32_t> finished_;
  BuildWorkerStats stats_;
  std::chrono::steady_clock::time_point last_gc_{};
  std::chrono::steady_clock::time_point last_sweep_{};
};

// The deploy directory of a deployment: its id's part after the site id.
std::string deploy_dir_name(const DeploymentId& id);

}  // namespace pw::builds
