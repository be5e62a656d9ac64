// The kafka:<bootstrap> EventLog: topics, offsets and metadata through one
// auxiliary client; appends through TxnProducer; consumers of their own.
#include "events/kafka_log.hpp"

#include <algorithm>
#include <thread>

#include "events/kafka_client.hpp"
#include "events/kafka_end_offset.hpp"
#include "events/kafka_producer.hpp"

namespace pw::log::kafka {
namespace {

std::mutex creators_mu;
std::map<std::string, TopicCreator> creators;  // by bootstrap

// nullopt when nothing is registered for `bootstrap`. Called under the lock,
// so unregistering waits for a creation in progress.
std::optional<Result<void>> create_with_registered(const std::string& bootstrap,
                                                   const TopicSpec& spec) {
  std::lock_guard lock(creators_mu);
  auto it = creators.find(bootstrap);
  if (it == creators.end()) return std::nullopt;
  return it->second(spec);
}

using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, Deleter<rd_kafka_metadata_destroy>>;

// An event log is the system of record: a broker's default retention (7 days)
// would silently delete history that chains, rebuilds and audits need.
Result<void> keep_forever(rd_kafka_NewTopic_t* topic, const std::string& name) {
  for (const char* key : {"retention.ms", "retention.bytes"})
    if (auto err = rd_kafka_NewTopic_set_config(topic, key, "-1"))
      return kafka_error("topic " + name + ": " + key, err);
  if (auto err = rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "delete"))
    return kafka_error("topic " + name + ": cleanup.policy", err);
  return {};
}

class KafkaLog final : public EventLog {
 public:
  KafkaLog(Settings settings, Handle aux)
      : settings_(std::move(settings)),
        aux_(std::move(aux)),
        visible_end_(settings_),
        producer_(
            settings_, [this](const std::string& t) { return partition_count(t); },
            [this](const Offsets& past, std::chrono::steady_clock::time_point deadline) {
              return await_visible(past, deadline);
            }) {}

  Result<void> create_topics(const std::vector<TopicSpec>& topics) override;
  Result<int32_t> partition_count(const std::string& topic) override;
  Result<Appended> append(const Batch& batch) override { return producer_.append(batch); }
  Result<std::unique_ptr<Consumer>> subscribe(const std::string& group,
                                              const std::vector<std::string>& topics,
                                              RebalanceListener listener) override;
  Result<std::unique_ptr<Reader>> reader(const TopicPartition& tp, int64_t from_offset) override;
  Result<int64_t> end_offset(const TopicPartition& tp) override;
  Result<std::optional<int64_t>> committed_offset(const std::string& group,
                                                  const TopicPartition& tp) override;

 private:
  Result<std::map<std::string, int32_t>> list_topics();
  Result<void> await_visible(const Offsets& past, std::chrono::steady_clock::time_point deadline);
  void remember_counts(const std::map<std::string, int32_t>& topics);
  rd_kafka_resp_err_t list_offset(const std::string& wire, int32_t partition, int64_t which, int64_t& out);
  std::shared_ptr<rd_kafka_t> offsets_client();
  void replace_offsets_client(const std::shared_ptr<rd_kafka_t>& failed);
  Result<void> create_missing(const std::vector<TopicSpec>& missing);
  Result<EventPtr> admin_request(rd_kafka_admin_op_t op, const char* what, const AdminSend& send);

  const Settings settings_;
  // Metadata, watermarks and the admin API. A consumer-type client, because
  // only consumers carry isolation.level, and ListOffsets must ask for the LSO.
  Handle aux_;
  std::mutex counts_mu_;
  std::map<std::string, int32_t> counts_;  // partition counts never shrink; cache them
  std::mutex offsets_mu_;
  std::shared_ptr<rd_kafka_t> offsets_client_;  // ListOffsets; see list_offset()
  VisibleEnd visible_end_;
  TxnProducer producer_;  // last: destroyed (flushed) first
};

Result<std::map<std::string, int32_t>> KafkaLog::list_topics() {
  const rd_kafka_metadata_t* raw = nullptr;
  // All topics: asking for one by name may auto-create it on some brokers.
  auto err = rd_kafka_metadata(aux_.get(), 1, nullptr, &raw, timeout_ms(settings_.timeout));
  if (err) return kafka_error("metadata", err);
  MetadataPtr md(raw);
  std::map<std::string, int32_t> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err) continue;
    if (auto plain = settings_.names.plain(md->topics[i].topic))
      out[*plain] = md->topics[i].partition_cnt;
  }
  return out;
}

std::shared_ptr<rd_kafka_t> KafkaLog::offsets_client() {
  std::lock_guard lock(offsets_mu_);
  if (!offsets_client_) {
    auto conf = make_conf(settings_.bootstrap, settings_.admin,
                          {{"isolation.level", "read_committed"}, {"allow.auto.create.topics", "false"}});
    if (!conf) return nullptr;
    auto client = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!client) return nullptr;
    offsets_client_ = std::shared_ptr<rd_kafka_t>(client->release(), &rd_kafka_destroy);
  }
  return offsets_client_;
}

void KafkaLog::replace_offsets_client(const std::shared_ptr<rd_kafka_t>& failed) {
  std::lock_guard lock(offsets_mu_);
  if (offsets_client_ == failed) offsets_client_.reset();
}

rd_kafka_resp_err_t KafkaLog::list_offset(const std::string& wire, int32_t partition, int64_t which,
                                          int64_t& out) {
  // librdkafka 2.0 keeps sending a partition's ListOffsets to the leader it
  // last knew (a client that fetches nothing never refreshes it) until its
  // periodic metadata refresh, minutes later. A client that answers so is
  // replaced by a new one, which learns the leaders from the cluster.
  //
  // rd_kafka_offsets_for_times, not rd_kafka_query_watermark_offsets: before
  // librdkafka 2.3 the latter ignores its timeout once its request is sent
  // (librdkafka #4460). A request to a leader that was killed is retried on
  // every reconnect attempt to that dead broker, so the call returned only
  // when the node came back, minutes later, and then with "Not leader for
  // partition", since leadership had moved meanwhile; every append's
  // visibility wait on that partition gave up. offsets_for_times gives up at
  // its timeout, and the next try goes through a new client to the new leader.
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  const auto per_try = std::min<std::chrono::milliseconds>(settings_.timeout, std::chrono::seconds(5));
  for (;;) {
    auto client = offsets_client();
    if (!client) return RD_KAFKA_RESP_ERR__INVALID_ARG;
    ListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), wire.c_str(), partition)->offset = which;
    auto err = rd_kafka_offsets_for_times(client.get(), list.get(), timeout_ms(per_try));
    if (!err) err = list->elems[0].err;
    if (!err) {
      out = list->elems[0].offset;
      return err;
    }
    if (!is_leader_change(err) && err != RD_KAFKA_RESP_ERR__TIMED_OUT) return err;
    replace_offsets_client(client);
    if (std::chrono::steady_clock::now() > deadline) return err;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void KafkaLog::remember_counts(const std::map<std::string, int32_t>& topics) {
  std::lock_guard lock(counts_mu_);
  for (const auto& [name, count] : topics)
    if (count > 0) counts_[name] = std::max(counts_[name], count);
}

Result<int32_t> KafkaLog::partition_count(const std::string& topic) {
  {
    std::lock_guard lock(counts_mu_);
    if (auto it = counts_.find(topic); it != counts_.end()) return it->second;
  }
  auto topics = list_topics();
  if (!topics) return topics.error();
  auto it = topics->find(topic);
  if (it == topics->end() || it->second <= 0)
    return make_error(Errc::not_found, "kafka: topic '" + topic + "' does not exist");
  std::lock_guard lock(counts_mu_);
  counts_[topic] = it->second;
  return it->second;
}

Result<EventPtr> KafkaLog::admin_request(rd_kafka_admin_op_t op, const char* what, const AdminSend& send) {
  auto prepare = [this, op](rd_kafka_AdminOptions_t* options) -> Result<void> {
    char errstr[512];
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS &&
        rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms(settings_.timeout), errstr, sizeof errstr))
      return make_error(Errc::validation_error, std::string("kafka: ") + errstr);
    // Offsets sent with a transaction that is still open are not an answer yet:
    // the broker says so (UNSTABLE_OFFSET_COMMIT) instead of answering the older ones.
    if (op == RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS)
      if (ErrorPtr err(rd_kafka_AdminOptions_set_require_stable_offsets(options, 1)); err)
        return kafka_error("require stable offsets", err.get());
    return {};
  };
  return admin_call(aux_.get(), op, settings_.timeout, what, prepare, send);
}

Result<void> KafkaLog::create_topics(const std::vector<TopicSpec>& topics) {
  for (const auto& t : topics)
    if (t.name.empty() || t.partitions <= 0)
      return make_error(Errc::validation_error, "topic needs a name and at least one partition");
  auto existing = list_topics();
  if (!existing) return existing.error();
  // On a cluster of several brokers, another broker may not know a topic yet
  // that this answer shows (another process just made it): the counts seen
  // here answer partition_count, so callers do not ask that broker next.
  remember_counts(*existing);
  std::vector<TopicSpec> missing;
  for (const auto& t : topics)
    if (!existing->contains(t.name)) missing.push_back(t);
  if (missing.empty()) return {};
  if (auto r = create_missing(missing); !r) return r;

  // Created topics reach every broker's metadata a little later; callers
  // expect to use them as soon as this returns.
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  for (;;) {
    auto now_existing = list_topics();
    if (!now_existing) return now_existing.error();
    bool all = true;
    for (const auto& t : missing) all = all && now_existing->contains(t.name);
    if (all) {
      remember_counts(*now_existing);
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(Errc::unavailable, "kafka: created topics did not appear in metadata");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<void> KafkaLog::create_missing(const std::vector<TopicSpec>& missing) {
  bool registered = false;
  for (const auto& t : missing) {
    auto r = create_with_registered(settings_.bootstrap, {settings_.names.wire(t.name), t.partitions});
    if (!r) break;
    registered = true;
    if (!r->ok()) return *r;
  }
  if (registered) return {};

  using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, Deleter<rd_kafka_NewTopic_destroy>>;
  std::vector<NewTopicPtr> owned;
  std::vector<rd_kafka_NewTopic_t*> specs;
  for (const auto& t : missing) {
    char errstr[512];
    NewTopicPtr nt(rd_kafka_NewTopic_new(settings_.names.wire(t.name).c_str(), t.partitions,
                                         settings_.replication_factor, errstr, sizeof errstr));
    if (!nt) return make_error(Errc::validation_error, "kafka: topic " + t.name + ": " + errstr);
    if (auto r = keep_forever(nt.get(), t.name); !r) return r;
    specs.push_back(nt.get());
    owned.push_back(std::move(nt));
  }
  auto ev = admin_request(RD_KAFKA_ADMIN_OP_CREATETOPICS, "create topics",
                          [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            rd_kafka_CreateTopics(aux_.get(), specs.data(), specs.size(), options,
                                                  queue);
                          });
  if (!ev) {
    Error e = ev.error();
    if (e.code == Errc::unavailable)
      e.message += " (a cluster without the CreateTopics API, such as librdkafka's mock cluster "
                   "in another process, needs its topics created up front)";
    return e;
  }
  size_t n = 0;
  const auto* result = rd_kafka_event_CreateTopics_result(ev->get());
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    auto err = rd_kafka_topic_result_error(results[i]);
    if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return kafka_error(std::string("create topic ") + rd_kafka_topic_result_name(results[i]),
                         err, msg ? msg : rd_kafka_err2str(err));
    }
  }
  return {};
}

Result<std::unique_ptr<Consumer>> KafkaLog::subscribe(const std::string& group,
                                                      const std::vector<std::string>& topics,
                                                      RebalanceListener listener) {
  auto c = KafkaConsumer::create(settings_, group, topics, std::move(listener));
  if (!c) return c.error();
  return std::unique_ptr<Consumer>(std::move(*c));
}

Result<std::unique_ptr<Reader>> KafkaLog::reader(const TopicPartition& tp, int64_t from_offset) {
  auto r = KafkaReader::create(settings_, tp, from_offset);
  if (!r) return r.error();
  return std::unique_ptr<Reader>(std::move(*r));
}

Result<int64_t> KafkaLog::end_offset(const TopicPartition& tp) {
  const std::string wire = settings_.names.wire(tp.topic);
  const std::string what = "end offset of " + tp.topic + "/" + std::to_string(tp.partition);
  // With read_committed, "latest" is answered with the last stable offset.
  int64_t low = 0, lso = 0;
  if (auto err = list_offset(wire, tp.partition, RD_KAFKA_OFFSET_END, lso)) return kafka_error(what, err);
  if (lso <= 0) return lso;
  if (auto err = list_offset(wire, tp.partition, RD_KAFKA_OFFSET_BEGINNING, low)) return kafka_error(what, err);
  return visible_end_.find(tp, std::min(low, lso), lso);
}

Result<void> KafkaLog::await_visible(const Offsets& past, std::chrono::steady_clock::time_point deadline) {
  for (const auto& [tp, end] : past) {
    for (;;) {
      int64_t lso = 0;
      const auto err = list_offset(settings_.names.wire(tp.topic), tp.partition, RD_KAFKA_OFFSET_END, lso);
      if (!err && lso >= end) break;
      if (std::chrono::steady_clock::now() >= deadline)
        return make_error(Errc::unavailable, "kafka: committed, but " + tp.topic + "/" +
                                                 std::to_string(tp.partition) +
                                                 " did not become visible in time" +
                                                 (err ? std::string(": ") + rd_kafka_err2str(err) : ""));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return {};
}

Result<std::optional<int64_t>> KafkaLog::committed_offset(const std::string& group,
                                                          const TopicPartition& tp) {
  auto wanted = to_list(settings_.names, std::vector<TopicPartition>{tp});
  using RequestPtr = std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t,
                                     Deleter<rd_kafka_ListConsumerGroupOffsets_destroy>>;
  RequestPtr request(rd_kafka_ListConsumerGroupOffsets_new(settings_.names.wire(group).c_str(), wanted.get()));
  auto ev = admin_request(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, "committed offset",
                          [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                            auto* req = request.get();
                            rd_kafka_ListConsumerGroupOffsets(aux_.get(), &req, 1, options, queue);
                          });
  if (!ev) return ev.error();
  size_t n = 0;
  const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(ev->get());
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &n);
  if (n != 1) return make_error(Errc::internal, "kafka: committed offset: unexpected answer");
  if (const rd_kafka_error_t* err = rd_kafka_group_result_error(groups[0]))
    return kafka_error("committed offset of group " + group, err);
  const auto* parts = rd_kafka_group_result_partitions(groups[0]);
  for (int i = 0; parts && i < parts->cnt; ++i) {
    const auto& p = parts->elems[i];
    if (settings_.names.wire(tp.topic) != p.topic || tp.partition != p.partition) continue;
    if (p.err) return kafka_error("committed offset of group " + group, p.err);
    if (p.offset < 0) return std::optional<int64_t>{};
    return std::optional<int64_t>{p.offset};
  }
  return std::optional<int64_t>{};
}

}  // namespace
}  // namespace pw::log::kafka

namespace pw::log {

namespace kafka {

void register_topic_creator(const std::string& bootstrap, TopicCreator creator) {
  std::lock_guard lock(creators_mu);
  creators[bootstrap] = std::move(creator);
}

void unregister_topic_creator(const std::string& bootstrap) {
  std::lock_guard lock(creators_mu);
  creators.erase(bootstrap);
}

}  // namespace kafka

Result<std::unique_ptr<EventLog>> open_kafka_log(const std::string& bootstrap, const Config& config) {
  using namespace kafka;
  if (bootstrap.empty()) return make_error(Errc::validation_error, "kafka: no bootstrap servers");
  auto settings = parse_settings(bootstrap, config);
  if (!settings) return settings.error();
  // Producer and consumers are created later; a bad property should fail here.
  for (const Config* props : {&settings->producer, &settings->consumer})
    if (auto conf = make_conf(bootstrap, *props, {}); !conf) return conf.error();

  auto conf = make_conf(bootstrap, settings->admin,
                        {{"isolation.level", "read_committed"},
                         {"allow.auto.create.topics", "false"}});
  if (!conf) return conf.error();
  auto aux = make_client(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!aux) return aux.error();
  // Fail at open, not at first use, when the cluster is unreachable.
  const rd_kafka_metadata_t* md = nullptr;
  if (auto err = rd_kafka_metadata(aux->get(), 0, nullptr, &md, timeout_ms(settings->timeout)))
    return kafka_error("cannot reach " + bootstrap, err);
  rd_kafka_metadata_destroy(md);
  return std::unique_ptr<EventLog>(std::make_unique<KafkaLog>(std::move(*settings), std::move(*aux)));
}

}  // namespace pw::log
