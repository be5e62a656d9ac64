#include "workers/build/site_builder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace pw::builds {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Runs f(i) for i in [0, n) on up to `threads` threads.
template <class F>
void parallel_for(size_t n, unsigned threads, F&& f) {
  const unsigned t = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(n)));
  if (t <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) f(i);
  };
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < t; ++k) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

}  // namespace

SiteBuilder::SiteBuilder(ship::DeployStore& store, unsigned threads) : store_(store), threads_(threads) {}

const SiteBuilder::Outputs& SiteBuilder::reusable(const std::string& subdomain,
                                                  const std::string& environment) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = last_.try_emplace(subdomain);
  if (fresh) {
    // After a restart, the live deploy's manifest tells what can be reused.
    it->second.from_disk = true;
    if (auto live = store_.live(subdomain, environment); live.ok() && live->has_value())
      if (auto m = store_.read_manifest(subdomain, **live); m.ok())
        for (auto& e : m->entries)
          if (!e.key.empty()) it->second.by_key.emplace(e.key, e);
  }
  return it->second;
}

std::vector<std::string> SiteBuilder::page_keys(const BuildRequest& rq, const render::SiteRenderer& renderer) {
  std::vector<std::string> keys(rq.pages.size());
  std::vector<size_t> missing;
  {
    std::lock_guard lock(mu_);
    const auto& known = keys_[rq.subdomain];
    for (size_t i = 0; i < rq.pages.size(); ++i) {
      auto it = known.find(rq.pages[i].pageId);
      if (it != known.end() && it->second.version == rq.pages[i].version &&
          it->second.site_key == renderer.site_key())
        keys[i] = it->second.key;
      else
        missing.push_back(i);
    }
  }
  parallel_for(missing.size(), threads_, [&](size_t k) { keys[missing[k]] = renderer.page_key(rq.pages[missing[k]]); });
  std::lock_guard lock(mu_);
  auto& known = keys_[rq.subdomain];
  if (known.size() > rq.pages.size() * 2) known.clear();  // pages left the site: start over
  for (size_t i : missing) known[rq.pages[i].pageId] = PageKey{renderer.site_key(), rq.pages[i].version, keys[i]};
  return keys;
}

BuildOutcome SiteBuilder::build(const BuildRequest& rq) {
  BuildOutcome out;
  const auto started = Clock::now();
  auto fail = [&](std::string reason) {
    out.ok = false;
    out.log.push_back(reason);
    out.reason = std::move(reason);
    out.report.totalMs = ms_since(started);
    return out;
  };

  // Render: pages whose key the last deploy already has are reused as they are.
  render::SiteRenderer renderer(rq.site, rq.pages);
  const Outputs& previous = reusable(rq.subdomain, rq.environment);
  std::vector<std::string> keys = page_keys(rq, renderer);
  std::vector<ship::ManifestEntry> entries(rq.pages.size());
  std::vector<size_t> to_render;
  for (size_t i = 0; i < rq.pages.size(); ++i) {
    std::string& key = keys[i];
    auto it = previous.by_key.find(key);
    // Outputs of this process's last deploy are linked from it, so they exist;
    // those read from disk after a restart are checked.
    if (it != previous.by_key.end() && (!previous.from_disk || store_.has_blob(it->second.hash))) {
      entries[i] = it->second;
      entries[i].path = render::SiteRenderer::page_path(rq.pages[i].slug);
    } else {
      entries[i].key = std::move(key);
      entries[i].path = render::SiteRenderer::page_path(rq.pages[i].slug);
      to_render.push_back(i);
    }
  }
  std::mutex error_mu;
  std::string first_error;
  parallel_for(to_render.size(), threads_, [&](size_t k) {
    const size_t i = to_render[k];
    auto html = renderer.render_page(rq.pages[i]);
    Result<std::string> hash = html.ok() ? store_.put_blob(*html) : Result<std::string>(html.error());
    if (!hash.ok()) {
      std::lock_guard lock(error_mu);
      if (first_error.empty())
        first_error = "page " + rq.pages[i].pageId + ": " + hash.error().message;
      return;
    }
    entries[i].hash = std::move(hash).value();
    entries[i].size = html->size();
  });
  if (!first_error.empty()) return fail("render failed: " + first_error);

  std::vector<render::RenderedFile> site_files;
  site_files.push_back({renderer.stylesheet_path(), renderer.stylesheet()});
  site_files.push_back({"404.html", renderer.render_404()});
  site_files.push_back({"robots.txt", renderer.robots()});
  for (auto& f : renderer.sitemaps(rq.pages)) site_files.push_back(std::move(f));
  for (auto& f : site_files) {
    auto hash = store_.put_blob(f.bytes);
    if (!hash.ok()) return fail("writing " + f.path + ": " + hash.error().message);
    entries.push_back(ship::ManifestEntry{f.path, *hash, f.bytes.size(), ""});
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].path == entries[i - 1].path)
      return fail("two outputs at " + entries[i].path + " (a page slug collides with a site file)");
  out.report.renderMs = ms_since(started);
  out.report.pagesRendered = static_cast<int64_t>(to_render.size());
  out.report.pagesReused = static_cast<int64_t>(rq.pages.size() - to_render.size());
  out.report.files = static_cast<int64_t>(entries.size());
  for (const auto& e : entries) out.report.bytes += static_cast<int64_t>(e.size);

  // Ship: an immutable deploy directory, durable before anything points at it.
  const auto ship_started = Clock::now();
  ship::Manifest manifest{std::move(entries)};
  out.manifest_hash = ship::manifest_hash(manifest);
  if (auto w = store_.write_deploy(rq.subdomain, rq.deploy, manifest); !w.ok()) {
    if (w.error().code == Errc::not_found) {
      std::lock_guard lock(mu_);
      last_.erase(rq.subdomain);  // a reused blob is gone: the next build renders afresh
    }
    return fail("writing the deploy: " + w.error().message);
  }
  if (auto s = store_.sync(); !s.ok()) return fail("syncing the deploy: " + s.error().message);
  out.report.shipMs = ms_since(ship_started);

  if (rq.blue_green) {
    const auto check_started = Clock::now();
    auto report = store_.check_deploy(rq.subdomain, rq.deploy);
    out.report.checkMs = ms_since(check_started);
    if (!report.ok()) return fail("checking the deploy: " + report.error().message);
    if (!report->ok) {
      for (const auto& p : report->problems) out.log.push_back("check: " + p);
      return fail("blue-green checks failed; the live deploy was left as it was");
    }
    out.log.push_back("blue-green checks passed");
  }

  const auto switch_started = Clock::now();
  if (auto sw = store_.switch_live(rq.subdomain, rq.environment, rq.deploy); !sw.ok())
    return fail("switching live: " + sw.error().message);
  if (auto s = store_.sync(); !s.ok()) return fail("syncing the live pointer: " + s.error().message);
  out.report.shipMs += ms_since(switch_started);

  {
    std::lock_guard lock(mu_);
    Outputs next;
    for (const auto& e : manifest.entries)
      if (!e.key.empty()) next.by_key.emplace(e.key, e);
    last_[rq.subdomain] = std::move(next);
  }
  out.ok = true;
  out.report.totalMs = ms_since(started);
  out.log.push_back("rendered " + std::to_string(out.report.pagesRendered) + ", reused " +
                    std::to_string(out.report.pagesReused) + " pages; " +
                    std::to_string(out.report.files) + " files, " + std::to_string(out.report.bytes) +
                    " bytes");
  return out;
}

}  // namespace pw::builds
