// `pagewright dev-broker`'s body: serves the standard topics until SIGTERM.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>

#include "events/backends.hpp"
#include "events/kafka_mock.hpp"

namespace pw::test {
namespace {

using namespace std::chrono_literals;

// A stream one thread writes while another waits for a complete line.
class LineBuffer : public std::streambuf {
 public:
  std::string wait_line(std::chrono::milliseconds within) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, within, [&] { return text_.find('\n') != std::string::npos; });
    auto nl = text_.find('\n');
    return nl == std::string::npos ? std::string() : text_.substr(0, nl);
  }

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) append(std::string(1, static_cast<char>(ch)));
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    append(std::string(s, static_cast<size_t>(n)));
    return n;
  }

 private:
  void append(const std::string& s) {
    std::lock_guard lock(mu_);
    text_ += s;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
};

TEST(DevBroker, PrintsItsBootstrapServesTheStandardTopicsAndStopsOnSigterm) {
  LineBuffer buffer;
  std::ostream out(&buffer);
  int rc = -1;
  std::thread broker([&] { rc = log::run_dev_broker(3, 12, out); });

  const std::string line = buffer.wait_line(20s);
  const std::string prefix = "bootstrap.servers=";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  {
    auto log = log::open_kafka_log(line.substr(prefix.size()), {});
    ASSERT_TRUE(log.ok()) << log.error().message;
    for (auto t : {log::kCommandsTopic, log::kEventsTopic, log::kResultsTopic}) {
      auto n = (*log)->partition_count(std::string(t));
      ASSERT_TRUE(n.ok()) << n.error().message;
      EXPECT_EQ(*n, log::kDefaultPartitions);
    }
    // The topics exist, so create_topics succeeds in this other "process" too.
    EXPECT_TRUE((*log)->create_topics({{std::string(log::kEventsTopic), 12}}).ok());
  }

  // Directed at the broker's thread, which has SIGTERM blocked and waits for it.
  pthread_kill(broker.native_handle(), SIGTERM);
  broker.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(rd_kafka_wait_destroyed(10000), 0);
}

TEST(DevBroker, RejectsNonsense) {
  LineBuffer buffer;
  std::ostream out(&buffer);
  EXPECT_EQ(log::run_dev_broker(0, 12, out), 2);
  EXPECT_EQ(log::run_dev_broker(3, 0, out), 2);
}

}  // namespace
}  // namespace pw::test
