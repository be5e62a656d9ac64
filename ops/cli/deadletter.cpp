// `pagewright deadletter list|retry`: what the pools set aside in
// pagewright.deadletter, and replaying it into the read models once the read
// model is repaired or the bug fixed (projections/retry.hpp says how a retry
// applies once and in order). A local log is opened read-only, so both work
// while `serve` owns it; on Kafka they are one more client of the broker.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <tuple>

#include "events/dead_letter.hpp"
#include "events/encoding.hpp"
#include "events/json_scan.hpp"
#include "events/log.hpp"
#include "gateway/metrics.hpp"
#include "events/logging.hpp"
#include "ops/cli/cli.hpp"
#include "projections/retry.hpp"

namespace pw::cli {
namespace {

using namespace std::chrono_literals;
using projections::DeadLetterPosition;
using projections::RetryOutcome;

struct DeadLetterOptions {
  std::string log_uri;
  std::string pg;
  std::string pool;
  std::optional<int32_t> partition;
  bool json = false;
  bool all = false;
  std::vector<std::string> positions;
  std::string metrics_file;
};

struct Letter {
  DeadLetterPosition at;
  log::DeadLetter d;
};

const std::string kTopic(log::kDeadLetterTopic);

std::string position_text(DeadLetterPosition at) {
  return kTopic + "[" + std::to_string(at.first) + "]@" + std::to_string(at.second);
}

std::string original_text(const log::DeadLetter& d) {
  return d.topic + "[" + std::to_string(d.partition) + "]@" + std::to_string(d.offset);
}

// "3@17" or "pagewright.deadletter[3]@17".
std::optional<DeadLetterPosition> parse_position(std::string s) {
  if (s.rfind(kTopic + "[", 0) == 0) {
    s = s.substr(kTopic.size() + 1);
    const auto close = s.find("]@");
    if (close == std::string::npos) return std::nullopt;
    s = s.substr(0, close) + "@" + s.substr(close + 2);
  }
  const auto at = s.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == s.size()) return std::nullopt;
  try {
    size_t used = 0;
    const int p = std::stoi(s.substr(0, at), &used);
    if (used != at || p < 0) return std::nullopt;
    const long long o = std::stoll(s.substr(at + 1), &used);
    if (used != s.size() - at - 1 || o < 0) return std::nullopt;
    return DeadLetterPosition{p, o};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The local log read-only: serve may own it meanwhile.
Result<std::unique_ptr<log::EventLog>> open_for_operators(const std::string& uri) {
  if (uri.rfind("local:", 0) == 0) return log::open_log(uri, {{"read_only", "true"}});
  return log::open_log(uri);
}

// Records of one partition from `from` up to its end as it is now. Kafka's
// end may count a transaction marker no read returns: a short idle wait ends it.
Result<std::vector<log::Record>> read_partition(log::EventLog& log, const log::TopicPartition& tp, int64_t from,
                                                size_t at_most) {
  std::vector<log::Record> out;
  auto end = log.end_offset(tp);
  if (!end.ok()) return end.error();
  if (*end <= from) return out;
  auto reader = log.reader(tp, from);
  if (!reader.ok()) return reader.error();
  int64_t next = from;
  while (next < *end && out.size() < at_most) {
    auto got = (*reader)->read(next + 1 >= *end ? 500ms : 10s, 1000);
    if (!got.ok()) return got.error();
    if (got->empty()) break;
    for (auto& r : *got) {
      next = r.offset + 1;
      if (r.offset >= *end || out.size() >= at_most) break;
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<Letter> to_letter(const log::Record& r) {
  auto d = log::decode_dead_letter(r.value);
  if (!d.ok()) return make_error(Errc::validation_error, position_text({r.partition, r.offset}) + ": " + d.error().message);
  return Letter{{r.partition, r.offset}, std::move(d).value()};
}

bool wanted(const DeadLetterOptions& o, const Letter& l) {
  return (o.pool.empty() || l.d.pool == o.pool) && (!o.partition || l.at.first == *o.partition);
}

// Every dead letter the filters let through, in log order per partition.
Result<std::vector<Letter>> read_letters(log::EventLog& log, const DeadLetterOptions& o) {
  std::vector<Letter> out;
  auto count = log.partition_count(kTopic);
  if (!count.ok()) {
    if (count.error().code == Errc::not_found) return out;  // nothing was ever set aside
    return count.error();
  }
  for (int32_t p = 0; p < *count; ++p) {
    if (o.partition && p != *o.partition) continue;
    auto records = read_partition(log, {kTopic, p}, 0, SIZE_MAX);
    if (!records.ok()) return records.error();
    for (const auto& r : *records) {
      auto letter = to_letter(r);
      if (!letter.ok()) {
        logging::warn("not a dead letter", {{"error", letter.error().message}});  // not ours: shown, not fatal
        continue;
      }
      if (wanted(o, *letter)) out.push_back(std::move(letter).value());
    }
  }
  return out;
}

Result<Letter> read_letter(log::EventLog& log, DeadLetterPosition at) {
  auto records = read_partition(log, {kTopic, at.first}, at.second, 1);
  if (!records.ok()) return records.error();
  if (records->empty() || (*records)[0].offset != at.second)
    return make_error(Errc::not_found, "no dead letter at " + position_text(at));
  return to_letter((*records)[0]);
}

void append_json_field(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  json_scan::append_quoted(out, name);
  out += ':';
  json_scan::append_quoted(out, value);
}

void append_json_number(std::string& out, std::string_view name, int64_t value) {
  out += ',';
  json_scan::append_quoted(out, name);
  out += ':';
  out += std::to_string(value);
}

std::string json_line(const Letter& l, const RetryOutcome* retry) {
  std::string out = "{";
  json_scan::append_quoted(out, "position");
  out += ':';
  json_scan::append_quoted(out, position_text(l.at));
  append_json_number(out, "deadLetterPartition", l.at.first);
  append_json_number(out, "deadLetterOffset", l.at.second);
  append_json_field(out, "topic", l.d.topic);
  append_json_number(out, "partition", l.d.partition);
  append_json_number(out, "offset", l.d.offset);
  if (is_valid_utf8(l.d.key))
    append_json_field(out, "key", l.d.key);
  else
    append_json_field(out, "keyBase64", base64url_encode(l.d.key));
  append_json_field(out, "pool", l.d.pool);
  append_json_field(out, "group", l.d.group);
  append_json_field(out, "reason", l.d.reason);
  append_json_field(out, "at", l.d.at);
  append_json_number(out, "valueBytes", static_cast<int64_t>(l.d.value_omitted.value_or(l.d.value.size())));
  out += l.d.value_omitted ? ",\"valueOmitted\":true" : ",\"valueOmitted\":false";
  if (retry) {
    out += ",\"retry\":{";
    json_scan::append_quoted(out, "outcome");
    out += ':';
    json_scan::append_quoted(out, projections::outcome_name(retry->kind));
    append_json_field(out, "reason", retry->reason);
    append_json_number(out, "attempts", retry->attempts);
    append_json_field(out, "at", retry->at);
    out += '}';
  }
  out += '}';
  return out;
}

std::string readable(const Letter& l, const RetryOutcome* retry) {
  std::string key = is_valid_utf8(l.d.key) ? l.d.key : "base64url:" + base64url_encode(l.d.key);
  std::string out = position_text(l.at) + "  " + original_text(l.d) + "  key " + key + "\n";
  out += "  pool " + l.d.pool + ", group " + l.d.group + ", set aside at " + l.d.at + ", value " +
         std::to_string(l.d.value_omitted.value_or(l.d.value.size())) + " bytes" +
         (l.d.value_omitted ? " (left out of the dead letter; the original position holds it)" : "") + "\n";
  out += "  reason: " + l.d.reason + "\n";
  if (retry) {
    out += "  retried: " + std::string(projections::outcome_name(retry->kind)) + " (" +
           std::to_string(retry->attempts) + (retry->attempts == 1 ? " attempt" : " attempts") + ", last at " +
           retry->at + ")";
    if (!retry->reason.empty()) out += ": " + retry->reason;
    out += "\n";
  }
  return out;
}

int fail(const char* what, const Error& e) {
  logging::error(what, {{"error", e.message}});
  return 1;
}

int run_list(const DeadLetterOptions& o) {
  auto log = open_for_operators(o.log_uri);
  if (!log.ok()) return fail("event log", log.error());
  auto letters = read_letters(**log, o);
  if (!letters.ok()) return fail("event log", letters.error());
  std::map<DeadLetterPosition, RetryOutcome> retried;
  if (!o.pg.empty()) {
    auto retrier = projections::DeadLetterRetrier::connect(o.pg);
    if (!retrier.ok()) return fail("postgres", retrier.error());
    auto outcomes = (*retrier)->outcomes();
    if (!outcomes.ok()) return fail("postgres", outcomes.error());
    retried = std::move(outcomes).value();
  }
  for (const auto& l : *letters) {
    const auto it = retried.find(l.at);
    const RetryOutcome* retry = it == retried.end() ? nullptr : &it->second;
    std::cout << (o.json ? json_line(l, retry) + "\n" : readable(l, retry));
  }
  if (!o.json) std::cout << letters->size() << (letters->size() == 1 ? " dead letter" : " dead letters") << "\n";
  std::cout.flush();
  return 0;
}

// The original bytes: the dead letter's, or the log's at the original
// position when the dead letter was too large to hold them.
Result<void> fill_value(log::EventLog& log, log::DeadLetter& d) {
  if (!d.value_omitted) return {};
  auto records = read_partition(log, {d.topic, d.partition}, d.offset, 1);
  if (!records.ok()) return records.error();
  if (records->empty() || (*records)[0].offset != d.offset)
    return make_error(Errc::not_found, "the original record at " + original_text(d) + " is gone");
  d.value = (*records)[0].value;
  d.value_omitted.reset();
  return {};
}

// For Prometheus's textfile collector (node_exporter), which must never read
// half a file: written beside it, then renamed over it.
Result<void> write_metrics_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return make_error(Errc::unavailable, "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(Errc::unavailable, "cannot rename " + tmp + " to " + path + ": " + ec.message());
  return {};
}

int run_retry(const DeadLetterOptions& o) {
  if (o.all == !o.positions.empty()) {
    logging::error("retry: name dead-letter positions (e.g. 3@17) or --all, not both");
    return 2;
  }
  std::vector<DeadLetterPosition> named;
  for (const auto& s : o.positions) {
    auto at = parse_position(s);
    if (!at) {
      logging::error("retry: no dead-letter position (P@OFFSET or " + kTopic + "[P]@OFFSET)", {{"position", s}});
      return 2;
    }
    named.push_back(*at);
  }
  auto log = open_for_operators(o.log_uri);
  if (!log.ok()) return fail("event log", log.error());
  auto retrier = projections::DeadLetterRetrier::connect(o.pg);
  if (!retrier.ok()) return fail("postgres", retrier.error());

  std::vector<Letter> letters;
  if (o.all) {
    DeadLetterOptions filter = o;
    if (filter.pool.empty()) filter.pool = "projections";
    auto read = read_letters(**log, filter);
    if (!read.ok()) return fail("event log", read.error());
    letters = std::move(read).value();
    // A site's events in the order the log has them: the first a site's
    // quarantine began with applies before the ones that met its gap.
    std::stable_sort(letters.begin(), letters.end(), [](const Letter& a, const Letter& b) {
      return std::tie(a.d.topic, a.d.partition, a.d.offset) < std::tie(b.d.topic, b.d.partition, b.d.offset);
    });
  } else {
    for (const auto& at : named) {
      auto letter = read_letter(**log, at);
      if (!letter.ok()) return fail("event log", letter.error());
      letters.push_back(std::move(letter).value());
    }
  }

  gateway::Metrics metrics;
  int still_dead = 0;
  for (auto& l : letters) {
    const std::string head = position_text(l.at) + " (" + original_text(l.d) + "): ";
    if (l.d.pool == "builds") {
      // The build pool keeps no state outside the log: it folds every record
      // of a partition it takes, set-aside ones included.
      std::cout << head
                << "not replayed: the builds pool refolds it when it next takes the partition (restart it once "
                   "fixed); a deployment requested meanwhile is requested again\n";
      ++still_dead;
      continue;
    }
    if (auto filled = fill_value(**log, l.d); !filled.ok()) {
      std::cout << head << "failed: " << filled.error().message << "\n";
      metrics.count_dead_letter_retry("failed");
      ++still_dead;
      continue;
    }
    auto outcome = (*retrier)->retry(l.d, l.at);
    if (!outcome.ok()) return fail("postgres", outcome.error());
    metrics.count_dead_letter_retry(projections::outcome_name(outcome->kind));
    switch (outcome->kind) {
      case RetryOutcome::Kind::applied:
      case RetryOutcome::Kind::already:
        std::cout << head << (outcome->earlier ? "retried before (" : "") << projections::outcome_name(outcome->kind)
                  << (outcome->earlier ? " at " + outcome->at + "), nothing to do" : "") << "\n";
        break;
      case RetryOutcome::Kind::pending:
        std::cout << head << "pending: " << outcome->reason << "\n";
        break;
      case RetryOutcome::Kind::failed:
        std::cout << head << "failed again, still a dead letter: " << outcome->reason << "\n";
        ++still_dead;
        break;
    }
  }
  std::cout.flush();
  if (!o.metrics_file.empty())
    if (auto written = write_metrics_file(o.metrics_file, metrics.render()); !written.ok())
      return fail("metrics file", written.error());
  return still_dead == 0 ? 0 : 1;
}

void add_common(CLI::App* cmd, DeadLetterOptions& o) {
  cmd->add_option("--log", o.log_uri, "event log: kafka:<bootstrap> or local:<dir> (opened read-only)")
      ->envname("PW_LOG")
      ->required();
  cmd->add_option("--pool", o.pool, "only the dead letters of this pool: projections | builds | rebuild");
  cmd->add_option("--partition", o.partition, "only this partition of " + kTopic + " (= of the original topic)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

Runner add_deadletter(CLI::App& app) {
  auto* cmd = app.add_subcommand("deadletter", "See and replay what the pools set aside in " + kTopic);
  cmd->require_subcommand(1);
  auto o = std::make_shared<DeadLetterOptions>();
  auto* list = cmd->add_subcommand("list", "Print each dead letter: where it was, which pool, why");
  add_common(list, *o);
  list->add_option("--pg", o->pg, "PostgreSQL conninfo of the read models' owner: shows what retries did")
      ->envname("PW_PG");
  list->add_flag("--json", o->json, "one JSON object per line");
  auto* retry = cmd->add_subcommand("retry", "Replay dead letters of the projection pool into the read models");
  add_common(retry, *o);
  retry->add_option("--pg", o->pg, "PostgreSQL conninfo of the read models' owner")->envname("PW_PG")->required();
  retry->add_option("positions", o->positions, "dead-letter positions, as list prints them (or P@OFFSET)");
  retry->add_flag("--all", o->all, "every dead letter of the projection pool (or --pool), in log order");
  retry->add_option("--metrics-file", o->metrics_file,
                    "write dead_letter_retries_total{outcome} (Prometheus text) here when done, for "
                    "node_exporter's textfile collector");
  return [cmd, list, retry, o]() -> int {
    if (!*cmd) return -1;
    if (*list) return run_list(*o);
    if (*retry) return run_retry(*o);
    return 2;
  };
}

}  // namespace pw::cli
