#pragma once
// Rebuilding the read model without downtime (`pagewright rebuild --shadow`;
// docs/ARCHITECTURE.md, "Rebuilding without downtime"). The active read model
// is the schema named `public`, which every session finds through the default
// search_path. A rebuild fills the schema `pagewright_shadow` (same
// migrations, same grants and row-level security) while queries read
// `public`, then, under the exclusive switch lock (events/read_model_switch.hpp)
// and only once the shadow holds every position the live projection stored,
// renames `public` to `pagewright_old_<UTC time>` and the shadow to `public`
// in one transaction.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "events/result.hpp"

namespace pw::projections {

inline constexpr const char* kActiveSchema = "public";
inline constexpr const char* kShadowSchema = "pagewright_shadow";
inline constexpr const char* kOldSchemaPrefix = "pagewright_old_";

// Stored offsets of one projection, by partition of pagewright.events.
using StoredOffsets = std::map<int32_t, int64_t>;

class ShadowBuild {
 public:
  // Checks that `conninfo` (the read models' owner) reaches a migrated read
  // model it may replace and makes sure no other shadow rebuild runs (a
  // session lock held until this object goes). Changes nothing.
  static Result<std::unique_ptr<ShadowBuild>> open(const std::string& conninfo, std::string projector = "read-models");
  // Creates the shadow schema if it is not there (an interrupted rebuild's is
  // kept and continued), lets the reader use it, and migrates it.
  Result<void> prepare();
  ~ShadowBuild();
  ShadowBuild(const ShadowBuild&) = delete;
  ShadowBuild& operator=(const ShadowBuild&) = delete;

  // The owner's conninfo with the shadow first on its search_path.
  const std::string& shadow_conninfo() const { return shadow_conninfo_; }

  // Opens the switch transaction: takes the switch lock exclusively (waiting
  // for the live projectors' open batches; their next ones wait for the
  // switch) and returns the live projection's stored offsets, which cannot
  // move until commit_switch or abort_switch.
  Result<StoredOffsets> lock_live();
  // The shadow's stored offsets now (inside the switch transaction if open).
  Result<StoredOffsets> shadow_offsets();
  // Renames public to pagewright_old_<UTC time> and the shadow to public,
  // carries the operators' dead_letter_retries over, and commits. Refuses
  // (and aborts) if the shadow does not hold every live position. With
  // drop_old the old schema is dropped after the commit. Returns its name.
  Result<std::string> commit_switch(const StoredOffsets& live, bool drop_old);
  // Rolls the switch transaction back; the live projection goes on.
  void abort_switch();

 private:
  ShadowBuild() = default;
  struct Db;
  std::unique_ptr<Db> db_;
  std::string projector_;
  std::string shadow_conninfo_;
};

// Whether `shadow` holds every position `live` does.
bool holds_all(const StoredOffsets& shadow, const StoredOffsets& live);

}  // namespace pw::projections
