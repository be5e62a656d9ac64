#include "gateway/site_log.hpp"

#include <charconv>
#include <limits>

#include "events/json_scan.hpp"

namespace pw::gateway {
namespace {

using Clock = std::chrono::steady_clock;

Error unavailable(const std::string& what, const Error& e) {
  return make_error(Errc::unavailable, "site events: " + what + ": " + e.message);
}

// The top-level "seq" of an envelope, read without a full parse; a record whose
// seq cannot be read counts as the newest (a tampered record stays visible).
int64_t seq_of(std::string_view value) {
  int64_t seq = std::numeric_limits<int64_t>::max();
  json_scan::scan_fields(value, [&](std::string_view key, std::string_view raw) {
    if (key != "seq") return json_scan::Step::next;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec == std::errc{} && p == raw.data() + raw.size()) seq = v;
    return json_scan::Step::stop;
  });
  return seq;
}

// Every record value of `site` in its events partition, in log order, up to the
// partition's end when the call began; `visit` returns false to stop.
Result<void> scan_site(log::EventLog& log, const SiteId& site, std::chrono::milliseconds budget,
                       const std::function<bool(std::string_view)>& visit) {
  const auto deadline = Clock::now() + budget;
  const std::string topic(log::kEventsTopic);
  auto partitions = log.partition_count(topic);
  if (!partitions.ok()) return unavailable("partitions of " + topic, partitions.error());
  if (*partitions <= 0) return {};
  const log::TopicPartition tp{topic, log::partition_for(site.str(), *partitions)};
  auto end = log.end_offset(tp);
  if (!end.ok()) return unavailable("end of " + topic, end.error());
  if (*end <= 0) return {};
  auto reader = log.reader(tp, 0);
  if (!reader.ok()) return unavailable("reader of " + topic, reader.error());
  // end_offset is one past the last visible record, so that record is the last.
  const int64_t last = *end - 1;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline)
      return make_error(Errc::unavailable, "site events: " + topic + "[" + std::to_string(tp.partition) +
                                               "] not read to offset " + std::to_string(last) + " in time");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto got = (*reader)->read(std::min(left, std::chrono::milliseconds(200)), 4096);
    if (!got.ok()) return unavailable("reading " + topic, got.error());
    for (const auto& rec : *got) {
      if (rec.offset > last) return {};
      if (rec.key == site.str() && !visit(rec.value)) return {};
      if (rec.offset == last) return {};
    }
  }
}

}  // namespace

Result<void> for_each_site_event(log::EventLog& log, const SiteId& site, int64_t after_seq,
                                 const std::function<bool(std::string_view)>& sink,
                                 std::chrono::milliseconds deadline) {
  return scan_site(log, site, deadline, [&](std::string_view value) {
    if (seq_of(value) <= after_seq) return true;
    return sink(value);
  });
}

Result<std::vector<std::string>> read_site_events(log::EventLog& log, const SiteId& site, int64_t after_seq,
                                                  size_t limit, std::chrono::milliseconds deadline) {
  std::vector<std::string> out;
  if (limit == 0) return out;
  auto r = for_each_site_event(
      log, site, after_seq,
      [&](std::string_view value) {
        out.emplace_back(value);
        return out.size() < limit;
      },
      deadline);
  if (!r.ok()) return r.error();
  return out;
}

Result<ChainReport> verify_site(log::EventLog& log, const SiteId& site, std::chrono::milliseconds deadline) {
  ChainVerifier verifier;
  auto r = scan_site(log, site, deadline, [&](std::string_view value) {
    verifier.add(value);
    return true;
  });
  if (!r.ok()) return r.error();
  return verifier.finish();
}

}  // namespace pw::gateway
