// describe_groups on Kafka: the Admin API's DescribeConsumerGroups (librdkafka
// 2.0), asked by a short-lived client of its own, so an operator's tool needs
// no open EventLog (and holds no transactional producer) to ask.
#include "events/backends.hpp"
#include "events/kafka_client.hpp"

namespace pw::log {

namespace {

using namespace kafka;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_destroy>>;

GroupMember to_member(const Names& names, const rd_kafka_MemberDescription_t* m) {
  GroupMember out;
  out.id = rd_kafka_MemberDescription_consumer_id(m);
  out.client_id = rd_kafka_MemberDescription_client_id(m);
  out.host = rd_kafka_MemberDescription_host(m);
  if (const auto* a = rd_kafka_MemberDescription_assignment(m))
    if (const auto* parts = rd_kafka_MemberAssignment_partitions(a)) {
      // Topics outside this log's namespace are not ours to show.
      for (int i = 0; i < parts->cnt; ++i)
        if (auto plain = names.plain(parts->elems[i].topic))
          out.assignment.push_back({*plain, parts->elems[i].partition});
    }
  return out;
}

}  // namespace

Result<std::vector<GroupInfo>> describe_kafka_groups(const std::string& bootstrap, const Config& config,
                                                     const std::vector<std::string>& groups) {
  auto settings = kafka::parse_settings(bootstrap, config);
  if (!settings.ok()) return settings.error();
  auto conf = make_conf(settings->bootstrap, settings->admin, {});
  if (!conf.ok()) return conf.error();
  auto client = make_client(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();

  const int ms = timeout_ms(settings->timeout);
  std::vector<GroupInfo> out;
  // One group per request: librdkafka 2.0.2 never completes a request for
  // several groups when one of them fails early (its fan-out waits for the
  // others forever, and destroying the client then hangs), as it does on a
  // cluster without DescribeGroups, such as its own mock.
  for (const auto& group : groups) {
    AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
    char errstr[512];
    if (rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, errstr, sizeof errstr))
      return make_error(Errc::validation_error, std::string("kafka: ") + errstr);
    const std::string wire = settings->names.wire(group);
    const char* name = wire.c_str();
    QueuePtr queue(rd_kafka_queue_new(rk));
    rd_kafka_DescribeConsumerGroups(rk, &name, 1, options.get(), queue.get());
    // The request's own timeout answers first; the slack only covers a client
    // that never answers at all.
    EventPtr ev(rd_kafka_queue_poll(queue.get(), ms + 5000));
    if (!ev) return make_error(Errc::unavailable, "kafka: describe group " + group + ": no answer in time");
    if (auto err = rd_kafka_event_error(ev.get())) {
      // librdkafka 2.0.2 keeps a reference to a request it could not send
      // (DescribeGroups to a broker without it), and destroying the client
      // would then wait forever: it is left to the process's exit instead.
      // Only operators' one-shot tools ask this.
      if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) (void)client->release();
      return kafka_error("describe group " + group, err, rd_kafka_event_error_string(ev.get()));
    }
    const auto* result = rd_kafka_event_DescribeConsumerGroups_result(ev.get());
    size_t n = 0;
    const auto** described = result ? rd_kafka_DescribeConsumerGroups_result_groups(result, &n) : nullptr;
    if (n != 1) return make_error(Errc::internal, "kafka: describe group " + group + ": unexpected answer");
    const auto* d = described[0];
    if (const rd_kafka_error_t* err = rd_kafka_ConsumerGroupDescription_error(d)) {
      if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) (void)client->release();  // as above
      return kafka_error("describe group " + group, err);
    }
    GroupInfo info;
    info.group = group;
    info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
    for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(d); ++m)
      info.members.push_back(to_member(settings->names, rd_kafka_ConsumerGroupDescription_member(d, m)));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace pw::log
