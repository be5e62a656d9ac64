#include "gateway/site_log.hpp"

#include <charconv>
#include <iostream>
#include <limits>
#include <memory>
#include <span>

#include "events/json_scan.hpp"
#include "events/logging.hpp"
#include "queries/read_model.hpp"

namespace pw::gateway {
namespace {

using Clock = std::chrono::steady_clock;
using queries::EventPosition;

constexpr size_t kReadBatch = 4096;
constexpr std::chrono::milliseconds kReadSlice{200};
constexpr std::chrono::seconds kSlowWalk{2};

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

// One walk over a site's records in its events partition: a lazily opened
// reader, the partition's end when the walk began, the deadline and the cost.
class Walk {
 public:
  Walk(log::EventLog& log, log::TopicPartition tp, const SiteId& site, int64_t end, Clock::time_point deadline,
       SiteLogCost& cost)
      : log_(log), tp_(std::move(tp)), site_(site), end_(end), deadline_(deadline), cost_(cost) {}

  // A walk normally takes milliseconds; one that took seconds (even if it
  // ended well) says a fetch stalled, and where.
  ~Walk() {
    const auto took = Clock::now() - started_;
    if (took < kSlowWalk) return;
    logging::warn("site events read slowly",
                  {{"site", site_.str()}, {"where", where() + progress()},
                   {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count()}});
  }

  // Reads the records `run` names (ascending offsets, close together) and
  // hands the site's to `sink`. False when the sink stopped the walk.
  Result<bool> indexed(std::span<const EventPosition> run, const SiteEventSink& sink) {
    size_t k = 0;
    // Positions the log does not reach (yet) cannot be read.
    auto beyond = [&] {
      while (k < run.size() && (run[k].offset >= end_ || run[k].partition != tp_.partition)) missing(run[k++]);
    };
    beyond();
    if (k == run.size()) return true;
    if (auto s = position(run[k].offset); !s) return s.error();
    while (k < run.size()) {
      const int64_t last = run.back().offset < end_ ? run.back().offset : end_ - 1;
      auto got = read(static_cast<size_t>(std::min<int64_t>(last - run[k].offset + 1, kReadBatch)));
      if (!got) return got.error();
      for (const auto& rec : *got) {
        while (k < run.size() && run[k].offset < rec.offset) missing(run[k++]);
        beyond();
        if (k == run.size()) break;
        if (rec.offset < run[k].offset) continue;  // between two wanted records
        if (rec.key != site_.str()) {
          missing(run[k++]);
          continue;
        }
        if (!sink(run[k++].seq, rec.value)) return false;
      }
      beyond();
    }
    return true;
  }

  // The site's records from `from` (the projection's offset) to the end,
  // those with seq > after_seq (all when unset) to `sink`.
  Result<bool> tail(int64_t from, std::optional<int64_t> after_seq, const SiteEventSink& sink) {
    if (from >= end_) return true;
    if (auto s = position(from); !s) return s.error();
    const int64_t last = end_ - 1;
    for (;;) {
      auto got = read(kReadBatch);
      if (!got) return got.error();
      for (const auto& rec : *got) {
        if (rec.offset > last) return true;
        ++cost_.tail_records;
        if (rec.key == site_.str()) {
          const int64_t seq = seq_of(rec.value);
          if ((!after_seq || seq > *after_seq) && !sink(seq, rec.value)) return false;
        }
        if (rec.offset == last) return true;
      }
    }
  }

 private:
  Result<void> position(int64_t offset) {
    ++cost_.seeks;
    sought_ = offset;
    if (!reader_) {
      auto r = log_.reader(tp_, offset);
      if (!r.ok()) return unavailable("reader of " + where(), r.error());
      reader_ = std::move(r).value();
      return {};
    }
    if (auto s = reader_->seek(offset); !s) return unavailable("seek in " + where(), s.error());
    return {};
  }

  Result<std::vector<log::Record>> read(size_t max_records) {
    const auto now = Clock::now();
    if (now >= deadline_)
      return make_error(Errc::unavailable, "site events: " + where() + " not read in time" + progress());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
    auto got = reader_->read(std::min(left, kReadSlice), std::max<size_t>(max_records, 1));
    if (!got.ok()) return unavailable("reading " + where(), got.error());
    cost_.records_read += static_cast<int64_t>(got->size());
    if (!got->empty()) last_read_ = got->back().offset;
    return got;
  }

  // Where a walk that ran out of time stood: what an operator (or a test's
  // failure) needs to tell a stalled fetch from a log that ends early.
  std::string progress() const {
    return " (wanted up to offset " + std::to_string(end_ - 1) + ", last read " +
           (last_read_ ? std::to_string(*last_read_) : std::string("none")) + ", sought " +
           std::to_string(sought_) + ", " + std::to_string(cost_.records_read) + " records read)";
  }

  // Not silent: a position without its record is an index (or log) defect.
  void missing(const EventPosition& p) {
    ++cost_.missing;
    logging::warn("the read model names a position where the log has no record of the site",
                  {{"site", site_.str()}, {"seq", p.seq}, {"topic", tp_.topic}, {"partition", p.partition},
                   {"offset", p.offset}});
  }

  std::string where() const { return tp_.topic + "[" + std::to_string(tp_.partition) + "]"; }

  log::EventLog& log_;
  log::TopicPartition tp_;
  const SiteId& site_;
  int64_t end_;
  Clock::time_point deadline_;
  SiteLogCost& cost_;
  std::unique_ptr<log::Reader> reader_;
  std::optional<int64_t> last_read_;
  int64_t sought_ = -1;
  const Clock::time_point started_ = Clock::now();
};

}  // namespace

SiteLog::SiteLog(log::EventLog& log, queries::ReadModel& index, SiteLogOptions options)
    : log_(log), index_(index), options_(options) {
  options_.index_page = std::max<int64_t>(options_.index_page, 1);
  options_.max_gap = std::max<int64_t>(options_.max_gap, 1);
}

Result<void> SiteLog::walk(const TenantId& tenant, const SiteId& site, std::optional<int64_t> after_seq,
                           const SiteEventSink& sink, SiteLogCost& cost) {
  const auto deadline = Clock::now() + options_.deadline;
  const std::string topic(log::kEventsTopic);
  auto partitions = log_.partition_count(topic);
  if (!partitions.ok()) return unavailable("partitions of " + topic, partitions.error());
  if (*partitions <= 0) return {};
  log::TopicPartition tp{topic, log::partition_for(site.str(), *partitions)};
  // Read before the index, so every position the index names is below it
  // (the projector only indexes records it read) and the walk ends.
  auto end = log_.end_offset(tp);
  if (!end.ok()) return unavailable("end of " + topic, end.error());
  Walk w(log_, tp, site, *end, deadline, cost);

  int64_t index_after = after_seq.value_or(0);
  for (;;) {
    if (Clock::now() >= deadline) return make_error(Errc::unavailable, "site events: the index not read in time");
    auto page = index_.site_event_positions(tenant, site, tp.partition, index_after, options_.index_page);
    if (!page.ok()) {
      if (page.error().code == Errc::internal) return page.error();
      return unavailable("read model", page.error());
    }
    const auto& events = page->events;
    cost.index_rows += static_cast<int64_t>(events.size());
    for (size_t i = 0; i < events.size();) {
      size_t j = i + 1;
      while (j < events.size() && events[j].offset > events[j - 1].offset &&
             events[j].offset - events[j - 1].offset <= options_.max_gap)
        ++j;
      auto more = w.indexed(std::span<const EventPosition>(events).subspan(i, j - i), sink);
      if (!more) return more.error();
      if (!*more) return {};
      i = j;
    }
    if (static_cast<int64_t>(events.size()) < options_.index_page) {
      auto more = w.tail(page->projected_to, after_seq, sink);
      if (!more) return more.error();
      return {};
    }
    index_after = events.back().seq;
  }
}

Result<void> SiteLog::for_each(const TenantId& tenant, const SiteId& site, int64_t after_seq,
                               const SiteEventSink& sink, SiteLogCost* cost) {
  SiteLogCost local;
  return walk(tenant, site, after_seq, sink, cost ? *cost : local);
}

Result<SiteEventsPage> SiteLog::read(const TenantId& tenant, const SiteId& site, int64_t after_seq, size_t limit,
                                     size_t byte_budget, SiteLogCost* cost) {
  SiteEventsPage page;
  if (limit == 0) return page;
  size_t bytes = 0;
  int64_t last_seq = after_seq;
  // The record after the last one that fits is read too (and dropped), so
  // next_after_seq is set only when more events really follow.
  auto r = for_each(
      tenant, site, after_seq,
      [&](int64_t seq, std::string_view value) {
        const size_t need = value.size() + 1;
        if (page.values.size() == limit || (!page.values.empty() && bytes + need > byte_budget)) {
          page.next_after_seq = last_seq;
          return false;
        }
        page.values.emplace_back(value);
        bytes += need;
        last_seq = seq;
        return true;
      },
      cost);
  if (!r.ok()) return r.error();
  return page;
}

Result<void> SiteLog::for_positions(const SiteId& site, std::span<const EventPosition> positions,
                                    const SiteEventSink& sink, SiteLogCost* cost) {
  SiteLogCost local;
  SiteLogCost& c = cost ? *cost : local;
  if (positions.empty()) return {};
  const auto deadline = Clock::now() + options_.deadline;
  const std::string topic(log::kEventsTopic);
  auto partitions = log_.partition_count(topic);
  if (!partitions.ok()) return unavailable("partitions of " + topic, partitions.error());
  if (*partitions <= 0) return {};
  log::TopicPartition tp{topic, log::partition_for(site.str(), *partitions)};
  auto end = log_.end_offset(tp);
  if (!end.ok()) return unavailable("end of " + topic, end.error());
  Walk w(log_, tp, site, *end, deadline, c);
  c.index_rows += static_cast<int64_t>(positions.size());
  for (size_t i = 0; i < positions.size();) {
    size_t j = i + 1;
    while (j < positions.size() && positions[j].offset > positions[j - 1].offset &&
           positions[j].offset - positions[j - 1].offset <= options_.max_gap)
      ++j;
    auto more = w.indexed(positions.subspan(i, j - i), sink);
    if (!more) return more.error();
    if (!*more) return {};
    i = j;
  }
  return {};
}

Result<ChainReport> SiteLog::verify(const TenantId& tenant, const SiteId& site, SiteLogCost* cost) {
  ChainVerifier verifier;
  SiteLogCost local;
  auto r = walk(
      tenant, site, std::nullopt,
      [&](int64_t, std::string_view value) {
        verifier.add(value);
        return true;
      },
      cost ? *cost : local);
  if (!r.ok()) return r.error();
  return verifier.finish();
}

}  // namespace pw::gateway
