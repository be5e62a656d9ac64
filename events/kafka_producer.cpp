#include "events/kafka_producer.hpp"

#include <algorithm>

#include "events/ids.hpp"

namespace pw::log::kafka {
namespace {

// Bounds one group commit; beyond this the transaction, not the queue, is the bottleneck.
constexpr size_t kMaxGroupBatches = 256;

using Clock = std::chrono::steady_clock;

int left_ms(Clock::time_point deadline) {
  return timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

std::string where(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

}  // namespace

TxnProducer::TxnProducer(Settings settings, PartitionCounter counter, VisibilityWait visible)
    : settings_(std::move(settings)), counter_(std::move(counter)), visible_(std::move(visible)) {}

TxnProducer::~TxnProducer() {
  if (!rk_) return;
  if (must_abort_ || commit_pending_) abort_transaction();
  if (rk_) (void)rd_kafka_flush(rk_.get(), timeout_ms(settings_.timeout));
}

void TxnProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
  auto* d = static_cast<Delivery*>(msg->_private);
  if (!d) return;
  d->delivered = true;
  d->err = msg->err;
  d->partition = msg->partition;
  d->offset = msg->offset;
}

Result<std::vector<int32_t>> TxnProducer::resolve(const std::vector<OutRecord>& records) {
  std::vector<int32_t> partitions;
  partitions.reserve(records.size());
  for (const auto& rec : records) {
    if (rec.topic.empty()) return make_error(Errc::validation_error, "record without a topic");
    auto count = counter_(rec.topic);
    if (!count) return count.error();
    int32_t partition = rec.partition ? *rec.partition : partition_for(rec.key, *count);
    if (partition < 0 || partition >= *count)
      return make_error(Errc::validation_error, "partition " + where(rec.topic, partition) +
                                                    " does not exist");
    partitions.push_back(partition);
  }
  return partitions;
}

Result<Appended> TxnProducer::append(const Batch& batch) {
  if (!batch.offsets.empty()) {
    if (!batch.consumer)
      return make_error(Errc::validation_error, "batch offsets need the consumer they belong to");
    if (!dynamic_cast<KafkaConsumer*>(batch.consumer))
      return make_error(Errc::validation_error, "batch consumer is not from a kafka log");
  }
  if (batch.records.empty() && batch.offsets.empty() && !batch.then) return Appended{};
  auto partitions = resolve(batch.records);
  if (!partitions) return partitions.error();
  Pending me{&batch, std::move(*partitions), std::nullopt};

  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  while (!me.result) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    auto group = take_group();
    lock.unlock();
    auto results = run(group);
    lock.lock();
    // Results are handed over under the lock: the other callers read them under it.
    for (size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results[i]);
    leader_active_ = false;
    cv_.notify_all();
  }
  return std::move(*me.result);
}

std::vector<TxnProducer::Pending*> TxnProducer::take_group() {
  auto solo = [](const Pending* p) { return !p->batch->offsets.empty() || p->batch->then; };
  std::vector<Pending*> group;
  if (solo(queue_.front())) {
    group.push_back(queue_.front());
    queue_.pop_front();
    return group;
  }
  for (auto it = queue_.begin(); it != queue_.end() && group.size() < kMaxGroupBatches;) {
    if (!solo(*it)) {
      group.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return group;
}

std::vector<Result<Appended>> TxnProducer::run(const std::vector<Pending*>& group) {
  std::vector<Result<Appended>> out;
  auto together = transact(group);
  if (together) {
    for (auto& a : *together) out.emplace_back(std::move(a));
    return out;
  }
  // One bad batch (say, an oversized record) must not fail its neighbours; an
  // unreachable cluster would fail each of them again, so don't retry that.
  if (group.size() == 1 || together.error().code == Errc::unavailable) {
    out.assign(group.size(), together.error());
    return out;
  }
  for (Pending* p : group) {
    auto alone = transact({p});
    if (alone) out.emplace_back(std::move(alone->front()));
    else out.emplace_back(alone.error());
  }
  return out;
}

Result<void> TxnProducer::ready() {
  if (!rk_) {
    // A producer that dies mid-transaction holds back every read_committed
    // reader of the partitions it wrote until the coordinator aborts it after
    // transaction.timeout.ms: 10 s (Kafka Streams' choice) instead of
    // librdkafka's 60 s, unless the log's config says otherwise.
    Config producer = settings_.producer;
    producer.try_emplace("transaction.timeout.ms", "10000");
    auto conf = make_conf(settings_.bootstrap, producer,
                          {{"enable.idempotence", "true"},
                           {"transactional.id",
                            settings_.names.wire(settings_.transactional_id_prefix + "-" + uuid_v4())},
                           {"partitioner", "murmur2_random"}});
    if (!conf) return conf.error();
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &TxnProducer::on_delivery);
    auto rk = make_client(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!rk) return rk.error();
    rk_ = std::move(*rk);
    initialized_ = false;
  }
  if (!initialized_) {
    ErrorPtr err(rd_kafka_init_transactions(rk_.get(), timeout_ms(settings_.timeout)));
    if (err) {
      Error e = kafka_error("init transactions", err.get());
      if (rd_kafka_error_is_fatal(err.get())) reset();
      return e;
    }
    initialized_ = true;
  }
  if (commit_pending_) {
    ErrorPtr err(rd_kafka_commit_transaction(rk_.get(), timeout_ms(settings_.timeout)));
    if (err && rd_kafka_error_is_retriable(err.get()))
      return kafka_error("resuming an earlier commit", err.get());
    commit_pending_ = false;
    if (err) (void)fail("resuming an earlier commit", err.get());
  }
  if (must_abort_) {
    abort_transaction();
    if (must_abort_)
      return make_error(Errc::unavailable, "kafka: an earlier transaction could not be aborted yet");
  }
  if (!rk_) return make_error(Errc::unavailable, "kafka: producer was reset; try again");
  return {};
}

Result<std::vector<Appended>> TxnProducer::transact(const std::vector<Pending*>& group) {
  if (auto r = ready(); !r) return r.error();
  const auto deadline = Clock::now() + settings_.timeout;
  deliveries_.clear();

  if (ErrorPtr err(rd_kafka_begin_transaction(rk_.get())); err)
    return fail("begin transaction", err.get());
  std::vector<Item> items;
  for (const Pending* p : group)
    for (size_t i = 0; i < p->batch->records.size(); ++i)
      items.push_back({&p->batch->records[i], p->partitions[i]});
  if (auto r = produce(items, deadline); !r) return fail(r.error());

  // Only a solo batch has a continuation (see take_group).
  const Pending& first = *group.front();
  std::vector<OutRecord> more;
  if (first.batch->then) {
    auto cont = continuation(first);
    if (!cont) return fail(cont.error());
    more = std::move(*cont);
    auto partitions = resolve(more);
    if (!partitions) return fail(partitions.error());
    items.clear();
    for (size_t i = 0; i < more.size(); ++i) items.push_back({&more[i], (*partitions)[i]});
    if (auto r = produce(items, deadline); !r) return fail(r.error());
  }
  if (!first.batch->offsets.empty())
    if (auto r = send_offsets(*first.batch, deadline); !r) return r.error();
  if (auto r = commit(deadline); !r) return r.error();

  std::vector<Appended> out;
  Offsets past;
  size_t slot = 0;
  auto collect = [&](Appended& a, const std::vector<OutRecord>& records) {
    for (const auto& rec : records) {
      const Delivery& d = deliveries_[slot++];
      a.partitions.push_back({rec.topic, d.partition});
      a.offsets.push_back(d.offset);
      auto& end = past[{rec.topic, d.partition}];
      end = std::max(end, d.offset + 1);
    }
  };
  for (const Pending* p : group) {
    collect(out.emplace_back(), p->batch->records);
  }
  collect(out.front(), more);
  // A broker answers EndTxn before it writes the commit markers, and until
  // they are written read_committed readers (and end_offset) do not see the
  // records: append promises they do once it returns.
  if (auto r = visible_(past, Clock::now() + settings_.timeout); !r) return r.error();
  return out;
}

Result<std::vector<OutRecord>> TxnProducer::continuation(const Pending& p) {
  Appended so_far;
  for (size_t i = 0; i < p.batch->records.size(); ++i) {
    so_far.partitions.push_back({p.batch->records[i].topic, deliveries_[i].partition});
    so_far.offsets.push_back(deliveries_[i].offset);
  }
  // The caller's code: it must not unwind through this transaction.
  try {
    return p.batch->then(so_far);
  } catch (const std::exception& e) {
    return make_error(Errc::internal, std::string("batch continuation failed: ") + e.what());
  } catch (...) {
    return make_error(Errc::internal, "batch continuation failed");
  }
}

Result<void> TxnProducer::send_offsets(const Batch& batch, Clock::time_point deadline) {
  auto* consumer = static_cast<KafkaConsumer*>(batch.consumer);
  // Checked after the records are written so that a member the log knows to
  // be fenced takes the same abort path as one the broker fences.
  if (auto owns = consumer->check_owns(batch.offsets); !owns) return fail(owns.error());
  auto offsets = to_list(settings_.names, batch.offsets);
  auto metadata = consumer->group_metadata();
  ErrorPtr err(rd_kafka_send_offsets_to_transaction(rk_.get(), offsets.get(), metadata.get(),
                                                    left_ms(deadline)));
  if (err) return fail("send offsets to transaction", err.get());
  return {};
}

Result<void> TxnProducer::commit(Clock::time_point deadline) {
  ErrorPtr err(rd_kafka_commit_transaction(rk_.get(), left_ms(deadline)));
  while (err && rd_kafka_error_is_retriable(err.get()) && left_ms(deadline) > 0)
    err.reset(rd_kafka_commit_transaction(rk_.get(), left_ms(deadline)));
  if (!err) return {};
  if (rd_kafka_error_is_retriable(err.get()) && !rd_kafka_error_txn_requires_abort(err.get())) {
    // The coordinator may or may not have committed; only a resumed commit can tell.
    commit_pending_ = true;
    auto e = kafka_error("commit transaction (outcome unknown)", err.get());
    e.code = Errc::unavailable;
    return e;
  }
  return fail("commit transaction", err.get());
}

Result<void> TxnProducer::learn_topic(const std::string& topic) {
  if (known_topics_.contains(topic)) return {};
  // Without this, records for a topic new to the producer wait for its next
  // periodic metadata scan (about a second) before they are sent.
  using TopicPtr = std::unique_ptr<rd_kafka_topic_t, Deleter<rd_kafka_topic_destroy>>;
  TopicPtr rkt(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
  const rd_kafka_metadata_t* md = nullptr;
  if (auto err = rd_kafka_metadata(rk_.get(), 0, rkt.get(), &md, timeout_ms(settings_.timeout)))
    return kafka_error("metadata of " + topic, err);
  rd_kafka_metadata_destroy(md);
  known_topics_.insert(topic);
  return {};
}

Result<void> TxnProducer::produce(const std::vector<Item>& items, Clock::time_point deadline) {
  const size_t first = deliveries_.size();
  for (const Item& item : items) {
    const OutRecord& rec = *item.record;
    const std::string topic = settings_.names.wire(rec.topic);
    if (auto r = learn_topic(topic); !r) return r;
    Delivery& d = deliveries_.emplace_back();
    rd_kafka_resp_err_t err;
    while (true) {
      err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(item.partition),
          RD_KAFKA_V_KEY(rec.key.data(), rec.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(rec.value.data()), rec.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || left_ms(deadline) == 0) break;
      rd_kafka_poll(rk_.get(), 10);  // serves delivery reports, which frees queue space
    }
    if (err) return kafka_error("produce to " + where(rec.topic, item.partition), err);
  }
  // Delivery reports carry the offsets; flush serves them on this thread.
  if (auto err = rd_kafka_flush(rk_.get(), left_ms(deadline))) return kafka_error("flush", err);
  for (size_t i = first; i < deliveries_.size(); ++i) {
    const Delivery& d = deliveries_[i];
    if (!d.delivered) return make_error(Errc::unavailable, "kafka: record not delivered in time");
    if (d.err) return kafka_error("delivery", d.err);
  }
  return {};
}

Error TxnProducer::fail(const Error& error) {
  abort_transaction();
  return error;
}

Error TxnProducer::fail(std::string_view what, const rd_kafka_error_t* err) {
  Error e = kafka_error(what, err);
  // A fatal error leaves this producer unusable: the next append starts a new
  // one under a new transactional.id; the coordinator times out the old transaction.
  if (rd_kafka_error_is_fatal(err)) reset();
  else abort_transaction();
  return e;
}

void TxnProducer::abort_transaction() {
  if (!rk_) return;
  ErrorPtr err(rd_kafka_abort_transaction(rk_.get(), timeout_ms(settings_.timeout)));
  // _STATE: no transaction was open (begin failed), nothing to abort.
  must_abort_ = err && rd_kafka_error_code(err.get()) != RD_KAFKA_RESP_ERR__STATE &&
                !rd_kafka_error_is_fatal(err.get());
  if (err && rd_kafka_error_is_fatal(err.get())) {
    reset();
    return;
  }
  settle();
}

void TxnProducer::settle() {
  // The abort purged undelivered records; their reports must be served now,
  // while deliveries_ still describes this transaction.
  (void)rd_kafka_flush(rk_.get(), timeout_ms(settings_.timeout));
  if (rd_kafka_outq_len(rk_.get()) > 0) reset();
}

void TxnProducer::reset() {
  rk_.reset();
  known_topics_.clear();
  initialized_ = false;
  must_abort_ = false;
  commit_pending_ = false;
}

}  // namespace pw::log::kafka
