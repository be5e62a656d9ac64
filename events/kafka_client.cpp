#include "events/kafka_client.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <climits>

#include "events/logging.hpp"

namespace pw::log::kafka {
namespace {

Result<int64_t> parse_int(const std::string& key, const std::string& value) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size())
    return make_error(Errc::validation_error, "kafka config '" + key + "': not an integer");
  return out;
}

bool strip_prefix(std::string_view key, std::string_view prefix, std::string& rest) {
  if (!key.starts_with(prefix)) return false;
  rest = std::string(key.substr(prefix.size()));
  return true;
}

// Kafka's own rule for topic names (legal characters, at most 249 of them),
// leaving room for the names that follow the namespace.
Result<void> check_namespace(const std::string& ns) {
  const bool legal = !ns.empty() && ns.size() <= 100 &&
                     std::all_of(ns.begin(), ns.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                     });
  if (!legal)
    return make_error(Errc::validation_error,
                      "kafka config 'namespace': 1 to 100 of the characters A-Z a-z 0-9 . _ -");
  return {};
}

}  // namespace

Result<Settings> parse_settings(const std::string& bootstrap, const Config& config) {
  Settings s;
  s.bootstrap = bootstrap;
  // Two passes so that "producer.x" beats "x" whatever the key order.
  for (const auto& [key, value] : config) {
    if (key == "transactional.id.prefix") {
      if (value.empty()) return make_error(Errc::validation_error, "transactional.id.prefix is empty");
      s.transactional_id_prefix = value;
    } else if (key == "operation.timeout.ms") {
      auto ms = parse_int(key, value);
      if (!ms) return ms.error();
      if (*ms <= 0 || *ms > INT_MAX)
        return make_error(Errc::validation_error, "operation.timeout.ms out of range");
      s.timeout = std::chrono::milliseconds(*ms);
    } else if (key == "namespace") {
      if (auto bad = check_namespace(value); !bad) return bad.error();
      s.names = Names(value);
    } else if (key == "replication.factor") {
      auto rf = parse_int(key, value);
      if (!rf) return rf.error();
      if (*rf == 0 || *rf < -1 || *rf > SHRT_MAX)
        return make_error(Errc::validation_error, "replication.factor must be -1 or positive");
      s.replication_factor = static_cast<int>(*rf);
    } else if (!key.starts_with("producer.") && !key.starts_with("consumer.") &&
               !key.starts_with("admin.")) {
      s.producer[key] = s.consumer[key] = s.admin[key] = value;
    }
  }
  for (const auto& [key, value] : config) {
    std::string rest;
    if (strip_prefix(key, "producer.", rest)) s.producer[rest] = value;
    else if (strip_prefix(key, "consumer.", rest)) s.consumer[rest] = value;
    else if (strip_prefix(key, "admin.", rest)) s.admin[rest] = value;
  }
  return s;
}

Errc errc_for(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST:
      return Errc::fenced;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Errc::not_found;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return Errc::payload_too_large;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
      return Errc::validation_error;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return Errc::forbidden;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
      return Errc::unavailable;
    default:
      return Errc::internal;
  }
}

Error kafka_error(std::string_view what, rd_kafka_resp_err_t err) {
  return kafka_error(what, err, rd_kafka_err2str(err));
}

Error kafka_error(std::string_view what, rd_kafka_resp_err_t err, std::string_view detail) {
  return make_error(errc_for(err), "kafka: " + std::string(what) + ": " + std::string(detail));
}

Error kafka_error(std::string_view what, const rd_kafka_error_t* err) {
  auto code = rd_kafka_error_code(err);
  Errc errc = errc_for(code);
  // Errors librdkafka itself marks retriable are worth retrying whatever their code.
  if (errc == Errc::internal && rd_kafka_error_is_retriable(err)) errc = Errc::unavailable;
  return make_error(errc, "kafka: " + std::string(what) + ": " + rd_kafka_error_string(err));
}

// librdkafka's own lines (syslog levels) become the process's JSON lines.
static void client_log_line(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  const logging::Level l = level <= 3   ? logging::Level::error
                           : level == 4 ? logging::Level::warn
                           : level <= 6 ? logging::Level::info
                                        : logging::Level::debug;
  logging::log(l, text, {{"component", "librdkafka"}, {"facility", facility}, {"client", rd_kafka_name(rk)}});
}

Result<ConfPtr> make_conf(const std::string& bootstrap, const Config& props, const Config& forced) {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), client_log_line);
  char errstr[512];
  auto set = [&](const std::string& key, const std::string& value) -> Result<void> {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK)
      return make_error(Errc::validation_error, "kafka config '" + key + "': " + errstr);
    return {};
  };
  if (auto r = set("bootstrap.servers", bootstrap); !r) return r.error();
  for (const Config* layer : {&props, &forced})
    for (const auto& [key, value] : *layer)
      if (auto r = set(key, value); !r) return r.error();
  return conf;
}

Result<Handle> make_client(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (!rk) return make_error(Errc::validation_error, std::string("kafka: creating client: ") + errstr);
  (void)conf.release();  // rd_kafka_new took it
  return Handle(rk);
}

ListPtr to_list(const Names& names, const Offsets& offsets) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets)
    rd_kafka_topic_partition_list_add(list.get(), names.wire(tp.topic).c_str(), tp.partition)->offset = offset;
  return list;
}

ListPtr to_list(const Names& names, const std::vector<TopicPartition>& tps) {
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
  for (const auto& tp : tps)
    rd_kafka_topic_partition_list_add(list.get(), names.wire(tp.topic).c_str(), tp.partition);
  return list;
}

std::string plain_topic(const Names& names, const char* wire_name) {
  // Only this namespace's topics are ever subscribed, assigned or fetched.
  return names.plain(wire_name).value_or(wire_name);
}

std::vector<TopicPartition> from_list(const Names& names, const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (!list) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({plain_topic(names, list->elems[i].topic), list->elems[i].partition});
  return out;
}

Record to_record(const Names& names, const rd_kafka_message_t& msg) {
  Record r;
  r.topic = plain_topic(names, rd_kafka_topic_name(msg.rkt));
  r.partition = msg.partition;
  r.offset = msg.offset;
  if (msg.key) r.key.assign(static_cast<const char*>(msg.key), msg.key_len);
  if (msg.payload) r.value.assign(static_cast<const char*>(msg.payload), msg.len);
  return r;
}

int timeout_ms(std::chrono::milliseconds t) {
  return static_cast<int>(std::clamp<int64_t>(t.count(), 0, INT_MAX));
}

Result<EventPtr> admin_call(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout,
                            std::string_view what, const AdminPrepare& prepare, const AdminSend& send) {
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[512];
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms(timeout), errstr, sizeof errstr))
    return make_error(Errc::validation_error, std::string("kafka: ") + errstr);
  if (prepare)
    if (auto prepared = prepare(options.get()); !prepared.ok()) return prepared.error();
  QueuePtr queue(rd_kafka_queue_new(rk));
  send(options.get(), queue.get());
  // The request's own timeout answers first; the slack only covers a client
  // that never answers at all.
  EventPtr ev(rd_kafka_queue_poll(queue.get(), timeout_ms(timeout + std::chrono::seconds(5))));
  if (!ev) return make_error(Errc::unavailable, "kafka: " + std::string(what) + ": no answer in time");
  if (auto err = rd_kafka_event_error(ev.get())) return kafka_error(what, err, rd_kafka_event_error_string(ev.get()));
  return ev;
}

bool is_transient_consumer_error(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    // The member left the group; the next poll rejoins and on_revoked/on_assigned tell the story.
    case RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED:
      return true;
    default:
      return false;
  }
}

bool is_leader_change(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
      return true;
    default:
      return false;
  }
}

Result<std::vector<Record>> poll_records(rd_kafka_t* rk, const Names& names,
                                         std::chrono::milliseconds timeout,
                                         size_t max_records, std::optional<Error>& deferred,
                                         const std::function<void()>& after_each_poll) {
  if (deferred) {
    Error e = std::move(*deferred);
    deferred.reset();
    return e;
  }
  std::vector<Record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < max_records) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    MessagePtr msg(rd_kafka_consumer_poll(rk, out.empty() ? timeout_ms(left) : 0));
    if (after_each_poll) after_each_poll();
    if (!msg) {
      // A poll that only served a callback returns early; keep waiting.
      if (out.empty() && left.count() > 0) continue;
      break;
    }
    if (msg->err) {
      if (is_transient_consumer_error(msg->err)) continue;
      std::string detail = rd_kafka_message_errstr(msg.get());
      if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
        char reason[512];
        auto code = rd_kafka_fatal_error(rk, reason, sizeof reason);
        detail = std::string(rd_kafka_err2name(code)) + ": " + reason;
      }
      Error e = kafka_error("consume", msg->err, detail);
      if (out.empty()) return e;
      deferred = std::move(e);
      break;
    }
    out.push_back(to_record(names, *msg));
  }
  return out;
}

}  // namespace pw::log::kafka
