#pragma once
// Internal to the kafka backend (events/kafka_*.cpp): owning handles for
// librdkafka objects, client construction from Settings, error mapping, and
// the consumer class that append() needs to see for transactional offsets.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/kafka_log.hpp"
#include "events/log.hpp"

namespace pw::log::kafka {

template <auto Fn>
struct Deleter {
  template <class T>
  void operator()(T* p) const { Fn(p); }
};
using Handle = std::unique_ptr<rd_kafka_t, Deleter<rd_kafka_destroy>>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, Deleter<rd_kafka_conf_destroy>>;
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                Deleter<rd_kafka_topic_partition_list_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, Deleter<rd_kafka_error_destroy>>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, Deleter<rd_kafka_message_destroy>>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_destroy>>;
using GroupMetadataPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                                         Deleter<rd_kafka_consumer_group_metadata_destroy>>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>>;

Errc errc_for(rd_kafka_resp_err_t err);
Error kafka_error(std::string_view what, rd_kafka_resp_err_t err);
Error kafka_error(std::string_view what, rd_kafka_resp_err_t err, std::string_view detail);
Error kafka_error(std::string_view what, const rd_kafka_error_t* err);

// A configuration with `props` applied, then `forced` (which wins).
Result<ConfPtr> make_conf(const std::string& bootstrap, const Config& props, const Config& forced);
// Takes ownership of `conf` (also on failure).
Result<Handle> make_client(rd_kafka_type_t type, ConfPtr conf);

// Between the caller's plain names and the broker's (see Names).
ListPtr to_list(const Names& names, const Offsets& offsets);
ListPtr to_list(const Names& names, const std::vector<TopicPartition>& tps);
std::string plain_topic(const Names& names, const char* wire_name);
std::vector<TopicPartition> from_list(const Names& names, const rd_kafka_topic_partition_list_t* list);
Record to_record(const Names& names, const rd_kafka_message_t& msg);
int timeout_ms(std::chrono::milliseconds t);

// One Admin API request on `rk`: options for `op` with `timeout` as the
// request timeout, adjusted by `prepare` (if given), sent by `send` with a
// queue of its own; the answer, or why none came (the request's own error,
// or no answer within `timeout` and 5 s of slack). `what` names it in errors.
using AdminPrepare = std::function<Result<void>(rd_kafka_AdminOptions_t*)>;
using AdminSend = std::function<void(const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>;
Result<EventPtr> admin_call(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout,
                            std::string_view what, const AdminPrepare& prepare, const AdminSend& send);

// Errors a consumer sees while brokers come and go; librdkafka recovers on its own.
bool is_transient_consumer_error(rd_kafka_resp_err_t err);
// A partition's leadership is moving (a broker left or came back, a topic was
// just created): the same request succeeds a moment later.
bool is_leader_change(rd_kafka_resp_err_t err);

class KafkaConsumer final : public Consumer {
 public:
  static Result<std::unique_ptr<KafkaConsumer>> create(const Settings& settings,
                                                       const std::string& group,
                                                       const std::vector<std::string>& topics,
                                                       RebalanceListener listener);
  ~KafkaConsumer() override;

  const std::string& group() const override { return group_; }
  Result<std::vector<Record>> poll(std::chrono::milliseconds timeout, size_t max_records) override;
  std::vector<TopicPartition> assignment() const override;
  Result<void> seek(const TopicPartition& tp, int64_t offset) override;
  Result<void> commit(const Offsets& offsets) override;
  void close() override;

  // For append(): Errc::fenced unless every partition is currently assigned
  // (a member that lost a partition must not commit for it).
  Result<void> check_owns(const Offsets& offsets) const;
  GroupMetadataPtr group_metadata() const;

 private:
  KafkaConsumer(std::string group, RebalanceListener listener, const Settings& settings)
      : group_(std::move(group)), listener_(std::move(listener)), names_(settings.names),
        timeout_(settings.timeout) {}
  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque);
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void notify(const std::function<void(const std::vector<TopicPartition>&)>& fn,
              const std::vector<TopicPartition>& tps);
  void rethrow_callback_error();

  std::string group_;  // plain
  RebalanceListener listener_;
  Names names_;
  std::chrono::milliseconds timeout_;
  Handle rk_;
  std::exception_ptr callback_error_;  // from the user's listener, rethrown by poll()
  std::optional<Error> deferred_error_;
  mutable std::mutex mu_;  // append() may read the assignment from another thread
  std::vector<TopicPartition> assignment_;
  std::set<TopicPartition> in_client_;  // handed to librdkafka (seekable)
  Offsets pending_seeks_;               // seek() from on_assigned, applied by assign
  bool closed_ = false;
};

class KafkaReader final : public Reader {
 public:
  static Result<std::unique_ptr<KafkaReader>> create(const Settings& settings,
                                                     const TopicPartition& tp, int64_t from);
  ~KafkaReader() override;
  Result<std::vector<Record>> read(std::chrono::milliseconds timeout, size_t max_records) override;
  Result<void> seek(int64_t offset) override;

 private:
  Handle rk_;
  Names names_;
  TopicPartition tp_;
  std::optional<Error> deferred_error_;
};

// Polls rk's consumer queue for up to max_records messages, waiting up to
// `timeout` for the first. Transient errors are skipped; another error is
// returned if nothing was read yet, else left in `deferred` for the next call.
Result<std::vector<Record>> poll_records(rd_kafka_t* rk, const Names& names,
                                         std::chrono::milliseconds timeout,
                                         size_t max_records, std::optional<Error>& deferred,
                                         const std::function<void()>& after_each_poll);

}  // namespace pw::log::kafka
