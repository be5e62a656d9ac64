#include "events/kafka_mock.hpp"

#include <algorithm>

#include "events/kafka_client.hpp"  // rdkafka.h, which rdkafka_mock.h needs first
#include "events/kafka_log.hpp"

#include <librdkafka/rdkafka_mock.h>

namespace pw::log {

struct MockCluster::Impl {
  kafka::Handle rk;  // librdkafka's bookkeeping handle for the cluster
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
  int brokers = 0;
  ~Impl() {
    if (!cluster) return;
    kafka::unregister_topic_creator(bootstrap);  // waits for a creation in progress
    rd_kafka_mock_cluster_destroy(cluster);      // before its handle
  }
};

MockCluster::MockCluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MockCluster::~MockCluster() = default;

Result<std::unique_ptr<MockCluster>> MockCluster::start(int brokers) {
  if (brokers < 1) return make_error(Errc::validation_error, "mock cluster needs a broker");
  // The handle never connects anywhere; below warning level it would only
  // complain that it has no bootstrap.servers.
  auto conf = kafka::make_conf("", {}, {{"log_level", "4"}});
  if (!conf) return conf.error();
  auto impl = std::make_unique<Impl>();
  auto rk = kafka::make_client(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return rk.error();
  impl->rk = std::move(*rk);
  impl->cluster = rd_kafka_mock_cluster_new(impl->rk.get(), brokers);
  if (!impl->cluster) return make_error(Errc::unavailable, "kafka: could not start the mock cluster");
  impl->bootstrap = rd_kafka_mock_cluster_bootstraps(impl->cluster);
  impl->brokers = brokers;
  std::unique_ptr<MockCluster> mock(new MockCluster(std::move(impl)));
  // Lets EventLog::create_topics work in this process although the mock has
  // no CreateTopics API.
  kafka::register_topic_creator(mock->bootstrap(), [m = mock.get()](const TopicSpec& t) {
    return m->create_topic(t.name, t.partitions, std::min(3, m->brokers()));
  });
  return mock;
}

const std::string& MockCluster::bootstrap() const { return impl_->bootstrap; }
int MockCluster::brokers() const { return impl_->brokers; }

Result<void> MockCluster::create_topic(const std::string& name, int32_t partitions, int replication) {
  if (name.empty() || partitions < 1 || replication < 1 || replication > impl_->brokers)
    return make_error(Errc::validation_error, "mock topic needs a name, partitions and a replication "
                                              "factor between 1 and the broker count");
  if (auto err = rd_kafka_mock_topic_create(impl_->cluster, name.c_str(), partitions, replication))
    return kafka::kafka_error("mock topic " + name, err);
  return {};
}

Result<void> MockCluster::create_topics(const std::vector<TopicSpec>& topics) {
  for (const auto& t : topics)
    if (auto r = create_topic(t.name, t.partitions, std::min(3, impl_->brokers)); !r) return r;
  return {};
}

void MockCluster::fail_requests(int16_t api_key, int16_t error, int count) {
  std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(std::max(count, 0)),
                                          static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(impl_->cluster, api_key, errors.size(), errors.data());
}

void MockCluster::set_broker_up(int32_t id, bool up) {
  if (up) rd_kafka_mock_broker_set_up(impl_->cluster, id);
  else rd_kafka_mock_broker_set_down(impl_->cluster, id);
}

Result<void> MockCluster::set_leader(const std::string& topic, int32_t partition, int32_t id) {
  if (auto err = rd_kafka_mock_partition_set_leader(impl_->cluster, topic.c_str(), partition, id))
    return kafka::kafka_error("mock leader of " + topic + "/" + std::to_string(partition), err);
  return {};
}

}  // namespace pw::log
