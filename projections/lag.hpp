#pragma once
// How far the read models trail the log: for each partition of
// pagewright.events, the records past the offset the projector stored with its
// last committed batch (projection_offsets). Feeds projection_lag_events.
// (end_offset is one past the last visible record on both backends, so
// Kafka's transaction markers do not count as lag.)
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "events/log.hpp"
#include "events/result.hpp"

namespace pw::projections {

struct PartitionLag {
  int32_t partition = 0;
  int64_t stored = 0;  // next offset the projector will read (0 before its first batch)
  int64_t end = 0;     // one past the last record in the log
  int64_t lag = 0;     // end - stored, never negative
};

class LagProbe {
 public:
  // `conninfo` may name any role that can read projection_offsets (the owner).
  static Result<std::unique_ptr<LagProbe>> connect(std::string conninfo, std::string projector = "read-models");
  ~LagProbe();
  LagProbe(const LagProbe&) = delete;
  LagProbe& operator=(const LagProbe&) = delete;

  // One reading of every partition; reconnects once if the connection broke.
  Result<std::vector<PartitionLag>> measure(log::EventLog& log);

 private:
  LagProbe(std::string conninfo, std::string projector);
  struct Db;
  std::string conninfo_;
  std::string projector_;
  std::unique_ptr<Db> db_;
};

}  // namespace pw::projections
