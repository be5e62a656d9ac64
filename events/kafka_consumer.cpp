// Group consumers and single-partition readers of the kafka backend.
#include <algorithm>
#include <cstring>

#include "events/ids.hpp"
#include "events/kafka_client.hpp"

namespace pw::log::kafka {
namespace {

Config with_defaults(Config defaults, const Config& user) {
  for (const auto& [key, value] : user) defaults[key] = value;
  return defaults;
}

bool contains(const std::vector<TopicPartition>& v, const TopicPartition& tp) {
  return std::find(v.begin(), v.end(), tp) != v.end();
}

}  // namespace

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::create(const Settings& settings,
                                                             const std::string& group,
                                                             const std::vector<std::string>& topics,
                                                             RebalanceListener listener) {
  if (group.empty()) return make_error(Errc::validation_error, "consumer group is empty");
  if (topics.empty()) return make_error(Errc::validation_error, "no topics to subscribe to");
  std::unique_ptr<KafkaConsumer> c(new KafkaConsumer(group, std::move(listener), settings));

  auto conf = make_conf(settings.bootstrap,
                        with_defaults({{"auto.offset.reset", "earliest"},
                                       {"enable.auto.offset.store", "false"},
                                       // librdkafka's 45 s stalls the partitions of a
                                       // member that died that long (commands wait
                                       // on them), and librdkafka's mock cluster
                                       // holds every rebalance of a live group for
                                       // session.timeout.ms - 1 s.
                                       {"session.timeout.ms", "10000"},
                                       {"heartbeat.interval.ms", "1000"}},
                                      settings.consumer),
                        {{"group.id", settings.names.wire(group)},
                         {"enable.auto.commit", "false"},
                         {"isolation.level", "read_committed"}});
  if (!conf) return conf.error();
  rd_kafka_conf_set_rebalance_cb(conf->get(), &KafkaConsumer::rebalance_cb);
  rd_kafka_conf_set_opaque(conf->get(), c.get());
  auto rk = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk) return rk.error();
  c->rk_ = std::move(*rk);
  // Errors and logs of the client then surface through consumer_poll too.
  rd_kafka_poll_set_consumer(c->rk_.get());

  ListPtr subscription(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(subscription.get(), settings.names.wire(t).c_str(),
                                      RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(c->rk_.get(), subscription.get()))
    return kafka_error("subscribe", err);
  return c;
}

KafkaConsumer::~KafkaConsumer() {
  try {
    close();
  } catch (...) {
    // A listener threw during the final revoke; nobody is left to tell.
  }
}

void KafkaConsumer::rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->on_rebalance(err, parts);
}

void KafkaConsumer::notify(const std::function<void(const std::vector<TopicPartition>&)>& fn,
                           const std::vector<TopicPartition>& tps) {
  if (!fn || tps.empty()) return;
  // Exceptions must not unwind through librdkafka's C frames.
  try {
    fn(tps);
  } catch (...) {
    if (!callback_error_) callback_error_ = std::current_exception();
  }
}

void KafkaConsumer::rethrow_callback_error() {
  if (!callback_error_) return;
  auto e = std::exchange(callback_error_, nullptr);
  std::rethrow_exception(e);
}

void KafkaConsumer::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  rd_kafka_t* rk = rk_.get();
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  const auto tps = from_list(names_, parts);
  auto report = [&](const char* what, rd_kafka_resp_err_t e) {
    if (e && !deferred_error_) deferred_error_ = kafka_error(what, e);
  };
  auto report_error = [&](const char* what, rd_kafka_error_t* e) {
    ErrorPtr owned(e);
    if (owned && !deferred_error_) deferred_error_ = kafka_error(what, owned.get());
  };

  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    {
      std::lock_guard lock(mu_);
      if (!cooperative) {
        assignment_.clear();
        in_client_.clear();
        pending_seeks_.clear();
      }
      for (const auto& tp : tps)
        if (!contains(assignment_, tp)) assignment_.push_back(tp);
    }
    // The listener runs before librdkafka starts fetching, so its seek()s
    // become the start offsets instead of racing the committed-offset lookup.
    notify(listener_.on_assigned, tps);
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < parts->cnt; ++i) {
        TopicPartition tp{plain_topic(names_, parts->elems[i].topic), parts->elems[i].partition};
        if (auto it = pending_seeks_.find(tp); it != pending_seeks_.end()) {
          parts->elems[i].offset = it->second;
          pending_seeks_.erase(it);
        }
        in_client_.insert(tp);
      }
    }
    if (cooperative) report_error("assign", rd_kafka_incremental_assign(rk, parts));
    else report("assign", rd_kafka_assign(rk, parts));
    return;
  }

  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    // Still assigned while the listener runs: it may commit work for them.
    notify(listener_.on_revoked, tps);
    {
      std::lock_guard lock(mu_);
      for (const auto& tp : tps) {
        std::erase(assignment_, tp);
        in_client_.erase(tp);
        pending_seeks_.erase(tp);
      }
    }
    if (cooperative) report_error("unassign", rd_kafka_incremental_unassign(rk, parts));
    else report("unassign", rd_kafka_assign(rk, nullptr));
    return;
  }

  {
    std::lock_guard lock(mu_);
    assignment_.clear();
    in_client_.clear();
    pending_seeks_.clear();
  }
  (void)rd_kafka_assign(rk, nullptr);
  report("rebalance", err);
}

Result<std::vector<Record>> KafkaConsumer::poll(std::chrono::milliseconds timeout,
                                                size_t max_records) {
  if (closed_) return make_error(Errc::unavailable, "kafka: consumer is closed");
  return poll_records(rk_.get(), names_, timeout, max_records, deferred_error_,
                      [this] { rethrow_callback_error(); });
}

std::vector<TopicPartition> KafkaConsumer::assignment() const {
  std::lock_guard lock(mu_);
  return assignment_;
}

Result<void> KafkaConsumer::seek(const TopicPartition& tp, int64_t offset) {
  if (offset < 0) return make_error(Errc::validation_error, "seek to a negative offset");
  {
    std::lock_guard lock(mu_);
    if (closed_ || !contains(assignment_, tp))
      return make_error(Errc::validation_error,
                        "seek: " + tp.topic + "/" + std::to_string(tp.partition) + " is not assigned");
    if (!in_client_.contains(tp)) {
      pending_seeks_[tp] = offset;
      return {};
    }
  }
  auto list = to_list(names_, Offsets{{tp, offset}});
  ErrorPtr err(rd_kafka_seek_partitions(rk_.get(), list.get(), timeout_ms(timeout_)));
  if (err) return kafka_error("seek", err.get());
  if (auto e = list->elems[0].err) return kafka_error("seek", e);
  return {};
}

Result<void> KafkaConsumer::check_owns(const Offsets& offsets) const {
  std::lock_guard lock(mu_);
  if (closed_) return make_error(Errc::fenced, "kafka: consumer of group " + group_ + " is closed");
  for (const auto& [tp, offset] : offsets)
    if (!contains(assignment_, tp))
      return make_error(Errc::fenced, "kafka: " + tp.topic + "/" + std::to_string(tp.partition) +
                                          " is not assigned to this member of " + group_);
  return {};
}

GroupMetadataPtr KafkaConsumer::group_metadata() const {
  return GroupMetadataPtr(rd_kafka_consumer_group_metadata(rk_.get()));
}

Result<void> KafkaConsumer::commit(const Offsets& offsets) {
  if (offsets.empty()) return {};
  if (auto owns = check_owns(offsets); !owns) return owns;
  auto list = to_list(names_, offsets);
  if (auto err = rd_kafka_commit(rk_.get(), list.get(), 0 /* synchronous */))
    return kafka_error("commit", err);
  for (int i = 0; i < list->cnt; ++i)
    if (auto err = list->elems[i].err) return kafka_error("commit", err);
  return {};
}

void KafkaConsumer::close() {
  if (closed_ || !rk_) return;
  // Leaves the group; the final revoke runs the listener on this thread.
  (void)rd_kafka_consumer_close(rk_.get());
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    assignment_.clear();
    in_client_.clear();
    pending_seeks_.clear();
  }
  rethrow_callback_error();
}

Result<std::unique_ptr<KafkaReader>> KafkaReader::create(const Settings& settings,
                                                         const TopicPartition& tp, int64_t from) {
  if (from < 0) return make_error(Errc::validation_error, "reader offset is negative");
  // librdkafka's assign() needs a group.id; this one is never joined nor committed to.
  auto conf = make_conf(settings.bootstrap,
                        with_defaults({{"auto.offset.reset", "error"}}, settings.consumer),
                        {{"group.id", settings.names.wire("pagewright.reader." + uuid_v4())},
                         {"enable.auto.commit", "false"},
                         {"isolation.level", "read_committed"}});
  if (!conf) return conf.error();
  auto rk = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk) return rk.error();
  std::unique_ptr<KafkaReader> reader(new KafkaReader());
  reader->rk_ = std::move(*rk);
  reader->names_ = settings.names;
  reader->tp_ = tp;
  rd_kafka_poll_set_consumer(reader->rk_.get());
  if (auto err = rd_kafka_assign(reader->rk_.get(), to_list(settings.names, Offsets{{tp, from}}).get()))
    return kafka_error("reader assign", err);
  return reader;
}

KafkaReader::~KafkaReader() {
  if (rk_) (void)rd_kafka_consumer_close(rk_.get());
}

Result<std::vector<Record>> KafkaReader::read(std::chrono::milliseconds timeout,
                                              size_t max_records) {
  return poll_records(rk_.get(), names_, timeout, max_records, deferred_error_, {});
}

Result<void> KafkaReader::seek(int64_t offset) {
  if (offset < 0) return make_error(Errc::validation_error, "reader offset is negative");
  // Waits until the fetcher has moved, so no record from the old position is
  // returned after this (librdkafka drops the prefetched ones by version).
  auto list = to_list(names_, Offsets{{tp_, offset}});
  ErrorPtr err(rd_kafka_seek_partitions(rk_.get(), list.get(), timeout_ms(std::chrono::milliseconds(10000))));
  if (err) return kafka_error("reader seek", err.get());
  if (auto e = list->elems[0].err) return kafka_error("reader seek", e);
  return {};
}

}  // namespace pw::log::kafka
