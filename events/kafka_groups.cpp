// describe_groups on Kafka: the Admin API's DescribeConsumerGroups (librdkafka
// 2.0), asked by a short-lived client of its own, so an operator's tool needs
// no open EventLog (and holds no transactional producer) to ask.
#include "events/backends.hpp"
#include "events/kafka_client.hpp"

namespace pw::log {

namespace {

using namespace kafka;

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

// Whether the cluster answers the group APIs at all, asked by ListGroups: a
// broker without them (librdkafka 2.0.2's own mock has neither ListGroups nor
// DescribeGroups) must never be sent DescribeConsumerGroups. That request goes
// through librdkafka's coordinator path, whose failure on an unsupported API
// frees the request's state and then reads it again (rdkafka_admin.c,
// rd_kafka_admin_coord_request then rd_kafka_admin_coord_response_parse): the
// process aborts or hangs at random. ListGroups goes to every broker directly
// and fails cleanly. Every Kafka broker since 0.9 has both APIs or neither.
Result<void> check_group_apis(rd_kafka_t* rk, std::chrono::milliseconds timeout, const std::string& first_group) {
  const std::string what = "describe group " + first_group;
  auto ev = admin_call(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout, what, {},
                       [rk](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                         rd_kafka_ListConsumerGroups(rk, options, queue);
                       });
  if (!ev.ok()) return ev.error();
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev->get());
  size_t n = 0;
  const auto** errors = result ? rd_kafka_ListConsumerGroups_result_errors(result, &n) : nullptr;
  for (size_t i = 0; i < n; ++i)
    if (rd_kafka_error_code(errors[i]) == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) return kafka_error(what, errors[i]);
  return {};
}

Result<GroupInfo> describe_group(rd_kafka_t* rk, std::chrono::milliseconds timeout, const Names& names,
                                 const std::string& group) {
  const std::string wire = names.wire(group);
  auto ev = admin_call(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout, "describe group " + group, {},
                       [rk, &wire](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                         const char* name = wire.c_str();
                         rd_kafka_DescribeConsumerGroups(rk, &name, 1, options, queue);
                       });
  if (!ev.ok()) return ev.error();
  const auto* result = rd_kafka_event_DescribeConsumerGroups_result(ev->get());
  size_t n = 0;
  const auto** described = result ? rd_kafka_DescribeConsumerGroups_result_groups(result, &n) : nullptr;
  if (n != 1) return make_error(Errc::internal, "kafka: describe group " + group + ": unexpected answer");
  const auto* d = described[0];
  if (const rd_kafka_error_t* err = rd_kafka_ConsumerGroupDescription_error(d))
    return kafka_error("describe group " + group, err);
  GroupInfo info;
  info.group = group;
  info.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
  for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(d); ++m)
    info.members.push_back(to_member(names, rd_kafka_ConsumerGroupDescription_member(d, m)));
  return info;
}

}  // namespace

Result<std::vector<GroupInfo>> describe_kafka_groups(const std::string& bootstrap, const Config& config,
                                                     const std::vector<std::string>& groups) {
  if (groups.empty()) return std::vector<GroupInfo>{};
  auto settings = kafka::parse_settings(bootstrap, config);
  if (!settings.ok()) return settings.error();
  auto conf = make_conf(settings->bootstrap, settings->admin, {});
  if (!conf.ok()) return conf.error();
  auto client = make_client(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();
  if (auto usable = check_group_apis(rk, settings->timeout, groups.front()); !usable.ok()) return usable.error();
  std::vector<GroupInfo> out;
  // One group per request: librdkafka 2.0.2 never completes a request for
  // several groups when one of them fails early (its fan-out waits for the
  // others forever).
  for (const auto& group : groups) {
    auto info = describe_group(rk, settings->timeout, settings->names, group);
    if (!info.ok()) return info.error();
    out.push_back(std::move(*info));
  }
  return out;
}

}  // namespace pw::log
