#pragma once
// What the conformance suite needs from a backend under test: a fresh, empty
// log per test, and further handles on the same log (other "processes").
#include <memory>
#include <string>

#include "events/log.hpp"

namespace pw::test {

class LogBackend {
 public:
  virtual ~LogBackend() = default;
  // Another handle on the same log, as a second process would have.
  virtual std::unique_ptr<log::EventLog> open() = 0;
  virtual std::string name() const = 0;
  // Generous timeouts for the backend: a mock Kafka rebalance takes seconds.
  virtual std::chrono::milliseconds settle() const = 0;
  // Why this backend's broker cannot show `feature`, or "" if it can. Only
  // librdkafka 2.0's mock cluster has such gaps (tests/kafka_log/mock_gaps_test.cpp
  // pins each one); a skip names it in the test output and ctest reports it.
  virtual std::string cannot(std::string_view feature) const {
    (void)feature;
    return {};
  }
  // Why this backend cannot run here (its server is missing), or "" if it can.
  virtual std::string missing() const { return {}; }
};

// Defined once per test binary (backend_local.cpp, backend_kafka.cpp for
// librdkafka's mock cluster, backend_kafka_broker.cpp for a real broker).
std::unique_ptr<LogBackend> make_backend();

}  // namespace pw::test
