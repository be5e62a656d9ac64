#include <chrono>
#include <random>
#include <stdexcept>
#include <string_view>

#include "events/kafka_mock.hpp"
#include "tests/log/backend.hpp"

namespace pw::test {
namespace {

class KafkaBackend final : public LogBackend {
 public:
  KafkaBackend() {
    auto cluster = log::MockCluster::start(3);
    if (!cluster.ok()) throw std::runtime_error(cluster.error().message);
    cluster_ = std::move(cluster).value();
  }
  std::unique_ptr<log::EventLog> open() override {
    // Short timeouts so rebalances and dead members resolve within the test.
    log::Config config{
        {"session.timeout.ms", "6000"},
        {"heartbeat.interval.ms", "500"},
        {"producer.transaction.timeout.ms", "10000"},
        {"consumer.max.poll.interval.ms", "10000"},
    };
    auto r = log::open_log("kafka:" + cluster_->bootstrap(), config);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
  }
  std::string name() const override { return "kafka"; }
  std::string cannot(std::string_view feature) const override {
    if (feature == "transactional offsets")
      return "librdkafka 2.0.2's mock cluster does not store offsets sent with a transaction "
             "(MockGap.TransactionalOffsetsAreNotStored in test_kafka_log)";
    return {};
  }
  std::chrono::milliseconds settle() const override { return std::chrono::milliseconds(10000); }

 private:
  std::unique_ptr<log::MockCluster> cluster_;
};

}  // namespace

std::unique_ptr<LogBackend> make_backend() { return std::make_unique<KafkaBackend>(); }

}  // namespace pw::test
