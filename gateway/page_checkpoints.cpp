#include "gateway/page_checkpoints.hpp"

namespace pw::gateway {

std::optional<domain::PageAt> PageCheckpoints::at_or_below(const TenantId& tenant, const PageId& page,
                                                           int64_t version) {
  std::lock_guard lock(mu_);
  auto p = pages_.find(key(tenant, page));
  if (p == pages_.end()) return std::nullopt;
  auto it = p->second.upper_bound(version);
  if (it == p->second.begin()) return std::nullopt;
  --it;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.at;
}

void PageCheckpoints::keep(const TenantId& tenant, const domain::PageAt& at) {
  // The content's size stands for the state's (the index and the rest are
  // proportional to it).
  const size_t bytes = at.page.contentBytes * 3 + 512;
  if (bytes > budget_) return;
  std::lock_guard lock(mu_);
  const std::string k = key(tenant, at.page.id);
  auto& versions = pages_[k];
  if (versions.contains(at.page.version)) return;
  lru_.emplace_front(k, at.page.version);
  versions.emplace(at.page.version, Entry{at, bytes, lru_.begin()});
  bytes_ += bytes;
  evict_locked();
}

void PageCheckpoints::evict_locked() {
  while (bytes_ > budget_ && !lru_.empty()) {
    const auto [k, version] = lru_.back();
    lru_.pop_back();
    auto p = pages_.find(k);
    auto it = p->second.find(version);
    bytes_ -= it->second.bytes;
    p->second.erase(it);
    if (p->second.empty()) pages_.erase(p);
  }
}

size_t PageCheckpoints::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace pw::gateway
