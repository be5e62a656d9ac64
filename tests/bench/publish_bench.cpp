// pw_publish_bench: publishing a generated site (ops/bench_publish.py) with
// SiteBuilder in a fresh store (ship::Shipper): one cold full publish, then republishes
// after single-page edits, optionally with blue-green checks. Prints one JSON
// object; ops/bench_publish.sh compares it with Hugo on the same site.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "workers/build/site_builder.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

pw::domain::Component component(const json& j) {
  pw::domain::Component c{pw::ComponentId(j.at("id").get<std::string>()), j.at("type").get<std::string>(),
                          j.at("props"), {}};
  for (const auto& [slot, children] : j.at("slots").items())
    for (const auto& child : children) c.slots[slot].push_back(component(child));
  return c;
}

pw::builds::BuildRequest load(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  const json j = json::parse(in);
  const json& s = j.at("site");
  pw::builds::BuildRequest rq;
  rq.subdomain = s.at("subdomain").get<std::string>();
  rq.environment = "production";
  rq.site.siteId = s.at("siteId").get<std::string>();
  rq.site.name = s.at("name").get<std::string>();
  rq.site.subdomain = rq.subdomain;
  rq.site.baseUrl = s.at("baseUrl").get<std::string>();
  rq.site.seo.titleTemplate = s.at("seo").at("titleTemplate").get<std::string>();
  rq.site.seo.description = s.at("seo").at("description").get<std::string>();
  rq.site.seo.ogImage = s.at("seo").at("ogImage").get<std::string>();
  rq.site.settings = s.at("settings");
  for (const json& p : j.at("pages")) {
    pw::render::PageInput page;
    page.pageId = p.at("pageId").get<std::string>();
    page.slug = p.at("slug").get<std::string>();
    page.title = p.at("title").get<std::string>();
    page.description = p.at("description").get<std::string>();
    page.version = p.at("version").get<int64_t>();
    page.publishedAt = p.at("publishedAt").get<std::string>();
    for (const json& c : p.at("content")) page.content.push_back(component(c));
    rq.pages.push_back(std::move(page));
  }
  return rq;
}

// An editor's change to a page's first Text block: new props, new version.
void edit(pw::render::PageInput& page, int n) {
  for (auto& c : page.content) {
    if (c.type != "Text") continue;
    c.props["text"] = c.props.value("text", "") + "\n\nEdited paragraph number " + std::to_string(n) + ".";
    ++page.version;
    return;
  }
  throw std::runtime_error("page " + page.pageId + " has no Text block");
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5))];
}

struct Series {
  std::vector<double> total, render, ship, check;
  int64_t rendered = 0;  // the largest count seen: an edit must re-render exactly one page
  json summary() const {
    return {{"ms_median", quantile(total, 0.5)}, {"ms_p95", quantile(total, 0.95)},
            {"render_ms_median", quantile(render, 0.5)}, {"ship_ms_median", quantile(ship, 0.5)},
            {"check_ms_median", quantile(check, 0.5)}, {"rendered", rendered}, {"runs", total.size()}};
  }
};

class Bench {
 public:
  Bench(pw::ship::Shipper& store, unsigned threads, pw::builds::BuildRequest rq)
      : store_(store), builder_(store, threads), rq_(std::move(rq)) {}

  // Returns the wall time; fails the whole benchmark on a failed build, since
  // a fast failure would be a meaningless figure.
  double publish(const std::string& deploy, bool blue_green, Series* into) {
    rq_.deploy = deploy;
    rq_.blue_green = blue_green;
    const auto t = Clock::now();
    auto out = builder_.build(rq_);
    const double ms = ms_since(t);
    if (!out.ok) {
      for (const auto& line : out.log) std::cerr << line << "\n";
      throw std::runtime_error("build " + deploy + " failed: " + out.reason);
    }
    last_ = out.report;
    if (into != nullptr) {
      into->total.push_back(ms);
      into->render.push_back(static_cast<double>(out.report.renderMs));
      into->ship.push_back(static_cast<double>(out.report.shipMs));
      into->check.push_back(static_cast<double>(out.report.checkMs));
      into->rendered = std::max(into->rendered, out.report.pagesRendered);
    }
    return ms;
  }

  // Edits pages spread over the site (never the home page, whose title is in
  // every page's navigation) and republishes after each edit.
  Series republish(int runs, bool blue_green, const std::string& prefix) {
    Series s;
    const size_t n = rq_.pages.size();
    for (int k = 0; k < runs; ++k, ++seq_) {
      edit(rq_.pages[1 + static_cast<size_t>(seq_) * 7919 % (n - 1)], seq_);
      publish(prefix + std::to_string(k), blue_green, &s);
    }
    return s;
  }

  // The parts of SiteBuilder::build that do not depend on how many pages
  // changed, timed on their own: they bound how fast a one-page republish can be.
  json fixed_costs() {
    auto t = Clock::now();
    pw::render::ComponentSet used = 0;
    for (const auto& p : rq_.pages) used |= pw::render::SiteRenderer::components_used(p);
    const double walk = ms_since(t);
    t = Clock::now();
    pw::render::SiteRenderer renderer(rq_.site, rq_.pages, used);  // as SiteBuilder makes it, components known
    const double ctor = ms_since(t);
    t = Clock::now();
    size_t bytes = 0;
    for (const auto& p : rq_.pages) bytes += renderer.page_key(p).size();
    const double keys = ms_since(t);
    t = Clock::now();
    auto html = renderer.render_page(rq_.pages[1]);
    const double one = ms_since(t);
    t = Clock::now();
    bytes += renderer.sitemaps(rq_.pages).front().bytes.size() + renderer.render_404().size();
    const double site_files = ms_since(t);
    // Shipping the last deploy's manifest again under a new id: patching the
    // free tree and the sync, without rendering.
    auto manifest = store_.reader().read_manifest(rq_.subdomain, rq_.deploy);
    if (!manifest.ok()) throw std::runtime_error("read manifest: " + manifest.error().message);
    t = Clock::now();
    for (const auto& e : manifest->entries) bytes += store_.blobs().has(e.hash) ? 1 : 0;
    const double has_blobs = ms_since(t);
    t = Clock::now();
    auto written = store_.trees().write_deploy(rq_.subdomain, "relink", *manifest);
    const double tree = ms_since(t);
    t = Clock::now();
    auto synced = store_.sync();
    const double sync = ms_since(t);
    return {{"components_walk_ms", walk}, {"renderer_ctor_ms", ctor}, {"page_keys_ms", keys}, {"render_one_page_ms", one},
            {"sitemap_404_ms", site_files}, {"has_blob_all_ms", has_blobs}, {"write_deploy_ms", tree},
            {"syncfs_ms", sync}, {"ok", html.ok() && bytes > 0 && written.ok() && synced.ok()}};
  }

  const pw::domain::DeploymentReport& last() const { return last_; }
  size_t pages() const { return rq_.pages.size(); }

 private:
  pw::ship::Shipper& store_;
  pw::builds::SiteBuilder builder_;
  pw::builds::BuildRequest rq_;
  pw::domain::DeploymentReport last_;
  int seq_ = 0;
};

int run(int argc, char** argv) {
  std::string input;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  int edits = 20;
  bool blue_green = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--input") input = next();
    else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--edits") edits = std::stoi(next());
    else if (a == "--blue-green") blue_green = true;
    else throw std::runtime_error("usage: pw_publish_bench --input site.json [--threads N] [--edits N] [--blue-green]");
  }
  if (input.empty()) throw std::runtime_error("--input is required");

  auto t_load = Clock::now();
  auto rq = load(input);
  std::cerr << "loaded " << input << " in " << ms_since(t_load) << " ms\n";
  if (rq.pages.size() < 2) throw std::runtime_error("need at least two pages");
  const std::string rq_subdomain = rq.subdomain;
  std::string root_template = (fs::temp_directory_path() / "pw-publish-XXXXXX").string();
  if (::mkdtemp(root_template.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const fs::path root = root_template;
  json result;
  try {
    auto store = pw::ship::Shipper::open(root);
    if (!store.ok()) throw std::runtime_error("open store: " + store.error().message);
    Bench bench(**store, threads, std::move(rq));

    const double cold = bench.publish("cold", false, nullptr);
    const auto r = bench.last();
    // What the build worker does after reporting a site's first deployment.
    const auto t_spare = Clock::now();
    auto spare = (*store)->trees().keep_spare_tree(rq_subdomain);
    if (!spare.ok() || !*spare) throw std::runtime_error("no spare tree was made");
    const double spare_ms = ms_since(t_spare);
    result = {{"pages", bench.pages()}, {"threads", threads}, {"files", r.files}, {"bytes", r.bytes},
              {"cold_ms", cold}, {"spare_tree_ms", spare_ms}, {"cold_rendered", r.pagesRendered}, {"render_ms", r.renderMs},
              {"ship_ms", r.shipMs}, {"other_ms", cold - static_cast<double>(r.renderMs + r.shipMs)}};

    const Series s = bench.republish(edits, false, "edit-");
    const json sj = s.summary();
    result["republish_ms_median"] = sj["ms_median"];
    result["republish_ms_p95"] = sj["ms_p95"];
    result["republish_rendered"] = s.rendered;
    result["republish_render_ms_median"] = sj["render_ms_median"];
    result["republish_ship_ms_median"] = sj["ship_ms_median"];
    result["republish_runs"] = sj["runs"];

    if (blue_green) {
      // The first check reads and parses every file; later ones only what changed.
      const Series first = bench.republish(1, true, "bg-first-");
      json bg = bench.republish(edits, true, "bg-").summary();
      bg["first_ms"] = first.total.front();
      bg["first_check_ms"] = first.check.front();
      result["blue_green"] = std::move(bg);
    }
    result["fixed_costs"] = bench.fixed_costs();
  } catch (...) {
    std::error_code ec;
    fs::remove_all(root, ec);
    throw;
  }
  std::cout << result.dump() << std::endl;
  const auto t_clean = Clock::now();
  std::error_code ec;
  fs::remove_all(root, ec);
  std::cerr << "removed the store in " << ms_since(t_clean) << " ms\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pw_publish_bench: " << e.what() << "\n";
    return 1;
  }
}
