#pragma once
// The page rows this process's projectors committed a moment ago, for the
// read that waited for them.
//
// An editor's edit is followed by a read of the same page with
// X-Pagewright-After; in `serve` that read waits for the projector's commit
// (ProjectedPositions) and then asked Postgres for the row the projector had
// just written: a third of the CPU of an edit-and-read pair
// (docs/BENCHMARKS.md, "Visibility"). The projector's upsert returns each row
// as Postgres renders it (jsonb and timestamps as text, what page_in_tenant
// answers), and the read takes it from here instead.
//
// Like ProjectedPositions, it is an accelerator and Postgres the authority:
//   - the projectors forget everything when they are no longer sure every
//     change of their pages went through them: a batch passed over records
//     another writer applied (another instance, the rebuild a `--shadow`
//     switch brought in), a record was set aside (`deadletter retry` applies
//     it from another process), a partition was revoked or re-sought, a
//     commit's outcome is unknown;
//   - only rows committed within `fresh_for` are answered, so a row that a
//     writer the projector never heard of replaced (a partition lost without
//     a callback) is answered for a moment at most, and only to a read whose
//     position it includes;
//   - a row answers only its own tenant: any other asks Postgres, where
//     row-level security decides;
//   - the rows are bounded in bytes; a large page, or one pushed out, is
//     simply read from Postgres.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pw::log {

// A row of the pages read model with its columns as Postgres renders them
// (jsonb as text, updated_at as RFC 3339 in UTC with microseconds).
struct PageRowText {
  std::string tenant;
  std::string page_id;
  std::string site_id;
  std::string slug;
  std::string title;
  std::string description;
  std::string seo;  // jsonb text
  std::string status;
  int64_t version = 0;
  int64_t published_version = 0;
  std::string updated_at;
  std::string content;  // jsonb text
};

// A result row with page_in_tenant's columns, in its order (page_id, site_id,
// slug, title, description, seo, status, version, published_version,
// updated_at, then content when `with_content`): the read model's page reads
// and the projector's upsert RETURNING both answer it. `Row` is a pqxx::row.
template <class Row>
PageRowText page_row_text(const Row& r, bool with_content) {
  PageRowText p;
  p.page_id = r[0].template as<std::string>();
  p.site_id = r[1].template as<std::string>();
  p.slug = r[2].template as<std::string>();
  p.title = r[3].template as<std::string>();
  p.description = r[4].template as<std::string>();
  p.seo = r[5].template as<std::string>();
  p.status = r[6].template as<std::string>();
  p.version = r[7].template as<int64_t>();
  p.published_version = r[8].template as<int64_t>();
  p.updated_at = r[9].template as<std::string>();
  if (with_content) p.content = r[10].template as<std::string>();
  return p;
}

class RecentPages {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    size_t max_bytes = size_t{32} << 20;      // all rows together
    size_t max_row_bytes = size_t{256} << 10;  // a larger page is read from Postgres
    Clock::duration fresh_for = std::chrono::seconds(1);
  };
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;  // not here, too old, or another tenant's
    uint64_t forgotten = 0;  // times everything was dropped
  };

  RecentPages();
  explicit RecentPages(Limits limits, std::function<Clock::time_point()> clock = Clock::now);
  RecentPages(const RecentPages&) = delete;
  RecentPages& operator=(const RecentPages&) = delete;

  // The rows a projector's transaction wrote, after its commit and before it
  // announces the positions (a read woken by the announcement finds them).
  // A row older than the one held (a lower version) changes nothing.
  void committed(std::vector<PageRowText> rows);
  // Drops every row: their projector can no longer tell they are current.
  void forget_all();

  // The page as this process committed it within `fresh_for`, if it is
  // `tenant`'s; else null (ask Postgres).
  std::shared_ptr<const PageRowText> find(std::string_view tenant, std::string_view page_id);

  Stats stats() const;
  size_t bytes() const;

 private:
  struct Entry {
    std::shared_ptr<const PageRowText> row;
    uint64_t serial;
    Clock::time_point at;
    size_t bytes;
  };
  void keep(PageRowText&& row, Clock::time_point now);
  void drop(std::unordered_map<std::string, Entry>::iterator it);
  void trim(Clock::time_point now);

  const Limits limits_;
  const std::function<Clock::time_point()> clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> rows_;
  // Page ids in the order they were kept; a stale pair (the page kept again
  // since, under a newer serial) is skipped when it reaches the front.
  std::deque<std::pair<uint64_t, std::string>> order_;
  uint64_t next_serial_ = 0;
  size_t bytes_ = 0;
  Stats stats_;
};

}  // namespace pw::log
