// pw_visibility_probe: command → visible latency for ops/bench. Paced clients
// each edit a page title (PATCH) and immediately read the page back with
// X-Pagewright-After set to the command's position; the time from sending the
// command to the read returning the new title is one sample. With --plain the
// same paced pair of requests goes to any server (the bare Beast baseline).
//
//   pw_visibility_probe --port P --rate R --seconds S --threads T
//                       [--token JWT --pages id,id,…] [--plain]
// prints one JSON object: {"samples", "rate", "p50_ms", "p99_ms", "max_ms", "errors"}.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  double rate = 100;
  double seconds = 10;
  int threads = 8;
  std::string token;
  std::vector<std::string> pages;
  bool plain = false;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a != "--plain" && i + 1 >= argc) {
      std::fprintf(stderr, "pw_visibility_probe: %s needs a value\n", a.c_str());
      return 2;
    }
    if (a == "--plain") o.plain = true;
    else if (a == "--port") o.port = static_cast<uint16_t>(std::atoi(argv[++i]));
    else if (a == "--rate") o.rate = std::atof(argv[++i]);
    else if (a == "--seconds") o.seconds = std::atof(argv[++i]);
    else if (a == "--threads") o.threads = std::atoi(argv[++i]);
    else if (a == "--token") o.token = argv[++i];
    else if (a == "--pages") o.pages = split(argv[++i]);
    else {
      std::fprintf(stderr, "pw_visibility_probe: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (o.port == 0 || o.threads < 1 || o.rate <= 0 || (!o.plain && (o.token.empty() || o.pages.empty()))) {
    std::fprintf(stderr, "usage: pw_visibility_probe --port P --rate R --seconds S --threads T "
                         "(--token JWT --pages id,… | --plain)\n");
    return 2;
  }

  std::mutex mu;
  std::vector<double> samples_ms;
  std::atomic<long> errors{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  // Each thread keeps its own schedule of rate/threads operations per second,
  // so a slow answer delays only that thread's next send.
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(static_cast<double>(o.threads) / o.rate));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      pw::test::HttpClient http("127.0.0.1", o.port);
      std::vector<double> mine;
      auto next = start + interval * t / o.threads;
      for (long n = 0; next < end; ++n, next += interval) {
        std::this_thread::sleep_until(next);
        const auto sent = Clock::now();
        if (o.plain) {
          auto a = http.request("POST", "/v1/edit", "{}");
          auto b = http.request("GET", "/v1/read");
          if (a.status != 200 || b.status != 200) {
            ++errors;
            continue;
          }
        } else {
          const std::string& page = o.pages[static_cast<size_t>(n * o.threads + t) % o.pages.size()];
          const std::string title = "v" + std::to_string(t) + "-" + std::to_string(n);
          auto edit = http.send_json("PATCH", "/v1/pages/" + page, o.token, {{"title", title}});
          if (edit.status != 200) {
            ++errors;
            continue;
          }
          const std::string position = edit.json()["data"].value("position", "");
          auto read = http.get("/v1/pages/" + page, o.token, {{"X-Pagewright-After", position}});
          if (read.status != 200 || read.json()["data"].value("title", "") != title) {
            ++errors;
            continue;
          }
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
      std::lock_guard lock(mu);
      samples_ms.insert(samples_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const size_t count = samples_ms.size();
  const double p50 = percentile(samples_ms, 0.50);
  const double p99 = percentile(samples_ms, 0.99);
  const double max = samples_ms.empty() ? 0 : *std::max_element(samples_ms.begin(), samples_ms.end());
  std::printf("{\"samples\": %zu, \"rate\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
              "\"errors\": %ld}\n",
              count, static_cast<double>(count) / elapsed, p50, p99, max, errors.load());
  return 0;
}
