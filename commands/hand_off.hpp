#pragma once
// In `serve`, where the gateway and every command processor share one
// process and one embedded log, a command the gateway waits for is handed to
// the processor that owns its partition instead of being written to
// pagewright.commands and read back. The processor appends the command record
// in the same atomic batch as its events, its result and its consumer
// offset: one durable write per command instead of two, no record decoded,
// no fingerprint computed twice. Positions and bytes stay what the log path
// gives (a command record's offset, its result, its events), so recovery,
// auditors and the log-fed processors of a split deployment see no
// difference.
//
// Ordering with the log path (commands of `Prefer: respond-async`, and
// offers not taken in time, which the gateway then appends itself): whoever
// writes a commands partition holds that partition's writer lock, and a
// processor takes offers for a partition only when it has read that
// partition to its end. So a command record the processor appends always
// lands at the offset it predicted, right after everything it has decided.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commands/command_record.hpp"

namespace pw::domain {

struct Offer {
  uint64_t token = 0;          // the gateway's name for the waiting request
  std::string site_id;         // the record's key
  std::string value;           // encode_command_record(*record)
  std::shared_ptr<const CommandRecord> record;
  std::string fingerprint;     // command_fingerprint(record->command)
};

class HandOff {
 public:
  explicit HandOff(int32_t partitions);
  HandOff(const HandOff&) = delete;
  HandOff& operator=(const HandOff&) = delete;

  int32_t partitions() const { return static_cast<int32_t>(queues_.size()); }

  // The gateway's side.
  void offer(int32_t partition, Offer offer);
  // Takes the offer back if no processor has taken it yet.
  std::optional<Offer> withdraw(int32_t partition, uint64_t token);
  // Wakes processors after the gateway appended to pagewright.commands itself.
  void nudge();

  // The processors' side. Whether the partition has offers waiting (a
  // glance: one may come right after, and then wait() returns at once).
  bool has_offers(int32_t partition);
  // Up to `max` offers of the partition, oldest first.
  std::vector<Offer> take(int32_t partition, size_t max);
  // Offers whose append failed: first in line again, in their order.
  void give_back(int32_t partition, std::vector<Offer> offers);
  // Returns when an offer or a nudge came after the one `seen` counts (then
  // counts it), or after `timeout`. Each processor keeps its own `seen`.
  void wait(uint64_t& seen, std::chrono::milliseconds timeout);

  // Held by whoever appends to commands partition `partition` in this process.
  std::mutex& writer(int32_t partition) { return *writers_[static_cast<size_t>(partition)]; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t news_ = 0;
  std::vector<std::deque<Offer>> queues_;
  std::vector<std::unique_ptr<std::mutex>> writers_;
};

}  // namespace pw::domain
