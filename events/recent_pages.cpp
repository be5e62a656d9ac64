#include "events/recent_pages.hpp"

#include <utility>

namespace pw::log {
namespace {

size_t bytes_of(const PageRowText& r) {
  return sizeof(PageRowText) + r.tenant.size() + r.page_id.size() + r.site_id.size() + r.slug.size() +
         r.title.size() + r.description.size() + r.seo.size() + r.status.size() + r.updated_at.size() +
         r.content.size();
}

}  // namespace

RecentPages::RecentPages() : RecentPages(Limits{}) {}

RecentPages::RecentPages(Limits limits, std::function<Clock::time_point()> clock)
    : limits_(limits), clock_(std::move(clock)) {}

void RecentPages::committed(std::vector<PageRowText> rows) {
  if (rows.empty()) return;
  const auto now = clock_();
  std::lock_guard lk(mu_);
  for (auto& row : rows) keep(std::move(row), now);
  trim(now);
}

void RecentPages::keep(PageRowText&& row, Clock::time_point now) {
  auto held = rows_.find(row.page_id);
  if (held != rows_.end()) {
    if (held->second.row->version > row.version) return;
    drop(held);
  }
  const size_t bytes = bytes_of(row);
  // Too large to keep: the page is read from Postgres (and no older row of
  // it stays behind, dropped above).
  if (bytes > limits_.max_row_bytes) return;
  const uint64_t serial = next_serial_++;
  std::string id = row.page_id;
  order_.emplace_back(serial, id);
  rows_.emplace(std::move(id), Entry{std::make_shared<const PageRowText>(std::move(row)), serial, now, bytes});
  bytes_ += bytes;
}

void RecentPages::drop(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  rows_.erase(it);
}

// Oldest first: past the byte budget, or too old to answer.
void RecentPages::trim(Clock::time_point now) {
  while (!order_.empty()) {
    const auto& [serial, id] = order_.front();
    auto it = rows_.find(id);
    const bool current = it != rows_.end() && it->second.serial == serial;
    if (current) {
      const bool stale = now - it->second.at > limits_.fresh_for;
      if (!stale && bytes_ <= limits_.max_bytes) return;
      drop(it);
    }
    order_.pop_front();
  }
}

void RecentPages::forget_all() {
  std::lock_guard lk(mu_);
  rows_.clear();
  order_.clear();
  bytes_ = 0;
  ++stats_.forgotten;
}

std::shared_ptr<const PageRowText> RecentPages::find(std::string_view tenant, std::string_view page_id) {
  const auto now = clock_();
  std::lock_guard lk(mu_);
  auto it = rows_.find(std::string(page_id));
  if (it == rows_.end() || now - it->second.at > limits_.fresh_for || it->second.row->tenant != tenant) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  return it->second.row;
}

RecentPages::Stats RecentPages::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

size_t RecentPages::bytes() const {
  std::lock_guard lk(mu_);
  return bytes_;
}

}  // namespace pw::log
