#include <iostream>

#include "events/kafka_mock.hpp"
#include "events/log.hpp"
#include "ops/cli/cli.hpp"

namespace pw::cli {

Runner add_dev_broker(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "dev-broker",
      "Run librdkafka's mock Kafka cluster in this process for local multi-process runs; "
      "prints the bootstrap servers and runs until SIGTERM");
  struct Options {
    int brokers = 3;
    int partitions = log::kDefaultPartitions;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("--brokers", opts->brokers, "number of brokers")->envname("PW_BROKERS")->check(CLI::Range(1, 9));
  cmd->add_option("--partitions", opts->partitions, "partitions of each pagewright topic")
      ->envname("PW_PARTITIONS")
      ->check(CLI::Range(1, 1000));
  return [cmd, opts]() -> int {
    if (!*cmd) return -1;
    return log::run_dev_broker(opts->brokers, opts->partitions, std::cout);
  };
}

}  // namespace pw::cli
