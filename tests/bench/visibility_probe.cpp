// pw_visibility_probe: command → visible latency for ops/bench. Paced clients
// each edit a page title (PATCH) and immediately read the page back with
// X-Pagewright-After set to the command's position; the time from sending the
// command to the read returning the new title is one sample. With --plain the
// same paced pair of requests goes to any server (the bare Beast baseline).
//
// The clients are coroutines on a few threads (one connection each, kept
// alive), and answers are searched, not parsed into JSON trees: the probe
// shares the cores with the server it measures, so a load generator that
// spends more per request than wrk would lower the rate the server can reach.
//
//   pw_visibility_probe --port P --rate R --seconds S --threads T [--warmup S]
//                       [--token JWT --pages id,id,…] [--plain] [--io-threads N]
// Clients connect before the schedule starts, and the first --warmup seconds
// (default 1) of pairs are made but not counted: the server's first requests
// on fresh connections and cold caches are not the steady state measured.
// prints one JSON object: {"samples", "rate", "p50_ms", "p99_ms", "max_ms", "errors", "stale",
// "edit_p50_ms", "edit_p99_ms"}: the edit's part is send → its answer, the
// rest of a sample is the read that waited for the edit's position.
#include <utility>  // before Boost.Asio (g++ 12, C++20)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  double rate = 100;
  double seconds = 10;
  double warmup = 1;  // seconds of pairs made before the measured ones
  int threads = 8;  // clients, one connection each (the name predates the coroutines)
  int io_threads = 2;
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

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The string value of the first "key" in a JSON text; the answers the probe
// reads are the server's own compact JSON, so a search finds the field.
std::optional<std::string_view> string_field(std::string_view json, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  auto at = json.find(quoted);
  if (at == std::string_view::npos) return std::nullopt;
  at = json.find_first_not_of(" :", at + quoted.size());
  if (at == std::string_view::npos || json[at] != '"') return std::nullopt;
  const auto end = json.find('"', at + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return json.substr(at + 1, end - at - 1);
}

struct Tally {
  std::mutex mu;
  std::vector<double> samples_ms;
  std::vector<double> edits_ms;
  std::atomic<long> errors{0};
  std::atomic<long> stale{0};  // a read after the edit's position without the edit
};

class Client {
 public:
  Client(const Options& o, int index, Tally& tally) : o_(o), index_(index), tally_(tally) {}

  // Connects first, so no connection set-up lands in a sample; pairs sent
  // before `measured` (the warm-up) are made but not counted.
  net::awaitable<void> run(Clock::time_point start, Clock::time_point measured, Clock::time_point end) {
    measured_ = measured;
    try {
      co_await connect();
    } catch (const std::exception&) {
      stream_.reset();
    }
    net::steady_timer timer(co_await net::this_coro::executor);
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(o_.threads) / o_.rate));
    auto next = start + interval * index_ / o_.threads;
    for (long n = 0; next < end; ++n, next += interval) {
      timer.expires_at(next);
      co_await timer.async_wait(net::use_awaitable);
      try {
        if (o_.plain)
          co_await plain_pair();
        else
          co_await pair(n);
      } catch (const std::exception&) {
        ++tally_.errors;
        stream_.reset();  // a broken connection: the next pair opens a new one
      }
    }
    std::lock_guard lock(tally_.mu);
    tally_.samples_ms.insert(tally_.samples_ms.end(), samples_.begin(), samples_.end());
    tally_.edits_ms.insert(tally_.edits_ms.end(), edits_.begin(), edits_.end());
  }

 private:
  net::awaitable<void> pair(long n) {
    // Each client edits pages no other client does: a read that met another
    // client's newer title would count as stale.
    const size_t own = o_.pages.size() / static_cast<size_t>(o_.threads);
    const std::string& page = o_.pages[static_cast<size_t>(index_) +
                                       static_cast<size_t>(o_.threads) * (static_cast<size_t>(n) % own)];
    const std::string title = "v" + std::to_string(index_) + "-" + std::to_string(n);
    const auto sent = Clock::now();
    auto edit = co_await exchange(http::verb::patch, "/v1/pages/" + page, R"({"title":")" + title + "\"}", {});
    if (edit.result() != http::status::ok) {
      ++tally_.errors;
      co_return;
    }
    const double edit_ms = ms_since(sent);
    const auto position = string_field(edit.body(), "position");
    if (!position) {
      ++tally_.errors;
      co_return;
    }
    auto read = co_await exchange(http::verb::get, "/v1/pages/" + page, {}, std::string(*position));
    if (read.result() != http::status::ok) {
      ++tally_.errors;
      co_return;
    }
    if (string_field(read.body(), "title") != std::string_view(title)) {
      ++tally_.stale;
      co_return;
    }
    record(sent, edit_ms);
  }

  void record(Clock::time_point sent, double edit_ms) {
    if (!counted(sent)) return;
    samples_.push_back(ms_since(sent));
    edits_.push_back(edit_ms);
    trace_.push_back({std::chrono::duration<double, std::milli>(sent.time_since_epoch()).count(), samples_.back(),
                      edit_ms});
  }

  net::awaitable<void> plain_pair() {
    const auto sent = Clock::now();
    auto edit = co_await exchange(http::verb::post, "/v1/edit", "{}", {});
    if (edit.result() != http::status::ok) {
      ++tally_.errors;
      co_return;
    }
    const double edit_ms = ms_since(sent);
    auto read = co_await exchange(http::verb::get, "/v1/read", {}, {});
    if (read.result() != http::status::ok) {
      ++tally_.errors;
      co_return;
    }
    record(sent, edit_ms);
  }

  net::awaitable<void> connect() {
    stream_.emplace(co_await net::this_coro::executor);
    co_await stream_->async_connect(tcp::endpoint(net::ip::address_v4::loopback(), o_.port), net::use_awaitable);
    stream_->socket().set_option(tcp::no_delay(true));
    buffer_.clear();
  }

  bool counted(Clock::time_point sent) const { return sent >= measured_; }

  // Arguments by value: a coroutine's frame outlives its caller's temporaries.
  net::awaitable<http::response<http::string_body>> exchange(http::verb verb, std::string target, std::string body,
                                                             std::string after) {
    if (!stream_) co_await connect();
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!o_.token.empty()) req.set(http::field::authorization, "Bearer " + o_.token);
    if (!after.empty()) req.set("X-Pagewright-After", after);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    req.keep_alive(true);
    co_await http::async_write(*stream_, req, net::use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(*stream_, buffer_, res, net::use_awaitable);
    if (!res.keep_alive()) stream_.reset();
    co_return res;
  }

  const Options& o_;
  const int index_;
  Tally& tally_;
  Clock::time_point measured_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::vector<double> samples_;
  std::vector<double> edits_;

 public:
  struct Trace {
    double sent_ms, total_ms, edit_ms;
  };
  std::vector<Trace> trace_;
};

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a != "--plain" && i + 1 >= argc) {
      std::fprintf(stderr, "pw_visibility_probe: %s needs a value\n", a.c_str());
      return std::nullopt;
    }
    if (a == "--plain") o.plain = true;
    else if (a == "--port") o.port = static_cast<uint16_t>(std::atoi(argv[++i]));
    else if (a == "--rate") o.rate = std::atof(argv[++i]);
    else if (a == "--seconds") o.seconds = std::atof(argv[++i]);
    else if (a == "--warmup") o.warmup = std::atof(argv[++i]);
    else if (a == "--threads") o.threads = std::atoi(argv[++i]);
    else if (a == "--io-threads") o.io_threads = std::atoi(argv[++i]);
    else if (a == "--token") o.token = argv[++i];
    else if (a == "--pages") o.pages = split(argv[++i]);
    else {
      std::fprintf(stderr, "pw_visibility_probe: unknown argument %s\n", a.c_str());
      return std::nullopt;
    }
  }
  if (o.port == 0 || o.threads < 1 || o.io_threads < 1 || o.rate <= 0 || o.warmup < 0 ||
      (!o.plain && (o.token.empty() || o.pages.empty()))) {
    std::fprintf(stderr, "usage: pw_visibility_probe --port P --rate R --seconds S --threads T [--warmup S] [--io-threads N] "
                         "(--token JWT --pages id,… | --plain)\n");
    return std::nullopt;
  }
  if (!o.plain && o.pages.size() < static_cast<size_t>(o.threads)) {
    std::fprintf(stderr, "pw_visibility_probe: %zu pages for %d clients; each client needs its own\n",
                 o.pages.size(), o.threads);
    return std::nullopt;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse(argc, argv);
  if (!o) return 2;
  Tally tally;
  net::io_context io(o->io_threads);
  std::vector<std::unique_ptr<Client>> clients;
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  // The schedule starts once every client had time to connect.
  const auto start = Clock::now() + std::chrono::milliseconds(500);
  const auto measured = start + seconds(o->warmup);
  const auto end = measured + seconds(o->seconds);
  for (int t = 0; t < o->threads; ++t) {
    clients.push_back(std::make_unique<Client>(*o, t, tally));
    net::co_spawn(io, clients.back()->run(start, measured, end), net::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < o->io_threads; ++t) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - measured).count();
  if (const char* path = std::getenv("PW_PROBE_TRACE")) {
    if (FILE* f = std::fopen(path, "w")) {
      const double t0 = std::chrono::duration<double, std::milli>(measured.time_since_epoch()).count();
      std::fprintf(f, "# measured from %.3f ms of the steady clock\n", t0);
      for (const auto& c : clients)
        for (const auto& t : c->trace_) std::fprintf(f, "%.3f %.3f %.3f\n", t.sent_ms - t0, t.total_ms, t.edit_ms);
      std::fclose(f);
    }
  }
  const size_t count = tally.samples_ms.size();
  const double p50 = percentile(tally.samples_ms, 0.50);
  const double p99 = percentile(tally.samples_ms, 0.99);
  const double max = tally.samples_ms.empty() ? 0 : *std::max_element(tally.samples_ms.begin(), tally.samples_ms.end());
  const double edit_p50 = percentile(tally.edits_ms, 0.50);
  const double edit_p99 = percentile(tally.edits_ms, 0.99);
  std::printf("{\"samples\": %zu, \"rate\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
              "\"errors\": %ld, \"stale\": %ld, \"edit_p50_ms\": %.3f, \"edit_p99_ms\": %.3f}\n",
              count, static_cast<double>(count) / elapsed, p50, p99, max, tally.errors.load(), tally.stale.load(),
              edit_p50, edit_p99);
  return 0;
}
