#include <stdexcept>

#include "events/kafka_mock.hpp"
#include "tests/workers/backend.hpp"

namespace pw::test {
namespace {

class Kafka final : public ProcessorBackend {
 public:
  std::string fresh_uri() override {
    auto cluster = log::MockCluster::start(3);
    if (!cluster.ok()) throw std::runtime_error(cluster.error().message);
    clusters_.push_back(std::move(cluster).value());
    return "kafka:" + clusters_.back()->bootstrap();
  }
  log::Config config() const override {
    return {{"session.timeout.ms", "6000"},
            {"heartbeat.interval.ms", "500"},
            {"producer.transaction.timeout.ms", "10000"}};
  }
  bool single_process() const override { return false; }
  std::string cannot(std::string_view feature) const override {
    if (feature == "hiding aborted records")
      return "librdkafka 2.0.2's mock cluster serves the records of a transaction that was never "
             "committed (a SIGKILLed processor's) to read_committed readers "
             "(MockGap.AbortedRecordsAreServedToReadCommitted in test_kafka_log)";
    return {};
  }

 private:
  std::vector<std::unique_ptr<log::MockCluster>> clusters_;
};

}  // namespace

std::unique_ptr<ProcessorBackend> make_processor_backend() { return std::make_unique<Kafka>(); }

}  // namespace pw::test
