#pragma once
// `pagewright deadletter retry`: replays a dead letter of the projection pool
// into the read models, once the read model is repaired or the bug fixed.
//
// The original record goes through the projector's own apply path
// (ReadModelBatch) in a transaction of its own that first locks the
// projection's stored offset of the record's partition — the lock every
// projector batch of that partition takes — so a retry and the live pool never
// interleave on a site. The projector's rule holds: a site's event applies
// only as its next seq (an earlier one is "already", a later one fails with a
// seq gap and stays a dead letter), so a retry can never reorder a stream.
// The outcome is recorded in dead_letter_retries, keyed by the dead letter's
// own position, in the same transaction as the rows: a dead letter that applied
// is never applied again, one that failed again keeps its new reason and may be
// retried later. The stored offsets do not move (they passed the record when it
// was set aside); one the projection has not passed yet is left to it.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "events/dead_letter.hpp"
#include "events/result.hpp"

namespace pw::projections {

struct RetryOutcome {
  enum class Kind {
    applied,  // it is in the read models now
    already,  // its site had it already (a duplicate, or another retry applied it)
    failed,   // it still cannot apply: `reason`
    pending,  // the projection has not passed it yet; it will apply it itself
  };
  Kind kind = Kind::failed;
  std::string reason;
  int attempts = 0;
  std::string at;  // when the recorded outcome was reached (RFC 3339)
  // The outcome was recorded by an earlier retry; this one changed nothing.
  bool earlier = false;
};

const char* outcome_name(RetryOutcome::Kind kind);

// A dead letter's own place in pagewright.deadletter.
using DeadLetterPosition = std::pair<int32_t, int64_t>;

class DeadLetterRetrier {
 public:
  // Connects as the read models' owner; the schema must be migrated.
  static Result<std::unique_ptr<DeadLetterRetrier>> connect(const std::string& conninfo,
                                                            std::string projector = "read-models");
  ~DeadLetterRetrier();
  DeadLetterRetrier(const DeadLetterRetrier&) = delete;
  DeadLetterRetrier& operator=(const DeadLetterRetrier&) = delete;

  // Replays `d` (whose value must be present) once. An error only when
  // Postgres could not be asked (nothing recorded, try again).
  Result<RetryOutcome> retry(const log::DeadLetter& d, DeadLetterPosition at);
  // What earlier retries recorded, by dead-letter position.
  Result<std::map<DeadLetterPosition, RetryOutcome>> outcomes();

 private:
  struct Db;
  DeadLetterRetrier(std::unique_ptr<Db> db, std::string projector);
  Result<RetryOutcome> record_failure(const log::DeadLetter& d, DeadLetterPosition at, const std::string& reason);

  std::unique_ptr<Db> db_;
  std::string projector_;
};

}  // namespace pw::projections
