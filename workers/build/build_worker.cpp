#include "workers/build/build_worker.hpp"

#include <iostream>

#include "commands/deciders.hpp"
#include "commands/validation.hpp"
#include "events/dead_letter.hpp"
#include "events/envelope.hpp"
#include "events/logging.hpp"
#include "workers/careful_apply.hpp"
#include "commands/command_record.hpp"

namespace pw::builds {
namespace {
// The site's assets a deploy may ship (the renderer resolves asset: refs to them).
std::map<std::string, domain::AssetUploaded> live_assets(const domain::SiteState& s) {
  std::map<std::string, domain::AssetUploaded> out;
  for (const auto& [id, a] : s.assets)
    if (!a.deleted) out.emplace(id.value, a.asset);
  return out;
}
}  // namespace

namespace {

const std::string kEvents(log::kEventsTopic);
const std::string kCommands(log::kCommandsTopic);
// Namespace of the build pool's report command ids (a fixed UUID).
constexpr std::string_view kReportNamespace = "2b7c9d14-5e3f-4a86-b1c0-8d2e6f4a9b71";

std::string replace_all(std::string s, std::string_view from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
    s.replace(i, from.size(), to);
  return s;
}

bool is_http_url(const std::string& s) {
  return (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0) && s.size() <= 2048 &&
         s.find_first_of(" \t\r\n\"<>") == std::string::npos;
}

render::PageInput published_copy(const domain::PageState& p, const std::string& at) {
  render::PageInput in;
  in.pageId = p.id.value;
  in.slug = p.slug;
  in.title = p.title;
  in.description = p.description;
  in.seo = p.seo;
  in.content = p.content;
  in.version = p.version;
  in.publishedAt = at;
  return in;
}

std::string where(const log::Record& r) {
  return r.topic + "[" + std::to_string(r.partition) + "]@" + std::to_string(r.offset);
}

}  // namespace

std::string deploy_dir_name(const DeploymentId& id) {
  const auto dot = id.value.find('.');
  return dot == std::string::npos ? id.value : id.value.substr(dot + 1);
}

BuildWorker::BuildWorker(log::EventLog& log, BuildWorkerConfig config,
                         std::unique_ptr<ship::Shipper> store)
    : log_(log),
      config_(std::move(config)),
      store_(std::move(store)),
      builder_(*store_, config_.render_threads),
      preview_builder_(*store_, config_.render_threads) {}

BuildWorker::~BuildWorker() { close(); }

Result<std::unique_ptr<BuildWorker>> BuildWorker::create(log::EventLog& log, BuildWorkerConfig config) {
  if (config.sites_dir.empty()) return make_error(Errc::validation_error, "the sites directory is required");
  auto store = ship::Shipper::open(config.sites_dir);
  if (!store.ok()) return store.error();
  std::unique_ptr<BuildWorker> self(new BuildWorker(log, std::move(config), std::move(store).value()));
  auto* raw = self.get();
  log::RebalanceListener listener{
      [raw](const std::vector<log::TopicPartition>& tps) { raw->on_assigned(tps); },
      [raw](const std::vector<log::TopicPartition>& tps) { raw->on_revoked(tps); }};
  auto consumer = log.subscribe(self->config_.group, {kEvents}, std::move(listener));
  if (!consumer.ok()) return consumer.error();
  self->consumer_ = std::move(consumer).value();
  return self;
}

void BuildWorker::close() {
  if (consumer_) {
    (void)commit_folded(true);  // best effort: what is not committed is refolded
    consumer_->close();
    consumer_.reset();
  }
}

std::vector<log::TopicPartition> BuildWorker::assignment() const {
  return consumer_ ? consumer_->assignment() : std::vector<log::TopicPartition>{};
}

void BuildWorker::on_assigned(const std::vector<log::TopicPartition>& tps) {
  for (const auto& tp : tps)
    if (tp.topic == kEvents) needs_replay_.insert(tp.partition);
}

void BuildWorker::on_revoked(const std::vector<log::TopicPartition>& tps) {
  // Still ours inside on_revoked: the next owner starts after what was folded.
  (void)commit_folded(true);
  for (const auto& tp : tps) {
    needs_replay_.erase(tp.partition);
    std::erase_if(sites_, [&](const auto& kv) { return kv.second.partition == tp.partition; });
    std::erase_if(finished_, [&](const auto& kv) { return kv.second == tp.partition; });
  }
}

// Rebuilds the state of a gained partition: folds everything before the
// group's committed offset, and notes which deployments after it already have
// an outcome in the log (a previous owner built them but could not commit), so
// they are not built and switched live a second time.
Result<void> BuildWorker::replay(int32_t partition) {
  const log::TopicPartition tp{kEvents, partition};
  auto committed = log_.committed_offset(config_.group, tp);
  if (!committed.ok()) return committed.error();
  const int64_t from = committed->value_or(0);
  auto end = log_.end_offset(tp);
  if (!end.ok()) return end.error();
  std::erase_if(sites_, [&](const auto& kv) { return kv.second.partition == partition; });
  if (*end > 0) {
    auto reader = log_.reader(tp, 0);
    if (!reader.ok()) return reader.error();
    int64_t next = 0;
    while (next < *end) {
      auto batch = (*reader)->read(std::chrono::milliseconds(1000), 1024);
      if (!batch.ok()) return batch.error();
      if (batch->empty()) return make_error(Errc::unavailable, "builds: the log ended before its end offset");
      for (const auto& r : *batch) {
        next = r.offset + 1;
        if (r.offset >= *end) break;
        Envelope env;
        domain::DomainEvent event;
        if (r.offset < from) {
          // A record that does not fold was set aside before the commit
          // passed it: folding stays as it was then.
          if (auto folded = fold(r, env, event); !folded.ok()) skipped_in_replay(r, folded.error());
          continue;
        }
        // One that does not decode is set aside when it is polled again.
        auto decoded = decode(r.value);
        if (!decoded.ok()) continue;
        if (decoded->type == "DeploymentSucceeded" || decoded->type == "DeploymentFailed" ||
            decoded->type == "PreviewReady" || decoded->type == "PreviewFailed")
          finished_[decoded->aggregate.id] = partition;
      }
    }
  }
  if (auto s = consumer_->seek(tp, from); !s.ok()) return s.error();
  return {};
}

void BuildWorker::skipped_in_replay(const log::Record& r, const Error& why) {
  ++stats_.replay_skipped;
  logging::warn("replay passes over a record set aside before", {{"position", where(r)}, {"error", why.message}});
}

Result<void> BuildWorker::fold(const log::Record& r, Envelope& env, domain::DomainEvent& event) {
  ++stats_.events;
  auto decoded = decode(r.value);
  if (!decoded.ok()) return make_error(Errc::unprocessable, decoded.error().message);
  env = std::move(decoded).value();
  auto e = domain::event_from_json(env.type, env.schema_version, env.data);
  if (!e.ok()) return make_error(Errc::unprocessable, env.type + ": " + e.error().message);
  event = std::move(e).value();
  auto it = sites_.find(env.site_id);
  const domain::SiteState* known = it == sites_.end() ? nullptr : &it->second.state;
  const int64_t version = known ? known->version : 0;
  // Only the next link of a site's stream folds. A record set aside leaves
  // the version where it was, so the site's later events stop here too.
  if (env.seq != version + 1)
    return make_error(Errc::unprocessable, "seq gap: site " + env.site_id + " event seq " + std::to_string(env.seq) +
                                               " but the build state is at " + std::to_string(version));
  const bool creates = std::holds_alternative<domain::SiteCreated>(event);
  if (!creates && !(known && known->exists))
    return make_error(Errc::unprocessable, "event of unknown site " + env.site_id);
  if (known && known->exists && known->tenant.value != env.tenant_id)
    return make_error(Errc::unprocessable, "tenant differs from the site's");
  if (creates && std::get<domain::SiteCreated>(event).tenant.value != env.tenant_id)
    return make_error(Errc::unprocessable, "SiteCreated tenant differs from the envelope's");
  if (!known) it = sites_.try_emplace(env.site_id).first;
  SiteEntry& site = it->second;
  site.partition = r.partition;
  if (auto applied = workers::apply_or_keep(site.state, event); !applied.ok()) return applied.error();
  if (const auto* p = std::get_if<domain::PagePublished>(&event))
    if (const auto* page = domain::find_page(site.state, p->pageId))
      site.published[p->pageId] = published_copy(*page, env.occurred_at);
  forget_withdrawn(site, event);
  return {};
}

void BuildWorker::forget_withdrawn(SiteEntry& site, const domain::DomainEvent& event) {
  // A deleted or unpublished page leaves the next deploy: 404 on the live
  // site, and gone from the sitemap and the navigation (both are made from
  // the pages a deploy ships).
  if (const auto* d = std::get_if<domain::PageDeleted>(&event)) site.published.erase(d->pageId);
  if (const auto* u = std::get_if<domain::PageUnpublished>(&event)) site.published.erase(u->pageId);
}

Result<void> BuildWorker::set_aside(const log::Record& r, const Error& why) {
  auto appended = log::append_dead_letter(log_, log::dead_letter_for(r, "builds", config_.group, why.message));
  if (!appended.ok()) return appended.error();
  ++stats_.dead_letters;
  logging::error("set aside in " + std::string(log::kDeadLetterTopic), {{"position", where(r)}, {"error", why.message}});
  return {};
}

Result<void> BuildWorker::commit_folded(bool now) {
  if (uncommitted_.empty() || !consumer_) return {};
  const auto at = std::chrono::steady_clock::now();
  if (!now && at - committed_at_ < config_.commit_interval) return {};
  auto c = consumer_->commit(uncommitted_);
  uncommitted_.clear();  // a failed commit leaves them to be refolded
  committed_at_ = at;
  return c;
}

Result<size_t> BuildWorker::run_once(std::chrono::milliseconds timeout) {
  if (!consumer_) return make_error(Errc::unavailable, "build worker is closed");
  sweep_previews();
  auto polled = consumer_->poll(timeout, config_.max_batch);
  if (!polled.ok()) return polled.error();
  if (!needs_replay_.empty()) {
    std::set<int32_t> replayed;
    for (int32_t p : std::set<int32_t>(needs_replay_)) {
      if (auto r = replay(p); !r.ok()) return r.error();
      needs_replay_.erase(p);
      replayed.insert(p);
    }
    // What was polled for them may predate the seek; it is read again.
    std::erase_if(*polled, [&](const log::Record& r) { return replayed.contains(r.partition); });
  }
  log::Offsets& done = uncommitted_;
  for (const auto& r : *polled) {
    if (needs_replay_.contains(r.partition)) continue;  // an action failed: read again next time
    Envelope env;
    domain::DomainEvent event;
    if (auto f = fold(r, env, event); !f.ok()) {
      // Set aside before the group offset passes it (at least once).
      if (auto aside = set_aside(r, f.error()); !aside.ok()) {
        needs_replay_.insert(r.partition);
        (void)commit_folded(true);
        return aside.error();
      }
      done[{kEvents, r.partition}] = r.offset + 1;
      continue;
    }
    if (auto a = act_or_set_aside(r, env, event); !a.ok()) {
      // Not done: the partition is read again from the last commit.
      needs_replay_.insert(r.partition);
      (void)commit_folded(true);
      return a.error();
    }
    done[{kEvents, r.partition}] = r.offset + 1;
    // An action is committed at once: a restart must not act on it again.
    if (std::holds_alternative<domain::PreviewRequested>(event))
      if (auto c = commit_folded(true); !c.ok()) return c.error();
    if (std::holds_alternative<domain::DeploymentRequested>(event)) {
      if (auto c = commit_folded(true); !c.ok()) return c.error();
      keep_spare_tree(env.site_id);
    }
  }
  // Folding needs no commit (a new owner refolds the partition): committed
  // when idle or every commit_interval, not as one more durable write per batch.
  if (auto c = commit_folded(polled->empty()); !c.ok()) return c.error();
  return polled->size();
}

Result<void> BuildWorker::act_or_set_aside(const log::Record& r, const Envelope& env,
                                           const domain::DomainEvent& event) {
  std::string why;
  try {
    return act(env, event);
  } catch (const std::exception& e) {
    why = "builds: " + std::string(domain::event_type(event)) + " threw: " + e.what();
  }
  // Reported before the record is set aside, so a crash in between reports again (the same command id).
  if (const auto* rq = std::get_if<domain::DeploymentRequested>(&event)) {
    ++stats_.failures;
    if (auto f = report(env, "fail", domain::FailDeployment{domain::DeploymentFailed{rq->deploymentId, why, {}}});
        !f.ok())
      return f.error();
  } else if (const auto* pq = std::get_if<domain::PreviewRequested>(&event)) {
    ++stats_.preview_failures;
    if (auto f = report(env, "fail", domain::FailPreview{domain::PreviewFailed{pq->previewId, why, {}}}); !f.ok())
      return f.error();
  }
  return set_aside(r, make_error(Errc::unprocessable, why));
}

Result<void> BuildWorker::act(const Envelope& env, const domain::DomainEvent& event) {
  auto it = sites_.find(env.site_id);
  if (it == sites_.end()) return {};
  SiteEntry& site = it->second;
  if (const auto* rq = std::get_if<domain::DeploymentRequested>(&event)) {
    if (finished_.erase(rq->deploymentId.value)) return {};  // built before the crash
    return deploy(site, env, *rq);
  }
  if (const auto* rq = std::get_if<domain::PreviewRequested>(&event)) {
    if (finished_.erase(rq->previewId.value)) return {};  // built before the crash
    return preview(site, env, *rq);
  }
  if (const auto* rb = std::get_if<domain::DeploymentRolledBack>(&event)) {
    auto sw = store_->pointers().switch_live(site.state.subdomain, rb->environment, deploy_dir_name(rb->deploymentId));
    if (sw.ok()) sw = store_->sync();
    if (!sw.ok()) return sw.error();
    ++stats_.rollbacks;
    return {};
  }
  if (const auto* pr = std::get_if<domain::DeploymentsPruned>(&event)) {
    std::vector<std::string> dirs;
    for (const auto& id : pr->deploymentIds) dirs.push_back(deploy_dir_name(id));
    std::set<std::string> protect;
    for (const auto& [name, e] : site.state.environments) {
      if (!e.live.empty()) protect.insert(deploy_dir_name(e.live));
      if (!e.previous.empty()) protect.insert(deploy_dir_name(e.previous));
    }
    auto removed = store_->collector().prune(site.state.subdomain, dirs, 0, protect);
    if (!removed.ok()) return removed.error();
    stats_.pruned += static_cast<int64_t>(removed->size());
    const auto now = std::chrono::steady_clock::now();
    if (last_gc_ == std::chrono::steady_clock::time_point{} || now - last_gc_ >= config_.gc_interval) {
      last_gc_ = now;
      // Best effort: a blob left behind costs disk space, never correctness.
      if (auto collected = store_->collector().gc_blobs(config_.blob_min_age); collected.ok())
        stats_.blobs_collected += static_cast<int64_t>(*collected);
      else
        logging::warn("blob collection", {{"error", collected.error().message}});
    }
    return {};
  }
  return {};
}

void BuildWorker::keep_spare_tree(const std::string& site_id) {
  auto it = sites_.find(site_id);
  if (it == sites_.end() || it->second.state.subdomain.empty()) return;
  // Best effort: without a spare, the next deploy lays its tree down in full.
  if (auto made = store_->trees().keep_spare_tree(it->second.state.subdomain); !made.ok())
    logging::warn("spare tree", {{"subdomain", it->second.state.subdomain}, {"error", made.error().message}});
  else if (*made)
    ++stats_.spare_trees;
}

// Staging and preview deploys are served only at their unguessable preview url
// (BuildOutcome::preview_url); this is production's.
std::string BuildWorker::site_url(const SiteEntry& site, const std::string& environment) const {
  return environment == "production" ? replace_all(config_.public_url, "{site}", site.state.subdomain) : std::string();
}

Result<void> BuildWorker::deploy(SiteEntry& site, const Envelope& env, const domain::DeploymentRequested& rq) {
  const auto started = std::chrono::steady_clock::now();
  auto reported = [&](Result<void> r, bool ok) {
    if (r.ok() && config_.on_build)
      config_.on_build(ok, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return r;
  };
  if (auto r = report(env, "start", domain::StartDeployment{rq.deploymentId, config_.worker_name}); !r.ok())
    return r.error();

  const domain::SiteState& s = site.state;
  BuildRequest build;
  build.subdomain = s.subdomain;
  build.deploy = deploy_dir_name(rq.deploymentId);
  build.environment = rq.environment;
  build.blue_green = rq.strategy == "blue-green";
  build.site.siteId = s.id.value;
  build.site.name = s.name;
  build.site.subdomain = s.subdomain;
  build.site.seo = s.seo;
  build.site.settings = s.settings;
  build.site.designTokens = s.designTokens;
  build.site.assets = live_assets(s);
  const auto base = s.settings.find("baseUrl");
  build.site.baseUrl = base != s.settings.end() && base->is_string() && is_http_url(base->get<std::string>())
                           ? base->get<std::string>()
                           : replace_all(config_.base_url, "{subdomain}", s.subdomain);
  while (!build.site.baseUrl.empty() && build.site.baseUrl.back() == '/') build.site.baseUrl.pop_back();

  // Two published pages can claim one slug (one was renamed and another took
  // its old slug, both published since): the later publish wins.
  std::map<std::string, const render::PageInput*> by_slug;
  std::vector<std::string> notes;
  for (const auto& [id, page] : site.published) {
    auto [at, fresh] = by_slug.try_emplace(page.slug, &page);
    if (!fresh) {
      const render::PageInput* keep = page.publishedAt > at->second->publishedAt ? &page : at->second;
      const render::PageInput* drop = keep == &page ? at->second : &page;
      notes.push_back("page " + drop->pageId + " left out: " + keep->pageId + " was published at /" +
                      page.slug + " later");
      at->second = keep;
    }
  }
  for (const auto& [slug, page] : by_slug) build.pages.push_back(*page);

  BuildOutcome outcome = builder_.build(build);
  if (config_.crash_before_report && config_.crash_before_report())
    return make_error(Errc::unavailable, "builds: stopped before reporting (simulated crash)");
  notes.insert(notes.end(), outcome.log.begin(), outcome.log.end());
  if (!outcome.ok) {
    ++stats_.failures;
    return reported(
        report(env, "fail", domain::FailDeployment{domain::DeploymentFailed{rq.deploymentId, outcome.reason, notes}}),
        false);
  }
  ++stats_.builds;
  domain::DeploymentSucceeded done{rq.deploymentId, outcome.manifest_hash,
                                   outcome.preview_url.empty() ? site_url(site, rq.environment) : outcome.preview_url,
                                   outcome.report, notes};
  return reported(report(env, "complete", domain::CompleteDeployment{std::move(done)}), true);
}

std::vector<render::PageInput> BuildWorker::preview_pages(const SiteEntry& site,
                                                          const domain::PreviewRequested& rq,
                                                          const std::string& at) const {
  std::map<std::string, render::PageInput> by_slug;
  if (!rq.pageIds) {
    for (const auto& [id, page] : site.state.pages)
      if (page.status != domain::PageStatus::deleted) by_slug[page.slug] = published_copy(page, at);
  } else {
    const std::set<PageId> listed(rq.pageIds->begin(), rq.pageIds->end());
    // The rest as last published (of two claiming one slug, the later
    // publish), then the listed drafts, which take their slugs from them.
    for (const auto& [id, page] : site.published) {
      if (listed.contains(id)) continue;
      auto [it, fresh] = by_slug.try_emplace(page.slug, page);
      if (!fresh && page.publishedAt > it->second.publishedAt) it->second = page;
    }
    for (const auto& id : listed)
      if (const auto* page = domain::find_page(site.state, id); page && page->status != domain::PageStatus::deleted)
        by_slug[page->slug] = published_copy(*page, at);
  }
  std::vector<render::PageInput> pages;
  pages.reserve(by_slug.size());
  for (auto& [slug, page] : by_slug) pages.push_back(std::move(page));
  return pages;
}

Result<void> BuildWorker::preview(SiteEntry& site, const Envelope& env, const domain::PreviewRequested& rq) {
  auto fail = [&](const std::string& reason, std::vector<std::string> log) {
    ++stats_.preview_failures;
    domain::fit_report_log(log);
    return report(env, "fail",
                  domain::FailPreview{domain::PreviewFailed{
                      rq.previewId, domain::storable_text(reason.empty() ? "failed" : reason, domain::kMaxReportLine),
                      std::move(log)}});
  };
  const auto expires = parse_rfc3339(rq.expiresAt);
  if (!expires) return fail("the preview's expiresAt is not a time", {});
  // A preview read again after it expired (a replay) is not made again.
  if (*expires <= config_.clock()) return fail("the preview expired before it was built", {});
  const domain::SiteState& s = site.state;
  const auto dot = rq.previewId.value.find('.');
  BuildRequest build;
  build.subdomain = s.subdomain;
  build.deploy = store::DeployReader::draft_preview_dir(
      dot == std::string::npos ? rq.previewId.value : rq.previewId.value.substr(dot + 1),
      std::chrono::duration_cast<std::chrono::seconds>(expires->time_since_epoch()).count());
  // Its memo starts from production's live outputs: the pages whose drafts
  // are as published are reused, not rendered.
  build.environment = "production";
  build.draft_preview_id = rq.previewId.value;
  build.site.siteId = s.id.value;
  build.site.name = s.name;
  build.site.subdomain = s.subdomain;
  build.site.seo = s.seo;
  build.site.settings = s.settings;
  build.site.assets = live_assets(s);
  const auto base = s.settings.find("baseUrl");
  build.site.baseUrl = base != s.settings.end() && base->is_string() && is_http_url(base->get<std::string>())
                           ? base->get<std::string>()
                           : replace_all(config_.base_url, "{subdomain}", s.subdomain);
  while (!build.site.baseUrl.empty() && build.site.baseUrl.back() == '/') build.site.baseUrl.pop_back();
  build.pages = preview_pages(site, rq, env.occurred_at);

  BuildOutcome outcome = preview_builder_.build(build);
  if (!outcome.ok) return fail(outcome.reason, std::move(outcome.log));
  ++stats_.previews;
  return report(env, "ready", domain::CompletePreview{domain::PreviewReady{rq.previewId, outcome.manifest_hash}});
}

void BuildWorker::sweep_previews() {
  const auto now = std::chrono::steady_clock::now();
  if (last_sweep_ != std::chrono::steady_clock::time_point{} && now - last_sweep_ < config_.preview_sweep_interval)
    return;
  last_sweep_ = now;
  // Best effort, like blob collection: an expired preview is already
  // unreachable (the static host reads its expiry), so a late sweep costs disk only.
  auto removed = store_->collector().collect_expired_previews(config_.clock());
  if (!removed.ok()) {
    logging::warn("collecting expired previews", {{"error", removed.error().message}});
    return;
  }
  stats_.previews_collected += static_cast<int64_t>(*removed);
  if (*removed == 0) return;
  if (last_gc_ != std::chrono::steady_clock::time_point{} && now - last_gc_ < config_.gc_interval) return;
  last_gc_ = now;
  if (auto collected = store_->collector().gc_blobs(config_.blob_min_age); collected.ok())
    stats_.blobs_collected += static_cast<int64_t>(*collected);
  else
    logging::warn("blob collection", {{"error", collected.error().message}});
}

// A report is a command the deciders check like any other, and its text comes
// from pages and errors: it is made storable and bounded here, so a report is
// never refused and no deployment is left "building".
Result<void> BuildWorker::report(const Envelope& env, const std::string& what, domain::Command command) {
  if (auto* done = std::get_if<domain::CompleteDeployment>(&command)) domain::fit_report_log(done->outcome.log);
  if (auto* failed = std::get_if<domain::FailDeployment>(&command)) {
    failed->outcome.reason =
        domain::storable_text(failed->outcome.reason.empty() ? "failed" : failed->outcome.reason,
                              domain::kMaxReportLine);
    domain::fit_report_log(failed->outcome.log);
  }
  domain::CommandRecord record;
  const std::string deployment = env.aggregate.id;
  record.meta.commandId = CommandId{uuid_v5(kReportNamespace, deployment + "/" + what)};
  record.meta.tenant = TenantId{env.tenant_id};
  record.meta.actor = UserId{config_.worker_name};
  record.meta.siteId = SiteId{env.site_id};
  record.meta.occurredAt = format_rfc3339(std::chrono::system_clock::now());
  record.command = std::move(command);
  record.correlation_id = env.correlation_id;
  log::Batch batch;
  batch.records.push_back(
      log::OutRecord{kCommands, env.site_id, domain::encode_command_record(record), std::nullopt});
  auto appended = log_.append(batch);
  if (!appended.ok()) return appended.error();
  // Builds are few: each report is a line at info.
  logging::info("build " + what, {{logging::kTenant, env.tenant_id}, {logging::kCommandId, record.meta.commandId.str()},
                                  {logging::kCorrelationId, env.correlation_id}, {"caused_by", env.command_id},
                                  {"site", env.site_id}, {"deployment", deployment}});
  return {};
}

}  // namespace pw::builds
