#pragma once
// Internal to the kafka backend: the transactional producer behind
// EventLog::append.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "events/kafka_client.hpp"

namespace pw::log::kafka {

// A topic's partition count (the log caches it).
using PartitionCounter = std::function<Result<int32_t>(const std::string& topic)>;
// Waits until read_committed readers see every partition up to the offset
// given (exclusive), or the deadline passes.
using VisibilityWait =
    std::function<Result<void>(const Offsets& past, std::chrono::steady_clock::time_point deadline)>;

// One transaction at a time per producer, as Kafka requires. Plain batches are
// group-committed: whoever finds the producer idle takes every plain batch
// queued behind it into one transaction (on its own thread), so N concurrent
// gateway requests cost one commit round trip instead of N. A batch with
// offsets or a continuation (`then`) gets a transaction of its own: its
// offsets belong to one group member, whose fence must abort only its own
// records, and a continuation must run exactly once, which a retry of a failed
// group transaction could not promise. Whichever caller leads runs the
// transaction, so a continuation may be called on another appending thread
// than its own caller's (which is blocked in append() meanwhile).
class TxnProducer {
 public:
  TxnProducer(Settings settings, PartitionCounter counter, VisibilityWait visible);
  ~TxnProducer();
  TxnProducer(const TxnProducer&) = delete;
  TxnProducer& operator=(const TxnProducer&) = delete;

  Result<Appended> append(const Batch& batch);

 private:
  struct Pending {
    const Batch* batch = nullptr;
    std::vector<int32_t> partitions;  // resolved, one per record
    std::optional<Result<Appended>> result;
  };
  struct Item {
    const OutRecord* record;
    int32_t partition;
  };
  struct Delivery {
    bool delivered = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int32_t partition = -1;
    int64_t offset = -1;
  };

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*);
  Result<std::vector<int32_t>> resolve(const std::vector<OutRecord>& records);
  std::vector<Pending*> take_group();  // mu_ held
  std::vector<Result<Appended>> run(const std::vector<Pending*>& group);
  Result<std::vector<Appended>> transact(const std::vector<Pending*>& group);
  Result<void> produce(const std::vector<Item>& items, std::chrono::steady_clock::time_point deadline);
  Result<std::vector<OutRecord>> continuation(const Pending& p);
  Result<void> send_offsets(const Batch& batch, std::chrono::steady_clock::time_point deadline);
  Result<void> commit(std::chrono::steady_clock::time_point deadline);
  Result<void> ready();
  Result<void> learn_topic(const std::string& topic);
  Error fail(const Error& error);
  Error fail(std::string_view what, const rd_kafka_error_t* err);
  void abort_transaction();
  void settle();
  void reset();

  const Settings settings_;
  PartitionCounter counter_;
  VisibilityWait visible_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool leader_active_ = false;

  // Used only by the current leader (the caller running a transaction).
  std::deque<Delivery> deliveries_;  // stable addresses; outlives rk_ for late reports
  Handle rk_;
  bool initialized_ = false;
  bool must_abort_ = false;      // an abort timed out; finish it before beginning again
  bool commit_pending_ = false;  // a commit timed out; resume it before anything else
  std::set<std::string> known_topics_;  // in rk_'s metadata cache
};

}  // namespace pw::log::kafka
