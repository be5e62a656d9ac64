#pragma once
// Internal to the kafka backend: EventLog::end_offset's "one past the last
// visible record", which Kafka does not report directly.
#include <map>
#include <mutex>
#include <utility>

#include "events/kafka_client.hpp"

namespace pw::log::kafka {

// Transactions leave commit/abort markers in the log, so the last stable
// offset (LSO) is usually one or more past the last record a read_committed
// consumer receives, and a member that processed everything commits less than
// the LSO. This finds the last visible record by reading the tail of the
// partition below the LSO, widening the window while it holds only markers
// and aborted records. Answers are cached per LSO: a partition that did not
// change costs one ListOffsets request.
class VisibleEnd {
 public:
  explicit VisibleEnd(const Settings& settings) : settings_(settings) {}

  Result<int64_t> find(const TopicPartition& tp, int64_t low, int64_t lso);

 private:
  Result<void> ready();
  // Offset of the last visible record in [from, lso), or -1 if there is none.
  Result<int64_t> last_below(const TopicPartition& tp, int64_t from, int64_t lso);

  const Settings& settings_;
  std::mutex mu_;
  Handle rk_;  // a consumer used with assign() only, created on first need
  std::map<TopicPartition, std::pair<int64_t, int64_t>> cache_;  // LSO, answer
};

}  // namespace pw::log::kafka
