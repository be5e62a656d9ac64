// gather_status: one reading of every source `pagewright status` shows.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <regex>

#include "events/backends.hpp"
#include "events/groups.hpp"
#include "events/log.hpp"
#include "ops/cli/host_port.hpp"
#include "ops/cli/status.hpp"
#include "projections/lag.hpp"
#include "projections/projector.hpp"
#include "workers/build/build_worker.hpp"
#include "workers/command_processor.hpp"

namespace pw::cli {
namespace {

struct PoolSpec {
  std::string pool, group, topic;
  bool offsets_in_read_model = false;
};

std::vector<PoolSpec> pool_specs() {
  return {{"commands", workers::ProcessorConfig{}.group, std::string(log::kCommandsTopic), false},
          {"projections", projections::ProjectorConfig{}.group, std::string(log::kEventsTopic), true},
          {"builds", builds::BuildWorkerConfig{}.group, std::string(log::kEventsTopic), false}};
}

struct MetricsUrl {
  HostPort at;
  std::string path;
};

// "http://HOST:PORT[/path]" or "HOST:PORT" (path /metrics).
std::optional<MetricsUrl> parse_metrics_url(std::string s) {
  if (s.rfind("http://", 0) == 0) s = s.substr(7);
  std::string path = "/metrics";
  if (const auto slash = s.find('/'); slash != std::string::npos) {
    path = s.substr(slash);
    s = s.substr(0, slash);
  }
  auto at = parse_host_port(s);
  if (!at || at->port == 0) return std::nullopt;
  return MetricsUrl{*at, path};
}

// One GET over HTTP/1.0 (the server closes after the answer); 5 s at most per
// socket operation, so a wedged serve cannot wedge the status.
Result<std::string> http_get(const MetricsUrl& url) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.at.port);
  if (int rc = ::getaddrinfo(url.at.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return make_error(Errc::unavailable, "metrics: " + url.at.host + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addrs(found, &::freeaddrinfo);
  int fd = -1;
  for (auto* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  const std::string where = url.at.host + ":" + port + url.path;
  if (fd < 0) return make_error(Errc::unavailable, "metrics: cannot connect to " + where);
  const std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.at.host + "\r\n\r\n";
  std::string response;
  bool ok = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  char buf[16384];
  for (ssize_t n; ok && (n = ::recv(fd, buf, sizeof buf, 0)) != 0;) {
    if (n < 0) ok = false;
    else response.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!ok) return make_error(Errc::unavailable, "metrics: " + where + " did not answer in time");
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12 || response.substr(9, 3) != "200")
    return make_error(Errc::unavailable, "metrics: " + where + " answered " + response.substr(0, response.find('\r')));
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

// partitions_owned{pool="…"} samples of a Prometheus text exposition.
std::map<std::string, int64_t> owned_by_pool(const std::string& text) {
  std::map<std::string, int64_t> out;
  static const std::regex sample(R"re(^partitions_owned\{[^}]*pool="([a-z]+)"[^}]*\} ([-0-9.e+]+)\s*$)re");
  std::smatch m;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (std::regex_match(line, m, sample)) out[m[1]] = static_cast<int64_t>(std::stod(m[2]));
    start = end + 1;
  }
  return out;
}

// One line each: libpq's messages carry newlines and hints.
void add_problem(Status& s, const std::string& what, const Error& e) {
  std::string line = what + ": ";
  bool space = false;
  for (char c : e.message) {
    const bool blank = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (blank) {
      space = true;
      continue;
    }
    if (space && line.back() != ' ') line += ' ';
    space = false;
    line += c;
  }
  s.problems.push_back(std::move(line));
}

// Ends and committed offsets of one pool's partitions; `stored` replaces the
// group's offsets for a pool that keeps them in the read model.
void read_offsets(log::EventLog& log, const PoolSpec& spec, const std::map<int32_t, int64_t>* stored,
                  PoolStatus& out, Status& s) {
  auto count = log.partition_count(spec.topic);
  if (!count.ok()) {
    if (count.error().code == Errc::not_found) return;  // no role ever started: nothing to own yet
    add_problem(s, spec.pool + ": " + spec.topic, count.error());
    return;
  }
  int64_t total = 0;
  bool known = true;
  for (int32_t p = 0; p < *count; ++p) {
    PartitionStatus ps;
    ps.partition = p;
    auto end = log.end_offset({spec.topic, p});
    if (!end.ok()) {
      add_problem(s, spec.pool + ": end of " + spec.topic + "[" + std::to_string(p) + "]", end.error());
      known = false;
      out.partitions.push_back(ps);
      continue;
    }
    ps.end = *end;
    if (stored) {
      if (auto it = stored->find(p); it != stored->end()) ps.committed = it->second;
      ps.lag = std::max<int64_t>(0, ps.end - ps.committed.value_or(0));
    } else if (auto committed = log.committed_offset(spec.group, {spec.topic, p}); committed.ok()) {
      ps.committed = *committed;
      ps.lag = std::max<int64_t>(0, ps.end - ps.committed.value_or(0));
    } else {
      // On Kafka, offsets of a transaction still open are no answer yet.
      add_problem(s, spec.pool + ": committed offset of " + spec.topic + "[" + std::to_string(p) + "]",
                  committed.error());
    }
    if (ps.lag) total += *ps.lag;
    else known = false;
    out.partitions.push_back(ps);
  }
  if (known) out.lag = total;
}

// What projection_offsets holds for pagewright.events, or nullopt (a problem).
std::optional<std::map<int32_t, int64_t>> projected(log::EventLog& log, const std::string& pg, Status& s) {
  auto probe = projections::LagProbe::connect(pg);
  if (!probe.ok()) {
    add_problem(s, "postgres", probe.error());
    return std::nullopt;
  }
  auto lags = (*probe)->measure(log);
  if (!lags.ok()) {
    if (lags.error().code == Errc::not_found) return std::map<int32_t, int64_t>{};
    add_problem(s, "postgres", lags.error());
    return std::nullopt;
  }
  std::map<int32_t, int64_t> out;
  for (const auto& l : *lags)
    if (l.stored > 0) out[l.partition] = l.stored;
  return out;
}

void owners_from_broker(const std::string& uri, std::vector<PoolStatus>& pools, Status& s) {
  std::vector<std::string> groups;
  for (const auto& p : pools) groups.push_back(p.group);
  auto described = log::describe_groups(uri, groups);
  if (!described.ok()) {
    add_problem(s, "group members", described.error());
    return;
  }
  for (auto& pool : pools) {
    pool.owners_from = "broker";
    for (const auto& g : *described) {
      if (g.group != pool.group) continue;
      pool.group_state = g.state;
      for (const auto& m : g.members) {
        PoolMember member{m.client_id, m.host, m.id, {}};
        for (const auto& tp : m.assignment) {
          if (tp.topic != pool.topic) continue;
          member.partitions.push_back(tp.partition);
          for (auto& ps : pool.partitions)
            if (ps.partition == tp.partition) ps.owner = m.client_id + "@" + m.host;
        }
        std::sort(member.partitions.begin(), member.partitions.end());
        pool.members.push_back(std::move(member));
      }
    }
  }
}

void owners_from_metrics(const MetricsUrl& url, std::vector<PoolStatus>& pools, Status& s) {
  auto text = http_get(url);
  if (!text.ok()) {
    add_problem(s, "serve's metrics", text.error());
    return;
  }
  const auto owned = owned_by_pool(*text);
  for (auto& pool : pools) {
    pool.owners_from = "metrics";
    if (auto it = owned.find(pool.pool); it != owned.end()) pool.owned_in_process = it->second;
  }
}

}  // namespace

Result<Status> gather_status(const StatusSources& sources) {
  auto uri = log::parse_log_uri(sources.log_uri, {});
  if (!uri.ok()) return uri.error();
  std::optional<MetricsUrl> metrics;
  if (!sources.metrics_url.empty()) {
    metrics = parse_metrics_url(sources.metrics_url);
    if (!metrics)
      return make_error(Errc::validation_error,
                        "--metrics '" + sources.metrics_url + "' is not http://HOST:PORT[/path] or HOST:PORT");
  }
  Status s;
  s.backend = uri->scheme;
  s.log = uri->scheme + ":" + uri->where;
  for (const auto& spec : pool_specs()) {
    PoolStatus p;
    p.pool = spec.pool;
    p.group = spec.group;
    p.topic = spec.topic;
    p.offsets_from = spec.offsets_in_read_model ? "read model" : "group";
    p.owners_from = "in-process";
    s.pools.push_back(std::move(p));
  }

  // The local log read-only: serve owns it meanwhile.
  auto log = uri->scheme == "local" ? log::open_log(sources.log_uri, {{"read_only", "true"}})
                                    : log::open_log(sources.log_uri);
  if (!log.ok()) {
    add_problem(s, "event log", log.error());
  } else {
    std::optional<std::map<int32_t, int64_t>> stored;
    if (!sources.pg.empty()) stored = projected(**log, sources.pg, s);
    const auto specs = pool_specs();
    for (size_t i = 0; i < specs.size(); ++i) {
      // Without the read model's offsets the projections' lag is unknown,
      // not what the group (which commits none) would suggest.
      if (specs[i].offsets_in_read_model && !stored) continue;
      read_offsets(**log, specs[i], specs[i].offsets_in_read_model ? &*stored : nullptr, s.pools[i], s);
    }
  }

  if (uri->scheme == "kafka") owners_from_broker(sources.log_uri, s.pools, s);
  else if (metrics) owners_from_metrics(*metrics, s.pools, s);

  // One clear line when Postgres is down, not one per thing asked of it.
  const bool pg_down = !s.problems.empty() && s.problems.back().rfind("postgres:", 0) == 0;
  if (!sources.pg.empty() && !pg_down) {
    auto deployments = projections::recent_deployments(sources.pg, sources.deployments);
    if (deployments.ok()) s.deployments = std::move(deployments).value();
    else add_problem(s, "postgres", deployments.error());
  }
  return s;
}

}  // namespace pw::cli
