// Times a republish of a 10,000-page site: write_deploy after one edit, and
// check_deploy with a warm cache. Usage: ship_bench [dir] [pages] [runs]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "workers/ship/shipper.hpp"

using namespace pw::ship;
using namespace pw::store;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string page_path(int i) { return "section" + std::to_string(i % 20) + "/page-" + std::to_string(i) + "/index.html"; }

std::string page_html(int i, int pages, int edit, const std::string& up = "../../") {
  std::string nav;
  for (int s = 0; s < 20; ++s) nav += "<li><a href=\"" + up + "section" + std::to_string(s) + "/page-" + std::to_string(s) + "/\">S</a></li>";
  std::string prev = i > 0 ? page_path(i - 1) : "index.html";
  std::string next = i + 1 < pages ? page_path(i + 1) : "index.html";
  std::string body(2500, 'x');
  return "<!DOCTYPE html><html><head><title>Page " + std::to_string(i) + " " + std::to_string(edit) +
         "</title><link rel=\"stylesheet\" href=\"" + up + "assets/site.ab12.css\"><script src=\"/assets/app.js\"></script>"
         "</head><body><nav><ul>" + nav + "</ul></nav><a href=\"" + up + "\">home</a><a href=\"/" + prev + "\">prev</a>"
         "<a href=\"/" + next + "\">next</a><a href=\"https://example.com/\">ext</a><img src=\"" + up + "assets/logo.png\">"
         "<p>" + body + "</p></body></html>";
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path base = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  int pages = argc > 2 ? std::atoi(argv[2]) : 10000;
  int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 7;
  std::string tmpl = (base / "pw-ship-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  auto store = Shipper::open(tmpl).value();

  Manifest m;
  auto add = [&](const std::string& path, const std::string& bytes) {
    auto h = store->blobs().put(bytes);
    m.entries.push_back({path, *h, bytes.size(), "key"});
  };
  auto t0 = Clock::now();
  for (int i = 0; i < pages; ++i) add(page_path(i), page_html(i, pages, 0));
  add("index.html", page_html(0, pages, 0, ""));
  add("assets/site.ab12.css", "body{}");
  add("assets/app.js", "1;");
  add("assets/logo.png", "PNG");
  add("sitemap.xml", "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"></urlset>");
  std::sort(m.entries.begin(), m.entries.end(), [](auto& a, auto& b) { return a.path < b.path; });
  std::printf("put_blob x%zu: %.1f ms\n", m.entries.size(), ms_since(t0));

  t0 = Clock::now();
  auto w = store->trees().write_deploy("site", "d0", m);
  std::printf("write_deploy (first): %.1f ms %s\n", ms_since(t0), w.ok() ? "" : w.error().message.c_str());
  t0 = Clock::now();
  auto c = store->checker().check_deploy("site", "d0");
  std::printf("check_deploy (cold cache): %.1f ms ok=%d problems=%zu parsed=%zu\n", ms_since(t0), c->ok ? 1 : 0,
              c->problems.size(), c->html_parsed);
  for (const auto& p : c->problems) std::printf("  %s\n", p.c_str());
  t0 = Clock::now();
  c = store->checker().check_deploy("site", "d0");
  std::printf("check_deploy (warm, same deploy): %.1f ms\n", ms_since(t0));
  t0 = Clock::now();
  (void)store->sync();
  std::printf("sync (syncfs): %.1f ms\n", ms_since(t0));

  std::vector<double> writes, checks;
  for (int edit = 1; edit <= runs; ++edit) {
    int i = (edit * 997) % pages;
    auto it = std::find_if(m.entries.begin(), m.entries.end(), [&](auto& e) { return e.path == page_path(i); });
    std::string bytes = page_html(i, pages, edit);
    it->hash = *store->blobs().put(bytes);
    it->size = bytes.size();
    std::string id = "d" + std::to_string(edit);
    t0 = Clock::now();
    w = store->trees().write_deploy("site", id, m);
    writes.push_back(ms_since(t0));
    if (!w.ok()) std::printf("write failed: %s\n", w.error().message.c_str());
    t0 = Clock::now();
    c = store->checker().check_deploy("site", id);
    checks.push_back(ms_since(t0));
    if (!c->ok || c->html_parsed != 1) std::printf("check: ok=%d parsed=%zu\n", c->ok ? 1 : 0, c->html_parsed);
    (void)store->sync();
    (void)store->pointers().switch_live("site", "production", id);
    (void)store->sync();
  }
  std::sort(writes.begin(), writes.end());
  std::sort(checks.begin(), checks.end());
  std::printf("republish after one edit, %zu entries, %d runs:\n", m.entries.size(), runs);
  std::printf("  write_deploy  min %.1f  median %.1f  max %.1f ms\n", writes.front(), writes[writes.size() / 2], writes.back());
  std::printf("  check_deploy  min %.1f  median %.1f  max %.1f ms (warm cache, 1 page parsed)\n", checks.front(),
              checks[checks.size() / 2], checks.back());
  t0 = Clock::now();
  std::vector<std::string> ids;
  for (int edit = 0; edit <= runs; ++edit) ids.push_back("d" + std::to_string(edit));
  auto pr = store->collector().prune("site", ids, ids.size() - 1, {});
  std::printf("prune %zu deploys: %.1f ms\n", pr->size(), ms_since(t0));
  store.reset();
  if (std::getenv("SHIP_BENCH_KEEP") != nullptr) {
    std::printf("kept %s\n", tmpl.c_str());
    return 0;
  }
  t0 = Clock::now();
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  std::printf("cleanup (remove_all): %.1f ms\n", ms_since(t0));
  return 0;
}
