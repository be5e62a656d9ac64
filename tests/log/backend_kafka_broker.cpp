// The conformance suite on the Apache Kafka broker named by
// PW_TEST_KAFKA_BOOTSTRAP: each test's log lives in a namespace of its own on
// the one shared broker, and every check runs (no mock-cluster gaps).
#include <chrono>
#include <stdexcept>

#include "tests/kafka_log/broker.hpp"
#include "tests/log/backend.hpp"

namespace pw::test {
namespace {

class KafkaBrokerBackend final : public LogBackend {
 public:
  std::unique_ptr<log::EventLog> open() override {
    auto config = kafka_broker_config();
    config["namespace"] = namespace_;
    auto r = log::open_log("kafka:" + kafka_broker_bootstrap(), config);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
  }
  std::string name() const override { return "kafka broker"; }
  std::string missing() const override { return kafka_broker_missing(); }
  std::chrono::milliseconds settle() const override { return std::chrono::milliseconds(10000); }

 private:
  const std::string namespace_ = fresh_kafka_namespace();
};

}  // namespace

std::unique_ptr<LogBackend> make_backend() { return std::make_unique<KafkaBrokerBackend>(); }

}  // namespace pw::test
