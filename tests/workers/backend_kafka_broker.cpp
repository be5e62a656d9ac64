// Suites linked with this run on the Apache Kafka broker named by
// PW_TEST_KAFKA_BOOTSTRAP: each fresh log is a namespace of its own on the one
// shared broker, named in its URI so that a child process opens the same one.
#include "tests/kafka_log/broker.hpp"
#include "tests/workers/backend.hpp"

namespace pw::test {
namespace {

class KafkaBroker final : public ProcessorBackend {
 public:
  std::string fresh_uri() override {
    return "kafka:" + kafka_broker_bootstrap() + "?namespace=" + fresh_kafka_namespace();
  }
  log::Config config() const override { return kafka_broker_config(); }
  bool single_process() const override { return false; }
  std::string missing() const override { return kafka_broker_missing(); }
};

}  // namespace

std::unique_ptr<ProcessorBackend> make_processor_backend() { return std::make_unique<KafkaBroker>(); }

}  // namespace pw::test
