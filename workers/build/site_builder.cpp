#include "workers/build/site_builder.hpp"

#include <set>

#include "commands/assets.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace pw::builds {
namespace {

// The media assets the deploy's pages use (`used`: content and ogImage of
// each page, and the site's ogImage), each at assets/<hash>.<ext> with its
// WebP variants: the blobs the upload stored, so nothing is copied. Assets no
// page uses stay out.
Result<void> add_assets(store::BlobStore& blobs, const BuildRequest& rq, std::set<std::string> used,
                        std::vector<store::ManifestEntry>& entries) {
  if (auto id = domain::asset_ref_id(rq.site.seo.ogImage)) used.insert(std::string(*id));
  std::set<std::string> paths;  // content-addressed: one path is one file, however many assets share it
  auto add = [&](std::string path, const std::string& hash, int64_t bytes) {
    if (paths.insert(path).second)
      entries.push_back(store::ManifestEntry{std::move(path), hash, static_cast<uint64_t>(bytes), ""});
  };
  for (const std::string& id : used) {
    const auto it = rq.site.assets.find(id);
    if (it == rq.site.assets.end()) continue;  // not the site's (the renderer leaves it out too)
    const domain::AssetUploaded& a = it->second;
    // Refreshed, so a blob collection running now sees it as young.
    if (!blobs.touch(a.hash)) return make_error(Errc::not_found, "the file of asset " + id + " is missing");
    add(render::asset_path(a), a.hash, a.bytes);
    for (const domain::AssetVariant& v : a.variants) {
      if (!blobs.touch(v.hash))
        return make_error(Errc::not_found, "a variant of asset " + id + " is missing");
      add(render::variant_path(v), v.hash, v.bytes);
    }
  }
  return {};
}

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

SiteBuilder::SiteBuilder(ship::Shipper& store, unsigned threads) : store_(store), threads_(threads) {}

SiteBuilder::SiteMemo& SiteBuilder::site_memo(const std::string& subdomain, const std::string& environment) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = memo_.try_emplace(subdomain);
  if (fresh) {
    // After a restart, the live deploy's manifest tells what can be reused.
    if (auto live = store_.pointers().live(subdomain, environment); live.ok() && live->has_value())
      if (auto m = store_.reader().read_manifest(subdomain, **live); m.ok())
        for (auto& e : m->entries)
          if (!e.key.empty()) it->second.from_disk.emplace(e.key, Output{e.key, std::move(e.hash), e.size});
  }
  return it->second;
}

void SiteBuilder::remember(SiteMemo& memo, const BuildRequest& rq, std::vector<std::pair<size_t, Output>> outputs) {
  for (auto& [i, output] : outputs) memo.pages[rq.pages[i].pageId].output = std::move(output);
  memo.from_disk.clear();
  if (memo.pages.size() <= rq.pages.size()) return;
  // Pages left the site: their outputs may be pruned and collected, so they
  // must not be offered for reuse.
  std::unordered_map<std::string, PageMemo> kept;
  for (const auto& page : rq.pages) {
    if (auto it = memo.pages.find(page.pageId); it != memo.pages.end()) kept.emplace(page.pageId, std::move(it->second));
  }
  memo.pages = std::move(kept);
}

BuildOutcome SiteBuilder::build(const BuildRequest& rq) {
  BuildOutcome out = build_once(rq);
  if (out.ok || !out.missing_blob) return out;
  // A reused output's blob is gone. The memo only offers outputs of the site's
  // latest successful deploy, which retention never prunes, so this takes a
  // blob removed by hand; rendering everything again repairs it.
  {
    std::lock_guard lock(mu_);
    memo_.erase(rq.subdomain);
  }
  BuildOutcome again = build_once(rq);
  again.log.insert(again.log.begin(), "a reused output was missing (" + out.reason + "); rendered every page again");
  return again;
}

BuildOutcome SiteBuilder::build_once(const BuildRequest& rq) {
  BuildOutcome out;
  const auto started = Clock::now();
  auto fail = [&](std::string reason) {
    out.ok = false;
    out.log.push_back(reason);
    out.reason = std::move(reason);
    out.report.totalMs = ms_since(started);
    return out;
  };
  const size_t n = rq.pages.size();
  SiteMemo& memo = site_memo(rq.subdomain, rq.environment);

  // What each page's version is known to use and hash to; only the others are walked.
  std::vector<PageMemo*> memo_of(n, nullptr);
  std::vector<char> same_version(n, 0);
  std::vector<render::ComponentSet> used_by(n, 0);
  std::vector<std::set<std::string>> assets_by(n);  // walked pages only
  render::ComponentSet used = 0;
  std::set<std::string> assets_used;
  for (size_t i = 0; i < n; ++i) {
    const render::PageInput& page = rq.pages[i];
    auto it = memo.pages.find(page.pageId);
    if (it != memo.pages.end()) memo_of[i] = &it->second;
    same_version[i] = memo_of[i] != nullptr && memo_of[i]->version == page.version;
    if (!same_version[i]) {
      used_by[i] = render::SiteRenderer::components_used(page);
      assets_by[i] = domain::assets_used(page.content, page.seo);
    }
    used |= same_version[i] ? memo_of[i]->used : used_by[i];
    const auto& assets = same_version[i] ? memo_of[i]->assets : assets_by[i];
    assets_used.insert(assets.begin(), assets.end());
  }
  const render::SiteRenderer renderer(rq.site, rq.pages, used);
  // Tokens stored before the API checked them can still be refused here; the
  // deployment's log says which, rather than the stylesheet changing silently.
  for (const std::string& token : renderer.dropped_tokens())
    out.log.push_back("design token left at the theme's value: " + token);
  std::vector<std::string> keys(n);
  std::vector<size_t> unkeyed;
  for (size_t i = 0; i < n; ++i) {
    if (same_version[i] && memo_of[i]->site_key == renderer.site_key()) keys[i] = memo_of[i]->key;
    else unkeyed.push_back(i);
  }
  parallel_for(unkeyed.size(), threads_, [&](size_t k) { keys[unkeyed[k]] = renderer.page_key(rq.pages[unkeyed[k]]); });
  for (size_t i : unkeyed) {
    PageMemo& m = memo.pages[rq.pages[i].pageId];  // keys hold whatever this build's outcome
    if (!same_version[i]) {  // what a version uses never changes
      m.used = used_by[i];
      m.assets = std::move(assets_by[i]);
    }
    m.version = rq.pages[i].version;
    m.site_key = renderer.site_key();
    m.key = keys[i];
  }

  // Render: a page whose last output has its key is reused as it is.
  std::vector<store::ManifestEntry> entries(n);
  std::vector<size_t> to_render;
  std::vector<std::pair<size_t, Output>> shipped;  // outputs this build adds to the memo
  for (size_t i = 0; i < n; ++i) {
    store::ManifestEntry& e = entries[i];
    e.path = render::SiteRenderer::page_path(rq.pages[i].slug);
    e.key = keys[i];
    const Output* prior = nullptr;
    if (memo_of[i] != nullptr && memo_of[i]->output.key == keys[i] && !memo_of[i]->output.hash.empty()) {
      prior = &memo_of[i]->output;  // linked from the site's last deploy, so the blob exists
    } else if (auto d = memo.from_disk.find(keys[i]); d != memo.from_disk.end() && store_.blobs().has(d->second.hash)) {
      prior = &d->second;
      shipped.emplace_back(i, *prior);
    }
    if (prior != nullptr) {
      e.hash = prior->hash;
      e.size = prior->size;
    } else {
      to_render.push_back(i);
    }
  }
  // Every page that cannot be rendered is named in the log (in page order), the
  // first in the reason; nothing is shipped, so the live deploy stays as it was.
  std::mutex error_mu;
  std::map<size_t, std::string> errors;
  parallel_for(to_render.size(), threads_, [&](size_t k) {
    const size_t i = to_render[k];
    auto html = renderer.render_page(rq.pages[i]);  // its errors name the page
    if (!html.ok()) {
      std::lock_guard lock(error_mu);
      errors.emplace(i, html.error().message);
      return;
    }
    auto hash = store_.blobs().put(*html);
    if (!hash.ok()) {
      std::lock_guard lock(error_mu);
      errors.emplace(i, "page " + rq.pages[i].pageId + " (/" + rq.pages[i].slug + "): " + hash.error().message);
      return;
    }
    entries[i].hash = std::move(hash).value();
    entries[i].size = html->size();
  });
  if (!errors.empty()) {
    constexpr size_t kMaxLogged = 20;
    size_t logged = 0;
    for (auto it = std::next(errors.begin()); it != errors.end() && logged < kMaxLogged; ++it, ++logged)
      out.log.push_back("render failed: " + it->second);
    if (errors.size() > kMaxLogged + 1)
      out.log.push_back("… and " + std::to_string(errors.size() - kMaxLogged - 1) + " more pages failed");
    return fail("render failed: " + errors.begin()->second);
  }
  for (size_t i : to_render) shipped.emplace_back(i, Output{entries[i].key, entries[i].hash, entries[i].size});

  std::vector<render::RenderedFile> site_files;
  site_files.push_back({renderer.stylesheet_path(), renderer.stylesheet()});
  site_files.push_back({"404.html", renderer.render_404()});
  site_files.push_back({"robots.txt", renderer.robots()});
  for (auto& f : renderer.sitemaps(rq.pages)) site_files.push_back(std::move(f));
  for (auto& f : site_files) {
    auto hash = store_.blobs().put(f.bytes);
    if (!hash.ok()) return fail("writing " + f.path + ": " + hash.error().message);
    entries.push_back(store::ManifestEntry{f.path, *hash, f.bytes.size(), ""});
  }
  if (auto shipped_assets = add_assets(store_.blobs(), rq, std::move(assets_used), entries); !shipped_assets.ok())
    return fail(shipped_assets.error().message);
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
  auto written = store_.trees().write_deploy(rq.subdomain, rq.deploy, store::Manifest{std::move(entries)});
  if (!written.ok()) {
    out.missing_blob = written.error().code == Errc::not_found;
    return fail("writing the deploy: " + written.error().message);
  }
  out.manifest_hash = std::move(written).value();
  if (auto s = store_.sync(); !s.ok()) return fail("syncing the deploy: " + s.error().message);
  out.report.shipMs = ms_since(ship_started);

  if (rq.blue_green) {
    const auto check_started = Clock::now();
    auto report = store_.checker().check_deploy(rq.subdomain, rq.deploy);
    out.report.checkMs = ms_since(check_started);
    if (!report.ok()) return fail("checking the deploy: " + report.error().message);
    if (!report->ok) {
      for (const auto& p : report->problems) out.log.push_back("check: " + p);
      return fail("blue-green checks failed; the live deploy was left as it was");
    }
    out.log.push_back("blue-green checks passed");
  }

  const auto switch_started = Clock::now();
  if (!rq.draft_preview_id.empty()) {
    auto token = store_.previews().publish_draft_preview(rq.subdomain, rq.draft_preview_id, rq.deploy);
    if (!token.ok()) return fail("writing the preview entry: " + token.error().message);
    if (auto s = store_.sync(); !s.ok()) return fail("syncing the preview entry: " + s.error().message);
    out.preview_url = "/previews/" + *token + "/";
    return finish(out, memo, rq, std::move(shipped), started, switch_started);
  }
  // A non-production deploy is reachable only by its token, from before the
  // outcome is reported (the sync below makes the entry durable with the pointer).
  if (rq.environment != "production") {
    auto token = store_.previews().publish_preview(rq.subdomain, rq.deploy);
    if (!token.ok()) return fail("writing the preview entry: " + token.error().message);
    out.preview_url = "/previews/" + *token + "/";
  }
  if (auto sw = store_.pointers().switch_live(rq.subdomain, rq.environment, rq.deploy); !sw.ok())
    return fail("switching live: " + sw.error().message);
  if (auto s = store_.sync(); !s.ok()) return fail("syncing the live pointer: " + s.error().message);
  return finish(out, memo, rq, std::move(shipped), started, switch_started);
}

BuildOutcome SiteBuilder::finish(BuildOutcome& out, SiteMemo& memo, const BuildRequest& rq,
                                 std::vector<std::pair<size_t, Output>> shipped,
                                 std::chrono::steady_clock::time_point started,
                                 std::chrono::steady_clock::time_point switch_started) {
  out.report.shipMs += ms_since(switch_started);
  remember(memo, rq, std::move(shipped));
  out.ok = true;
  out.report.totalMs = ms_since(started);
  out.log.push_back("rendered " + std::to_string(out.report.pagesRendered) + ", reused " +
                    std::to_string(out.report.pagesReused) + " pages; " +
                    std::to_string(out.report.files) + " files, " + std::to_string(out.report.bytes) +
                    " bytes");
  return std::move(out);
}

}  // namespace pw::builds
