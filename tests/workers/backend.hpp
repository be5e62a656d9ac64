#pragma once
// Where the processor tests keep their log, so that a child process can open
// the same one.
#include <memory>
#include <string>
#include <string_view>

#include "events/log.hpp"

namespace pw::test {

class ProcessorBackend {
 public:
  virtual ~ProcessorBackend() = default;
  // A log URI for a fresh, empty log (each call a new one).
  virtual std::string fresh_uri() = 0;
  virtual log::Config config() const = 0;
  // The local log is single-process (RocksDB locks its directory): the parent
  // must close it while a child process uses it.
  virtual bool single_process() const = 0;
  // Why this backend's broker cannot show `feature`, or "" if it can (only
  // librdkafka 2.0's mock cluster has such gaps).
  virtual std::string cannot(std::string_view feature) const {
    (void)feature;
    return {};
  }
  // Why this backend cannot run here (its server is missing), or "" if it can;
  // fixtures pass it to require_server (tests/kafka_log/broker.hpp).
  virtual std::string missing() const { return {}; }
};

std::unique_ptr<ProcessorBackend> make_processor_backend();

}  // namespace pw::test
