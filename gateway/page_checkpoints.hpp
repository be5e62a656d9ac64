#pragma once
// Pages as they were at some of their versions, kept to start time-travel
// folds from (DESIGN.md: time travel to any of 1,000 versions within a few
// times the cost of reading the current page). A version's state never
// changes, so an entry is never stale; entries are per tenant (a fold is
// only ever started from what that tenant's read of the log produced) and
// least recently used ones go past a byte budget.
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "commands/page_versions.hpp"
#include "events/ids.hpp"

namespace pw::gateway {

class PageCheckpoints {
 public:
  // A checkpoint every this many versions of a page.
  static constexpr int64_t kEvery = 50;

  explicit PageCheckpoints(size_t byte_budget = size_t{64} << 20) : budget_(byte_budget) {}

  // The latest kept state of the page at or below `version`.
  std::optional<domain::PageAt> at_or_below(const TenantId& tenant, const PageId& page, int64_t version);
  void keep(const TenantId& tenant, const domain::PageAt& at);

  size_t bytes() const;

 private:
  struct Entry {
    domain::PageAt at;
    size_t bytes = 0;
    std::list<std::pair<std::string, int64_t>>::iterator lru;
  };
  static std::string key(const TenantId& tenant, const PageId& page) { return tenant.value + '\n' + page.value; }
  void evict_locked();

  const size_t budget_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::map<int64_t, Entry>> pages_;
  std::list<std::pair<std::string, int64_t>> lru_;  // most recent first
  size_t bytes_ = 0;
};

}  // namespace pw::gateway
