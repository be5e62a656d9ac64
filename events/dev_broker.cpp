// `pagewright dev-broker`: a mock Kafka cluster in its own process, so that
// gateway and worker processes can run against Kafka on a developer machine.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <iostream>

#include "events/dead_letter.hpp"
#include "events/kafka_mock.hpp"

namespace pw::log {

int run_dev_broker(int brokers, int partitions, std::ostream& out) {
  if (brokers < 1 || partitions < 1) {
    std::cerr << "dev-broker: brokers and partitions must be positive\n";
    return 2;
  }
  sigset_t stop, previous;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  // Blocked before librdkafka starts its threads, which inherit the mask:
  // the signal then stays pending for sigwait instead of killing the process.
  pthread_sigmask(SIG_BLOCK, &stop, &previous);

  int rc = [&] {
    auto cluster = MockCluster::start(brokers);
    if (!cluster) {
      std::cerr << "dev-broker: " << cluster.error().message << "\n";
      return 1;
    }
    for (auto topic : {kCommandsTopic, kEventsTopic, kResultsTopic, kDeadLetterTopic}) {
      auto created = (*cluster)->create_topic(std::string(topic), partitions, std::min(3, brokers));
      if (!created) {
        std::cerr << "dev-broker: " << created.error().message << "\n";
        return 1;
      }
    }
    out << "bootstrap.servers=" << (*cluster)->bootstrap() << std::endl;
    int sig = 0;
    sigwait(&stop, &sig);
    return 0;
  }();  // the cluster is destroyed here, its threads joined

  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return rc;
}

}  // namespace pw::log
